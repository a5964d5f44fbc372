"""How AWS's query protocol names the parts of a structure or list argument.

AWS's query APIs (IAM, SES v1, SNS, CloudFormation, RDS, ...) take every argument in the query
string (`GET /?Action=CreateRole&Version=2010-05-08&...`), a structure's fields and a list's
items each under a name of its own: `EventDestination.Name=n`,
`EventDestination.MatchingEventTypes.member.1=send`, a flattened list's items under its
member's name (`AttributeName.1=All`), a map's entries as `Attributes.entry.1.key` and
`.value` (botocore's `QuerySerializer`). OpenAPI cannot say that: the converted specs declare
such an argument an object or an array in the query, which OpenAPI's `form` style sends as its
fields' names alone, or a list as JSON, and the API refuses.

The converted specs keep what the names need in their schemas: a list's `xml.wrapped: false`
(flattened) and its items' `xml.name` (the member's name). `query_shape` reads that into
`Param.aws_query`, which the runtime sends by (`serialize.aws_query_pairs`). EC2's own query
protocol names a list's items `Filter.1` (no `member`, never renamed) and a field by its name
capitalized (`Filter.1.Value.1` for a filter's `Values`): `query_shape(..., ec2=True)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 12  # a structure nested deeper is sent as its JSON, as before


def is_aws(doc: Mapping[str, Any]) -> bool:
    """Whether the spec is an AWS service's: APIs.guru's provider name (aws2openapi's specs), or
    a security scheme that signs with SigV4 (`x-amazon-apigateway-authtype: awsSigv4`)."""
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    if info.get("x-providerName") == "amazonaws.com":
        return True
    components = doc.get("components") if isinstance(doc.get("components"), Mapping) else {}
    schemes = components.get("securitySchemes") or doc.get("securityDefinitions") or {}
    return isinstance(schemes, Mapping) and any(
        isinstance(scheme, Mapping)
        and str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4"
        for scheme in schemes.values()
    )


def is_ec2(doc: Mapping[str, Any]) -> bool:
    """Whether the spec is EC2's, whose query protocol is its own."""
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    return info.get("x-serviceName") == "ec2"


def is_query_operation(doc: Mapping[str, Any], op: Mapping[str, Any]) -> bool:
    """Whether `op` is an action of an AWS query API (EC2's too), as aws2openapi writes one:
    required `Action` and `Version` query parameters of one value each, in a spec of AWS's."""
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    if info.get("x-providerName") != "amazonaws.com":
        return False
    fixed = set()
    for param in op.get("parameters") or ():
        param = _resolved(doc, param)
        schema = _resolved(doc, param.get("schema"))
        enum = schema.get("enum")
        if param.get("in") == "query" and isinstance(enum, list) and len(enum) == 1:
            fixed.add(param.get("name"))
    return {"Action", "Version"} <= fixed


def query_shape(
    doc: Mapping[str, Any], schema: Any, depth: int = 0, ec2: bool = False
) -> dict[str, Any] | None:
    """How a value of `schema` is named part by part; None for a scalar (sent as it is).

    `{"fields": {name: shape}}` for a structure, `{"list": {"member": name, "flat": bool,
    "items": shape}}` for a list, `{"map": {"items": shape}}` for a map (its entries' `key`
    and `value`). `ec2`: as EC2's protocol names them (botocore's `EC2Serializer`)."""
    schema = _merged(doc, schema)
    if depth > MAX_DEPTH:
        return None
    kind = schema.get("type")
    if kind == "array" or "items" in schema:
        items = _merged(doc, schema.get("items"))
        xml = schema.get("xml") if isinstance(schema.get("xml"), Mapping) else {}
        named = _own_name(doc, schema.get("items"))
        return {
            "list": {
                "member": "member" if ec2 or not named else named,
                "flat": ec2 or xml.get("wrapped") is False,
                "items": query_shape(doc, items, depth + 1, ec2),
            }
        }
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and properties:
        fields = {}
        for name, sub in properties.items():
            called = _own_name(doc, sub) or str(name)
            fields[str(name)] = {
                "as": called[:1].upper() + called[1:] if ec2 else called,
                "shape": query_shape(doc, _merged(doc, sub), depth + 1, ec2),
            }
        return {"fields": fields}
    extra = schema.get("additionalProperties")
    if kind == "object" and isinstance(extra, Mapping):
        return {"map": {"items": query_shape(doc, extra, depth + 1, ec2)}}
    return None


def _own_name(doc: Mapping[str, Any], node: Any) -> str | None:
    """The `xml.name` a member gives itself (the shape's `locationName`), not its target's:
    on the node, or on an `allOf` member that is no `$ref` (`allOf: [{$ref}, {xml: {name}}]`)."""
    if not isinstance(node, Mapping):
        return None
    parts = [node, *(m for m in node.get("allOf") or () if isinstance(m, Mapping))]
    for part in parts:
        xml = part.get("xml") if "$ref" not in part else None
        if isinstance(xml, Mapping) and isinstance(xml.get("name"), str) and xml["name"]:
            return xml["name"]
    return None


def _merged(doc: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    """`schema` with its `$ref` followed and its `allOf` members merged (aws2openapi writes a
    field as `allOf: [{$ref: ...}, {description: ...}]`, an item as `allOf: [{$ref}, {xml}]`)."""
    schema = _resolved(doc, schema)
    members = schema.get("allOf")
    if not isinstance(members, list):
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for member in members:
        part = _merged(doc, member)
        for key, value in part.items():
            if key == "xml" and isinstance(merged.get("xml"), Mapping):
                merged["xml"] = {**part["xml"], **merged["xml"]}
            else:
                merged.setdefault(key, value)
        if isinstance(part.get("xml"), Mapping) and "xml" not in merged:
            merged["xml"] = part["xml"]
    return merged


def _resolved(doc: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """`node` with local `$ref`s followed (at most 20 deep); {} for anything else."""
    for _ in range(20):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        node = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, Mapping) else None
    return dict(node) if isinstance(node, Mapping) else {}
