"""The runtime every generated server imports (and every Lambda package ships).

It never imports the build-time parts of adaptgen (load, plan, render), so it stays small and
quick to import.
"""

from fastmcp.tools.base import ToolResult

from adaptgen.runtime.server import GeneratedApi

__all__ = ["GeneratedApi", "ToolResult"]
