"""A write answered with no content but a `Location` (JAX-RS's `Response.created(uri)`,
Akeneo's products): the agent is told where the new thing is and which tool reads it, never
a bare "Done"; an address off the API by its origin only.

Against a real HTTP upstream on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import json

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.runtime.catalog import Catalog
from adaptgen.runtime.locations import Readers, located

BASE = "http://127.0.0.1:9/api/rest/v1"


def _app() -> Starlette:
    async def create_product(request: Request) -> Response:
        body = json.loads(await request.body())
        where = {
            "absolute": "{origin}/api/rest/v1/products/{code}",
            "relative": "/api/rest/v1/products/{code}",
            "elsewhere": "https://uploads.example/session/{code}?sig=SECRET",
        }[body.get("kind", "relative")]
        origin = f"{request.url.scheme}://{request.url.netloc}"
        location = where.format(origin=origin, code=body["code"])
        return Response(status_code=201, headers={"Location": location})

    async def create_model(request: Request) -> Response:
        return Response(status_code=201, headers={"Location": "/api/rest/v1/product-models/m%201"})

    async def touch(request: Request) -> Response:
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/api/rest/v1/products", create_product, methods=["POST"]),
            Route("/api/rest/v1/product-models", create_model, methods=["POST"]),
            Route("/api/rest/v1/products/{code}/touch", touch, methods=["POST"]),
        ]
    )


def _spec(url: str) -> dict:
    def one(op_id: str, name: str, responses: dict) -> dict:
        param = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        return {"operationId": op_id, "parameters": [param], "responses": responses}

    body = {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "kind": {"type": "string"}},
                }
            }
        }
    }
    created = {"201": {"description": "Created"}}
    item = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "PIM", "version": "1"},
        "servers": [{"url": f"{url}/api/rest/v1"}],
        "paths": {
            "/products": {
                "post": {"operationId": "post_products", "requestBody": body, "responses": created},
                "get": {"operationId": "get_products", "responses": item},
            },
            "/products/{code}": {"get": one("get_products__code_", "code", item)},
            "/products/{code}/touch": {
                "post": one("touch_product", "code", {"204": {"description": "done"}})
            },
            "/product-models": {
                "post": {"operationId": "post_product_models", "responses": created},
            },
            "/product-models/{modelCode}": {
                "get": one("get_product_models__code_", "modelCode", item)
            },
        },
    }


@pytest.fixture
def pim(tmp_path):
    with serving(tmp_path, _app(), _spec, "pim") as (caller, out):

        def call(name: str, arguments: dict) -> str:
            answer = caller(name, arguments)
            assert not answer.is_error, answer.content[0].text
            return answer.content[0].text

        catalog = Catalog.read(out / "catalog.json")
        yield call, {t.operation_id: t.name for t in catalog.tools}


def test_a_create_says_where_and_what_reads_it(pim):
    call, names = pim
    reader = names["get_products__code_"]
    for kind in ("relative", "absolute"):
        said = result_data(call(names["post_products"], {"code": "sku-1", "kind": kind}))
        assert said == {
            "done": "upstream answered 201 with no content",
            "location": "/products/sku-1",
            "read_with": {"tool": reader, "arguments": {"code": "sku-1"}},
        }
    model = result_data(call(names["post_product_models"], {}))
    assert model["read_with"]["arguments"] == {"model_code": "m 1"}


def test_an_address_off_the_api_is_told_by_its_origin(pim):
    call, names = pim
    text = call(names["post_products"], {"code": "x", "kind": "elsewhere"})
    assert result_data(text)["location"] == "elsewhere, on https://uploads.example"
    assert "SECRET" not in text and "session" not in text


def test_no_location_is_done_as_before(pim):
    call, names = pim
    text = call(names["touch_product"], {"code": "sku-1"})
    assert text == "Done (upstream answered 204 with no content)."


def test_the_most_literal_template_reads_it():

    class T:
        def __init__(self, name: str, path: str, params: list) -> None:
            self.name, self.path, self.params = name, path, params
            self.method, self.hidden = "GET", False

    class P:
        def __init__(self, api_name: str, name: str, reserved: bool = False) -> None:
            self.api_name, self.name, self.reserved, self.location = (
                api_name,
                name,
                reserved,
                "path",
            )

    catalog_tools = [
        T("get_thing", "/{kind}/{id}", [P("kind", "kind"), P("id", "id")]),
        T("get_user", "/users/{id}", [P("id", "user_id")]),
        T("get_file", "/files/{path}", [P("path", "path", reserved=True)]),
    ]
    readers = Readers(catalog_tools)  # type: ignore[arg-type]
    assert readers.reader("/users/42") == ("get_user", {"user_id": "42"})
    assert readers.reader("/teams/7") == ("get_thing", {"kind": "teams", "id": "7"})
    assert readers.reader("/files/a/b.txt") == ("get_file", {"path": "a/b.txt"})
    assert readers.reader("/users/42/keys") is None
    said = located(201, "../v1/users/9", f"{BASE}/users", BASE, readers)
    assert said["location"] == "/users/9" and said["read_with"]["tool"] == "get_user"
    assert located(201, "/api/other/9", f"{BASE}/users", BASE, None)["location"] == (
        "elsewhere, on http://127.0.0.1:9"
    )
