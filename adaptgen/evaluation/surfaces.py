"""The two MCP surfaces a scenario runs on, and the client that records what an agent reads.

- the generated server, served by `adaptgen serve FOLDER --transport http` in its own process on
  127.0.0.1 (built into a temporary folder first when the scenario file names only a spec);
- FastMCP's plain conversion, `FastMCP.from_openapi` of the same spec against the same upstream.

Both are reached through a real `fastmcp.Client`; `Recorder` keeps every call with the bytes
and (estimated) tokens of its result, as a model would be charged for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastmcp import Client

from adaptgen.errors import InputError
from adaptgen.evaluation.processes import free_port, stop, wait_for_port
from adaptgen.evaluation.scenarios import ScenarioFile
from adaptgen.runtime.lean import expand
from adaptgen.runtime.shape import BYTES_PER_TOKEN

SERVER_START_S = 60.0
CALL_TOOL = "call_tool"  # search mode's way to call a tool it found


@dataclass
class ToolCall:
    """One call an agent made and what it read back."""

    tool: str
    arguments: dict[str, Any]
    ok: bool
    text: str
    data: Any = None  # the result as JSON, when it is JSON
    bytes: int = 0
    via: str | None = None  # "call_tool" in search mode

    @property
    def tokens(self) -> int:
        return -(-self.bytes // BYTES_PER_TOKEN)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens": self.tokens}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _api_names(tool: Any) -> dict[str, str]:
    """argument -> the API's parameter; the runtime's paging arguments (`limit`, `cursor`)
    become the page size parameter, or nothing (FastMCP's agent pages by hand)."""
    paging = tool.pagination
    size = paging and (paging.size_param or getattr(paging, "limit_param", None))
    names = {}
    for param in tool.upstream.params:
        if param.location != "paging":
            names[param.name] = param.api_name
        elif param.name == "limit" and size:
            names["limit"] = size
    return names


@dataclass
class Catalog:
    """What replay needs from a generated server's catalog.json."""

    env_prefix: str
    operations: dict[str, str]  # tool -> operationId (tools made from one operation)
    params: dict[str, dict[str, str]]  # tool -> argument -> the API's parameter name
    chains: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def read(cls, folder: Path) -> Catalog:
        from adaptgen.runtime.catalog import Catalog as Model

        model = Model.read(folder / "catalog.json")
        operations = {t.name: t.upstream.operation_id for t in model.tools}
        params = {t.name: _api_names(t) for t in model.tools}
        chains = frozenset(t.name for t in model.chains)
        return cls(model.info.env_prefix, operations, params, chains)

    def tool_of(self, operation: str) -> str | None:
        return next((t for t, op in self.operations.items() if op == operation), None)


class Recorder:
    """A real MCP client that records every call (search mode: through `call_tool`)."""

    def __init__(self, client: Client, listed: set[str]) -> None:
        self.client = client
        self.listed = listed
        self.calls: list[ToolCall] = []

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolCall:
        name, args, via = tool, arguments, None
        if tool not in self.listed and CALL_TOOL in self.listed:
            name, args, via = CALL_TOOL, {"name": tool, "arguments": arguments}, CALL_TOOL
        try:
            result = await self.client.call_tool_mcp(name, args)
        except Exception as exc:  # noqa: BLE001 - the client refused the answer: a failed call
            call = ToolCall(tool, arguments, False, f"{type(exc).__name__}: {exc}", via=via)
            self.calls.append(call)
            return call
        text = "".join(c.text for c in result.content if getattr(c, "text", None))
        size = len(text.encode())
        if result.structured_content is not None:
            size += len(json.dumps(result.structured_content).encode())
        call = ToolCall(tool, arguments, not result.is_error, text, _data(result), size, via)
        self.calls.append(call)
        return call


def _data(result: Any) -> Any:
    data = result.structured_content
    if data is None:
        try:
            text = "".join(c.text for c in result.content if getattr(c, "text", None))
            data = expand(json.loads(text))  # facts' JSONPaths address records, not columns
        except ValueError:
            return None
    # FastMCP wraps a body its output schema does not describe as an object in "result".
    return data["result"] if isinstance(data, dict) and set(data) == {"result"} else data


@contextmanager
def server_folder(scenarios: ScenarioFile) -> Iterator[Path]:
    """The generated server: the file's `server`, or a build of its `spec` in a temp folder."""
    if scenarios.server is not None:
        yield scenarios.server
        return
    from adaptgen.build import BuildOptions, build

    assert scenarios.spec is not None
    with tempfile.TemporaryDirectory(prefix="adaptgen-eval-") as out:
        report = build(BuildOptions(spec=scenarios.spec, out=Path(out), hints=scenarios.hints))
        yield report.out_dir


@contextmanager
def generated_server(folder: Path, env: dict[str, str], policy: Path | None) -> Iterator[str]:
    """`adaptgen serve FOLDER --transport http` on 127.0.0.1; yields its MCP URL."""
    import adaptgen

    port = free_port()
    source = str(Path(adaptgen.__file__).resolve().parents[1])
    child = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p),
    }
    command = [sys.executable, "-m", "adaptgen", "serve", str(folder), "--transport", "http"]
    command += ["--port", str(port)]
    if policy is not None:
        command += ["--policy", str(policy)]
        prefix = Catalog.read(folder).env_prefix
        child.pop(f"{prefix}_POLICY", None)  # it would win over --policy
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=child, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for_port(port, process, SERVER_START_S, "adaptgen serve")
            except RuntimeError:
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
                raise InputError(f"adaptgen serve {folder} failed: {' / '.join(tail)}") from None
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            stop(process)


def fastmcp_server(spec: Path, base_url: str) -> tuple[Any, Any]:
    """`FastMCP.from_openapi` of `spec` calling `base_url`; the server and its HTTP client."""
    import httpx2
    from fastmcp import FastMCP

    from adaptgen.load import load_spec

    document = dict(load_spec(spec).document)
    document["servers"] = [{"url": base_url}]
    client = httpx2.AsyncClient(base_url=base_url, timeout=60)
    return FastMCP.from_openapi(document, client=client), client


async def operation_names(server: Any) -> dict[str, str]:
    """operationId -> tool name on FastMCP's conversion (through the route each came from)."""
    names: dict[str, str] = {}
    for tool in await server.list_tools():
        route = getattr(tool, "_route", None)
        names[(route.operation_id if route is not None else None) or tool.name] = tool.name
    return names
