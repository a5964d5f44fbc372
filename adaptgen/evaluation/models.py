"""Model clients for agent mode: any OpenAI-compatible chat-completions endpoint, and Amazon
Bedrock's Converse API. Both speak one small conversation format:

- messages: `{"role": "user", "text": ...}`, `{"role": "assistant", "text": ..., "tool_calls":
  [{"id", "name", "arguments"}]}`, `{"role": "tool", "id": ..., "text": ..., "error": bool}`;
- tools: `{"name", "description", "input_schema"}` as the MCP server lists them;
- a reply: `Reply(text, tool_calls, input_tokens, output_tokens)`.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from adaptgen.errors import InputError

OPENAI_TIMEOUT_S = 120.0


@dataclass
class Reply:
    """One model turn: its text, the tools it calls, what it cost."""

    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0


class ModelClient(Protocol):
    """What the agent loop needs from a model."""

    name: str
    host: str  # where its requests go (what a cassette tapes)

    async def complete(
        self,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
    ) -> Reply: ...


class OpenAICompatible:
    """`POST {base_url}/chat/completions` with function tools (OpenAI, vLLM, Ollama, LiteLLM...)."""

    def __init__(self, model: str, base_url: str, api_key: str | None = None) -> None:
        self.name = model
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.host = urlsplit(self.base_url).netloc

    @classmethod
    def from_env(cls, model: str | None) -> OpenAICompatible:
        """Base URL and key from ADAPTGEN_EVAL_BASE_URL / _API_KEY (or OPENAI_BASE_URL / _KEY)."""
        base = os.environ.get("ADAPTGEN_EVAL_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        key = os.environ.get("ADAPTGEN_EVAL_API_KEY") or os.environ.get("OPENAI_API_KEY")
        if not base:
            raise InputError("agent mode --agent openai: set ADAPTGEN_EVAL_BASE_URL")
        if not model:
            raise InputError("agent mode: give --model")
        return cls(model, base, key)

    async def complete(
        self,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
    ) -> Reply:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, *map(_openai_message, messages)],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": t["name"],
                        "description": t["description"],
                        "parameters": t["input_schema"],
                    },
                }
                for t in tools
            ],
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with httpx.AsyncClient(timeout=OPENAI_TIMEOUT_S) as client:
            answer = await client.post(
                f"{self.base_url}/chat/completions", json=body, headers=headers
            )
        if answer.status_code >= 400:
            raise RuntimeError(f"model endpoint answered {answer.status_code}: {answer.text[:300]}")
        data = answer.json()
        message = data["choices"][0]["message"]
        usage = data.get("usage") or {}
        calls = [
            {
                "id": c["id"],
                "name": c["function"]["name"],
                "arguments": _arguments(c["function"].get("arguments")),
            }
            for c in message.get("tool_calls") or []
        ]
        return Reply(
            message.get("content") or "",
            calls,
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
        )


def _arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments: JSON text in OpenAI's format (a broken one is kept as text)."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_unparsed": raw}
    return value if isinstance(value, dict) else {"_unparsed": raw}


def _openai_message(message: dict[str, Any]) -> dict[str, Any]:
    if message["role"] == "tool":
        return {"role": "tool", "tool_call_id": message["id"], "content": message["text"]}
    if message["role"] == "assistant" and message.get("tool_calls"):
        return {
            "role": "assistant",
            "content": message.get("text") or None,
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                }
                for c in message["tool_calls"]
            ],
        }
    return {"role": message["role"], "content": message.get("text", "")}


class BedrockConverse:
    """Amazon Bedrock's Converse API through boto3 (credentials and region the usual AWS way)."""

    def __init__(self, model: str, client: Any = None) -> None:
        self.name = model
        self.model = model
        if client is None:
            import boto3

            client = boto3.client("bedrock-runtime")
        self.client = client
        self.host = urlsplit(client.meta.endpoint_url).netloc

    async def complete(
        self,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
    ) -> Reply:
        request = {
            "modelId": self.model,
            "system": [{"text": system}],
            "messages": _converse_messages(messages),
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": t["name"],
                            "description": t["description"] or t["name"],
                            "inputSchema": {"json": t["input_schema"]},
                        }
                    }
                    for t in tools
                ]
            },
            "inferenceConfig": {"maxTokens": max_tokens, "temperature": 0},
        }
        answer = await asyncio.to_thread(self.client.converse, **request)
        content = answer["output"]["message"]["content"]
        usage = answer.get("usage") or {}
        return Reply(
            "".join(block.get("text", "") for block in content),
            [
                {
                    "id": block["toolUse"]["toolUseId"],
                    "name": block["toolUse"]["name"],
                    "arguments": block["toolUse"].get("input") or {},
                }
                for block in content
                if "toolUse" in block
            ],
            int(usage.get("inputTokens", 0)),
            int(usage.get("outputTokens", 0)),
        )


def _converse_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Converse wants alternating user/assistant turns: tool results go in one user turn."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message["role"] == "tool":
            block = {
                "toolResult": {
                    "toolUseId": message["id"],
                    "content": [{"text": message["text"] or "(empty)"}],
                    "status": "error" if message.get("error") else "success",
                }
            }
            if out and out[-1]["role"] == "user" and "toolResult" in out[-1]["content"][0]:
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message["role"] == "assistant":
            content: list[dict[str, Any]] = (
                [{"text": message["text"]}] if message.get("text") else []
            )
            content += [
                {"toolUse": {"toolUseId": c["id"], "name": c["name"], "input": c["arguments"]}}
                for c in message.get("tool_calls") or []
            ]
            out.append({"role": "assistant", "content": content})
        else:
            out.append({"role": "user", "content": [{"text": message["text"]}]})
    return out


def model_client(kind: str, model: str | None) -> ModelClient:
    """The client `--agent KIND --model MODEL` asks for."""
    if kind == "openai":
        return OpenAICompatible.from_env(model)
    if not model:
        raise InputError("agent mode: give --model (a Bedrock model id)")
    return BedrockConverse(model)
