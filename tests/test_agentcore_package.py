"""AgentCore zips run as AgentCore Runtime runs them: unpacked, `python main.py`, MCP at /mcp.

Each zip (the generated CRM server, and `adaptgen proxy` in front of an MCP server) is built for
this machine's Python and architecture (AgentCore's own is arm64: the wheels differ, not the
code), unpacked into an empty folder and started by an interpreter that sees nothing but that
folder and the standard library. It binds 0.0.0.0 as on AgentCore (on a free port instead of
8000, `ADAPTGEN_AGENTCORE_PORT`); the test reaches it on 127.0.0.1 only, with a real MCP client
sending a JWT, and the call goes on to a real upstream on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import ROOT, free_port, stop, wait_for_port
from fastmcp import Client
from mcp_upstream import RecordingUpstream
from test_governance import JWT_IDENTITY, governed_crm, mint, policy

from adaptgen.cli import main
from adaptgen.runtime.agentcore import PORT_ENV
from adaptgen.ship.agentcore_package import Shipped, build_agentcore_package
from adaptgen.ship.package import AgentCoreTarget, LambdaTarget

THIS = LambdaTarget.resolve(None, None)
HERE = AgentCoreTarget(THIS.runtime, THIS.arch)  # AgentCore's contents, this machine's wheels
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["build", str(ROOT / "specs" / "crm.yaml"), "--out", str(out), "-q"]) == 0
    return out / "crm"


def unpacked(shipped: Shipped, tmp: Path, shipped_policy: Path | None = None) -> Path:
    """The AgentCore zip of `shipped`, built and unpacked into `tmp/task`."""
    package = build_agentcore_package(shipped, HERE, tmp / "agentcore.zip", policy=shipped_policy)
    task = tmp / "task"
    with zipfile.ZipFile(package.path) as archive:
        archive.extractall(task)
    return task


@contextmanager
def started(task: Path, env: dict[str, str]) -> Iterator[str]:
    """`python main.py` in the unpacked zip, as AgentCore starts it; its MCP URL on loopback."""
    port = free_port()
    env = {**env, PORT_ENV: str(port), "PYTHONPATH": str(task), "PATH": "/usr/bin:/bin"}
    env.update(HOME=str(task.parent), LANG="C.UTF-8")
    python = getattr(sys, "_base_executable", sys.executable)  # not the venv's
    process = subprocess.Popen(
        [python, "-S", "-s", "main.py"],  # -S: no site, so no site-packages
        cwd=task,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process, timeout=90)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)
        log = process.stderr.read() if process.stderr else ""
        process.stdout and process.stdout.close()
        process.stderr and process.stderr.close()
        print(log[-3000:])
        assert "Uvicorn running on http://0.0.0.0:" in log  # bound as on AgentCore


def call(url: str, token: str | None, tool: str, arguments: dict) -> tuple[list[str], object]:
    async def go():
        async with Client(url, auth=token) as client:
            listed = [t.name for t in await client.list_tools()]
            return listed, await client.call_tool(tool, arguments, raise_on_error=False)

    return asyncio.run(go())


def test_generated_server_zip_serves_mcp_as_agentcore_runs_it(crm_server, tmp_path):
    (tmp_path / "policy").mkdir()
    shipped_policy = policy(tmp_path / "policy")  # its audit file is written beside it
    task = unpacked(Shipped(folder=crm_server), tmp_path, shipped_policy)
    assert (task / "main.py").is_file() and (task / "policy.yaml").is_file()
    assert 'env_prefix="CRM"' in (task / "main.py").read_text()
    with governed_crm(tmp_path) as sandbox:
        # The server's settings only, and no CRM_POLICY: the packaged policy.yaml applies.
        env = {k: v for k, v in os.environ.items() if k.startswith(("CRM_", "GOV_"))}
        del env["CRM_POLICY"]
        with started(task, env) as url:
            listed, result = call(url, mint(["sales"]), "list_contacts", {"limit": 2})
            anonymous = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS, timeout=30)
        upstream_calls = [r for r in sandbox.request_log if r["path"].endswith("/contacts")]
    assert {"list_contacts", "get_contact"} <= set(listed)
    assert not result.is_error, result
    assert len(json.loads(result.content[0].text)["items"]) == 2
    assert upstream_calls  # the call reached the CRM on 127.0.0.1
    assert anonymous.status_code == 401  # no JWT: the packaged policy refuses the caller
    audited = (shipped_policy.parent / "audit.jsonl").read_text().splitlines()
    assert audited and '"list_contacts"' in audited[-1]


def test_proxy_zip_serves_the_upstream_as_agentcore_runs_it(tmp_path):
    upstream = RecordingUpstream()
    document = {
        "identity": JWT_IDENTITY,
        "access": {"rules": [{"groups": ["sales"], "allow": ["echo"]}]},
        "audit": {"sink": "none"},
    }
    proxy_policy = tmp_path / "proxy-policy.yaml"
    proxy_policy.write_text(yaml.safe_dump(document))
    task = unpacked(Shipped(upstream=upstream.url), tmp_path, proxy_policy)
    assert f'upstream="{upstream.url}"' in (task / "main.py").read_text()
    assert not (task / "server.py").exists()
    with upstream.running(), started(task, {}) as url:
        listed, result = call(url, mint(["sales"]), "echo", {"value": 7})
    assert listed == ["echo"]  # the policy's view of the upstream's two tools
    assert not result.is_error and json.loads(result.content[0].text) == {"value": 7}
    assert upstream.count()["POST tools/call"] == 1
    # The caller's token stays with the proxy; the upstream never sees it.
    assert not [r for r in upstream.requests if "authorization" in r.headers]
