"""Issue 12, item 1: a pagination cursor is tamper-proof and bound to its tool and call.

The attack: a `support` caller, who may not list deals, called `list_contacts` with a cursor it
wrote itself (unsigned base64 JSON) whose URL was `/api/v1/deals?per_page=3`, and got deals
fetched with the server's session token, audited as an ordinary `list_contacts` call. Now every
cursor carries an HMAC over its state, tool, the call's arguments and an expiry.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from conftest import result_data
from fastmcp import Client
from test_governance import governed_crm, load_generated, mint

from adaptgen.runtime.paginate import (
    CursorError,
    CursorKey,
    PageState,
    decode_cursor,
    encode_cursor,
)
from adaptgen.sandbox.server import serve_app


def _unsigned(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cursors")
    with governed_crm(tmp) as sandbox:
        module = load_generated("cursors")
        with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
            yield sandbox, f"{url}/mcp", tmp / "audit.jsonl"


def _calls(url: str, token: str, calls: list[tuple[str, dict]]):
    async def go():
        async with Client(url, auth=token) as client:
            return [await client.call_tool(t, a, raise_on_error=False) for t, a in calls]

    return asyncio.run(go())


def _paths(sandbox) -> list[str]:
    return [str(entry.get("path", entry)) for entry in sandbox.request_log]


@pytest.mark.parametrize(
    "forged",
    [
        # The audit's own cursors: the old unsigned format with a URL elsewhere on the API.
        {"t": "list_contacts", "u": "/api/v1/deals?per_page=3"},
        {"t": "list_contacts", "u": "/api/v1/../../admin/users"},
        {"t": "list_contacts", "p": 2},
    ],
)
def test_a_cursor_the_server_did_not_sign_is_refused_and_audited(crm, forged):
    sandbox, url, audit = crm
    sandbox.request_log.clear()
    (result,) = _calls(
        url, mint(["support"]), [("list_contacts", {"limit": 3, "cursor": _unsigned(forged)})]
    )
    assert result.is_error
    assert "invalid cursor" in result.content[0].text
    assert _paths(sandbox) == []  # nothing was fetched
    last = json.loads(audit.read_text().splitlines()[-1])
    assert last["tool"] == "list_contacts"
    assert last["result_status"] == "denied"
    assert last["policy_decision"] == "deny: invalid cursor"


def test_a_real_cursor_is_bound_to_its_tool_and_arguments(crm):
    _, url, _ = crm
    token = mint(["sales"])
    (first,) = _calls(url, token, [("list_contacts", {"limit": 2})])
    cursor = result_data(first.content[0].text)["next_cursor"]
    payload, _, mac = cursor.partition(".")
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered["t"] = "list_deals"
    relabeled = f"{_unsigned(tampered)}.{mac}"
    follow, other_tool, with_other_args, altered = _calls(
        url,
        token,
        [
            ("list_contacts", {"limit": 2, "cursor": cursor}),
            ("list_deals", {"limit": 2, "cursor": cursor}),
            ("list_contacts", {"limit": 2, "cursor": cursor, "company_id": 201}),
            ("list_deals", {"limit": 2, "cursor": relabeled}),
        ],
    )
    assert not follow.is_error and result_data(follow.content[0].text)["items"]
    assert "another tool" in other_tool.content[0].text
    assert "other arguments" in with_other_args.content[0].text
    assert "not a cursor made by this server" in altered.content[0].text


def test_cursors_are_signed_with_the_deployment_key(monkeypatch):
    base = "http://127.0.0.1:1/api"
    state = PageState(url="http://127.0.0.1:1/api/things?page=2")
    monkeypatch.setenv("ZOO_CURSOR_KEY", "a long shared secret for every instance")
    one, two = CursorKey.from_env("ZOO"), CursorKey.from_env("ZOO")
    cursor = encode_cursor("list_things", state, key=one, request="r")
    assert decode_cursor("list_things", cursor, base, key=two, request="r") == state
    monkeypatch.delenv("ZOO_CURSOR_KEY")
    mine, theirs = CursorKey.from_env("ZOO"), CursorKey.from_env("ZOO")
    cursor = encode_cursor("list_things", state, key=mine)
    with pytest.raises(CursorError, match="another instance"):
        decode_cursor("list_things", cursor, base, key=theirs)


def test_a_cursor_expires():
    key = CursorKey(b"k" * 32, shared=True)
    cursor = encode_cursor("list_things", PageState(page=2), key=key, now=1_000_000)
    assert decode_cursor("list_things", cursor, "http://h", key=key, now=1_000_010).page == 2
    with pytest.raises(CursorError, match="expired"):
        decode_cursor("list_things", cursor, "http://h", key=key, now=1_000_000 + 2 * 86400)


def test_instances_that_share_the_policy_key_accept_each_others_cursors(crm):
    """Lambda scales out: a cursor one instance made must work on the next one."""
    from adaptgen.runtime import paginate

    _, url, _ = crm
    token = mint(["sales"])
    (first,) = _calls(url, token, [("list_contacts", {"limit": 2})])
    cursor = result_data(first.content[0].text)["next_cursor"]
    paginate._KEYS.clear()  # what a fresh process starts with
    fresh = load_generated("cursors_fresh")  # its key derives from the policy's PII key again
    with serve_app(fresh.mcp.http_app(path="/mcp"), lifespan=True) as other:
        (follow,) = _calls(
            f"{other}/mcp", token, [("list_contacts", {"limit": 2, "cursor": cursor})]
        )
    assert not follow.is_error, follow.content[0].text
