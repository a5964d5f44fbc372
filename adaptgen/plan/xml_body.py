"""How an XML request body is written: the spec's `xml` objects, read into the catalog.

An agent gives an XML body as JSON (the tool's input schema, which drops OpenAPI's `xml`
keyword); the runtime writes it as XML (`adaptgen.runtime.xml_body`) from the form made here:
one node per schema, holding only what differs from the field names (OpenAPI's XML Object):

- `name`: the element's (or attribute's) name, when not the field's; for an array, the name of
  its wrapping element (wrapped) or of each item (not wrapped);
- `attribute: true`, `wrapped: true`, `namespace`, `prefix`, as the spec says;
- `properties` (field -> node) and `items` (a node), where something below differs.

The root element is the body schema's `xml.name`, else the name of the component it refers to
(as Swagger's tools name it). A body of one field with neither (AWS's REST-XML specs:
`{"Tagging": {...}}`) has that field as its root: the form is then that field's node, and
`field` names it. With none of these the root is unknown, and no form is made (the build says
so). A form always has a `name`: the root element's.

Arrays: `wrapped` as the spec says. Unsaid, OpenAPI's default is not wrapped, unless the spec
says `wrapped: false` itself somewhere: then it is one that writes out the lists it does not
wrap (AWS's REST-XML specs: `<TagSet><Tag>...</Tag></TagSet>` is said as nothing, S3's
flattened `<Object>` list as `wrapped: false`), and unsaid is wrapped.

An XML answer is read (`adaptgen.runtime.xml_answer`) by a form of the same kind (`answer`),
which also says what a document cannot: `list: true` for an array (one item is still a list),
`type` for an integer, number or boolean, `wrapped: false` where the spec says it, and every
field of the answer's own object, so the reader can find that object inside an envelope
(AWS's `<ListUsersResponse><ListUsersResult>`). A name that differs from its field's only in
the case of its first letter (EC2's `ownerId` for `OwnerId`: 88% of its renames) is left out:
the reader matches names so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adaptgen.load.refs import RefResolver
from adaptgen.load.source import SourceFile
from adaptgen.plan.pagination import schema_type
from adaptgen.runtime.xml_answer import fold

MAX_DEPTH = 16
# How deep an answer's form goes (a list and its items are two levels): below, the reader takes
# the document as it is, text and repeated elements, so that a catalog stays one a person reads
# (CloudFront's distribution config goes eleven levels deep, in every tool that answers one).
READ_DEPTH = 6
_SAID = ("namespace", "prefix")
_TYPED = ("integer", "number", "boolean")


def says_unwrapped(document: Any) -> bool:
    """Whether the spec writes `wrapped: false` in some `xml` object."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            xml = node.get("xml")
            if isinstance(xml, dict) and xml.get("wrapped") is False:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class XmlForms:
    """Reads the XML form of body schemas (raw, `$ref`s and `allOf`s followed)."""

    def __init__(self, resolver: RefResolver, wrapped_unless_said: bool) -> None:
        self.resolver = resolver
        self.wrapped_unless_said = wrapped_unless_said

    def form(self, schema: Any, source: SourceFile, pointer: str) -> dict[str, Any] | None:
        """The body's XML form, or None when its root element is unknown."""
        component = None
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            component = _component_name(schema["$ref"])
        merged = self._merged(schema, _Where(source, pointer, ()), 0)
        node = self._node_of(merged, 0)
        name = node.get("name") or component
        if name:
            return _named(node, name)
        props = merged.schema.get("properties") if merged else None
        if isinstance(props, dict) and len(props) == 1:
            (field,) = props  # its one field is the root: `field` says which
            child = node.get("properties", {}).get(str(field), {})
            return {"field": str(field), **_named(child, child.get("name") or str(field))}
        return None

    def answer(self, schema: Any, source: SourceFile, pointer: str) -> dict[str, Any] | None:
        """How an XML answer of `schema` is read, or None when there is nothing to say."""
        node = self._node_of(self._merged(schema, _Where(source, pointer, ()), 0), 0, True)
        node.pop("name", None)  # the reader finds the answer by its fields, not its root's name
        return node or None

    def _merged(self, schema: Any, where: _Where, depth: int) -> _Merged | None:
        """`schema` with its `$ref`s followed and its `allOf` members' keywords merged (the
        first member's own win; `properties` and `xml` merged key by key), or None."""
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None
        if isinstance(schema.get("$ref"), str):
            target = self.resolver.resolve(schema["$ref"], where.source, where.pointer + "/$ref")
            if target is None or target.key in where.stack:
                return None
            inside = _Where(target.source, target.pointer, (*where.stack, target.key))
            return self._merged(target.value, inside, depth + 1)
        out = {k: v for k, v in schema.items() if k != "allOf"}
        members = schema.get("allOf")
        for i, member in enumerate(members if isinstance(members, list) else []):
            part = self._merged(member, where.at(f"/allOf/{i}"), depth + 1)
            for key, value in (part.schema if part else {}).items():
                if key in ("properties", "xml") and isinstance(value, dict):
                    out[key] = {**value, **(out.get(key) or {})}
                else:
                    out.setdefault(key, value)
        return _Merged(out, where)

    def _node_of(self, merged: _Merged | None, depth: int, reading: bool = False) -> dict[str, Any]:
        """What a merged schema's `xml` objects say, itself and below (empty: nothing); with
        `reading`, also its lists and scalar types, and all the top object's fields."""
        if merged is None or (reading and depth > READ_DEPTH):
            return {}
        schema, where = merged.schema, merged.where
        node: dict[str, Any] = {}
        xml = schema.get("xml") if isinstance(schema.get("xml"), dict) else {}
        if isinstance(xml.get("name"), str) and xml["name"]:
            node["name"] = xml["name"]
        if xml.get("attribute") is True:
            node["attribute"] = True
        for key in _SAID:
            if isinstance(xml.get(key), str) and xml[key]:
                node[key] = xml[key]
        items = schema.get("items")
        kind = schema_type(schema)
        if kind == "array" or isinstance(items, dict):
            if reading:
                node["list"] = True
            if xml.get("wrapped", self.wrapped_unless_said) is True:
                node["wrapped"] = True
            elif reading and xml.get("wrapped") is False:
                node["wrapped"] = False
            inner = self._node_of(
                self._merged(items, where.at("/items"), depth + 1), depth + 1, reading
            )
            if inner:
                node["items"] = inner
        elif reading and kind in _TYPED:
            node["type"] = kind
        props = schema.get("properties")
        if isinstance(props, dict):
            below = {}
            for field, sub in props.items():
                at = where.at(f"/properties/{str(field).replace('~', '~0').replace('/', '~1')}")
                child = self._node_of(self._merged(sub, at, depth + 1), depth + 1, reading)
                if reading and fold(child.get("name", "")) == fold(str(field)):
                    child.pop("name", None)  # the reader matches `ownerId` to `OwnerId` itself
                if child or (reading and depth == 0):
                    below[str(field)] = child
            if below:
                node["properties"] = below
        return node


@dataclass(frozen=True)
class _Where:
    """Where a schema is: its file, its pointer, and the `$ref`s followed to it (for cycles)."""

    source: SourceFile
    pointer: str
    stack: tuple[str, ...]

    def at(self, suffix: str) -> _Where:
        return _Where(self.source, self.pointer + suffix, self.stack)


@dataclass(frozen=True)
class _Merged:
    """A schema with its `$ref`s followed and its `allOf` merged, and where it was read."""

    schema: dict[str, Any]
    where: _Where


def _named(node: dict[str, Any], name: str) -> dict[str, Any]:
    """`node` with `name` first."""
    return {"name": name, **{k: v for k, v in node.items() if k != "name"}}


def _component_name(ref: str) -> str | None:
    """`Pet` of `#/components/schemas/Pet` (a Swagger 2.0 spec's refs are rewritten so)."""
    fragment = ref.partition("#")[2]
    prefix = "/components/schemas/"
    if fragment.startswith(prefix) and "/" not in fragment[len(prefix) :]:
        return fragment[len(prefix) :].replace("~1", "/").replace("~0", "~") or None
    return None
