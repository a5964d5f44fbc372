"""A FastAPI app as the upstream: the OpenAPI 3.1 document FastAPI writes of it, as every
FastAPI service's `/openapi.json` is written, built with no hints.

FastAPI is how a great many internal Python APIs are made, and it writes 3.1 in pydantic's
words: an optional field is `anyOf: [{type: string}, {type: "null"}]`, an upload is
`{type: string, contentMediaType: application/octet-stream}`, the OAuth2 password bearer and
API key headers are its own schemes, and lists page by `skip` and `limit`. The app is served
on 127.0.0.1 and every tool called through an MCP client under the governance layer.

(No `from __future__ import annotations`: FastAPI reads the routes' annotations, and the
local `signed_in` would be a name it cannot resolve.)
"""

import base64
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import pytest
from conftest import BuiltSpec

fastapi = pytest.importorskip("fastapi", reason="fastapi is a dev dependency (make install-dev)")
from fastapi import Depends, FastAPI, Form, Header, HTTPException, Query, Security, UploadFile  # noqa: E402
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from adaptgen.sandbox.server import serve_app  # noqa: E402

TOKEN = "s3cret-token"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


class Status(StrEnum):
    active = "active"
    archived = "archived"


class ItemIn(BaseModel):
    name: str
    description: str | None = None
    price: float = Field(gt=0)
    status: Status = Status.active


class Item(ItemIn):
    id: int
    created_at: datetime


class ItemPatch(BaseModel):
    name: str | None = None
    description: str | None = None
    status: Status | None = None


class Page(BaseModel):
    items: list[Item]
    next_cursor: str | None = None


def _app() -> FastAPI:
    app = FastAPI(title="Inventory", version="2.3.0")
    bearer = OAuth2PasswordBearer(tokenUrl="token")
    key = APIKeyHeader(name="X-API-Key", auto_error=False)
    items = {
        i: Item(id=i, name=f"item {i}", price=i + 0.5, created_at=datetime(2024, 1, 1))
        for i in range(1, 58)
    }
    patched: list[dict[str, Any]] = []

    def user(token: Annotated[str, Depends(bearer)]) -> str:
        if token != TOKEN:
            raise HTTPException(401, "bad token")
        return token

    signed_in = Annotated[str, Depends(user)]

    @app.get("/items/", response_model=list[Item])
    def read_items(_: signed_in, skip: int = 0, limit: int | None = 10, q: str | None = None):
        rows = [i for i in items.values() if q is None or q in i.name]
        return rows[skip : skip + min(limit or 10, 20)]

    @app.get("/items/search", response_model=Page)
    def search_items(
        _: signed_in, cursor: str | None = None, page_size: Annotated[int, Query(le=20)] = 10
    ):
        start = int(cursor or 0)
        end = start + page_size
        return Page(
            items=list(items.values())[start:end], next_cursor=str(end) if end < 57 else None
        )

    @app.get("/items/{item_id}", response_model=Item)
    def read_item(item_id: int, _: signed_in):
        if item_id not in items:
            raise HTTPException(404, "Item not found")
        return items[item_id]

    @app.patch("/items/{item_id}", response_model=Item)
    def update_item(item_id: int, patch: ItemPatch, _: signed_in):
        changes = patch.model_dump(exclude_unset=True)
        patched.append(changes)
        items[item_id] = items[item_id].model_copy(update=changes)
        return items[item_id]

    @app.post("/items/{item_id}/image")
    async def upload_image(
        item_id: int, file: UploadFile, _: signed_in, caption: Annotated[str | None, Form()] = None
    ):
        data = await file.read()
        return {"size": len(data), "type": file.content_type, "caption": caption}

    @app.get("/reports/{year}")
    def report(
        year: int,
        x_tenant: Annotated[str | None, Header()] = None,
        api_key: str | None = Security(key),
    ):
        return {"year": year, "tenant": x_tenant, "key": api_key}

    app.state.patched = patched
    return app


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> Iterator[tuple[BuiltSpec, FastAPI]]:
    import json

    app = _app()
    out = tmp_path_factory.mktemp("fastapi")
    spec = out / "openapi.json"
    spec.write_text(json.dumps(app.openapi()))
    with serve_app(app) as url:
        built = BuiltSpec(
            spec,
            url,
            out / "built",
            name="inventory",
            O_AUTH2_PASSWORD_BEARER_TOKEN=TOKEN,
            API_KEY_HEADER="k-123",
        )
        try:
            yield built, app
        finally:
            built.close()


def test_fastapi_writes_openapi_31(inventory):
    built, app = inventory
    assert app.openapi()["openapi"].startswith("3.1")
    assert set(built.tools) >= {"read_items", "search_items", "update_item", "upload_image"}


def test_its_lists_page_by_skip_and_limit_and_by_cursor(inventory):
    built, _ = inventory
    assert built.tools["read_items"].pagination.style == "offset"
    failed, found = built.call("read_items", {"limit": 57})
    assert not failed, found
    assert _count(found["items"]) == 57  # 20 a page upstream, three pages walked
    failed, found = built.call("search_items", {"limit": 30})
    assert not failed and _count(found["items"]) == 30 and found["next_cursor"]


def _count(items: Any) -> int:
    """How many items a result holds, as records or as a table (`_columns`, `_rows`)."""
    return len(items["_rows"]) if isinstance(items, dict) else len(items)


def test_an_optional_field_keeps_its_type_and_an_update_can_clear_it(inventory):
    """pydantic's `str | None` is `anyOf: [string, null]`: typed, and null sent as null."""
    built, app = inventory
    said = built.tools["update_item"].input_schema["properties"]
    assert said["description"] == {"type": ["string", "null"]}
    assert said["status"]["enum"] == ["active", "archived", None]
    failed, found = built.call(
        "update_item", {"item_id": 3, "description": None, "status": "archived"}
    )
    assert not failed, found
    assert app.state.patched[-1] == {"description": None, "status": "archived"}
    assert found["status"] == "archived"


def test_an_upload_is_a_file(inventory):
    """`UploadFile` is `contentMediaType: application/octet-stream`: a file part, its type
    from the data URL."""
    built, _ = inventory
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    failed, found = built.call("upload_image", {"item_id": 3, "file": url, "caption": "front"})
    assert not failed, found
    assert found == {"size": len(PNG), "type": "image/png", "caption": "front"}


def test_its_schemes_send_their_credentials_and_errors_read(inventory):
    built, _ = inventory
    failed, found = built.call("get_report", {"year": 2024, "x_tenant": "acme"})
    assert not failed and found == {"year": 2024, "tenant": "acme", "key": "k-123"}
    failed, found = built.call("read_item", {"item_id": 999})
    assert failed and "404" in found and "Item not found" in found
