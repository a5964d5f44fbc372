"""Planning request bodies: one media type chosen, object bodies flattened into arguments.

A body whose schema is not an object (or not JSON or a form) is one `body` argument, even when
its schema lists properties too.
"""

from __future__ import annotations

from typing import Any

from adaptgen.plan.describe import ARGUMENT_DESCRIPTION_CHARS, brief
from adaptgen.plan.names import argument_name
from adaptgen.plan.pagination import is_paging_field
from adaptgen.plan.schemas import SchemaInliner
from adaptgen.plan.state import OperationProblem, PlannerState
from adaptgen.runtime.catalog import MORE_FIELDS, Body, Param
from adaptgen.runtime.compact_json import compact_json
from adaptgen.runtime.files import is_file_schema
from adaptgen.runtime.xml_answer import is_xml

FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
# A body schema an agent can read: past this (compact JSON), fields nested deeper than the depth
# that fits accept any JSON. The largest in the shared specs is 21 KB; one real API's reached
# 640 KB per tool (a 588 MB catalog from a 20 MB spec).
MAX_BODY_SCHEMA_BYTES = 32 * 1024
_SHALLOWER = (8, 6, 5, 4, 3, 2, 1)

JSON_PATCH = "application/json-patch+json"  # RFC 6902: a list of operations


class BodyPlanning(PlannerState):
    """The body part of the planner (a mixin of `adaptgen.plan._Planner`)."""

    def _body(self, op: dict[str, Any], op_pointer: str) -> tuple[Body | None, list[Param]]:
        raw = op.get("requestBody")
        if raw is None:
            return None, []
        at = op_pointer + "/requestBody"
        source = self.source
        if isinstance(raw, dict) and "$ref" in raw:
            resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
            if resolved is None:
                raise OperationProblem(f"remote requestBody {raw['$ref']} not fetched", at)
            raw, source, at = resolved.value, resolved.source, resolved.pointer
        content = raw.get("content") if isinstance(raw, dict) else None
        if not isinstance(content, dict) or not content:
            return None, []
        media, key = _choose_media_type(list(content))
        media_obj = content.get(key) or {}
        schema_pointer = f"{at}/content/{key.replace('~', '~0').replace('/', '~1')}/schema"
        # An update's field may be set to null, which clears it (a create's null only leaves
        # the field out: no need to say it, and every such field would cost the listing bytes).
        nulls = op_pointer.rsplit("/", 1)[-1] in ("put", "patch")
        inliner = self.body_inliner if nulls else self.inliner
        schema = inliner.inline(media_obj.get("schema"), source, schema_pointer)
        schema = self._within_budget(
            schema, media_obj.get("schema"), source, schema_pointer, nulls=nulls
        )
        if "*" in media:  # a range (Kubernetes' `*/*`) is no Content-Type a request can carry
            media = _concrete(media, schema)
        sent = _with_parameters(media, key)
        required = raw.get("required") is True
        description = brief(str(raw.get("description") or ""), ARGUMENT_DESCRIPTION_CHARS)
        structured = (
            media == "application/json"
            or media.endswith("+json")
            or media
            in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
        )
        props = schema.get("properties")
        if structured and isinstance(props, dict) and props and _object(schema):
            needed = set(schema.get("required") or [])
            if required and len(props) == 1 and not is_paging_field(next(iter(props))):
                # A required body of one field is that field (Asana's `{"data": {...}}` names
                # none required): without it the body would be empty. Not a list's token or
                # page size: a first page asks for neither, and an empty body is still one
                # (AWS Lightsail's `GetDisks`, `{pageToken}`).
                needed = set(props)
            deep = _deep_objects(media, media_obj)
            merge = media == MERGE_PATCH  # RFC 7396: a field given as null is removed
            params = [
                Param(
                    name=argument_name(name),
                    api_name=name,
                    location="body",
                    schema=_said_as_file(sub)
                    if media == "multipart/form-data"
                    else _or_null(sub)
                    if merge and name not in needed
                    else sub,
                    required=required and name in needed,
                    style="deepObject" if name in deep else None,
                )
                for name, sub in props.items()
            ]
            more = _more_fields(media, schema, params)
            params += [more] if more is not None else []
            body = Body(
                media_type=media,
                required=required,
                flattened=True,
                content_type=sent,
                part_types=_part_types(media, media_obj, props),
            )
            return body, params
        if structured and not required and not {k for k in schema if k != "description"}:
            # An empty schema gives the agent nothing to fill and the upstream nothing it asked
            # for: no argument.
            self.warn(at, "request body with an empty schema: not a tool argument")
            return None, []
        if description:
            rest = {k: v for k, v in schema.items() if k != "description"}
            schema = {"description": description, **rest}
        if not structured and not schema:
            schema = {"type": "string", "description": description or f"Request body ({media})."}
        if media == FORM_MEDIA[0] and schema.get("type", "string") == "string":
            # A form the spec calls a string (Spoonacular's text analysis, Conjur's login) is
            # the form itself, sent as given (`Upstream._body`): say how it is written.
            said = schema.get("description")
            schema = {**schema, "type": "string", "description": _form_text(said, media_obj)}
        whole = Param(name="body", location="body", schema=_said_as_file(schema), required=required)
        xml = None
        if is_xml(media) and (schema.get("type") == "object" or "properties" in schema):
            xml = self._xml_form(media_obj.get("schema"), source, schema_pointer)
        body = Body(
            media_type=media, required=required, flattened=False, xml=xml, content_type=sent
        )
        return body, [whole]

    def _xml_form(self, schema: Any, source: Any, pointer: str) -> dict[str, Any] | None:
        """How a body of `schema` is written as XML (`plan.xml_body`); None, said in a warning,
        when its root element is unknown."""
        form = self.xml().form(schema, source, pointer)
        if form is None:
            self.warn(
                pointer,
                "XML request body whose root element the spec does not name (no `xml.name`, no"
                " component, more than one field): sent as the agent gives it",
            )
        return form

    def _within_budget(
        self, schema: dict[str, Any], raw: Any, source: Any, pointer: str, *, nulls: bool
    ) -> dict[str, Any]:
        """`schema`, or the same schema inlined less deep until it fits the budget (said in a
        located warning)."""
        size = len(compact_json(schema))
        if size <= MAX_BODY_SCHEMA_BYTES:
            return schema
        for depth in _SHALLOWER:
            inliner = self.body_inliners.get((depth, nulls))
            if inliner is None:
                inliner = self.body_inliners[(depth, nulls)] = SchemaInliner(
                    self.spec.resolver, max_depth=depth, nulls=nulls
                )
            shallower = inliner.inline(raw, source, pointer)
            if len(compact_json(shallower)) <= MAX_BODY_SCHEMA_BYTES or depth == _SHALLOWER[-1]:
                break
        self.warn(
            pointer,
            f"request body schema is {size // 1024} KB inlined: listed {depth} levels deep, "
            "deeper fields accept any JSON (an agent cannot use a larger schema)",
        )
        return shallower


