"""One redaction of secrets for every message that leaves: longest secret first.

A secret that contains another (a session token that embeds the API key) must not be left
half-replaced: replacing the short one first would leave the long one's tail in the message.
The upstream error message used its own copy that replaced in the given order.
"""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from adaptgen.runtime import flows, secrets, upstream
from adaptgen.runtime.upstream import Limits, UpstreamError

SHORT = "k3y-abcd"
LONG = "k3y-abcd-session-42"  # holds SHORT


def test_a_secret_holding_another_is_redacted_whole():
    text = f"denied for {LONG} (key {SHORT})"
    assert secrets.redact(text, [SHORT, LONG]) == "denied for *** (key ***)"


def test_every_message_builder_uses_the_one_redaction():
    assert flows.redact is secrets.redact
    assert upstream.redact is secrets.redact


def test_an_upstream_error_that_echoes_a_long_secret_shows_none_of_it():
    request = httpx2.Request("GET", "https://api.test/contacts")
    response = httpx2.Response(401, text=f"token {LONG} is not valid", request=request)
    with pytest.raises(UpstreamError) as error:
        asyncio.run(
            upstream._received(response, "GET /contacts", Limits("T"), [SHORT, LONG], resend=True)
        )
    message = str(error.value)
    assert "session-42" not in message and "***" in message, message
