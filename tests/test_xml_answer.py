"""XML answers read as data: the form the planner reads off the success response's schema, and
the JSON the runtime makes of a document by it.

Before, an API that answers only in XML (110 corpus specs, 3,451 operations: AWS's query APIs,
S3, CloudFront, openSUSE's build service, WMATA, Jellyfin...) had its answer passed on as text:
no field could be kept or dropped, no list paged, and the token budget cut it mid-tag. Paging
of such lists is tested with the other styles (tests/paging_zoo.py: IAM, S3 and EC2 alike).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.xml_body import READ_DEPTH
from adaptgen.runtime.upstream_errors import excerpt
from adaptgen.runtime.xml_answer import MAX_DEPTH, XmlAnswerError, read_answer
from adaptgen.sandbox.server import serve_app

USERS = {
    "properties": {
        "Users": {
            "list": True,
            "items": {"name": "member", "properties": {"Id": {"type": "integer"}}},
        },
        "IsTruncated": {"type": "boolean"},
        "Marker": {},
    }
}


def test_an_answer_inside_an_envelope_is_found_and_read_by_its_form():
    """AWS's query APIs: `<XResponse><XResult>` around the fields the spec names, a request id
    beside them; one `<member>` is a list of one, `true` a boolean, `12` a number."""
    text = (
        '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>'
        "<Users><member><Id>12</Id><UserName>ann</UserName></member></Users>"
        "<IsTruncated>true</IsTruncated><Marker>m1</Marker></ListUsersResult>"
        "<ResponseMetadata><RequestId>7a62</RequestId></ResponseMetadata></ListUsersResponse>"
    )
    assert read_answer(text, USERS) == {
        "Users": [{"Id": 12, "UserName": "ann"}],
        "IsTruncated": True,
        "Marker": "m1",
    }
    # Without the form the same document keeps everything, by its own names, as text.
    assert read_answer(text, None) == {
        "ListUsersResult": {
            "Users": {"member": {"Id": "12", "UserName": "ann"}},
            "IsTruncated": "true",
            "Marker": "m1",
        },
        "ResponseMetadata": {"RequestId": "7a62"},
    }


def test_a_list_is_read_wrapped_or_repeated_whatever_the_spec_says():
    """Servers and mocks differ: Prism writes a wrapped list as repeated elements under the
    root `<xml>`, and an empty wrapper is an empty list."""
    repeated = (
        "<xml><Users><Id>1</Id><Name>a</Name></Users><Users><Id>2</Id></Users>"
        "<IsTruncated>false</IsTruncated></xml>"
    )
    assert read_answer(repeated, USERS) == {
        "Users": [{"Id": 1, "Name": "a"}, {"Id": 2}],
        "IsTruncated": False,
    }
    one = "<xml><Users><Id>1</Id><Name>a</Name></Users></xml>"
    assert read_answer(one, USERS) == {"Users": [{"Id": 1, "Name": "a"}]}
    assert read_answer("<r><Users/></r>", USERS) == {"Users": []}
    # Items named otherwise than the field, not wrapped (S3's `<Contents>`, said by the spec).
    flat = {
        "properties": {"Objects": {"list": True, "wrapped": False, "items": {"name": "Contents"}}}
    }
    assert read_answer("<r><Contents><Key>a</Key></Contents></r>", flat) == {
        "Objects": [{"Key": "a"}]
    }
    # Scalars, wrapped in elements the spec names (`<Tags><member>a</member>...`).
    tags = {"properties": {"Tags": {"list": True, "items": {"name": "member"}}}}
    assert read_answer("<r><Tags><member>a</member><member>b</member></Tags></r>", tags) == {
        "Tags": ["a", "b"]
    }


def test_names_attributes_types_and_nulls():
    form = {
        "properties": {
            "id": {"attribute": True, "type": "integer"},
            "Price": {"name": "price", "type": "number"},
            "Active": {"type": "boolean"},
            "Note": {},
        }
    }
    text = (
        '<item xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="7" lang="en">'
        "<price>12.50</price><Active>1</Active><Note xsi:nil='true'/><Extra>x</Extra></item>"
    )
    assert read_answer(text, form) == {
        "id": 7,
        "lang": "en",
        "Price": 12.5,
        "Active": True,
        "Note": None,
        "Extra": "x",
    }
    # A value that is not what the spec says stays as it was written.
    assert read_answer("<item><price>n/a</price><Active>yes</Active></item>", form) == {
        "Price": "n/a",
        "Active": "yes",
    }
    # EC2 writes its fields with a lower-case first letter (`ownerId` for `OwnerId`).
    ec2 = {"properties": {"OwnerId": {}, "Reservations": {"name": "reservationSet", "list": True}}}
    assert read_answer(
        "<r><ownerId>123</ownerId><reservationSet><item><instanceId>i-1</instanceId></item>"
        "</reservationSet></r>",
        ec2,
    ) == {"OwnerId": "123", "Reservations": [{"instanceId": "i-1"}]}
    # A bare value (.NET's `<string>`), and text beside attributes.
    assert read_answer('<string xmlns="http://tempuri.org/">ok</string>', None) == "ok"
    assert read_answer('<r><b id="1">t</b><b id="2"/></r>', None) == {
        "b": [{"id": "1", "#text": "t"}, {"id": "2"}]
    }


def test_documents_the_reader_refuses():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
    )
    with pytest.raises(XmlAnswerError, match="declares entities"):
        read_answer(laughs, None)
    outside = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY f SYSTEM "file:///etc/passwd">]><l>&f;</l>'
    )
    with pytest.raises(XmlAnswerError, match="declares entities"):
        read_answer(outside, None)
    with pytest.raises(XmlAnswerError, match="deeper"):
        read_answer("<a>" * (MAX_DEPTH + 1) + "</a>" * (MAX_DEPTH + 1), None)
    with pytest.raises(XmlAnswerError, match="not well-formed"):
        read_answer("<a><b></a>", None)


def _xml_get(schema: dict, media: str = "application/xml") -> dict:
    return {
        "get": {"responses": {"200": {"description": "ok", "content": {media: {"schema": schema}}}}}
    }


def _tools(tmp_path, spec: dict) -> dict:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(spec))
    api = plan(load_spec(path), "x", PlanOptions()).api
    return {t.upstream.path: t for t in api.tools}


def test_the_answer_form_is_read_off_the_spec(tmp_path):
    item = {
        "type": "object",
        "properties": {"id": {"type": "integer", "xml": {"attribute": True}}, "name": {}},
    }
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Answers", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/items": _xml_get(
                {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                        "more": {"type": ["boolean", "null"]},
                        "title": {"type": "string"},
                    },
                }
            ),
            "/both": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/xml": {"schema": item},
                                "application/json": {"schema": item},
                            },
                        }
                    }
                }
            },
            "/bare": _xml_get({"type": "array", "items": {"type": "string"}}, "text/xml"),
        },
        "components": {"schemas": {"Item": {**item, "xml": {"name": "item"}}}},
    }
    tools = _tools(tmp_path, spec)
    assert tools["/items"].upstream.answer_xml == {
        "properties": {
            "items": {
                "list": True,
                "items": {
                    "name": "item",
                    "properties": {"id": {"attribute": True, "type": "integer"}},
                },
            },
            "more": {"type": "boolean"},
            "title": {},
        }
    }
    assert tools["/both"].upstream.answer_xml is None  # the JSON answer is asked for
    # What the reader matches itself (a name that differs only in its first letter's case) and
    # what lies deeper than READ_DEPTH are left out of the form.
    deep: dict = {"type": "integer"}
    for level in range(READ_DEPTH + 2):
        deep = {"type": "object", "properties": {"n": {"type": "integer"}, f"L{level}": deep}}
    spec["paths"]["/ec2"] = _xml_get(
        {
            "type": "object",
            "properties": {
                "OwnerId": {"type": "string", "xml": {"name": "ownerId"}},
                "Groups": {"type": "array", "xml": {"name": "groupSet"}, "items": {}},
                "Deep": deep,
            },
        }
    )
    form = _tools(tmp_path, spec)["/ec2"].upstream.answer_xml
    assert form["properties"]["OwnerId"] == {}
    assert form["properties"]["Groups"] == {"name": "groupSet", "list": True}
    depth, node = 1, form["properties"]["Deep"]
    while inner := [v for k, v in node["properties"].items() if k != "n"]:
        depth, node = depth + 1, inner[0]
    assert node["properties"]["n"] == {"type": "integer"}
    assert depth + 1 == READ_DEPTH  # its `n` is the deepest read by type
    assert tools["/bare"].upstream.answer_xml == {"list": True}
    # Swagger 2.0: `produces` says the answer's media type.
    swagger = {
        "swagger": "2.0",
        "info": {"title": "Answers", "version": "1"},
        "host": "api.example.com",
        "produces": ["application/xml"],
        "paths": {
            "/count": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
                        }
                    }
                }
            }
        },
    }
    assert _tools(tmp_path, swagger)["/count"].upstream.answer_xml == {
        "properties": {"n": {"type": "integer"}}
    }


WIDGET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<WidgetResponse xmlns="urn:widgets"><Widget id="42">'
    "<name>Left-handed sprocket</name><price>12.50</price><inStock>true</inStock>"
    "<parts><part>cog</part></parts><audit><createdBy>svc-batch</createdBy></audit>"
    "</Widget></WidgetResponse>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
    "<Widget><name>&b;</name></Widget>"
)


MISSING = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="urn:widgets">\n  <Error>\n'
    "    <Code>NoSuchWidget</Code>\n    <Message>No widget 7 here.</Message>\n  </Error>\n"
    "  <RequestId>4442587f-EXAMPLE</RequestId>\n</ErrorResponse>"
)


def _upstream() -> Starlette:
    async def widget(request):
        if request.path_params["id"] == "7":
            return Response(MISSING, status_code=404, media_type="text/xml")
        body = LAUGHS if request.path_params["id"] == "laughs" else WIDGET
        return Response(body, media_type="application/xml")

    return Starlette(routes=[Route("/widgets/{id}", widget)])


def test_an_xml_answer_reaches_the_agent_as_data(tmp_path):
    """Through the generated server and a real MCP client, against an HTTP upstream."""
    widget = {
        "type": "object",
        "xml": {"name": "Widget"},
        "properties": {
            "id": {"type": "integer", "xml": {"attribute": True}},
            "name": {"type": "string"},
            "price": {"type": "number"},
            "inStock": {"type": "boolean"},
            "parts": {
                "type": "array",
                "xml": {"wrapped": True},
                "items": {"type": "string", "xml": {"name": "part"}},
            },
        },
    }
    with serve_app(_upstream()) as url:
        spec = {
            "openapi": "3.0.3",
            "info": {"title": "Widgets", "version": "1"},
            "servers": [{"url": url}],
            "paths": {
                "/widgets/{id}": {
                    "get": {
                        "operationId": "getWidget",
                        "parameters": [
                            {
                                "name": "id",
                                "in": "path",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        ],
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/xml": {"schema": widget}},
                            }
                        },
                    }
                }
            },
        }
        path = tmp_path / "widgets.json"
        path.write_text(json.dumps(spec))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="widgets"))
        module = load_server_module(report.out_dir)

        async def call(widget_id: str) -> str:
            async with Client(module.mcp) as client:
                arguments = {"id": widget_id}
                result = await client.call_tool("get_widget", arguments, raise_on_error=False)
                return result.content[0].text

        got = result_data(asyncio.run(call("42")))
        # Typed by the spec, the one part a list, bookkeeping (`audit`) dropped as for JSON.
        assert got == {
            "id": 42,
            "name": "Left-handed sprocket",
            "price": 12.5,
            "inStock": True,
            "parts": ["cog"],
        }
        # A document that declares entities is never expanded: it goes on as the text it is.
        text = asyncio.run(call("laughs"))
        assert "&b;" in text and "haha" not in text
        # An XML error reads as its code and message, without the declaration and namespaces.
        error = asyncio.run(call("7"))
        assert "upstream answered 404 Not Found" in error
        assert '"Code":"NoSuchWidget","Message":"No widget 7 here."' in error
        assert "<?xml" not in error and "urn:widgets" not in error


def test_an_xml_error_is_excerpted_as_data_and_html_as_text():
    s3 = "<Error><Code>AccessDenied</Code><Message>key sk_live_123 is denied</Message></Error>"
    assert excerpt(s3, ["sk_live_123"]) == '{"Code":"AccessDenied","Message":"key *** is denied"}'
    page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><br></body></html>"
    assert excerpt(page, []) == "502 Bad Gateway"
    assert excerpt("<broken><xml>", []) == "<broken><xml>"
    # Tomcat's error page: what it says, not the styles that fill its first 300 characters.
    style = "h1 {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;} " * 6
    tomcat = (
        '<!doctype html><html lang="en"><head><title>HTTP Status 500 &ndash; Internal Server '
        f'Error</title><style type="text/css">{style}</style><script>var x = 1;</script>'
        '</head><body><h1>HTTP Status 500 &ndash; Internal Server Error</h1><hr class="line" />'
        "<p><b>Type</b> Exception Report</p><p><b>Message</b> Customer 42 is locked by "
        "sk_live_123</p></body></html>"
    )
    assert excerpt(tomcat, ["sk_live_123"]) == (
        "HTTP Status 500 – Internal Server Error Type Exception Report Message Customer 42 is "
        "locked by ***"
    )
    iis = (
        "<html><head><title>Service Unavailable</title></head><body><p>Try later</p></body></html>"
    )
    assert excerpt(iis, []) == "Service Unavailable: Try later"