def _form_text(description: Any, media_obj: dict[str, Any]) -> str:
    """What a form body given as one string says: `description`, how a form is written, and
    the spec's example of it, when it has one that is a form."""
    text = f"{description} " if isinstance(description, str) and description else ""
    text += "The whole form, URL-encoded: `name=value&other=value`."
    examples = [media_obj.get("example")]
    named = media_obj.get("examples")
    if isinstance(named, dict):
        examples += [e.get("value") for e in named.values() if isinstance(e, dict)]
    example = next((e for e in examples if isinstance(e, str) and "=" in e), None)
    if example is not None:
        text += f" For example: `{brief(example, 80)}`"
    return text


def _object(schema: dict[str, Any]) -> bool:
    """Whether a body of `schema` is one object, whose fields can be arguments: not one of
    several forms (`anyOf`), nor another type that also lists properties (VTEX's and XTRF's
    array bodies with their items' properties beside them, which only an object would have)."""
    kind = schema.get("type", "object")
    return "anyOf" not in schema and (
        kind == "object" or isinstance(kind, list) and "object" in kind
    )


def _concrete(media_range: str, schema: dict[str, Any]) -> str:
    """The media type a body declared under a range (`*/*`, `application/*`, `text/*`) goes as:
    JSON for what a JSON schema gives a structure or a JSON type (Kubernetes' 292 object bodies
    under `*/*`, which the API server refuses as `*/*`: 415), else raw bytes (GitHub's release
    asset, "the raw file data"; Jira's avatar, whose schema is `{}`), or plain text under
    `text/*`."""
    structure = ("properties", "items", "allOf", "anyOf", "oneOf", "additionalProperties")
    if schema.get("type") not in (None, "string") or any(k in schema for k in structure):
        return "application/json"
    return "text/plain" if media_range.startswith("text/") else "application/octet-stream"


MERGE_PATCH = "application/merge-patch+json"


