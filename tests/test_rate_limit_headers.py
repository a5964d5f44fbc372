"""An upstream's rate limit as its headers say it: when it resets (`X-RateLimit-Reset`, Discord's
`X-RateLimit-Reset-After`, the IETF `RateLimit` fields), and a 403 that is a rate limit
(GitHub's `x-ratelimit-remaining: 0`) rather than a refusal.

Pure functions for the dialects; a loopback upstream on 127.0.0.1 through the generated server
and an MCP client for what the agent sees."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.runtime.rate_limits import rate_limited, wait_asked

NOW = 1_764_520_000.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "7", "x-ratelimit-reset": str(int(NOW) + 60)}, 7.0),  # the standard first
        ({"x-ratelimit-reset": str(int(NOW) + 42)}, 42.0),  # GitHub: a Unix time
        ({"x-rate-limit-reset": str(int(NOW * 1000) + 1500)}, 1.5),  # milliseconds
        ({"x-ratelimit-reset": "12"}, 12.0),  # a small number is a delay
        ({"x-ratelimit-reset-after": "0.25"}, 0.25),  # Discord
        ({"ratelimit-reset": "30"}, 30.0),  # IETF draft, seconds
        ({"ratelimit": '"default";r=0;t=9'}, 9.0),  # IETF draft 07 on
        ({"ratelimit": "limit=100, remaining=0, reset=5"}, 5.0),  # IETF draft 00-06
        ({"x-ratelimit-reset": str(int(NOW) - 5)}, 0.0),  # already reset
        ({"x-ratelimit-reset": "soon"}, None),
        ({"x-ratelimit-limit": "60"}, None),
        ({}, None),
    ],
)
def test_when_a_limit_resets(headers, seconds):
    asked = wait_asked(headers, now=NOW)
    assert asked == (pytest.approx(seconds) if seconds is not None else None)


def test_a_403_is_a_rate_limit_only_when_it_says_so():
    assert rate_limited(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    assert rate_limited(403, {"retry-after": "60"})  # GitHub's secondary limit
    assert rate_limited(403, {"ratelimit": '"default";r=0;t=9'})
    assert not rate_limited(403, {"x-ratelimit-remaining": "41"})  # a refusal, with quota left
    assert not rate_limited(403, {})
    assert not rate_limited(401, {"x-ratelimit-remaining": "0"})


def _app(seen: Counter) -> Starlette:
    first: set[str] = set()

    def once(request: Request) -> bool:
        key = f"{request.url.path}?{request.url.query}"
        seen[key] += 1
        if key in first:
            return False
        first.add(key)
        return True

    async def repos(request: Request) -> Response:
        reset = float(request.query_params.get("reset", "1"))
        if once(request):
            limit = {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(time.time() + reset)),
            }
            message = {"message": "API rate limit exceeded for 127.0.0.1."}
            return JSONResponse(message, status_code=403, headers=limit)
        return JSONResponse({"name": "hello-world"})

    async def channels(request: Request) -> Response:
        after = request.query_params.get("after", "0.2")
        if once(request):
            limit = {"x-ratelimit-remaining": "0", "x-ratelimit-reset-after": after}
            return JSONResponse({"message": "You are being rate limited."}, 429, headers=limit)
        return JSONResponse({"id": "81384788765712384"})

    async def secret(request: Request) -> Response:
        seen[request.url.path] += 1
        message = {"message": "Resource not accessible by integration"}
        headers = {"x-ratelimit-remaining": "4999"}
        return JSONResponse(message, status_code=403, headers=headers)

    return Starlette(
        routes=[
            Route("/repos", repos),
            Route("/channels", channels),
            Route("/secret", secret),
        ]
    )


def _spec(url: str) -> dict:
    def read(op_id: str, *query: str) -> dict:
        params = [{"name": q, "in": "query", "schema": {"type": "string"}} for q in query]
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
        return {"get": {"operationId": op_id, "parameters": params, "responses": ok}}

    return {
        "openapi": "3.0.3",
        "info": {"title": "Limited", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/repos": read("getRepo", "reset"),
            "/channels": read("getChannel", "after"),
            "/secret": read("getSecret"),
        },
    }


@pytest.fixture
def limited(tmp_path):
    seen: Counter = Counter()
    with serving(tmp_path, _app(seen), _spec, "limited") as (caller, _):
        yield caller, seen


def test_a_403_rate_limit_is_waited_out_when_it_resets_soon(limited):
    caller, seen = limited
    answer = caller("get_repo", {"reset": "1"})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text) == {"name": "hello-world"}
    assert seen["/repos?reset=1"] == 2


def test_a_limit_far_off_is_told_when(limited):
    caller, seen = limited
    answer = caller("get_repo", {"reset": "3600"})
    assert answer.is_error
    text = answer.content[0].text
    assert "403" in text and "API rate limit exceeded" in text
    assert "retry after 3600s" in text or "retry after 3599s" in text
    assert seen["/repos?reset=3600"] == 1  # not tried again: the limit holds for an hour


def test_discord_says_when_in_its_own_header(limited):
    caller, seen = limited
    answer = caller("get_channel", {"after": "0.2"})
    assert not answer.is_error, answer.content[0].text
    assert seen["/channels?after=0.2"] == 2
    far = caller("get_channel", {"after": "30"})
    assert far.is_error and "retry after 30s" in far.content[0].text
    assert seen["/channels?after=30"] == 1


def test_a_403_with_quota_left_is_a_refusal(limited):
    caller, seen = limited
    answer = caller("get_secret", {})
    assert answer.is_error
    text = answer.content[0].text
    assert "Resource not accessible by integration" in text and "retry" not in text
    assert seen["/secret"] == 1
