"""suggest -> build -> serve -> a real MCP client against Prism: the suggested hints shrink what
an agent reads, and lose no record.

HubSpot contacts v3 is mocked by Prism (bodies made from the schemas, fixed seed); the same
server is built twice, with no hints and with `adaptgen suggest`'s output (nothing
hand-written), and each is run with `adaptgen serve --transport http` in its own process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, free_port, node_tool, result_data, shared_spec, stop, wait_for_port
from fastmcp import Client

if str(ROOT) not in sys.path:  # `bench` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench._prism import prism  # noqa: E402

pytestmark = [pytest.mark.npm, pytest.mark.shared]

LIST = "get-/crm/v3/objects/contacts_getPage"
GET = "get-/crm/v3/objects/contacts/{contactId}_getById"


def _adaptgen(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "adaptgen", *args], check=True, env=env, cwd=ROOT)


def _serve(folder, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "adaptgen", "serve", str(folder), "--transport", "http"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}/mcp"


async def _calls(url: str) -> dict[str, tuple[int, object]]:
    async with Client(url) as client:
        tools = {t.name for t in await client.list_tools()}
        listed = next(n for n in tools if "list" in n or "page" in n)
        got = next(n for n in tools if n.startswith("get") and "contact" in n and "page" not in n)
        out = {}
        for name, args in ((listed, {"limit": 5}), (got, {"contact_id": "1"})):
            result = await client.call_tool_mcp(name, args)
            assert not result.is_error, result.content[0].text
            text = result.content[0].text
            out["list" if name == listed else "get"] = (len(text.encode()), result_data(text))
        return out


def test_suggested_hints_cut_what_an_agent_reads_against_prism(tmp_path):
    spec = shared_spec("hubspot_contacts_v3.json")
    node_tool("prism")
    hints = tmp_path / "hubspot.suggested.yaml"
    _adaptgen("suggest", str(spec), "--out", str(hints))
    assert "# why:" in hints.read_text()
    measured = {}
    with prism(spec, dynamic=True) as url:
        for label in ("bare", "suggested"):
            name = f"hub_{label}"
            extra = ["--no-hints"] if label == "bare" else ["--hints", str(hints)]
            _adaptgen("build", str(spec), "--out", str(tmp_path), "--name", name, "-q", *extra)
            env = {
                **os.environ,
                f"{name.upper()}_BASE_URL": url,
                f"{name.upper()}_OAUTH2_TOKEN": "e2e-token",
            }
            process, mcp = _serve(tmp_path / name, env)
            try:
                measured[label] = asyncio.run(_calls(mcp))
            finally:
                stop(process)
    bare, suggested = measured["bare"], measured["suggested"]
    for call in ("list", "get"):
        assert suggested[call][0] <= 0.5 * bare[call][0], (call, bare[call][0], suggested[call][0])
    # Same records, same ids and values: only the noise went.
    bare_items, kept_items = bare["list"][1]["items"], suggested["list"][1]["items"]
    assert kept_items and [i["id"] for i in kept_items] == [i["id"] for i in bare_items]
    assert [i.get("properties") for i in kept_items] == [i.get("properties") for i in bare_items]
    assert suggested["get"][1]["id"] == bare["get"][1]["id"]
    assert "propertiesWithHistory" in json.dumps(bare["get"][1])
    assert "propertiesWithHistory" not in json.dumps(suggested["get"][1])
