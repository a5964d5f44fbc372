"""adaptgen's own MCP reference server: what each server scenario of the MCP conformance suite
(npm's @modelcontextprotocol/conformance, `conformance list --server`) calls, on FastMCP.

`python tests/conformance_server.py http PORT` serves it over streamable HTTP on 127.0.0.1:PORT
at /mcp (sessions, an event store so a call's stream can be closed and resumed, the Host/Origin
guard); `python tests/conformance_server.py stdio` over stdio. `scripts/conformance.py` runs the
suite against it direct and through `adaptgen proxy`, and the proxy's tests use it as an
upstream that logs, reports progress, samples, elicits and lists roots.

The names, arguments and answers are the suite's (its scenario descriptions say what each
checks); the data is made here (a 1x1 PNG, a short silent WAV).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
import sys
import wave
import zlib
from typing import Any

import mcp_types
import uvicorn
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.prompts.base import Message
from fastmcp.server.event_store import EventStore
from fastmcp.tools.base import Tool, ToolResult

HOST = "127.0.0.1"
RETRY_MS = 500  # how soon a client reconnects after the server closed a call's stream
STEP = 0.05  # seconds between a demo tool's log or progress messages


def png_pixel() -> bytes:
    """A 1x1 red PNG, built here (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def wav_silence() -> bytes:
    """A tenth of a second of 8 kHz mono silence as WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(8000)
        audio.writeframes(b"\x80" * 800)
    return out.getvalue()


PNG = base64.b64encode(png_pixel()).decode()
WAV = base64.b64encode(wav_silence()).decode()
JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
    "additionalProperties": False,
}
DEFAULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verified", "default": True},
    },
}
ENUMS_SCHEMA = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {
            "type": "string",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
}


def build() -> FastMCP:
    """The reference server: the suite's demo tools, resources, prompts and completions."""
    mcp = FastMCP("adaptgen-conformance-reference", dereference_schemas=False)
    add_tools(mcp)
    add_client_tools(mcp)
    add_resources(mcp)
    add_prompts(mcp)
    return mcp


def text(value: str) -> mcp_types.TextContent:
    return mcp_types.TextContent(type="text", text=value)


def add_tools(mcp: FastMCP) -> None:
    """Tools whose answer is the whole test (content kinds, errors, schemas, reconnection)."""

    @mcp.tool(description="Returns simple text")
    def test_simple_text() -> str:
        return "This is a simple text response for testing."

    @mcp.tool(description="Returns a PNG image")
    def test_image_content() -> ToolResult:
        return ToolResult(
            content=[mcp_types.ImageContent(type="image", data=PNG, mimeType="image/png")]
        )

    @mcp.tool(description="Returns WAV audio")
    def test_audio_content() -> ToolResult:
        return ToolResult(
            content=[mcp_types.AudioContent(type="audio", data=WAV, mimeType="audio/wav")]
        )

    @mcp.tool(description="Returns an embedded resource")
    def test_embedded_resource() -> ToolResult:
        return ToolResult(
            content=[embedded("test://embedded-resource", "This is an embedded resource content.")]
        )

    @mcp.tool(description="Returns text, an image and a resource")
    def test_multiple_content_types() -> ToolResult:
        data = json.dumps({"test": "data", "value": 123}, separators=(",", ":"))
        resource = embedded("test://mixed-content-resource", data, "application/json")
        image = mcp_types.ImageContent(type="image", data=PNG, mimeType="image/png")
        return ToolResult(content=[text("Multiple content types test:"), image, resource])

    @mcp.tool(description="Always fails")
    def test_error_handling() -> str:
        raise ToolError("This tool intentionally returns an error for testing")

    @mcp.tool(description="Closes its response stream mid-call; the client resumes it")
    async def test_reconnection(ctx: Context) -> str:
        await asyncio.sleep(STEP)
        await ctx.close_sse_stream()
        await asyncio.sleep(RETRY_MS / 1000 * 2)
        return "Reconnection test completed successfully"

    mcp.add_tool(SchemaTool())


class SchemaTool(Tool):
    """A tool whose input schema is written out (JSON Schema 2020-12: `$schema`, `$defs`,
    `$ref`), not derived from a function's signature, so it reaches the client as written."""

    def __init__(self) -> None:
        super().__init__(
            name="json_schema_2020_12_tool",
            description="Tool with JSON Schema 2020-12 features",
            parameters=JSON_SCHEMA_2020_12,
        )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return ToolResult(content=[text(f"Received: {json.dumps(arguments, sort_keys=True)}")])


def embedded(uri: str, content: str, mime: str = "text/plain") -> mcp_types.EmbeddedResource:
    resource = mcp_types.TextResourceContents(uri=uri, mimeType=mime, text=content)
    return mcp_types.EmbeddedResource(type="resource", resource=resource)


def add_client_tools(mcp: FastMCP) -> None:
    """Tools that talk back to the client during the call: logs, progress, sampling,
    elicitation and roots (what a proxy must route to the caller that made the call)."""

    @mcp.tool(description="Logs three messages at info level while it runs")
    async def test_tool_with_logging(ctx: Context) -> str:
        for step, message in enumerate(
            ("Tool execution started", "Tool processing data", "Tool execution completed")
        ):
            if step:
                await asyncio.sleep(STEP)
            await ctx.info(message)
        return "Tool with logging executed successfully"

    @mcp.tool(description="Reports progress 0, 50 and 100 of 100")
    async def test_tool_with_progress(ctx: Context) -> str:
        for step, done in enumerate((0, 50, 100)):
            if step:
                await asyncio.sleep(STEP)
            await ctx.report_progress(done, 100, f"{done}% done")
        return "Progress tool completed"

    @mcp.tool(description="Asks the client's LLM to answer the prompt")
    async def test_sampling(prompt: str, ctx: Context) -> str:
        message = mcp_types.SamplingMessage(role="user", content=text(prompt))
        answer = await ctx.session.create_message(
            [message], max_tokens=100, related_request_id=ctx.request_id
        )
        content = answer.content
        said = content.text if isinstance(content, mcp_types.TextContent) else str(content)
        return f"LLM response: {said}"

    @mcp.tool(description="Asks the user for a username and an email address")
    async def test_elicitation(message: str, ctx: Context) -> str:
        schema = {
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        }
        answer = await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)
        return f"User response: action={answer.action}, content={json.dumps(answer.content)}"

    @mcp.tool(description="Elicits a form whose fields all have defaults (SEP-1034)")
    async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
        return await elicited(ctx, "Test client default value handling", DEFAULTS_SCHEMA)

    @mcp.tool(description="Elicits every enum variant (SEP-1330)")
    async def test_elicitation_sep1330_enums(ctx: Context) -> str:
        return await elicited(ctx, "Test enum schema variants", ENUMS_SCHEMA)

    @mcp.tool(description="Lists the client's roots")
    async def test_roots(ctx: Context) -> str:
        roots = await ctx.session.list_roots()
        return "Roots: " + ", ".join(str(root.uri) for root in roots.roots)


