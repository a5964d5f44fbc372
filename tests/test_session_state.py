"""FastMCP's session state on a generated server: the store is made on its first write, and
state then works as FastMCP's own (adaptgen.runtime.session_state)."""

from __future__ import annotations

import asyncio

import pytest
from fastmcp import Client, Context, FastMCP
from fastmcp.exceptions import ToolError

from adaptgen.runtime.session_state import GeneratedServer


def server(kind: type[FastMCP] = GeneratedServer) -> FastMCP:
    mcp = kind("state")

    @mcp.tool
    async def remember(value: str, ctx: Context) -> str:
        """Store a value in the session state, then read it back."""
        before = await ctx.get_state("value")
        await ctx.set_state("value", value)
        return f"{before}->{await ctx.get_state('value')}"

    @mcp.tool
    async def keep_a_client(ctx: Context) -> str:
        """Store something that is not JSON."""
        await ctx.set_state("client", object())
        return "kept"

    @mcp.tool
    def plain() -> str:
        """Uses no state."""
        return "ok"

    return mcp


def test_reads_of_the_empty_store_build_nothing():
    mcp = server()

    async def go() -> str:
        async with Client(mcp) as client:
            await client.list_tools()
            return (await client.call_tool("plain", {})).content[0].text

    assert asyncio.run(go()) == "ok"
    assert mcp._state_store._store is None  # FastMCP read its visibility rules: none stored


def test_state_written_is_read_back_as_fastmcp_keeps_it():
    def answers(mcp: FastMCP) -> list[str]:
        async def go() -> list[str]:
            async with Client(mcp) as client:
                first = await client.call_tool("remember", {"value": "a"})
                second = await client.call_tool("remember", {"value": "b"})
                return [first.content[0].text, second.content[0].text]

        return asyncio.run(go())

    generated = server()
    assert answers(generated) == answers(server(FastMCP))
    assert answers(generated)[0].endswith("->a")  # written, then read in the same call
    assert type(generated._state_store._store).__name__ == "PydanticAdapter"


def test_a_value_that_is_not_json_is_refused_as_fastmcp_refuses_it():
    mcp = server()

    async def go() -> None:
        async with Client(mcp) as client:
            await client.call_tool("keep_a_client", {})

    with pytest.raises(ToolError, match="not serializable"):
        asyncio.run(go())
