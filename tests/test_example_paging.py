"""A list whose response schema leaves its content out, and whose own example shows it.

Slack's `admin.*.list` methods declare their answer as `{ok: boolean}`; their examples show
`{ok, approved_apps: [...], response_metadata: {next_cursor}}`. The example says where the
items and the next token are, so the list pages, against a real upstream on 127.0.0.1. An
example of a record that also pages (an address, its balance and its transactions) is not
trusted that far: it reads one page, as it did."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan

APPS = [{"app": {"id": f"A{n:03}", "name": f"app {n}"}} for n in range(23)]


def _app(seen: list) -> Starlette:
    async def approved(request: Request) -> JSONResponse:
        seen.append(dict(request.query_params))
        cursor = request.query_params.get("cursor")
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        end = start + int(request.query_params.get("limit") or 10)
        following = base64.b64encode(str(end).encode()).decode() if end < len(APPS) else ""
        meta = {"next_cursor": following}
        return JSONResponse(
            {"ok": True, "approved_apps": APPS[start:end], "response_metadata": meta}
        )

    return Starlette(routes=[Route("/admin.apps.approved.list", approved)])


def _spec(url: str, example: dict) -> dict:
    params = [
        {"name": "cursor", "in": "query", "type": "string"},
        {"name": "limit", "in": "query", "type": "integer"},
    ]
    answer = {
        "description": "Typical success response",
        "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
        "examples": {"application/json": example},
    }
    get = {"operationId": "admin_apps_approved_list", "parameters": params}
    get["responses"] = {"200": answer}
    host = url.split("://", 1)[1]
    return {
        "swagger": "2.0",
        "info": {"title": "Slack", "version": "1"},
        "host": host,
        "schemes": ["http"],
        "produces": ["application/json"],
        "paths": {"/admin.apps.approved.list": {"get": get}},
    }


SLACK_EXAMPLE = {
    "ok": True,
    "approved_apps": [{"app": {"id": "A0W7UKG8E", "name": "My Test App"}}],
    "response_metadata": {"next_cursor": ""},
}


def test_a_list_its_example_shows_pages(tmp_path):
    seen: list = []
    with serving(tmp_path, _app(seen), lambda url: _spec(url, SLACK_EXAMPLE), "slack") as (
        call,
        out,
    ):
        first = call("list_admin_apps_approved", {"limit": 15})
        assert not first.is_error, first.content[0].text
        data = result_data(first.content[0].text)
        rest = call("list_admin_apps_approved", {"limit": 15, "cursor": data["next_cursor"]})
    assert [a["app"]["id"] for a in data["items"]] == [a["app"]["id"] for a in APPS[:15]]
    assert [a["app"]["id"] for a in result_data(rest.content[0].text)["items"]] == [
        a["app"]["id"] for a in APPS[15:]
    ]
    assert all("cursor" not in q or q["cursor"] for q in seen)  # a token, never an empty one
    tool = json.loads((out / "catalog.json").read_text())["tools"][0]
    assert tool["pagination"]["items"] == "$.approved_apps"
    assert tool["pagination"]["next"] == "$.response_metadata.next_cursor"


def test_an_example_of_a_record_that_pages_is_not_a_list(tmp_path):
    record = {
        "address": "D5Z7Xrt",
        "balance": "2432468097",
        "page": 1,
        "totalPages": 1,
        "txids": ["461dd46d", "bdb5b476"],
    }
    path = tmp_path / "record.json"
    spec = _spec("http://127.0.0.1:9", record)
    spec["paths"]["/admin.apps.approved.list"]["get"]["parameters"][0]["name"] = "page"
    path.write_text(json.dumps(spec))
    tool = plan(load_spec(Path(path)), "r", PlanOptions()).api.tools[0]
    assert tool.pagination is None
    # Nor one whose schema says what it holds: the schema is believed.
    spec = _spec("http://127.0.0.1:9", SLACK_EXAMPLE)
    answer = spec["paths"]["/admin.apps.approved.list"]["get"]["responses"]["200"]
    answer["schema"]["properties"]["app"] = {"type": "object", "properties": {}}
    path.write_text(json.dumps(spec))
    assert plan(load_spec(Path(path)), "r", PlanOptions()).api.tools[0].pagination is None
