"""An integer a JavaScript client cannot hold exactly (past 2^53: Twitter's and Discord's ids
as numbers, a 19-digit Zoho record id) goes out as text too, beside the structured content a
current client would otherwise read alone, so the id an agent reads back is the one it got.

Against a loopback API, through the generated server (output schemas on) and an MCP client."""

from __future__ import annotations

import json

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.runtime.server import SAFE_INTEGER, _past_safe_integers

BIG = 1460323737035677698  # a tweet id, past 2^53


def _app() -> Starlette:
    async def tweet(request: Request) -> Response:
        small = request.path_params["id"] == "small"
        body = {"id": 20 if small else BIG, "text": "just setting up my twttr"}
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/tweets/{id}", tweet)])


def _spec(url: str) -> dict:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
    }
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}
    ident = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Tweets", "version": "1.1"},
        "servers": [{"url": url}],
        "x-agent": {"defaults": {"output_schema": True}},
        "paths": {
            "/tweets/{id}": {
                "get": {"operationId": "getTweet", "parameters": [ident], "responses": ok}
            }
        },
    }


def test_an_id_past_2_53_goes_as_text_too(tmp_path, monkeypatch):
    monkeypatch.setenv("TWEETS_STRUCTURED_TEXT", "never")  # a current client
    with serving(tmp_path, _app(), _spec, "tweets") as (caller, _):
        big = caller("get_tweet", {"id": "big"})
        small = caller("get_tweet", {"id": "small"})
    assert big.structured_content == {"id": BIG, "text": "just setting up my twttr"}
    assert big.content and result_data(big.content[0].text)["id"] == BIG
    assert str(BIG) in big.content[0].text
    assert small.content == []  # nothing lost: structured content alone, as before


def test_which_integers_are_past_safe():
    assert not _past_safe_integers({"a": [1, 2, {"b": SAFE_INTEGER}], "c": True, "d": 1.5e300})
    assert _past_safe_integers({"a": [1, {"b": SAFE_INTEGER + 1}]})
    assert _past_safe_integers([-(2**60)])
