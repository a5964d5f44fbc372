"""PII in what leaves the server, as tokens: one call's result, in whatever form it has.

`ResultRedactor` is what a generated tool shapes its result with (each record, or the whole
answer, right after drop/keep and before the token budget: a token is longer than the value it
stands for, and the budget is about what the model reads). `redact_result` does the same to a
finished result the server did not shape (a proxied tool, a resource, a prompt), and
`redact_error` to an error's text, which may echo what the upstream was sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastmcp.exceptions import ToolError
from mcp.types import TextContent

from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.lean import expand, is_lean, lean

if TYPE_CHECKING:
    from adaptgen.runtime.governance.call import Call
    from adaptgen.runtime.governance.pii import PiiTokenizer

__all__ = ["ResultRedactor", "redact_error", "redact_result"]


class ResultRedactor:
    """One call's result as the model may see it, piece by piece, counted into `call`.

    `fields`: the PII paths of the whole result; `record_fields`: those of one record of a
    paginated result (record-relative); `policy_fields`: the policy's paths, which apply to
    every result (and to the envelope around records, in case one addresses it).
    """

    def __init__(
        self,
        tokenizer: PiiTokenizer,
        call: Call,
        *,
        fields: Sequence[str],
        record_fields: Sequence[str],
        policy_fields: Sequence[str],
    ) -> None:
        self._tokenizer = tokenizer
        self._call = call
        self._walk = tokenizer.for_result()  # records share what repeats (a company's phone)
        self._fields = fields
        self._record_fields = (*record_fields, *policy_fields)
        self._policy_fields = tuple(policy_fields)

    def record(self, data: Any) -> Any:
        """One record of a paginated result."""
        return self._walked(data, self._record_fields)

    def whole(self, data: Any) -> Any:
        """A whole (not paginated) result."""
        return self._walked(data, self._fields)

    def envelope(self, data: Any) -> Any:
        """The envelope around records already redacted: the policy's paths only."""
        if not self._policy_fields:
            return data
        data, count = self._tokenizer.tokenize(data, fields=self._policy_fields, recognize=False)
        self._call.tokenized += count
        return data

    def text(self, text: str) -> str:
        """An answer that is not JSON: what the recognizers find."""
        text, count = self._tokenizer.tokenize(text)
        self._call.tokenized += count
        return text

    def _walked(self, data: Any, fields: Sequence[str]) -> Any:
        before = self._walk.count
        data = self._walk.tokenize(data, fields=fields)
        self._call.tokenized += self._walk.count - before
        return data


def redact_result(
    tokenizer: PiiTokenizer, call: Call, result: Any, fields: Sequence[str], policy_fields: Any
) -> Any:
    """A finished result of `call.kind` with its PII as tokens (`fields` for a tool's JSON,
    `policy_fields` for a resource's or a prompt's JSON text)."""
    if call.kind == "resource":
        if hasattr(result, "contents"):
            result.contents = [
                item.model_copy(
                    update={"content": _text(tokenizer, call, item.content, policy_fields)}
                )
                if isinstance(item.content, str)
                else item  # bytes: no recognizer reads them
                for item in result.contents
            ]
        return result
    if call.kind == "prompt":
        for message in getattr(result, "messages", None) or []:
            message.content = _block(tokenizer, call, message.content, policy_fields)
        return result
    return _tool_result(tokenizer, call, result, fields)


def redact_error(
    tokenizer: PiiTokenizer, call: Call, exc: Exception, restored: Mapping[str, str]
) -> Exception:
    """`exc`, or a ToolError in its place, whose message holds tokens instead of PII (every
    value `restored` from a token in this call put back as that token)."""
    text = str(exc)
    protected, count = tokenizer.protect_text(text, restored)
    if not count:
        return exc
    call.tokenized += count
    if isinstance(exc, ToolError) and exc.args and exc.args[0] == text:
        exc.args = (protected, *exc.args[1:])  # keeps its type (and audit status)
        return exc
    return ToolError(protected)


def _tool_result(tokenizer: PiiTokenizer, call: Call, result: Any, fields: Sequence[str]) -> Any:
    structured = getattr(result, "structured_content", None)
    tokenized = None
    if structured is not None:
        tokenized, count = tokenizer.tokenize(structured, fields=fields)
        call.tokenized += count
    content = []
    for block in getattr(result, "content", []) or []:
        if not isinstance(block, TextContent):
            content.append(block)
            continue
        try:
            # Lean text (an adaptgen server behind the proxy) back to records: the PII paths
            # address records, not columns. It leaves lean again, as the server wrote it.
            parsed = json.loads(block.text)
            was_lean = is_lean(parsed)
            data = expand(parsed) if was_lean else parsed
        except ValueError:
            text, count = tokenizer.tokenize(block.text)
        else:
            # The usual text block is the structured content as JSON (FastMCP wraps a
            # non-object as {"result": ...}): its tokenized form is known already.
            if structured is not None and data == structured:
                data, count = tokenized, 0
            elif (
                isinstance(structured, dict)
                and structured.keys() == {"result"}
                and (data == structured["result"])
            ):
                data, count = tokenized["result"], 0  # type: ignore[index]
            else:
                data, count = tokenizer.tokenize(data, fields=fields)
            text = compact_json(lean(data) if was_lean else data)
        call.tokenized += count
        content.append(TextContent(type="text", text=text))
    result.content = content
    if structured is not None:
        result.structured_content = tokenized
    return result


def _block(tokenizer: PiiTokenizer, call: Call, block: Any, fields: Sequence[str]) -> Any:
    """A prompt message's content with its text tokenized (an embedded resource's too)."""
    if isinstance(block, TextContent):
        return block.model_copy(update={"text": _text(tokenizer, call, block.text, fields)})
    resource = getattr(block, "resource", None)
    if isinstance(getattr(resource, "text", None), str):
        text = _text(tokenizer, call, resource.text, fields)
        return block.model_copy(update={"resource": resource.model_copy(update={"text": text})})
    return block


def _text(tokenizer: PiiTokenizer, call: Call, text: str, fields: Sequence[str]) -> str:
    """`text` with its PII as tokens: JSON text stays JSON (`fields` apply), any other text
    goes through the recognizers."""
    try:
        data = json.loads(text)
    except ValueError:
        text, count = tokenizer.tokenize(text)
    else:
        data, count = tokenizer.tokenize(data, fields=fields)
        text = compact_json(data)
    call.tokenized += count
    return text
