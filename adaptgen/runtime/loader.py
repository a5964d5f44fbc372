"""Import a generated server's `server.py` by path, under a module name of its own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_server_module"]


def load_server_module(folder: str | Path) -> ModuleType:
    """Import `folder/server.py` as `adaptgen_generated_<folder name>`: a fresh module each call.

    A module name of its own keeps two generated servers (or a server and its Lambda handler)
    in one process apart, where a plain `import server` would hand back whichever came first.
    Raises FileNotFoundError when the folder holds no generated server.
    """
    folder = Path(folder)
    server_file = folder / "server.py"
    if not server_file.is_file():
        raise FileNotFoundError(f"no generated server here (missing {server_file})")
    module_name = f"adaptgen_generated_{folder.resolve().name}"
    spec = importlib.util.spec_from_file_location(module_name, server_file)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd filesystems
        raise ImportError(f"cannot import {server_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
