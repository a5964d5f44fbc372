"""Answers that are not text (a PDF invoice, an avatar, a zip export) say what they are.

They were decoded as UTF-8 and handed to the agent as mojibake (`%PDF-1.4\\n6f\\ufffd$...`):
thousands of tokens of nothing. Through a generated server and a real MCP client, against an
HTTP upstream on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import zlib

import pytest
from conftest import ROOT
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.cli import main
from adaptgen.runtime.binary import MAX_IMAGE_BYTES, binary_answer
from adaptgen.runtime.loader import load_server_module
from adaptgen.sandbox.server import serve_app


def png(side: int = 4) -> bytes:
    """A real PNG of `side` x `side` red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 12 + b"\n%%EOF\n"
CSV = b"id,name\n1,Ada Lovelace\n2,Grace Hopper\n"


@pytest.mark.parametrize(
    ("content_type", "declared", "body", "binary"),
    [
        ("application/pdf", "application/pdf", PDF, True),
        ("image/png", "image/png", png(), True),
        ("application/zip", "application/zip", b"PK\x03\x04" + bytes(200), True),
        ("", "", bytes(range(256)), True),  # no type: the bytes say
        # Text, whatever the label: many APIs call CSV or JSON octet-stream.
        ("application/octet-stream", "application/octet-stream", CSV, False),
        ("application/octet-stream", "application/octet-stream", b'{"a": 1}', False),
        ("text/csv", "text/csv", CSV, False),
        ("application/vnd.api+json", "application/vnd.api+json", b"{}", False),
        ("image/svg+xml", "image/svg+xml", b"<svg/>", False),
        (
            "application/x-latin",
            "application/x-latin; charset=latin-1",
            "café".encode("latin-1"),
            False,
        ),
        ("application/pdf", "application/pdf; charset=binary", PDF, True),  # libmagic's word
        ("application/pdf", "application/pdf", b"", False),  # nothing to say
        # A type that is never text, even where its bytes would read as text.
        ("image/png", "image/png", b"plain", True),
    ],
)
def test_what_is_text_and_what_is_not(content_type, declared, body, binary):
    assert (binary_answer(content_type, declared, body, None) is not None) == binary


def test_a_file_name_comes_from_the_content_disposition():
    def name(disposition: str) -> str | None:
        answer = binary_answer("application/pdf", "application/pdf", PDF, disposition)
        assert answer is not None
        return answer.filename

    assert name('attachment; filename="INV-7.pdf"') == "INV-7.pdf"
    assert name("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf") == "r%C3%A9sum%C3%A9.pdf"
    assert name('attachment; filename="../../etc/passwd"') == "passwd"
    assert name("inline") is None


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Files", "version": "1"},
    "paths": {
        "/invoices/{id}/pdf": {
            "get": {
                "operationId": "getInvoicePdf",
                "summary": "Download an invoice as PDF",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The PDF",
                        "content": {"application/pdf": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        **{
            f"/{name}": {
                "get": {
                    "operationId": name,
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {"application/octet-stream": {"schema": {}}},
                        }
                    },
                }
            }
            for name in ("avatar", "poster", "export")
        },
    },
}


async def _answer(request: Request) -> Response:
    path = request.url.path
    if path.endswith("/pdf"):
        headers = {"Content-Disposition": 'attachment; filename="INV-7.pdf"'}
        return Response(PDF, media_type="application/pdf", headers=headers)
    if path == "/avatar":
        return Response(png(), media_type="image/png")
    if path == "/poster":  # an image too large to show inline
        return Response(png() + os.urandom(MAX_IMAGE_BYTES), media_type="image/png")
    return Response(CSV, media_type="application/octet-stream")


APP = Starlette(routes=[Route("/{path:path}", _answer)])


def test_a_generated_server_says_what_a_file_is_and_shows_an_image(tmp_path, monkeypatch):
    spec = tmp_path / "files.json"
    spec.write_text(json.dumps(SPEC))
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "-q"]) == 0
    with serve_app(APP) as url:
        monkeypatch.setenv("FILES_BASE_URL", url)
        module = load_server_module(tmp_path / "out" / "files")

        async def calls() -> dict[str, list]:
            async with Client(module.mcp) as client:
                return {
                    name: (await client.call_tool_mcp(name, arguments)).content
                    for name, arguments in [
                        ("get_invoice_pdf", {"id": "7"}),
                        ("get_avatar", {}),
                        ("get_poster", {}),
                        ("export", {}),
                    ]
                }

        got = asyncio.run(calls())
    (pdf,) = got["get_invoice_pdf"]
    assert json.loads(pdf.text) == {
        "content_type": "application/pdf",
        "bytes": len(PDF),
        "filename": "INV-7.pdf",
        "note": "Not text: not shown (a model cannot read these bytes).",
    }
    summary, image = got["get_avatar"]
    assert json.loads(summary.text)["note"] == "An image: shown below."
    assert image.type == "image" and image.mime_type == "image/png"
    assert base64.b64decode(image.data) == png()
    (poster,) = got["get_poster"]
    assert json.loads(poster.text)["bytes"] > MAX_IMAGE_BYTES
    (export,) = got["export"]
    assert export.text == CSV.decode()

    # A caller whose personal data is tokenized gets no image: a face is personal data that no
    # recognizer reads in pixels. The summary says why.
    policy = tmp_path / "pii.yaml"
    policy.write_text(
        (ROOT / "tests" / "fixtures" / "policies" / "operator.yaml")
        .read_text()
        .replace("enabled: false", "enabled: true")
    )
    monkeypatch.setenv("ADAPTGEN_POLICY", str(policy))
    with serve_app(APP) as url:
        monkeypatch.setenv("FILES_BASE_URL", url)
        module = load_server_module(tmp_path / "out" / "files")

        async def avatar() -> list:
            async with Client(module.mcp) as client:
                return (await client.call_tool_mcp("get_avatar", {})).content

        (withheld,) = asyncio.run(avatar())
    assert json.loads(withheld.text)["note"] == (
        "An image: not shown, as this caller's personal data is tokenized."
    )
