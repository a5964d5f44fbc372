"""SAP Gateway's CSRF token: what an on-premise OData service wants before it takes a write.

The service refuses a write with 403 and `x-csrf-token: Required` until it carries the token a
GET that asks for it (`X-CSRF-Token: Fetch`) hands out, bound to the session that GET opened
(its cookies) and to the user. `Upstream.send` answers that refusal once: `fetch` asks the
service root (the server URL, as SAP's published specs have it), else the write's own URL (a
spec whose server is the host and whose paths carry the service's path; only the answer's
headers are read), with the caller's own credentials; the write goes again with the token and
the session's cookies. Fetched for the one write and kept nowhere: a token is one caller's
session's, never another caller's.
"""

from __future__ import annotations

import asyncio

import httpx2

from adaptgen.runtime import telemetry
from adaptgen.runtime.auth import AUTH_ERRORS
from adaptgen.runtime.secrets import quiet_debug

HEADER = "X-CSRF-Token"


def required(response: httpx2.Response) -> bool:
    """Whether `response` refuses a write for want of a token."""
    return response.status_code == 403 and response.headers.get(HEADER, "").lower() == "required"


def sources(base_url: str, written: httpx2.URL, template: str) -> list[tuple[str, str]]:
    """Where to ask for a token, in order: (URL, its path template for the trace)."""
    root = base_url.rstrip("/") + "/"
    return list(dict.fromkeys([(root, "/"), (str(written.copy_with(query=None)), template)]))


async def fetch(
    client: httpx2.AsyncClient,
    url: str,
    template: str,
    auth: httpx2.Auth | None,
    seconds: float,
    timeout: httpx2.Timeout,
) -> dict[str, str] | None:
    """The headers the refused write goes again with (the token and the session's cookies),
    from one GET of `url` within `seconds`; None when it hands out no token."""
    request = httpx2.Request(
        "GET",
        url,
        headers={HEADER: "Fetch", "Accept": "application/json"},
        extensions={"timeout": timeout.as_dict()},
    )
    target = request.url
    # The answer's headers are the token and the session: no DEBUG trace may log them.
    with telemetry.upstream_span("GET", template, target.host, target.port), quiet_debug():
        try:
            async with asyncio.timeout(seconds):
                response = await client.send(
                    request, auth=auth or httpx2.USE_CLIENT_DEFAULT, stream=True
                )
                await response.aclose()
        except (TimeoutError, httpx2.HTTPError, *AUTH_ERRORS):
            return None  # the write's own 403 says what went wrong
    token = response.headers.get(HEADER, "")
    if not response.is_success or not token or token.lower() in ("required", "fetch"):
        return None
    session = [c.split(";", 1)[0].strip() for c in response.headers.get_list("set-cookie")]
    cookies = "; ".join(c for c in session if "=" in c)
    return {HEADER: token, **({"Cookie": cookies} if cookies else {})}
