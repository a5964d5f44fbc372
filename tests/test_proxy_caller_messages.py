"""What an upstream sends toward a caller during a call, through `adaptgen proxy` to real MCP
clients: logs, progress, sampling, elicitation and roots/list reach the caller whose call caused
them, and only that caller; what they carry leaves as PII tokens, and the tokens in the
caller's answers reach the upstream as the real values (passthrough.CallerMessages)."""

from __future__ import annotations

import asyncio
import base64
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from conformance_server import build as reference_server
from fastmcp import Client, Context, FastMCP
from fastmcp.client.transports import StreamableHttpTransport
from mcp_types import SamplingMessage, TextContent

from adaptgen.runtime.governance import upstream_session
from adaptgen.runtime.governance.proxy import build_proxy
from adaptgen.sandbox.server import serve_app

TOKEN = re.compile(r"<pii:[a-z_]+:[^>]+>")
EMAIL, PHONE = "ada@example.com", "+1 415 555 0134"


def policy(tmp_path, monkeypatch) -> str:
    """Every caller admitted (group `callers`), PII tokenized with a fixed key."""
    monkeypatch.setenv("RELAY_PII_KEY", base64.b64encode(os.urandom(64)).decode())
    document = {
        "identity": {"allow_anonymous": True, "anonymous_groups": ["callers"]},
        "access": {"rules": [{"groups": ["callers"], "allow": ["*"], "writes": True}]},
        "pii": {"key": "${env:RELAY_PII_KEY}"},
        "audit": {"sink": "none"},
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


@contextmanager
def proxied(upstream: FastMCP, policy_path: str) -> Iterator[str]:
    """`upstream` over streamable HTTP with `adaptgen proxy` in front: the proxy's MCP URL."""
    with serve_app(upstream.http_app(path="/mcp"), lifespan=True) as upstream_url:
        proxy = build_proxy(f"{upstream_url}/mcp", policy_path)
        with serve_app(proxy.http_app(path="/mcp"), lifespan=True) as url:
            yield f"{url}/mcp"


class Caller:
    """A handshake-era MCP client that records what reaches it and answers as told."""

    def __init__(self, url: str, name: str, answer: str = "") -> None:
        self.name, self.answer = name, answer
        self.logs: list[Any] = []
        self.progress: list[tuple[float, float | None, str | None]] = []
        self.sampled: list[str] = []
        self.elicited: list[str] = []
        self.client = Client(
            StreamableHttpTransport(url),
            mode="legacy",
            sampling_handler=self._sample,
            elicitation_handler=self._elicit,
            log_handler=self._log,
            progress_handler=self._progress,
            roots=[f"file:///work/{name}"],
        )

    async def _sample(self, messages: Any, params: Any, context: Any) -> str:
        self.sampled.append(messages[0].content.text)
        return self.answer or f"{self.name} says hi"

    async def _elicit(self, message: str, response_type: Any, params: Any, context: Any) -> Any:
        self.elicited.append(message)
        return {"username": self.name, "email": self.answer or f"{self.name}@example.org"}

    async def _log(self, message: Any) -> None:
        self.logs.append(message.data)

    async def _progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, total, message))

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> str:
        result = await self.client.call_tool(tool, arguments or {}, raise_on_error=False)
        assert not result.is_error, result
        return result.content[0].text


def log_texts(caller: Caller) -> list[str]:
    return [data["msg"] if isinstance(data, dict) else data for data in caller.logs]


def test_logs_progress_sampling_elicitation_and_roots_reach_the_caller(tmp_path, monkeypatch):
    async def scenario(url: str) -> None:
        caller = Caller(url, "alice")
        async with caller.client:
            await caller.call("test_tool_with_logging")
            assert log_texts(caller) == [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed",
            ]
            await caller.call("test_tool_with_progress")
            assert [(p, t) for p, t, _ in caller.progress] == [(0, 100), (50, 100), (100, 100)]
            assert await caller.call("test_sampling", {"prompt": "Name a colour"}) == (
                "LLM response: alice says hi"
            )
            assert caller.sampled == ["Name a colour"]
            answer = await caller.call("test_elicitation", {"message": "Who are you?"})
            assert caller.elicited == ["Who are you?"]
            assert answer.startswith("User response: action=accept")
            assert '"username": "alice"' in answer
            assert await caller.call("test_roots") == "Roots: file:///work/alice"

    with proxied(reference_server(), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))


def test_two_callers_never_see_each_others_messages(tmp_path, monkeypatch):
    async def scenario(url: str) -> None:
        alice, bob = Caller(url, "alice"), Caller(url, "bob")
        async with alice.client, bob.client:
            for _ in range(2):  # concurrent calls of the same tools, twice
                await asyncio.gather(
                    alice.call("test_tool_with_progress"),
                    bob.call("test_tool_with_progress"),
                    alice.call("test_sampling", {"prompt": "for alice"}),
                    bob.call("test_sampling", {"prompt": "for bob"}),
                    alice.call("test_tool_with_logging"),
                )
            answers = await asyncio.gather(alice.call("test_roots"), bob.call("test_roots"))
        assert answers == ["Roots: file:///work/alice", "Roots: file:///work/bob"]
        assert alice.sampled == ["for alice"] * 2
        assert bob.sampled == ["for bob"] * 2
        assert len(alice.progress) == len(bob.progress) == 6
        assert len(alice.logs) == 6
        assert bob.logs == []

    with proxied(reference_server(), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))


