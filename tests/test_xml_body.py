"""XML request bodies: the form the planner reads off the spec's `xml` objects, and the document
the runtime writes from an agent's JSON by it.

Before, an XML body went as the agent's JSON text under `Content-Type: application/xml`:
openSUSE's build service refused 11 of 25 writes ("Document is empty"), and every write of
S3, CloudFront and Route 53 (141 operations of 8 corpus specs) was one no server could read.
"""

from __future__ import annotations

import json

import pytest

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.runtime.upstream import UpstreamError
from adaptgen.runtime.xml_body import XmlBodyError, xml_body

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _put(schema: dict, media: str = "application/xml") -> dict:
    return {
        "put": {
            "requestBody": {"required": True, "content": {media: {"schema": schema}}},
            "responses": {"200": {"description": "ok"}},
        }
    }


def _spec(paths: dict, schemas: dict | None = None) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Xml", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


# openSUSE's build service: a root named by `xml.name`, attributes, one list wrapped and one not.
GROUP = {
    "type": "object",
    "xml": {"name": "group"},
    "properties": {
        "title": {"type": "string"},
        "maintainer": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"userid": {"type": "string", "xml": {"attribute": True}}},
            },
        },
        "person": {
            "type": "array",
            "xml": {"wrapped": True},
            "items": {
                "type": "object",
                "properties": {"userid": {"type": "string", "xml": {"attribute": True}}},
            },
        },
    },
}
# S3's REST-XML bodies: the body's one field is the root; a list said nothing of is wrapped,
# since the spec says `wrapped: false` of the lists it does not wrap.
AWS = {
    "Tag": {
        "type": "object",
        "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
    },
    "TagSet": {
        "type": "array",
        "items": {"allOf": [{"$ref": "#/components/schemas/Tag"}, {"xml": {"name": "Tag"}}]},
    },
    "ObjectList": {
        "type": "array",
        "items": {"type": "object", "properties": {"Key": {"type": "string"}}},
        "xml": {"wrapped": False},
    },
}
TAGGING = {
    "type": "object",
    "properties": {
        "Tagging": {
            "type": "object",
            "properties": {"TagSet": {"$ref": "#/components/schemas/TagSet"}},
        }
    },
}
DELETE = {
    "type": "object",
    "properties": {
        "Delete": {
            "type": "object",
            "properties": {
                "Objects": {
                    "allOf": [
                        {"$ref": "#/components/schemas/ObjectList"},
                        {"xml": {"name": "Object"}},
                    ]
                },
                "Quiet": {"type": "boolean"},
            },
        }
    },
}


def _tools(tmp_path, spec: dict) -> tuple[dict, list]:
    path = tmp_path / "xml.json"
    path.write_text(json.dumps(spec))
    planned = plan(load_spec(path), "x", PlanOptions())
    return {t.upstream.path: t for t in planned.api.tools}, planned.warnings


