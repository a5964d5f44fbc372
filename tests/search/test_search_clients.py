"""Search mode through the clients the maintainers use: the official TypeScript SDK over
streamable HTTP, and the MCP Inspector CLI over stdio. GitHub (572 tools) against Prism.

What an agent does with either: list the three search tools, search in its own words, browse
the toolsets, call the tool it found through `call_tool` (and a misspelt one). Over stdio with
no policy, the read-only default: a change asked for gets the reads and a note on why.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, inspector_cli, node_tool, result_data, shared_spec

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.search import READ_ONLY_NOTE
from adaptgen.sandbox.server import serve_app

FIND = "list the repositories of an organization"
CHANGE = "delete the repository octo/old-site"


@pytest.fixture(scope="module")
def github(tmp_path_factory):
    spec = shared_spec("github_api_2020.json")
    report = build(BuildOptions(spec=spec, out=tmp_path_factory.mktemp("gh"), name="github"))
    assert report.api.info.surface.mode == "search"
    return spec, report.out_dir


def test_the_typescript_sdk_searches_browses_and_calls_over_http(github, prism_for, tmp_path):
    spec, out_dir = github
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "identity": {"allow_anonymous": True, "anonymous_groups": ["all"]},
                "access": {"rules": [{"allow": ["*"], "writes": True, "destructive": True}]},
                "audit": {"sink": "none"},
            }
        )
    )
    calls = [
        ["search_tools", {"query": FIND}],
        ["search_tools", {"query": CHANGE}],
        ["list_toolsets", {}],
        ["call_tool", {"name": "list_repos_for_org", "arguments": {"org": "acme", "limit": 2}}],
        ["call_tool", {"name": "list_repo_for_org", "arguments": {"org": "acme"}}],
    ]
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("GITHUB_BASE_URL", prism_for(spec))
        mp.setenv("GITHUB_OAUTH2_TOKEN", "test-token")
        mp.setenv("GITHUB_POLICY", str(policy))
        module = load_server_module(out_dir)
        with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
            node_tool("prism")  # the Node tools are installed (npm ci), the SDK with them
            run = subprocess.run(
                ["node", str(ROOT / "tests" / "clients" / "ts_client.mjs"), f"{url}/mcp"]
                + [json.dumps(calls)],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=ROOT,
            )
    finally:
        mp.undo()
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "error" not in seen, seen
    assert seen["tools"] == ["list_toolsets", "search_tools", "call_tool"]
    found, change, toolsets, called, misspelt = (c["result"] for c in seen["calls"])
    assert "list_repos_for_org" in [h["name"] for h in json.loads(found["content"][0]["text"])[:3]]
    # A caller allowed to write gets the hits alone, the delete among them.
    assert len(change["content"]) == 1
    assert "delete_repo" in [h["name"] for h in json.loads(change["content"][0]["text"])[:3]]
    assert any(s["toolset"] == "repos" for s in json.loads(toolsets["content"][0]["text"]))
    assert not called.get("isError"), called
    assert 1 <= len(result_data(called["content"][0]["text"])["items"]) <= 2
    assert (
        misspelt["isError"]
        and "did you mean list_repos_for_org" in (misspelt["content"][0]["text"])
    )


def test_the_inspector_cli_searches_and_calls_over_stdio_under_the_read_only_default(
    github, prism_for
):
    spec, out_dir = github
    # The Inspector hands a stdio server only the variables given (-e): no policy reaches it.
    env = {"GITHUB_BASE_URL": prism_for(spec), "GITHUB_OAUTH2_TOKEN": "test-token"}
    server = [sys.executable, "-m", "adaptgen", "serve", str(out_dir)]
    listed = inspector_cli(*server, "--method", "tools/list", env=env)
    assert [t["name"] for t in listed["tools"]] == ["list_toolsets", "search_tools", "call_tool"]

    def search(query: str) -> list[str]:
        answer = inspector_cli(
            *server, "--method", "tools/call", "--tool-name", "search_tools",
            "--tool-arg", f"query={query}", env=env,
        )  # fmt: skip
        assert answer.get("isError") is not True
        return [block["text"] for block in answer["content"]]

    (found,) = search(FIND)
    assert "list_repos_for_org" in [h["name"] for h in json.loads(found)[:3]]
    reads, note = search(CHANGE)
    assert note == READ_ONLY_NOTE
    assert all(h["annotations"]["readOnlyHint"] for h in json.loads(reads))
    called = inspector_cli(
        *server, "--method", "tools/call", "--tool-name", "call_tool",
        "--tool-arg", "name=list_repos_for_org",
        "--tool-arg", f"arguments={json.dumps({'org': 'acme', 'limit': 2})}", env=env,
    )  # fmt: skip
    assert called.get("isError") is not True, called
    assert 1 <= len(result_data(called["content"][0]["text"])["items"]) <= 2
