"""The proxy's PII layer on an adaptgen upstream's lean text: PII paths apply to the records,
and the text leaves lean, as the server wrote it (not as plain records, more bytes); an
upstream's plain JSON is not restyled."""

from __future__ import annotations

import json
import os

from mcp.types import TextContent

from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.governance.call import Call
from adaptgen.runtime.governance.pii.tokenizer import PiiTokenizer
from adaptgen.runtime.governance.redaction import redact_result
from adaptgen.runtime.governance.relay import RelayedResult
from adaptgen.runtime.lean import expand, is_lean, lean

RECORDS = [
    {"id": i, "name": f"N{i}", "email": f"n{i}@example.com", "owner": {"id": 7, "city": "Oslo"}}
    for i in range(3)
]


def redacted(text: str, fields: tuple[str, ...] = ()) -> tuple[str, Call]:
    tokenizer = PiiTokenizer(os.urandom(64))
    call = Call("list_people", {})
    result = RelayedResult.of({"content": [{"type": "text", "text": text}], "isError": False})
    out = redact_result(tokenizer, call, result, fields, ())
    block = out.content[0]
    assert isinstance(block, TextContent)
    return block.text, call


def test_lean_text_leaves_lean_with_its_pii_as_tokens():
    sent = compact_json({"items": lean(RECORDS)})
    text, call = redacted(sent, fields=("$.items[*].owner.city",))
    data = json.loads(text)
    assert is_lean(data)
    records = expand(data)["items"]
    assert [r["id"] for r in records] == [0, 1, 2]
    assert all(r["email"].startswith("<pii:email:") for r in records)
    assert all(r["owner"]["city"].startswith("<pii:") for r in records)  # a path on records
    assert call.tokenized == 6
    assert "example.com" not in text and "Oslo" not in text


def test_plain_json_from_an_upstream_is_not_restyled():
    text, _ = redacted(compact_json({"items": RECORDS}))
    data = json.loads(text)
    assert not is_lean(data)
    assert isinstance(data["items"], list) and data["items"][0]["owner"]["id"] == 7