def test_the_xml_form_is_read_off_the_spec(tmp_path):
    spec = _spec(
        {
            "/group": _put(GROUP),
            "/pets": _put({"$ref": "#/components/schemas/Pet"}),
            "/many": _put({"type": "object", "properties": {"A": {}, "B": {}}}),
            "/json": _put(GROUP, "application/json"),
        },
        {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
    )
    tools, warnings = _tools(tmp_path, spec)
    assert tools["/group"].upstream.body.xml == {
        "name": "group",
        "properties": {
            "maintainer": {"items": {"properties": {"userid": {"attribute": True}}}},
            "person": {
                "wrapped": True,
                "items": {"properties": {"userid": {"attribute": True}}},
            },
        },
    }
    assert tools["/pets"].upstream.body.xml == {"name": "Pet"}  # the component's name
    # No root to name: the build says so, and the body goes as it did.
    assert tools["/many"].upstream.body.xml is None
    assert any("root element the spec does not name" in w.message for w in warnings)
    assert tools["/json"].upstream.body.xml is None and tools["/json"].upstream.body.flattened


def test_a_spec_that_says_which_lists_it_does_not_wrap_wraps_the_others(tmp_path):
    """S3's REST-XML bodies: the body's one field is the root element; a list said nothing of
    (`TagSet`) is wrapped, since the spec says `wrapped: false` of those it does not wrap."""
    spec = _spec({"/tagging": _put(TAGGING, "text/xml"), "/delete": _put(DELETE, "text/xml")}, AWS)
    tools, _ = _tools(tmp_path, spec)
    assert tools["/tagging"].upstream.body.xml == {
        "field": "Tagging",
        "name": "Tagging",
        "properties": {"TagSet": {"wrapped": True, "items": {"name": "Tag"}}},
    }
    assert tools["/delete"].upstream.body.xml == {
        "field": "Delete",
        "name": "Delete",
        "properties": {"Objects": {"name": "Object"}},
    }
    # Without a `wrapped: false` anywhere, an unsaid list is not wrapped (OpenAPI's default).
    plain = _spec({"/tagging": _put(TAGGING, "text/xml")}, {**AWS, "ObjectList": {}})
    tools, _ = _tools(tmp_path, plain)
    assert tools["/tagging"].upstream.body.xml["properties"] == {
        "TagSet": {"items": {"name": "Tag"}}
    }


def test_an_xml_body_is_written_by_its_form():
    group = {
        "name": "group",
        "properties": {
            "maintainer": {"items": {"properties": {"userid": {"attribute": True}}}},
            "person": {"wrapped": True, "items": {"properties": {"userid": {"attribute": True}}}},
        },
    }
    value = {
        "title": "dev <&> ops",
        "maintainer": [{"userid": "ann"}],
        "person": [{"userid": "bob"}, {"userid": 'c"y'}],
        "description": None,
    }
    assert xml_body(value, group).decode() == DECLARATION + (
        '<group><title>dev &lt;&amp;&gt; ops</title><maintainer userid="ann" />'
        '<person><person userid="bob" /><person userid="c&quot;y" /></person></group>'
    )
    tagging = {
        "field": "Tagging",
        "name": "Tagging",
        "namespace": "http://s3.amazonaws.com/doc/2006-03-01/",
        "properties": {"TagSet": {"wrapped": True, "items": {"name": "Tag"}}},
    }
    tags = {"Tagging": {"TagSet": [{"Key": "env", "Value": "prod"}]}}
    assert xml_body(tags, tagging).decode() == DECLARATION + (
        '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>env</Key>'
        "<Value>prod</Value></Tag></TagSet></Tagging>"
    )
    delete = {"field": "Delete", "name": "Delete", "properties": {"Objects": {"name": "Object"}}}
    objects = {"Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}}
    assert xml_body(objects, delete).decode() == DECLARATION + (
        "<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object>"
        "<Quiet>true</Quiet></Delete>"
    )
    prefixed = {"name": "Order", "prefix": "o", "namespace": "urn:orders"}
    assert xml_body({"id": 7}, prefixed).decode() == DECLARATION + (
        '<o:Order xmlns:o="urn:orders"><id>7</id></o:Order>'
    )
    # An open object's key becomes an element's name only when it is an XML name.
    with pytest.raises(XmlBodyError, match="not a name"):
        xml_body({"a b><x": 1}, {"name": "root"})
    with pytest.raises(XmlBodyError, match="give only 'Delete'"):
        xml_body({"Delete": {}, "Other": 1}, delete)
    assert xml_body({}, delete).decode() == DECLARATION + "<Delete />"  # as JSON's `{}`


def test_an_xml_body_goes_as_xml_through_the_runtime(tmp_path):
    path = tmp_path / "xml.json"
    path.write_text(json.dumps(_spec({"/tagging": _put(TAGGING, "text/xml")}, AWS)))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="xml"))
    api = load_server_module(report.out_dir).api
    (tool,) = api.catalog.tools
    tags = {"Tagging": {"TagSet": [{"Key": "env", "Value": "prod"}]}}
    sent = api.upstream.build_request(tool, {"body": tags})
    assert sent.headers["content-type"] == "text/xml"
    assert sent.content.decode() == DECLARATION + (
        "<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>"
    )
    # Text the agent wrote as XML goes as it is.
    raw = "<Tagging><TagSet /></Tagging>"
    assert api.upstream.build_request(tool, {"body": raw}).content.decode() == raw
    with pytest.raises(UpstreamError, match="give only 'Tagging'"):
        api.upstream.build_request(tool, {"body": {"Tagging": {}, "Extra": 1}})
