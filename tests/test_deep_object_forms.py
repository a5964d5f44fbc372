"""A form body whose `encoding` says `deepObject` (Stripe's every field): objects and lists go
in bracket notation (`metadata[plan]=pro`, `items[0][price]=price_123`), as Rails, PHP and
Stripe read them, not as JSON text that such an API refuses. Against a real HTTP upstream on
127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

from urllib.parse import parse_qsl

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.runtime.serialize import deep_pairs


def _app() -> Starlette:
    async def create(request: Request) -> JSONResponse:
        return JSONResponse({"pairs": parse_qsl((await request.body()).decode())})

    return Starlette(routes=[Route("/v1/customers", create, methods=["POST"])])


def _spec(url: str) -> dict:
    deep = {"style": "deepObject", "explode": True}
    properties = {
        "email": {"type": "string"},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "expand": {"type": "array", "items": {"type": "string"}},
        "tax_id_data": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "settings": {"type": "object", "properties": {"mode": {"type": "string"}}},
    }
    form = {
        "schema": {"type": "object", "properties": properties},
        "encoding": {k: deep for k in ("metadata", "expand", "tax_id_data", "address")},
    }
    post = {
        "operationId": "PostCustomers",
        "requestBody": {"content": {"application/x-www-form-urlencoded": form}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {}}}},
    }
    info = {"title": "Payments", "version": "1"}
    paths = {"/v1/customers": {"post": post}}
    return {"openapi": "3.0.0", "info": info, "servers": [{"url": url}], "paths": paths}


def test_deep_objects_go_in_bracket_notation(tmp_path):
    arguments = {
        "email": "ana@example.com",
        "metadata": {"plan": "pro", "seats": "3"},
        "expand": ["default_source"],
        "tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}],
        "address": {"city": "Köln"},
        "tags": ["a", "b"],
        "settings": {"mode": "x"},
    }
    with serving(tmp_path, _app(), _spec, "payments") as (call, _):
        answer = call("create_customer", arguments)
    assert not answer.is_error, answer.content[0].text
    assert [tuple(p) for p in result_data(answer.content[0].text)["pairs"]] == [
        ("email", "ana@example.com"),
        ("metadata[plan]", "pro"),
        ("metadata[seats]", "3"),
        ("expand[0]", "default_source"),
        ("tax_id_data[0][type]", "eu_vat"),
        ("tax_id_data[0][value]", "DE123456789"),
        ("address[city]", "Köln"),
        ("tags", "a"),  # no encoding said: as before
        ("tags", "b"),
        ("settings", '{"mode":"x"}'),
    ]


def test_deep_pairs():
    assert deep_pairs("a", {"b": {"c": [1, True, None]}}) == [
        ("a[b][c][0]", "1"),
        ("a[b][c][1]", "true"),
    ]
    assert deep_pairs("a", None) == [] and deep_pairs("a", []) == [("a", "")]
