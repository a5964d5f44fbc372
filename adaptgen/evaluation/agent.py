"""Agent mode: a model plays a scenario through the generated server's real MCP surface.

The model sees exactly the tools the server lists (in search mode: `search_tools`, `call_tool`,
`list_toolsets`), with a bounded loop: at most `max_turns` model turns and `max_tokens` tokens
(in and out, as the model reports them). Every tool call goes through a real `fastmcp.Client`.
The transcript holds the scenario's expectations too (expected calls resolved to tool names),
so `adaptgen eval score` scores it again without the scenario file, the server or a model.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fastmcp import Client

from adaptgen.evaluation.models import ModelClient
from adaptgen.evaluation.scenarios import Scenario
from adaptgen.evaluation.surfaces import Recorder

TRANSCRIPT_VERSION = 1
SYSTEM = (
    "You are an assistant with tools. Use them to do the user's task; when done, answer the "
    "user in a few sentences with the facts you found."
)


@dataclass(frozen=True)
class Bounds:
    """How far one play may go."""

    max_turns: int = 8
    max_tokens: int = 20000


async def play(
    scenario: Scenario,
    expected: list[dict[str, Any]],
    url: str,
    model: ModelClient,
    bounds: Bounds,
) -> dict[str, Any]:
    """Play `scenario` with `model` against the MCP server at `url`; the transcript."""
    started = time.monotonic()
    messages: list[dict[str, Any]] = [{"role": "user", "text": scenario.prompt}]
    used = {"input": 0, "output": 0}
    answer, stopped, turns = "", "max_turns", 0
    async with Client(url) as client:
        listed = await client.list_tools()
        tools = [
            {"name": t.name, "description": t.description or "", "input_schema": t.input_schema}
            for t in listed
        ]
        recorder = Recorder(client, {t.name for t in listed})  # the model calls what is listed
        while turns < bounds.max_turns:
            turns += 1
            left = bounds.max_tokens - used["input"] - used["output"]
            reply = await model.complete(SYSTEM, messages, tools, max(1, min(left, 4096)))
            used["input"] += reply.input_tokens
            used["output"] += reply.output_tokens
            messages.append(
                {"role": "assistant", "text": reply.text, "tool_calls": reply.tool_calls}
            )
            if not reply.tool_calls:
                answer, stopped = reply.text, "answered"
                break
            for call in reply.tool_calls:
                made = await recorder.call(call["name"], call["arguments"])
                messages.append(
                    {"role": "tool", "id": call["id"], "text": made.text, "error": not made.ok}
                )
            if used["input"] + used["output"] >= bounds.max_tokens:
                stopped = "max_tokens"
                break
    return {
        "version": TRANSCRIPT_VERSION,
        "scenario": scenario.model_dump(mode="json", exclude_none=True),
        "expected": expected,
        "model": model.name,
        "bounds": {"max_turns": bounds.max_turns, "max_tokens": bounds.max_tokens},
        "turns": turns,
        "stopped": stopped,
        "answer": answer,
        "tokens": used,
        "seconds": round(time.monotonic() - started, 3),
        "calls": [c.as_dict() for c in recorder.calls],
        "messages": messages,
    }


def save(transcript: dict[str, Any], path: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
