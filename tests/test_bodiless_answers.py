"""Answers with no body say what they mean: a read answered 204 has nothing to return (Zoho
CRM's empty search), not "Done"; an error with no body gives the reason its headers say
(Azure Storage's `x-ms-error-code` on a HEAD, RFC 6750's `WWW-Authenticate` error).

Against a loopback upstream on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import pytest
from conftest import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.runtime.upstream_errors import header_reason


def _app() -> Starlette:
    async def blob(request: Request) -> Response:
        if request.path_params["name"] == "missing.txt":
            return Response(status_code=404, headers={"x-ms-error-code": "BlobNotFound"})
        return Response(status_code=200, headers={"content-length": "0"})

    async def records(request: Request) -> Response:
        return Response(status_code=204)  # Zoho CRM: nothing matched

    async def touch(request: Request) -> Response:
        return Response(status_code=204)

    async def secret(request: Request) -> Response:
        challenge = (
            'Bearer realm="internal-idp.corp", scope="records.read", error="invalid_token", '
            'error_description="The access token expired"'
        )
        return Response(status_code=401, headers={"www-authenticate": challenge})

    return Starlette(
        routes=[
            Route("/container/{name}", blob, methods=["GET", "HEAD"]),
            Route("/records/search", records),
            Route("/records/touch", touch, methods=["POST"]),
            Route("/secret", secret),
        ]
    )


def _spec(url: str) -> dict:
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    criteria = {"name": "criteria", "in": "query", "schema": {"type": "string"}}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    empty = {"200": {"description": "ok"}, "204": {"description": "nothing"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Store", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/container/{name}": {
                "head": {"operationId": "getBlobProperties", "parameters": [name], "responses": ok}
            },
            "/records/search": {
                "get": {
                    "operationId": "searchRecords",
                    "parameters": [criteria],
                    "responses": empty,
                }
            },
            "/records/touch": {"post": {"operationId": "touchRecords", "responses": empty}},
            "/secret": {"get": {"operationId": "getSecret", "responses": ok}},
        },
    }


@pytest.fixture
def store(tmp_path):
    with serving(tmp_path, _app(), _spec, "store") as (caller, out):
        yield caller


def test_a_read_with_nothing_to_return_says_so(store):
    answer = store("search_records", {"criteria": "(Last_Name:equals:Zed)"})
    assert not answer.is_error
    assert answer.content[0].text == "Nothing to return (upstream answered 204 with no content)."
    done = store("touch_records", {})
    assert done.content[0].text == "Done (upstream answered 204 with no content)."


def test_a_bodiless_error_gives_its_headers_reason(store):
    answer = store("get_blob_properties", {"name": "missing.txt"})
    assert answer.is_error
    assert "404" in answer.content[0].text
    assert "x-ms-error-code: BlobNotFound" in answer.content[0].text
    refused = store("get_secret", {})
    assert refused.is_error
    text = refused.content[0].text
    assert "401" in text and "error=invalid_token; The access token expired" in text
    assert "internal-idp" not in text and "records.read" not in text


def test_the_reason_headers_read_alone():
    assert header_reason({}) == ""
    assert header_reason({"www-authenticate": 'Basic realm="x"'}) == ""
    assert header_reason({"x-amz-error-code": "NoSuchKey", "x-amz-error-message": "gone"}) == (
        "x-amz-error-code: NoSuchKey; x-amz-error-message: gone"
    )
    assert header_reason({"www-authenticate": 'Bearer error="insufficient_scope"'}) == (
        "error=insufficient_scope"
    )
