"""`ListAnswers` (governance/list_answers.py): which of FastMCP's tools/list answers the proxy
keeps, for whom, and for how long."""

from __future__ import annotations

import asyncio
import json

from adaptgen.runtime.governance.list_answers import ListAnswers
from adaptgen.runtime.identity import Caller

JSON = [(b"content-type", b"application/json")]
PARAMS = {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}


def served(
    answers: ListAnswers,
    listing: object,
    key: bytes,
    request_id,
    *,
    status=200,
    headers=JSON,
    body=None,
    held=None,
) -> list[dict]:  # noqa: ANN001
    """FastMCP's answer (made up by the test's `serve`) through `capture`: what the caller got."""
    if body is None:
        body = json.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"tools": []}}).encode()
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def serve(tap) -> None:  # noqa: ANN001
        await tap({"type": "http.response.start", "status": status, "headers": headers})
        await tap({"type": "http.response.body", "body": body, "more_body": False})

    holding = listing if held is None else held
    asyncio.run(answers.capture(serve, send, request_id, listing, lambda: holding, key))
    return sent


def test_a_kept_answer_carries_the_new_request_id():
    answers, listing = ListAnswers(), object()
    key = ListAnswers.key(Caller(subject="a"), "2026-07-28", PARAMS)
    assert answers.kept(listing, key, 1) is None
    sent = served(answers, listing, key, 1)
    assert sent[0]["status"] == 200  # the caller got FastMCP's answer as it was
    headers, body = answers.kept(listing, key, "req-7")
    assert json.loads(body) == {"jsonrpc": "2.0", "id": "req-7", "result": {"tools": []}}
    assert (b"content-length", str(len(body)).encode()) in headers
    assert (b"content-type", b"application/json") in headers


def test_only_a_plain_json_success_from_the_held_listing_is_kept():
    key = ListAnswers.key(Caller(subject="a"), "2026-07-28", PARAMS)
    error = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "x"}})
    stream = [(b"content-type", b"text/event-stream")]
    cases = [
        {"status": 500},
        {"body": error.encode()},
        {"headers": stream},
        {"body": b"not json"},
        {"body": json.dumps({"jsonrpc": "2.0", "id": "1", "result": {}}).encode()},  # id type
        {"held": object()},  # FastMCP's path fetched a newer listing meanwhile
    ]
    for case in cases:
        answers, listing = ListAnswers(), object()
        answers.kept(listing, key, 1)
        served(answers, listing, key, 1, **case)
        assert answers.kept(listing, key, 2) is None, case


def test_answers_are_per_caller_and_request_and_end_with_the_listing():
    token_a = Caller(subject="a", groups=("support",), token="t1")
    token_b = Caller(subject="a", groups=("support",), token="t2")
    anonymous = Caller(subject=None, groups=("guests",))
    keys = {
        ListAnswers.key(token_a, "2026-07-28", PARAMS),
        ListAnswers.key(token_b, "2026-07-28", PARAMS),
        ListAnswers.key(anonymous, "2026-07-28", PARAMS),
        ListAnswers.key(Caller(subject=None, groups=("staff",)), "2026-07-28", PARAMS),
        ListAnswers.key(token_a, "2026-07-29", PARAMS),
        ListAnswers.key(token_a, "2026-07-28", {**PARAMS, "cursor": "2"}),
    }
    assert len(keys) == 6
    answers, listing = ListAnswers(), object()
    key = ListAnswers.key(token_a, "2026-07-28", PARAMS)
    served(answers, listing, key, 1)
    assert answers.kept(listing, ListAnswers.key(token_b, "2026-07-28", PARAMS), 2) is None
    assert answers.kept(object(), key, 2) is None  # a new listing: nothing kept holds
    assert answers.kept(listing, key, 2) is None  # ... nor after, for the old one


def test_the_least_recently_used_answer_goes_first_past_the_byte_limit():
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": ["x" * 90]}}).encode()
    size = len(json.dumps({"tools": ["x" * 90]}, separators=(",", ":")))
    answers, listing = ListAnswers(limit=4 * size + size // 2), object()  # four fit
    keys = [ListAnswers.key(Caller(subject=s), "2026-07-28", PARAMS) for s in "abcde"]
    answers.kept(listing, keys[0], 0)
    for key in keys[:4]:
        served(answers, listing, key, 1, body=body)
    assert answers.kept(listing, keys[0], 2) is not None  # a is now the most recent
    served(answers, listing, keys[4], 1, body=body)
    assert answers.kept(listing, keys[1], 3) is None
    assert all(answers.kept(listing, k, 3) is not None for k in (keys[0], *keys[2:]))


def test_an_answer_over_a_quarter_of_the_limit_is_not_kept():
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": ["x" * 400]}}).encode()
    answers, listing = ListAnswers(limit=1000), object()
    key = ListAnswers.key(Caller(subject="a"), "2026-07-28", PARAMS)
    answers.kept(listing, key, 0)
    served(answers, listing, key, 1, body=body)
    assert answers.kept(listing, key, 2) is None


def test_trace_context_and_progress_tokens_do_not_split_the_key():
    caller = Caller(subject="a")
    plain = ListAnswers.key(caller, "2026-07-28", PARAMS)
    traced = {"_meta": {**PARAMS["_meta"], "traceparent": "00-4bf92f-00f067aa-01"}}
    progress = {"_meta": {**PARAMS["_meta"], "progressToken": 7, "tracestate": "x=1"}}
    assert ListAnswers.key(caller, "2026-07-28", traced) == plain
    assert ListAnswers.key(caller, "2026-07-28", progress) == plain
    other = {"_meta": {**PARAMS["_meta"], "io.modelcontextprotocol/clientInfo": {"name": "b"}}}
    assert ListAnswers.key(caller, "2026-07-28", other) != plain
