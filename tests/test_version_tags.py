"""Optimistic locking: an API that takes a thing's version tag back (`If-Match`, CouchDB's
`_rev`) has it in its results, where other APIs have it trimmed as bookkeeping; a refused
condition (412, 428) says what to do; 304 Not Modified is an answer, not an error.

Against a real HTTP upstream on 127.0.0.1 that enforces its conditions, through the generated
server and an MCP client."""

from __future__ import annotations

import json

import pytest
from conftest import result_data, serving, shared_spec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.load import load_spec
from adaptgen.plan import plan
from adaptgen.runtime.catalog import Catalog, Shape
from adaptgen.runtime.shape import denoise, select


class _Store:
    """Things with a version each: a write must name the current one (If-Match, `_rev`)."""

    def __init__(self) -> None:
        self.things = {"t1": {"name": "Q4 plan", "version": 3}}
        self.docs = {"d1": {"title": "Runbook", "version": 7}}
        self.notes = {"n1": {"text": "hello", "_rev": "1-aa"}}


def _app() -> Starlette:
    store = _Store()

    def tag(version: int) -> str:
        return f'W/"{version}"'

    async def get_thing(request: Request) -> Response:
        thing = store.things[request.path_params["id"]]
        etag = tag(thing["version"])
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        body = {"id": request.path_params["id"], "name": thing["name"], "etag": etag}
        return JSONResponse(body, headers={"ETag": etag})

    async def put_thing(request: Request) -> Response:
        thing = store.things[request.path_params["id"]]
        if request.headers.get("if-match") != tag(thing["version"]):
            return JSONResponse({"error": "etag mismatch"}, status_code=412)
        thing["name"] = json.loads(await request.body())["name"]
        thing["version"] += 1
        etag = tag(thing["version"])
        body = {"id": request.path_params["id"], "name": thing["name"]}
        return JSONResponse(body, headers={"ETag": etag})

    async def get_doc(request: Request) -> Response:
        doc = store.docs[request.path_params["id"]]  # the tag only as a header
        return JSONResponse({"title": doc["title"]}, headers={"ETag": tag(doc["version"])})

    async def put_doc(request: Request) -> Response:
        doc = store.docs[request.path_params["id"]]
        if "if-match" not in request.headers:
            return JSONResponse({"error": "precondition required"}, status_code=428)
        if request.headers["if-match"] != tag(doc["version"]):
            return JSONResponse({"error": "stale"}, status_code=412)
        doc["title"] = json.loads(await request.body())["title"]
        doc["version"] += 1
        return Response(status_code=204)

    async def get_note(request: Request) -> Response:
        note = store.notes[request.path_params["id"]]
        return JSONResponse({"_id": request.path_params["id"], **note})

    async def put_note(request: Request) -> Response:
        note = store.notes[request.path_params["id"]]
        body = json.loads(await request.body())
        if body.get("_rev") != note["_rev"]:
            return JSONResponse({"error": "conflict"}, status_code=409)
        number = int(note["_rev"].split("-")[0]) + 1
        note.update(text=body["text"], _rev=f"{number}-bb")
        return JSONResponse({"ok": True, "id": request.path_params["id"], "rev": note["_rev"]})

    return Starlette(
        routes=[
            Route("/things/{id}", get_thing, methods=["GET"]),
            Route("/things/{id}", put_thing, methods=["PUT"]),
            Route("/docs/{id}", get_doc, methods=["GET"]),
            Route("/docs/{id}", put_doc, methods=["PUT"]),
            Route("/notes/{id}", get_note, methods=["GET"]),
            Route("/notes/{id}", put_note, methods=["PUT"]),
        ]
    )


def _header(name: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}


def _spec(url: str, *, locking: bool = True) -> dict:
    ident = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    item = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}

    def body(*fields: str) -> dict:
        properties = {f: {"type": "string"} for f in fields}
        schema = {"type": "object", "properties": properties}
        return {"content": {"application/json": {"schema": schema}}}

    def conditions(*names: str) -> list[dict]:
        return [_header(n) for n in names] if locking else []

    return {
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [ident, *conditions("If-None-Match")],
                    "responses": item,
                },
                "put": {
                    "operationId": "updateThing",
                    "parameters": [ident, *conditions("If-Match")],
                    "requestBody": body("name"),
                    "responses": item,
                },
            },
            "/docs/{id}": {
                "get": {"operationId": "getDoc", "parameters": [ident], "responses": item},
                "put": {
                    "operationId": "updateDoc",
                    "parameters": [ident, *conditions("If-Match")],
                    "requestBody": body("title"),
                    "responses": {"204": {"description": "done"}},
                },
            },
            "/notes/{id}": {
                "get": {"operationId": "getNote", "parameters": [ident], "responses": item},
                "put": {
                    "operationId": "updateNote",
                    "parameters": [ident],
                    "requestBody": body("text", "_rev") if locking else body("text"),
                    "responses": item,
                },
            },
        },
    }


@pytest.fixture
def things(tmp_path):
    with serving(tmp_path, _app(), _spec, "things") as (caller, out):
        catalog = Catalog.read(out / "catalog.json")
        yield caller, {t.operation_id: t.name for t in catalog.tools}


def _ok(caller, name: str, arguments: dict) -> str:
    answer = caller(name, arguments)
    assert not answer.is_error, answer.content[0].text
    return answer.content[0].text


