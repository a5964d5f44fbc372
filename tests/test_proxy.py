"""`adaptgen proxy`: the governance stack in front of a separate MCP server process."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys

import mcp_types
import pytest
import yaml
from conftest import ROOT, free_port, result_data, stop, wait_for_port
from fastmcp import Client, Context, FastMCP
from fastmcp.client.transports import StdioTransport
from mcp import Client as SdkClient
from mcp.shared.exceptions import MCPError
from mcp_types.version import LATEST_MODERN_VERSION
from mcp_upstream import RecordingUpstream
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from test_governance import PUBLIC, mint

from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.runtime.governance.upstream_session import UpstreamUnavailable
from adaptgen.sandbox.server import serve_app

PLAIN = ROOT / "tests" / "fixtures" / "plain_server.py"


def policy(tmp, **identity) -> str:
    document = {
        "identity": identity
        or {
            "jwt": {
                "issuer": "https://idp.test/",
                "audience": "crm-mcp",
                "keys": [PUBLIC],
                "algorithms": ["RS256"],
                "groups_claim": "cognito:groups",
            }
        },
        "access": {
            "rules": [
                {"groups": ["support"], "allow": ["get_customer", "is_known_email"]},
                {"groups": ["admin"], "allow": ["*"], "writes": True, "destructive": True},
            ]
        },
        "pii": {"key": "${env:PROXY_PII_KEY}"},
        "audit": {"sink": "file", "path": str(tmp / "audit.jsonl")},
        # A command upstream is a Python process importing FastMCP: on a loaded CI machine its
        # start-up can pass the 10 s default.
        "upstream": {"connect_timeout": 60},
    }
    path = tmp / "proxy-policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_proxy_over_http_in_front_of_a_separate_server(tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(PLAIN), "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, upstream)
        proxy = build_proxy(f"http://127.0.0.1:{port}/mcp", policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go(token):
                async with Client(f"{url}/mcp", auth=token) as client:
                    names = sorted(t.name for t in await client.list_tools())
                    record = await client.call_tool("get_customer", {"customer_id": 1})
                    email = result_data(record.content[0].text)["email"]
                    known = await client.call_tool("is_known_email", {"email": email})
                    deleted = await client.call_tool(
                        "delete_customer", {"customer_id": 2}, raise_on_error=False
                    )
                    return names, record, email, known, deleted

            names, record, email, known, deleted = asyncio.run(go(mint(["support"])))
    finally:
        stop(upstream)
    assert names == ["get_customer", "is_known_email"]
    assert email.startswith("<pii:") and "ada@example.com" not in record.content[0].text
    assert "555" not in record.content[0].text
    assert result_data(known.content[0].text) == {"known": True}  # the real email arrived
    assert deleted.is_error and "not allowed" in deleted.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["result_status"] for a in audit] == ["ok", "ok", "denied"]
    # The email and the phone, once each: the text block is the structured content's JSON.
    assert audit[0]["tokenized"] == 2
    assert "ada@example.com" not in (tmp_path / "audit.jsonl").read_text()


def test_proxy_cli_over_stdio_with_a_command_upstream(tmp_path):
    env = {**os.environ, "PROXY_PII_KEY": base64.b64encode(os.urandom(64)).decode()}
    path = policy(tmp_path, local={"subject": "console", "groups": ["support"]})
    transport = StdioTransport(
        sys.executable,
        ["-m", "adaptgen", "proxy", "--upstream", f"{sys.executable} {PLAIN}", "--policy", path],
        env=env,
        cwd=str(ROOT),
    )

    async def go():
        async with Client(transport) as client:
            names = sorted(t.name for t in await client.list_tools())
            result = await client.call_tool("get_customer", {"customer_id": 2})
            return names, result.content[0].text

    names, text = asyncio.run(go())
    assert names == ["get_customer", "is_known_email"]
    assert "bob@example.org" not in text and "<pii:email:" in text


def test_proxy_decides_calls_through_a_search_mode_servers_call_proxy(tmp_path, monkeypatch):
    """A large upstream lists only `search_tools` and `call_tool`: granting those two must not
    grant every tool behind them. Search results are filtered per caller, and a call through
    `call_tool` is decided, tokenized and audited as the tool it names."""
    monkeypatch.setenv("PROXY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    path = policy(tmp_path, local={"subject": "console", "groups": ["support"]})
    upstream = f"{sys.executable} {PLAIN} search"

    async def session(proxy, search_first: bool):
        async with Client(proxy) as client:
            names = sorted(t.name for t in await client.list_tools())
            found = []
            if search_first:
                result = await client.call_tool("search_tools", {"query": "customer email"})
                found = [t["name"] for t in result_data(result.content[0].text)]
            calls = [
                ("get_customer", {"customer_id": 1}),
                ("delete_customer", {"customer_id": 2}),
            ]
            results = [
                await client.call_tool(
                    "call_tool", {"name": name, "arguments": args}, raise_on_error=False
                )
                for name, args in calls
            ]
            return names, found, results

    names, found, (got, deleted) = asyncio.run(session(build_proxy(upstream, path), True))
    assert names == ["call_tool", "search_tools"]
    assert set(found) == {"get_customer", "is_known_email"}  # not delete_customer
    assert not got.is_error and "<pii:email:" in got.content[0].text
    assert "ada@example.com" not in got.content[0].text
    assert deleted.is_error and "not allowed" in deleted.content[0].text
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(a["tool"], a["result_status"]) for a in audit] == [
        ("search_tools", "ok"),
        ("get_customer", "ok"),
        ("delete_customer", "denied"),
    ]
    # Not yet seen in a search (and not listed): its annotations are unknown, so the proxy takes
    # it to write, which this caller may not.
    _, _, (unseen, _) = asyncio.run(session(build_proxy(upstream, path), False))
    assert unseen.is_error and "writes" in unseen.content[0].text


def open_policy(tmp_path) -> str:
    """Anyone may call the read-only tools, with no rate limit (these tests count requests)."""
    path = tmp_path / "open-policy.yaml"
    document = {
        "identity": {"allow_anonymous": True},
        "access": {"rules": [{"allow": ["*"]}]},
        "audit": {"sink": "none"},
    }
    path.write_text(yaml.safe_dump(document))
    return str(path)


def call_many(proxy_url: str, calls: int, *, concurrent: bool, mode: str = "auto") -> list[str]:
    """`calls` calls of `echo` through the proxy, one after another or all at once."""

    async def go() -> list[str]:
        async with Client(f"{proxy_url}/mcp", mode=mode) as client:

            async def one(i: int) -> str:
                result = await client.call_tool("echo", {"value": i})
                return result.content[0].text

            if concurrent:
                return await asyncio.gather(*(one(i) for i in range(calls)))
            return [await one(i) for i in range(calls)]

    return asyncio.run(go())


def test_proxy_reuses_one_upstream_session(tmp_path):
    """Each proxied call is one upstream request, not a session of its own (an initialize,
    the call and a DELETE each time): calls share one session, concurrent ones too."""
    upstream = RecordingUpstream()
    with upstream.running():
        proxy = build_proxy(upstream.url, open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            # Handshake-era callers (most MCP clients today): sessions on both sides.
            answers = call_many(url, 20, concurrent=False, mode="legacy")
            answers += call_many(url, 20, concurrent=True, mode="legacy")
    assert len(answers) == 40 and all('"value"' in a for a in answers)
    count = upstream.count()
    assert count["POST tools/call"] == 40
    # A handshake-era caller session has an upstream session of its own (what the upstream
    # sends toward a caller must reach that caller): two caller sessions, two upstream ones,
    # each closed when its caller's ends (plus, at most, the proxy's own at shutdown).
    assert count["POST initialize"] == 2, count
    assert count["DELETE"] <= 3, count
    # One negotiation per session, not one per call (tools/list is the front client's own).
    setup = sum(
        n for kind, n in count.items() if kind not in ("POST tools/call", "POST tools/list")
    )
    assert setup <= 8, count


@pytest.mark.parametrize("legacy_only", [False, True], ids=["modern", "legacy-sessions"])
def test_proxy_reconnects_after_the_upstream_restarts(tmp_path, legacy_only):
    """A restarted upstream has forgotten the proxy's session (a legacy-era upstream answers
    404 to its session id): the next call opens a new session and succeeds."""
    upstream = RecordingUpstream(legacy_only=legacy_only)
    proxy = build_proxy(upstream.url, open_policy(tmp_path))
    with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
        with upstream.running():
            before = call_many(url, 2, concurrent=False)
        with upstream.running():  # killed, then started again on the same port
            after = call_many(url, 2, concurrent=False)
    assert '"value"' in before[-1] and '"value"' in after[0]
    if legacy_only:
        assert upstream.count()["POST initialize"] == 2  # a second session, after the restart


def not_an_mcp_server() -> Starlette:
    async def page(request):  # noqa: ANN001, ANN202
        return HTMLResponse("<h1>Not Found</h1>", status_code=404)

    return Starlette(routes=[Route("/mcp", page, methods=["GET", "POST", "DELETE"])])


def test_proxy_says_when_the_upstream_is_not_an_mcp_server():
    """An upstream that answers with a web page, or not at all, is an error naming it, at
    start-up (the probe) and for tools/list and calls; never an empty tool list."""
    with serve_app(not_an_mcp_server()) as html:
        for upstream in (f"{html}/mcp", f"http://127.0.0.1:{free_port()}/mcp"):
            proxy = build_proxy(upstream, None)
            with pytest.raises(UpstreamUnavailable) as probed:
                asyncio.run(proxy.upstream.probe())
            expected = f"the upstream at {upstream} did not answer as an MCP server: "
            assert str(probed.value.error.message).startswith(expected)

            async def listing(proxy=proxy):  # noqa: ANN001, ANN202
                async with Client(proxy) as client:
                    return await client.list_tools()

            with pytest.raises(MCPError, match="did not answer as an MCP server"):
                asyncio.run(listing())


def test_proxy_cli_refuses_to_start_in_front_of_a_non_mcp_upstream():
    with serve_app(not_an_mcp_server()) as html:
        done = subprocess.run(
            [sys.executable, "-m", "adaptgen", "proxy", "--upstream", f"{html}/mcp"]
            + ["--transport", "http", "--port", str(free_port())],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            timeout=60,
        )
    assert done.returncode == 2
    assert f"the upstream at {html}/mcp did not answer as an MCP server" in done.stderr


def test_proxy_answers_repeated_tools_lists_from_its_copy(tmp_path):
    """A modern-era client lists tools before every call: the proxy answers those from its
    session's copy of the upstream's list, not with one upstream tools/list each."""
    upstream = RecordingUpstream()
    with upstream.running():
        proxy = build_proxy(upstream.url, open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> list[list[str]]:
                async with Client(f"{url}/mcp") as client:
                    return [sorted(t.name for t in await client.list_tools()) for _ in range(10)]

            listings = asyncio.run(go())
            answers = call_many(url, 5, concurrent=False)
    assert listings == [["echo", "ping_count"]] * 10
    assert len(answers) == 5
    assert upstream.count()["POST tools/list"] == 1


def test_callers_waiting_for_a_stale_list_share_one_upstream_request(tmp_path):
    """When the proxy's copy goes stale under load, the tools/lists that need it wait on one
    upstream request, not one each."""
    upstream = RecordingUpstream()
    with upstream.running():
        proxy = build_proxy(upstream.url, open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> list[list[str]]:
                clients = [Client(f"{url}/mcp") for _ in range(12)]
                async with contextlib.AsyncExitStack() as stack:
                    for client in clients:
                        await stack.enter_async_context(client)
                    await clients[0].list_tools()
                    proxy.upstream.list_ttl = 3600.0
                    for session in proxy.upstream._sessions.values():
                        session.lists.clear()  # stale, as after a change notice
                    listings = await asyncio.gather(*(c.list_tools() for c in clients))
                    return [sorted(t.name for t in listing) for listing in listings]

            listings = asyncio.run(go())
    assert listings == [["echo", "ping_count"]] * 12
    assert upstream.count()["POST tools/list"] == 2


def growing_server() -> FastMCP:
    """An upstream whose `grow` tool adds a tool (FastMCP then says tools/list_changed)."""
    mcp = FastMCP("growing")

    @mcp.tool(annotations={"readOnlyHint": True})
    async def grow(ctx: Context) -> str:
        """Add the tool `grown`."""
        mcp.tool(annotations={"readOnlyHint": True})(lambda: "grown", name="grown")
        await ctx.send_notification(mcp_types.ToolListChangedNotification())
        return "ok"

    return mcp


def test_proxy_lists_again_when_the_upstream_says_its_tools_changed(tmp_path):
    """A handshake-era upstream sends notifications/tools/list_changed: the proxy's copy of its
    list is stale from then on."""
    upstream = RecordingUpstream(legacy_only=True, server=growing_server)
    with upstream.running():
        proxy = build_proxy(upstream.url, open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> tuple[list[str], list[str]]:
                async with Client(f"{url}/mcp", mode="legacy") as client:
                    before = sorted(t.name for t in await client.list_tools())
                    await client.call_tool("grow", {})
                    for _ in range(100):  # the notice arrives on the upstream's event stream
                        after = sorted(t.name for t in await client.list_tools())
                        if after != before:
                            break
                        await asyncio.sleep(0.05)
                    return before, after

            before, after = asyncio.run(go())
    assert before == ["grow"]
    assert after == ["grow", "grown"]


class Address(BaseModel):
    street: str
    city: str


def schema_server(*, completions: bool) -> FastMCP:
    """An upstream whose tool schema has $defs (as pydantic writes them: the server does not
    inline them), a prompt, and argument completions when `completions`."""
    mcp = FastMCP("schemas", dereference_schemas=False)

    @mcp.tool(annotations={"readOnlyHint": True})
    def ship(to: Address, back: Address | None = None) -> str:
        """Ship to an address."""
        return to.city

    @mcp.prompt
    def visit(city: str) -> str:
        """Plan a visit."""
        return f"Visit {city}"

    if completions:

        @mcp.completion
        def complete(ref, argument, context):  # noqa: ANN001, ANN202
            return [c for c in ("Berlin", "Bern", "Oslo") if c.startswith(argument.value)]

    return mcp


def direct_and_proxied(tmp_path, server: FastMCP, go) -> tuple:  # noqa: ANN001
    """`go(url)` against the upstream served on 127.0.0.1, then through the proxy in front."""
    with serve_app(server.http_app(path="/mcp"), lifespan=True) as upstream:
        proxy = build_proxy(f"{upstream}/mcp", open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            return asyncio.run(go(f"{upstream}/mcp")), asyncio.run(go(f"{url}/mcp"))


@pytest.mark.parametrize("legacy_only", [False, True], ids=["modern-upstream", "legacy-upstream"])
def test_an_sdk_client_at_its_default_version_sees_the_upstreams_tools(tmp_path, legacy_only):
    """The Python `mcp` client negotiates its newest version (2026-07-28) with the proxy,
    whichever era the proxy speaks upstream."""
    upstream = RecordingUpstream(legacy_only=legacy_only)
    with upstream.running():
        proxy = build_proxy(upstream.url, open_policy(tmp_path))
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:

            async def go() -> tuple[str, list[str], str]:
                async with SdkClient(f"{url}/mcp") as client:
                    tools = sorted(t.name for t in (await client.list_tools()).tools)
                    echoed = await client.call_tool("echo", {"value": 7})
                    return client.protocol_version, tools, echoed.content[0].text

            version, tools, echoed = asyncio.run(go())
    assert version == LATEST_MODERN_VERSION
    assert tools == ["echo", "ping_count"]
    assert '"value":7' in echoed.replace(" ", "")


def test_proxy_keeps_tool_schemas_as_the_upstream_wrote_them(tmp_path):
    async def schema(url: str) -> dict:
        async with Client(url) as client:
            (tool,) = await client.list_tools()
            return tool.input_schema

    direct, proxied = direct_and_proxied(tmp_path, schema_server(completions=False), schema)
    assert "$defs" in direct and '"$ref"' in json.dumps(direct)
    assert proxied == direct


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_proxy_relays_argument_completions(tmp_path, mode):
    async def complete(url: str) -> tuple[bool, list[str]]:
        async with SdkClient(url, mode=mode) as client:
            ref = mcp_types.PromptReference(type="ref/prompt", name="visit")
            done = await client.complete(ref, {"name": "city", "value": "Be"})
            return client.server_capabilities.completions is not None, done.completion.values

    direct, proxied = direct_and_proxied(tmp_path, schema_server(completions=True), complete)
    assert direct == (True, ["Berlin", "Bern"])
    assert proxied == direct


def test_proxy_declares_no_completions_the_upstream_lacks(tmp_path):
    async def declared(url: str) -> bool:
        async with SdkClient(url, mode="legacy") as client:
            return client.server_capabilities.completions is not None

    assert direct_and_proxied(tmp_path, schema_server(completions=False), declared) == (
        False,
        False,
    )
