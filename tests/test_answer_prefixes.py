"""Answers that begin with something before their JSON: a byte order mark (legacy .NET and IIS
APIs), which says the encoding and is no part of the text; Gerrit's `)]}'` guard against being
run as a script. The JSON is data, not "a body that is not JSON". Against a real HTTP upstream
on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import codecs

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RECORD = '{"id": 7, "name": "Zoë"}'
BODIES = {
    "utf8": (codecs.BOM_UTF8 + RECORD.encode("utf-8"), "application/json"),
    "utf16le": (codecs.BOM_UTF16_LE + RECORD.encode("utf-16-le"), "application/json"),
    "utf16be": (codecs.BOM_UTF16_BE + RECORD.encode("utf-16-be"), "application/json"),
    "unlabelled": (codecs.BOM_UTF8 + RECORD.encode("utf-8"), "text/plain"),
    "gerrit": (b")]}'\n" + RECORD.encode("utf-8"), "application/json"),
    "guarded": (codecs.BOM_UTF8 + b")]}',\r\n" + RECORD.encode("utf-8"), "text/plain"),
}


def _app() -> Starlette:
    async def record(request: Request) -> Response:
        body, media = BODIES[request.path_params["kind"]]
        return Response(body, media_type=media)

    return Starlette(routes=[Route("/records/{kind}", record)])


def _spec(url: str) -> dict:
    kind = {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    get = {"operationId": "getRecord", "parameters": [kind], "responses": answer}
    info = {"title": "Legacy", "version": "1"}
    return {
        "openapi": "3.0.3",
        "info": info,
        "servers": [{"url": url}],
        "paths": {"/records/{kind}": {"get": get}},
    }


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_what_comes_before_the_json_is_no_part_of_it(tmp_path, kind):
    with serving(tmp_path, _app(), _spec, "legacy") as (call, _):
        answer = call("get_record", {"kind": kind})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text) == {"id": 7, "name": "Zoë"}