async def elicited(ctx: Context, message: str, schema: dict[str, Any]) -> str:
    answer = await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


def add_resources(mcp: FastMCP) -> None:
    """Static text and binary resources, a template, and subscriptions to a watched one."""

    @mcp.resource("test://static-text", mime_type="text/plain", description="Static text")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @mcp.resource("test://static-binary", mime_type="image/png", description="Static PNG")
    def static_binary() -> bytes:
        return png_pixel()

    @mcp.resource("test://watched-resource", mime_type="text/plain", description="Subscribable")
    def watched() -> str:
        return "Watched resource content."

    @mcp.resource("test://template/{id}/data", mime_type="application/json", description="By id")
    def template(id: str) -> str:  # noqa: A002 - the template's parameter name
        return json.dumps(
            {"id": id, "templateTest": True, "data": f"Data for ID: {id}"}, separators=(",", ":")
        )

    subscribed: set[str] = set()

    async def subscribe(_: Any, params: mcp_types.SubscribeRequestParams) -> mcp_types.EmptyResult:
        subscribed.add(str(params.uri))
        return mcp_types.EmptyResult()

    async def unsubscribe(
        _: Any, params: mcp_types.UnsubscribeRequestParams
    ) -> mcp_types.EmptyResult:
        subscribed.discard(str(params.uri))
        return mcp_types.EmptyResult()

    server = mcp._mcp_server
    server.add_request_handler("resources/subscribe", mcp_types.SubscribeRequestParams, subscribe)
    server.add_request_handler(
        "resources/unsubscribe", mcp_types.UnsubscribeRequestParams, unsubscribe
    )


def add_prompts(mcp: FastMCP) -> None:
    """Prompts with no arguments, with arguments (completed), an embedded resource, an image."""

    @mcp.prompt(description="A simple prompt")
    def test_simple_prompt() -> str:
        return "This is a simple prompt for testing."

    @mcp.prompt(description="A prompt with two arguments")
    def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
        return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"

    @mcp.prompt(description="A prompt embedding a resource")
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[Message]:  # noqa: N803 - the suite's name
        resource = embedded(resourceUri, "Embedded resource content for testing.")
        return [Message(resource), Message("Please process the embedded resource above.")]

    @mcp.prompt(description="A prompt with an image")
    def test_prompt_with_image() -> list[Message]:
        image = mcp_types.ImageContent(type="image", data=PNG, mimeType="image/png")
        return [Message(image), Message("Please analyze the image above.")]

    async def complete(
        ref: Any, argument: mcp_types.CompletionArgument, _: Any
    ) -> mcp_types.Completion:
        choices = ["paris", "park", "party"] if argument.name == "arg1" else []
        values = [c for c in choices if c.startswith(argument.value)]
        return mcp_types.Completion(values=values, total=len(values), hasMore=False)

    mcp.add_completion_handler(complete)


def main(argv: list[str]) -> None:
    """`http PORT` (127.0.0.1 only) or `stdio`."""
    server = build()
    if argv[:1] == ["stdio"]:
        server.run("stdio", show_banner=False)
        return
    if len(argv) != 2 or argv[0] != "http":
        raise SystemExit("usage: conformance_server.py http PORT | stdio")
    app = server.http_app(
        event_store=EventStore(),
        retry_interval=RETRY_MS,
        host_origin_protection=True,
    )
    uvicorn.run(app, host=HOST, port=int(argv[1]), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
