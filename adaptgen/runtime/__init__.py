"""The runtime every generated server imports (and every Lambda package ships).

It never imports the build-time parts of adaptgen (load, plan, render), so it stays small and
quick to import. The names below are loaded on first use: the build imports light modules of
this package (``adaptgen.runtime.jsonpath``) and must not pay for FastMCP, OpenTelemetry and
the crypto stack that serving needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastmcp.tools.base import ToolResult

    from adaptgen.runtime.server import GeneratedApi

__all__ = ["GeneratedApi", "ToolResult"]


def __getattr__(name: str) -> Any:
    if name == "GeneratedApi":
        from adaptgen.runtime.server import GeneratedApi

        return GeneratedApi
    if name == "ToolResult":
        from fastmcp.tools.base import ToolResult

        return ToolResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
