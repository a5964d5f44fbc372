"""Files an agent sends (`runtime/files.py`): a multipart form's file field goes as a file part
(a file name, the bytes, a media type), as every server framework needs to see a file; a data
URL gives any file's bytes; a body that is a file reads one too.

Against a real HTTP upstream on 127.0.0.1 whose form parser is Starlette's (a part without a
file name is text to it, as to multer, Spring or Django), through the generated server and an
MCP client."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from conftest import result_data, serving
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.plan.body import FILE_NOTE
from adaptgen.runtime.catalog import Catalog
from adaptgen.runtime.files import from_data_url

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def _seen(part: object) -> dict:
    if not isinstance(part, UploadFile):
        return {"text": part}
    return {"filename": part.filename, "type": part.content_type}


def _app() -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        form = await request.form()
        said = {key: _seen(value) for key, value in form.multi_items()}
        file = form.get("file")
        if isinstance(file, UploadFile):
            said["sha256"] = hashlib.sha256(await file.read()).hexdigest()
        return JSONResponse(said)

    async def image(request: Request) -> JSONResponse:
        body = await request.body()
        media = request.headers["content-type"]
        return JSONResponse({"type": media, "sha256": hashlib.sha256(body).hexdigest()})

    served = {"/attachments": upload, "/files/content": upload, "/images": image}
    return Starlette(routes=[Route(path, fn, methods=["POST"]) for path, fn in served.items()])


def _form(properties: dict) -> dict:
    schema = {"type": "object", "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _spec(url: str) -> dict:
    binary = {"type": "string", "format": "binary", "description": "The file."}
    text = {"type": "string"}
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Files", "version": "1"},
        "servers": [{"url": url}],
        "paths": {
            "/attachments": {
                "post": {
                    "operationId": "createAttachment",
                    "requestBody": _form({"parent": text, "name": text, "file": binary}),
                    "responses": ok,
                }
            },
            "/files/content": {
                "post": {
                    "operationId": "uploadFile",
                    "requestBody": _form({"attributes": {"type": "object"}, "file": binary}),
                    "responses": ok,
                }
            },
            "/images": {
                "post": {
                    "operationId": "analyzeImage",
                    "requestBody": {
                        "required": True,
                        "content": {"application/octet-stream": {"schema": binary}},
                    },
                    "responses": ok,
                }
            },
        },
    }


@pytest.fixture
def files(tmp_path):
    with serving(tmp_path, _app(), _spec, "files") as (caller, out):

        def call(name: str, arguments: dict):
            answer = caller(name, arguments)
            return answer.is_error, answer.content[0].text

        yield call, Catalog.read(out / "catalog.json")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_field_goes_as_a_file_named_by_the_form(files):
    call, _ = files
    failed, text = call("create_attachment", {"parent": "42", "name": "notes.txt", "file": "hi"})
    assert not failed, text
    said = result_data(text)
    assert said["file"] == {"filename": "notes.txt", "type": "application/octet-stream"}
    assert said["sha256"] == _sha(b"hi") and said["parent"] == {"text": "42"}


def test_any_file_as_a_data_url(files):
    call, _ = files
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    failed, text = call("create_attachment", {"parent": "42", "file": url})
    assert not failed, text
    said = result_data(text)
    assert said["file"] == {"filename": "file.png", "type": "image/png"}
    assert said["sha256"] == _sha(PNG)
    named = "data:text/csv;name=q4%20sales.csv,a%2Cb%0A1%2C2"
    said = result_data(call("create_attachment", {"parent": "42", "file": named})[1])
    assert said["file"] == {"filename": "q4 sales.csv", "type": "text/csv"}
    assert said["sha256"] == _sha(b"a,b\n1,2")


def test_boxs_attributes_name_the_file(files):
    call, _ = files
    arguments = {"attributes": {"name": "plan.md", "parent": {"id": "0"}}, "file": "# Plan"}
    said = result_data(call("upload_file", arguments)[1])
    assert said["file"]["filename"] == "plan.md" and said["sha256"] == _sha(b"# Plan")
    assert json.loads(said["attributes"]["text"])["name"] == "plan.md"


def test_a_body_that_is_a_file_reads_a_data_url(files):
    call, _ = files
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    said = result_data(call("analyze_image", {"body": url})[1])
    assert said == {"type": "image/png", "sha256": _sha(PNG)}
    plain = result_data(call("analyze_image", {"body": "raw text"})[1])
    assert plain == {"type": "application/octet-stream", "sha256": _sha(b"raw text")}


def _spec_31(url: str) -> dict:
    """The same API in OpenAPI 3.1's words: a file's bytes are `contentMediaType` with no
    `contentEncoding` (3.0's `format: binary`; TypeSpec writes every file so), and a string
    whose media type is JSON is text."""
    spec = json.loads(
        json.dumps(_spec(url)).replace(
            '"format": "binary"', '"contentMediaType": "application/octet-stream"'
        )
    )
    spec["openapi"] = "3.1.0"
    images = spec["paths"]["/images"]["post"]["requestBody"]["content"]
    images["application/octet-stream"]["schema"] = {"contentMediaType": "image/png"}
    form = spec["paths"]["/attachments"]["post"]["requestBody"]["content"]
    form["multipart/form-data"]["schema"]["properties"]["meta"] = {
        "type": "string",
        "contentMediaType": "application/json",
    }
    return spec


def test_a_file_in_openapi_31s_words_is_a_file(tmp_path):
    """Read as written, 3.1's binary was a string: a data URL went as its own text."""
    with serving(tmp_path, _app(), _spec_31, "files") as (caller, out):
        url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        said = result_data(caller("analyze_image", {"body": url}).content[0].text)
        assert said == {"type": "image/png", "sha256": _sha(PNG)}
        said = result_data(
            caller("create_attachment", {"file": url, "meta": '{"a": 1}'}).content[0].text
        )
        assert said["file"] == {"filename": "file.png", "type": "image/png"}
        assert said["meta"] == {"text": '{"a": 1}'} and said["sha256"] == _sha(PNG)
        schemas = Catalog.read(out / "catalog.json").tool("create_attachment").input_schema
        assert schemas["properties"]["file"]["format"] == "binary"
        assert "format" not in schemas["properties"]["meta"]


def test_a_broken_data_url_is_a_clear_error(files):
    call, _ = files
    failed, text = call("create_attachment", {"file": "data:image/png;base64,@@not base64@@"})
    assert failed
    assert "argument file is a data: URL whose base64 cannot be read" in text


def test_the_agent_is_told_how_to_give_a_file(files):
    _, catalog = files
    schema = catalog.tool("create_attachment").input_schema["properties"]["file"]
    assert schema["description"] == f"The file. {FILE_NOTE}"
    assert (
        FILE_NOTE in catalog.tool("analyze_image").input_schema["properties"]["body"]["description"]
    )
    assert (
        "description" not in catalog.tool("create_attachment").input_schema["properties"]["parent"]
    )


def test_data_urls():
    assert from_data_url("data:,A%20b") == (b"A b", "text/plain", None)
    assert from_data_url("data:application/json;charset=utf-8,{}") == (
        b"{}",
        "application/json",
        None,
    )
    assert from_data_url("not a data url") is None
