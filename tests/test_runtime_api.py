"""The runtime's public API, pinned: what generated servers, Lambda handlers and the CLI call.

Generated code outlives the adaptgen that wrote it: a server built last month imports
`adaptgen.runtime` as installed today. So the names it imports and the shapes of the calls it
makes (see templates/server.py.j2 and handler.py.j2) are a contract, and a refactor of the
runtime that breaks them must fail here, loudly, before it breaks a deployed server. When a
change here is intended, it is a breaking change for every generated server: say so.

The governance entry points pinned are the ones reached from outside the governance package
(the CLI's `serve`/`proxy`, `adaptgen package`, the Lambda handler); its internals are free.
The types of the generated code are checked by tests/test_generated_types.py.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from fastmcp import Client, FastMCP

import adaptgen.runtime
from adaptgen.runtime.aws_lambda import LambdaHandler
from adaptgen.runtime.governance import http_auth, policy, proxy
from adaptgen.runtime.loader import load_server_module

# Every committed generated server: the CRM example and the golden records of tests/test_golden.
SERVERS = [ROOT / "generated" / "crm"] + sorted(
    p.parent for p in (ROOT / "tests" / "golden").glob("*/generated/server.py")
)


def binds(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Whether `fn(*args, **kwargs)` is a call its signature accepts."""
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def test_runtime_exports_what_generated_servers_import():
    from fastmcp.tools.base import ToolResult

    from adaptgen.runtime.server import GeneratedApi

    assert adaptgen.runtime.__all__ == ["GeneratedApi", "ToolResult"]
    assert adaptgen.runtime.GeneratedApi is GeneratedApi
    assert adaptgen.runtime.ToolResult is ToolResult
    with pytest.raises(AttributeError):
        _ = adaptgen.runtime.NotExported  # type: ignore[attr-defined]


def test_generated_server_calls_keep_their_shape(monkeypatch):
    """server.py: `GeneratedApi.from_catalog(__file__)`, `api.server`, `@api.tool(name)`,
    `await api.call(name, **arguments)` (a parameter may be called `name`)."""
    monkeypatch.setenv("ADAPTGEN_GOVERNANCE", "off")
    api_class = adaptgen.runtime.GeneratedApi
    assert binds(api_class.from_catalog, "server.py")
    api = api_class.from_catalog(SERVERS[0] / "server.py")
    assert isinstance(api.server, FastMCP)
    assert binds(api.tool, "list_contacts")
    assert callable(api.tool("list_contacts"))
    assert inspect.iscoroutinefunction(api.call)
    assert binds(api.call, "tool", name="x", limit=3, cursor=None)
    assert binds(api.call, "tool")


def test_lambda_handler_and_loader_keep_their_shape():
    """handler.py: `load_server_module(folder).mcp`, then
    `LambdaHandler(mcp, path=..., allow_anonymous_env=...)` called as `handler(event, context)`."""
    assert binds(load_server_module, Path("generated/crm"))
    assert binds(LambdaHandler, FastMCP("x"), path="/mcp", allow_anonymous_env="X_ALLOW_ANONYMOUS")
    assert binds(LambdaHandler.__call__, object(), {}, None)


def test_governance_entry_points_keep_their_shape():
    assert binds(policy.load_policy, "policy.yaml")
    assert binds(policy.policy_path, "CRM")
    assert binds(policy.policy_path)
    assert isinstance(policy.safe_default(), policy.Policy)
    assert issubclass(policy.PolicyError, Exception)
    assert binds(proxy.build_proxy, "http://127.0.0.1:1/mcp", None, name="p")
    assert binds(http_auth.governance_of, FastMCP("x"))
    assert binds(http_auth.governed_http_app, FastMCP("x"), path="/mcp", env_prefix="CRM")


@pytest.mark.parametrize("folder", SERVERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_generated_server_loads_and_lists_its_tools(folder, monkeypatch):
    """Each committed server.py, as written by an earlier build, still runs on this runtime."""
    monkeypatch.setenv("ADAPTGEN_GOVERNANCE", "off")
    catalog = json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
    module = load_server_module(folder)
    assert isinstance(module.mcp, FastMCP)

    async def listed() -> list[str]:
        async with Client(module.mcp) as client:
            return [t.name for t in await client.list_tools()]

    names = asyncio.run(listed())
    entries = [*catalog["tools"], *catalog.get("chains", [])]
    visible = [t["name"] for t in entries if not t.get("hidden")]
    if (catalog["api"].get("surface") or {}).get("mode") == "search":
        pinned = [t["name"] for t in catalog["tools"] if t.get("pinned")]
        assert sorted(names) == sorted(["list_toolsets", "search_tools", "call_tool", *pinned])
    else:
        assert sorted(names) == sorted(visible)