def _more_fields(media: str, schema: dict[str, Any], params: list[Param]) -> Param | None:
    """The argument for a JSON object body's other fields, where its schema allows them
    (`additionalProperties` true or a schema): by their API names, each as its schema says."""
    extra = schema.get("additionalProperties")
    json_body = media == "application/json" or media.endswith("+json")
    if not json_body or extra in (None, False) or any(p.name == MORE_FIELDS for p in params):
        return None
    values = extra if isinstance(extra, dict) else {}
    said = "More fields, by their names in the API, sent beside the ones above."
    return Param(
        name=MORE_FIELDS,
        api_name="",
        location="body",
        schema={"type": "object", "additionalProperties": values, "description": said},
    )


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, its type allowing `null` too (a merge patch's field: null removes it)."""
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list) and "null" not in kind:
        return {**schema, "type": [*kind, "null"]}
    return schema


def _part_types(media: str, media_obj: dict[str, Any], fields: dict[str, Any]) -> dict[str, str]:
    """The media type of each multipart field whose `encoding` names one media type (not a
    range, `*/*`, nor a list of choices): the part goes labelled so."""
    encoding = media_obj.get("encoding") if media == "multipart/form-data" else None
    said: dict[str, str] = {}
    for field, how in (encoding if isinstance(encoding, dict) else {}).items():
        kind = how.get("contentType") if isinstance(how, dict) else None
        if field in fields and isinstance(kind, str) and "/" in kind and not {"*", ","} & set(kind):
            said[str(field)] = kind.strip()
    return said


def _with_parameters(media: str, written: str) -> str | None:
    """The spec's media type as written when it has parameters the request must carry: a
    version (Loket's `application/json;version=2018-01-01`: 200 corpus bodies), OData's
    metadata level, a charset (AutoRest's `text/plain; charset=UTF-8`); None when it has none,
    and for multipart, whose boundary is the request's own."""
    kind, _, parameters = written.partition(";")
    if not parameters.strip() or media == "multipart/form-data":
        return None
    if kind.strip().lower() != media:
        return None  # a range made concrete, or a key that names no type
    return f"{media};{parameters}"


def _choose_media_type(media_types: list[str]) -> tuple[str, str]:
    """JSON first, then form posts, then multipart, then a JSON-based type (a JSON Patch
    last), then whatever the spec lists first: the media type without its parameters, and the
    spec's key for it (Zuora writes `application/json; charset=utf-8`)."""
    lowered: dict[str, str] = {}
    for written in media_types:
        media = written.split(";")[0].strip().lower()
        # A key that names no media type (Spoonacular's `""` over an object schema) says no
        # more than a range would: what the schema is decides (`_concrete`).
        lowered.setdefault(media if "/" in media else "*/*", written)
    for wanted in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"):
        if wanted in lowered:
            return wanted, lowered[wanted]
    suffixed = [(media, written) for media, written in lowered.items() if media.endswith("+json")]
    # A JSON Patch (RFC 6902) is a list of operations: an object body goes as a merge patch
    # (RFC 7396) where the spec allows one too (Kubernetes lists `json-patch+json` first, its
    # schema an object: sent so, the API server refused every PATCH, 400).
    suffixed.sort(key=lambda found: found[0] == JSON_PATCH)
    if suffixed:
        return suffixed[0]
    return next(iter(lowered.items()))


# How an agent gives a file (`runtime/files.py`): said on every argument that is one.
FILE_NOTE = "A file: its text, or any file as a data: URL (data:image/png;base64,...)."


def _said_as_file(schema: Any) -> Any:
    """`schema`, told how a file is given when it is a file's bytes (`format: binary`)."""
    if not isinstance(schema, dict) or not is_file_schema(schema):
        return schema
    said = str(schema.get("description") or "").strip()
    if FILE_NOTE in said:
        return schema
    return {**schema, "description": f"{said} {FILE_NOTE}".strip()}


def _deep_objects(media: str, media_obj: dict[str, Any]) -> frozenset[str]:
    """A form's fields its `encoding` says go as `deepObject` (Stripe's every field:
    `metadata[plan]=pro`, `items[0][price]=price_123`), sent so (`serialize.deep_pairs`)."""
    encoding = media_obj.get("encoding")
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return frozenset()
    if not isinstance(encoding, dict):
        return frozenset()
    return frozenset(
        str(name)
        for name, said in encoding.items()
        if isinstance(said, dict) and said.get("style") == "deepObject"
    )