def pii_upstream(received: list[Any]) -> FastMCP:
    """An upstream whose messages toward the caller carry PII; `received` gets the answers."""
    mcp = FastMCP("pii-upstream")

    @mcp.tool
    async def confirm_contact(ctx: Context) -> str:
        await ctx.info(f"looking up {EMAIL}")
        await ctx.report_progress(1, 2, f"calling {PHONE}")
        fields = {"username": {"type": "string"}, "email": {"type": "string"}}
        schema = {"type": "object", "properties": fields}
        answer = await ctx.session.elicit_form(
            f"Is {EMAIL} right?", schema, related_request_id=ctx.request_id
        )
        received.append(answer.content)
        message = SamplingMessage(
            role="user", content=TextContent(type="text", text=f"Write to {EMAIL}")
        )
        sampled = await ctx.session.create_message(
            [message], max_tokens=20, related_request_id=ctx.request_id
        )
        received.append(sampled.content.text)
        return "done"

    @mcp.tool
    async def progress_after(seconds: float, ctx: Context) -> str:
        await asyncio.sleep(seconds)
        await ctx.report_progress(1, 1, f"after {seconds}")
        await ctx.info(f"logged after {seconds}")
        return "done"

    return mcp


def test_relayed_messages_carry_pii_as_tokens_and_answers_go_up_real(tmp_path, monkeypatch):
    received: list[Any] = []

    async def scenario(url: str) -> None:
        caller = Caller(url, "alice")
        async with caller.client:
            await caller.client.call_tool("confirm_contact", {})  # learn the token first
            (token,) = TOKEN.findall(caller.elicited[0])
            caller.answer = token  # the agent answers with the token it was shown
            received.clear()
            await caller.call("confirm_contact")
        everything = " ".join([*log_texts(caller), *caller.elicited, *caller.sampled])
        everything += " ".join(message or "" for _, _, message in caller.progress)
        assert EMAIL not in everything and PHONE not in everything
        assert log_texts(caller)[0] == f"looking up {token}"
        assert caller.elicited[-1] == f"Is {token} right?"
        assert caller.sampled[-1] == f"Write to {token}"
        assert all(TOKEN.search(message or "") for _, _, message in caller.progress)
        # What the caller answered reached the upstream as the value the token stands for.
        assert received == [{"username": "alice", "email": EMAIL}, EMAIL]

    with proxied(pii_upstream(received), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))


def test_a_forged_token_in_an_answer_is_refused(tmp_path, monkeypatch):
    received: list[Any] = []

    async def scenario(url: str) -> None:
        caller = Caller(url, "alice", answer="<pii:email:forged>")
        async with caller.client:
            result = await caller.client.call_tool("confirm_contact", {}, raise_on_error=False)
        assert result.is_error
        assert len(caller.elicited) == 1  # asked, answered with a token the proxy never issued
        assert received == []  # the upstream never got the forged token's "value"

    with proxied(pii_upstream(received), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))


def test_each_call_gets_its_own_progress_even_after_a_later_call_ended(tmp_path, monkeypatch):
    """One caller, two calls at once: the first reports after the second has finished; its
    progress and log still reach it (not the finished call, not nowhere)."""

    async def scenario(url: str) -> None:
        caller = Caller(url, "alice")
        seen: dict[str, list[str | None]] = {"slow": [], "quick": []}

        def recorder(name: str) -> Any:
            async def record(progress: float, total: float | None, message: str | None) -> None:
                seen[name].append(message)

            return record

        async with caller.client:
            slow = asyncio.create_task(
                caller.client.call_tool(
                    "progress_after", {"seconds": 1.0}, progress_handler=recorder("slow")
                )
            )
            await asyncio.sleep(0.3)
            await caller.client.call_tool(
                "progress_after", {"seconds": 0.0}, progress_handler=recorder("quick")
            )
            await slow
        assert seen == {"slow": ["after 1.0"], "quick": ["after 0.0"]}
        assert sorted(log_texts(caller)) == ["logged after 0.0", "logged after 1.0"]

    with proxied(pii_upstream([]), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))


def test_a_session_with_a_call_running_is_not_evicted(tmp_path, monkeypatch):
    """More caller sessions than the bound: the least recently used idle one closes, never one
    whose call is still running (that call would fail)."""
    monkeypatch.setattr(upstream_session, "MAX_SESSIONS", 1)

    async def scenario(url: str) -> None:
        alice, bob = Caller(url, "alice"), Caller(url, "bob")
        async with alice.client:
            slow = asyncio.create_task(alice.call("progress_after", {"seconds": 1.0}))
            await asyncio.sleep(0.3)
            async with bob.client:  # a second caller session, while alice's call runs
                assert await bob.call("progress_after", {"seconds": 0.0}) == "done"
            assert await slow == "done"
            assert await alice.call("progress_after", {"seconds": 0.0}) == "done"

    with proxied(pii_upstream([]), policy(tmp_path, monkeypatch)) as url:
        asyncio.run(scenario(url))