def test_a_tag_read_is_a_tag_a_write_can_send(things):
    caller, names = things
    thing = result_data(_ok(caller, names["getThing"], {"id": "t1"}))
    assert thing == {"id": "t1", "name": "Q4 plan", "etag": 'W/"3"'}
    changed = {"id": "t1", "name": "Q4 plan v2", "if_match": thing["etag"]}
    written = result_data(_ok(caller, names["updateThing"], changed))
    # the write's answer says the thing's new version: a second write needs no read between
    assert written == {"id": "t1", "name": "Q4 plan v2", "etag": 'W/"4"'}
    again = {"id": "t1", "name": "Q4 plan v3", "if_match": written["etag"]}
    assert result_data(_ok(caller, names["updateThing"], again))["etag"] == 'W/"5"'


def test_a_tag_sent_only_as_a_header_is_read_too(things):
    caller, names = things
    doc = result_data(_ok(caller, names["getDoc"], {"id": "d1"}))
    assert doc == {"title": "Runbook", "etag": 'W/"7"'}
    done = _ok(caller, names["updateDoc"], {"id": "d1", "title": "New", "if_match": doc["etag"]})
    assert done.startswith("Done")


def test_a_stale_or_missing_tag_says_what_to_do(things):
    caller, names = things
    stale = caller(names["updateThing"], {"id": "t1", "name": "x", "if_match": 'W/"1"'})
    assert stale.is_error
    text = stale.content[0].text
    assert "412" in text and "read it again, then send its current etag as if_match" in text
    assert "etag mismatch" in text  # the upstream's own words are kept
    missing = caller(names["updateDoc"], {"id": "d1", "title": "x"})
    assert missing.is_error
    assert "428" in missing.content[0].text
    assert "read it, then send its etag as if_match" in missing.content[0].text


def test_not_modified_is_an_answer(things):
    caller, names = things
    etag = result_data(_ok(caller, names["getThing"], {"id": "t1"}))["etag"]
    text = _ok(caller, names["getThing"], {"id": "t1", "if_none_match": etag})
    assert text.startswith("Not modified (upstream answered 304)")


def test_a_rev_field_is_kept_where_writes_take_it(things):
    caller, names = things
    note = result_data(_ok(caller, names["getNote"], {"id": "n1"}))
    assert note["_rev"] == "1-aa"
    written = _ok(caller, names["updateNote"], {"id": "n1", "text": "hi", "rev": note["_rev"]})
    assert result_data(written)["rev"] == "2-bb"


def test_an_api_that_takes_no_tag_has_them_trimmed(tmp_path):
    unlocked = lambda url: _spec(url, locking=False)  # noqa: E731
    with serving(tmp_path, _app(), unlocked, "plain") as (caller, out):
        catalog = Catalog.read(out / "catalog.json")
        names = {t.operation_id: t.name for t in catalog.tools}
        assert not any(t.shape.version_tags or t.upstream.etag_header for t in catalog.tools)
        assert result_data(_ok(caller, names["getThing"], {"id": "t1"})) == {
            "id": "t1",
            "name": "Q4 plan",
        }
        assert "_rev" not in result_data(_ok(caller, names["getNote"], {"id": "n1"}))


def test_which_tools_say_the_header_tag(tmp_path):
    path = tmp_path / "things.json"
    path.write_text(json.dumps(_spec("http://127.0.0.1:9")))
    catalog = plan(load_spec(path), "things").api
    told = {t.operation_id for t in catalog.tools if t.upstream.etag_header}
    assert told == {"getThing", "updateThing", "getDoc", "updateDoc"}
    assert all(t.shape.version_tags for t in catalog.tools)


def test_box_reads_say_the_tag_its_writes_take():
    catalog = plan(load_spec(shared_spec("box_openapi.json")), "box").api
    tools = {t.name: t for t in catalog.tools}
    assert tools["get_file_information"].upstream.etag_header
    assert tools["update_file"].upstream.etag_header
    assert not tools["list_items_in_folder"].upstream.etag_header  # a list: no one thing's tag
    assert all(t.shape.version_tags for t in catalog.tools)
    file = {"type": "file", "id": "12345", "etag": "1", "name": "Contract.pdf"}
    assert select(file, tools["get_file_information"].shape, whole_response=True)["etag"] == "1"


def test_odata_v2_metadata_keeps_its_etag():
    record = {
        "__metadata": {"uri": "https://sap/Orders('1')", "type": "Order", "etag": "W/\"X'01'\""},
        "OrderID": "1",
    }
    assert denoise(record, 400, 50) == {"OrderID": "1"}
    assert denoise(record, 400, 50, tags=True) == {
        "__metadata": {"etag": "W/\"X'01'\""},
        "OrderID": "1",
    }
    assert select(record, Shape(version_tags=True)) == denoise(record, 400, 50, tags=True)


def test_an_output_schema_says_the_header_tag(tmp_path):
    """With output schemas asked for, a closed answer schema (`additionalProperties: false`)
    still takes the header's tag: the client checks structured content against it."""

    def spec(url: str) -> dict:
        document = _spec(url)
        closed = {
            "type": "object",
            "properties": {"title": {"type": "string"}},
            "additionalProperties": False,
        }
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": closed}}}}
        document["paths"]["/docs/{id}"]["get"]["responses"] = ok
        return document | {"x-agent": {"defaults": {"output_schema": True}}}

    with serving(tmp_path, _app(), spec, "closed") as (caller, out):
        catalog = Catalog.read(out / "catalog.json")
        (read,) = [t for t in catalog.tools if t.operation_id == "getDoc"]
        assert read.output_schema is not None and "etag" in read.output_schema["properties"]
        answer = caller(read.name, {"id": "d1"})
        assert not answer.is_error, answer.content
        assert answer.structured_content == {"title": "Runbook", "etag": 'W/"7"'}
