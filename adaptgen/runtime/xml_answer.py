"""An XML answer read as data: what a JSON API would have sent for the same document.

Many legacy APIs answer only in XML (AWS's query APIs, SOAP-era and WCF services, banks'
and governments' feeds). Sent on as text, such an answer could not be trimmed, paginated or
redacted by field, and the token budget cut it mid-tag. Read here, it becomes the JSON the rest
of the runtime works on (`shape`, paging, PII paths), keyed by the fields the spec names.

The form (`Operation.answer_xml`, made by `adaptgen.plan.xml_body.XmlForms.answer`) says, per
field, what a document cannot: which fields are lists (one `<member>` is still a list of one),
which are numbers or booleans, and each element's name where it is not the field's. The reader
is liberal in what it accepts, because servers and mocks do not all write what the spec says:

- the answer is the first element (the root, or one inside it, such as AWS's
  `<ListUsersResponse><ListUsersResult>`) that holds a field the form names;
- names are matched whatever the case of their first letter (EC2's `ownerId` is `OwnerId`);
- a list is read wrapped (`<Users><member/>...</Users>`) where one element holds only items,
  else as the repeated elements themselves (`<Users/><Users/>`), whatever the spec says of it;
- an attribute the form names may come as an element, and the reverse;
- what the form does not name is kept under its own name (repeated elements as a list,
  attributes as fields, text beside them as `#text`), as a document without a form is read.

Namespaces are dropped from names; `xsi:nil="true"` is null. A document that declares
entities is refused (an entity can expand to gigabytes, or name a file), as is one nested over
`MAX_DEPTH`: the caller then passes the text on as before.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

# Each element is at most two levels of the JSON it becomes (a list, an object), so the data
# stays within what the rest of the runtime reads (`upstream.MAX_JSON_DEPTH`).
MAX_DEPTH = 50
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_START_DEPTH = 3  # how deep inside the root the answer's own element may be


class XmlAnswerError(ValueError):
    """A document this reader will not read (malformed, entity declarations, too deep)."""


def is_xml(media: str) -> bool:
    """Whether `media` (a media type, parameters and any case allowed) is XML."""
    kind = media.split(";")[0].strip().lower()
    return kind in ("application/xml", "text/xml") or kind.endswith("+xml")


def read_answer(text: str, form: dict[str, Any] | None) -> Any:
    """The document `text` as JSON-like data, by `form` (None: by the document alone)."""
    root = parse(text)
    if form is None:
        return _generic(root)
    return _value(_start(root, form), form)


@dataclass
class _Element:
    tag: str  # its local name
    attrs: dict[str, str]
    nil: bool = False
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.text)


def parse(text: str) -> _Element:
    """The document's root element; `XmlAnswerError` for what is not read."""
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    stack: list[_Element] = []
    roots: list[_Element] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise XmlAnswerError(f"nested deeper than {MAX_DEPTH} elements")
        attrs, nil = {}, False
        for key, value in attributes.items():
            namespace, _, local = key.rpartition(" ")
            if namespace == _XSI:
                nil = nil or (local == "nil" and value.strip() in ("true", "1"))
            else:
                attrs[local] = value
        element = _Element(name.rpartition(" ")[2], attrs, nil)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    def entity(*_: Any) -> None:
        raise XmlAnswerError("the document declares entities")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise XmlAnswerError(f"not well-formed XML ({exc})") from None
    return roots[0]


def fold(name: str) -> str:
    """A name as the reader compares it: its first letter in lower case (EC2 writes `ownerId`
    for the spec's `OwnerId`)."""
    return name[:1].lower() + name[1:]


def _start(root: _Element, form: dict[str, Any]) -> _Element:
    """The element the form reads: the first, breadth first, holding a field it names."""
    names = _names(form)
    if form.get("list") or not names:
        return root
    level = [root]
    for _ in range(_START_DEPTH + 1):
        for element in level:
            held = {fold(c.tag) for c in element.children} | {fold(a) for a in element.attrs}
            if names & held:
                return element
        level = [c for e in level for c in e.children]
    return root


def _names(node: dict[str, Any]) -> set[str]:
    """The element and attribute names (folded) a node's fields may come as."""
    names = set()
    for name, sub in (node.get("properties") or {}).items():
        names.add(fold(sub.get("name") or name))
        if sub.get("list") and not sub.get("wrapped"):
            names.add(fold((sub.get("items") or {}).get("name") or sub.get("name") or name))
    return names


def _value(element: _Element, node: dict[str, Any]) -> Any:
    """One element as the node says: a list, an object, or a scalar."""
    if element.nil:
        return None
    if node.get("list"):
        items = node.get("items") or {}
        return [_value(c, items) for c in element.children]
    if element.children or element.attrs:
        return _object(element, node)
    if "properties" in node and not element.content.strip():
        return {}  # an object with nothing in it
    return _scalar(element.content, node)


def _object(element: _Element, node: dict[str, Any]) -> dict[str, Any]:
    """An element's fields: the form's by their names, the rest by the document's."""
    fields = node.get("properties") or {}
    by_name: dict[str, str] = {}  # folded element or attribute name -> field
    for name, sub in fields.items():
        own = sub.get("name") or name
        by_name.setdefault(fold(own), name)
        if sub.get("list"):
            by_name.setdefault(fold((sub.get("items") or {}).get("name") or own), name)
    groups: dict[str, list[_Element]] = {}  # children by folded name, in document order
    for child in element.children:
        groups.setdefault(fold(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for key, value in element.attrs.items():
        name = by_name.get(fold(key))
        if name is not None and name not in out:
            out[name] = _scalar(value, fields[name])
        elif fold(key) not in groups:
            out[key] = value
        else:
            out["@" + key] = value
    for key, elements in groups.items():
        name = by_name.get(key)
        if name is None:
            out.setdefault(elements[0].tag, _generic_all(elements))
        elif name not in out:
            sub = fields[name]
            out[name] = _list(groups, name, sub) if sub.get("list") else _one(elements, sub)
    text = element.content.strip()
    if text and "#text" not in out:
        out["#text"] = text
    return out


def _list(groups: dict[str, list[_Element]], name: str, node: dict[str, Any]) -> list[Any]:
    """A list field's items, wrapped in one element or written as repeated elements."""
    own = fold(node.get("name") or name)
    items = node.get("items") or {}
    item = fold(items.get("name") or own)
    holders = groups.get(own, [])
    if len(holders) == 1 and node.get("wrapped") is not False:
        holder = holders[0]
        tags = {fold(c.tag) for c in holder.children}
        empty = not holder.children and not holder.attrs and not holder.content.strip()
        if empty or _holds_items(tags, own, item, items, node):
            return [_value(c, items) for c in holder.children]
    return [_value(e, items) for e in groups.get(item if item in groups else own, [])]


def _holds_items(
    tags: set[str], own: str, item: str, items: dict[str, Any], node: dict[str, Any]
) -> bool:
    """Whether one list element's children are the list's items (it wraps them)."""
    if len(tags) != 1:
        return False
    (tag,) = tags
    if tag == item and item != own:
        return True  # the spec's item name, or the field's own
    if tag in _names(items):
        return False  # a field of an item: the element is one item
    return bool(node.get("wrapped")) or tag != own


def _one(elements: list[_Element], node: dict[str, Any]) -> Any:
    """A field that is not a list: its element, or all of them if the document repeats it."""
    if len(elements) == 1:
        return _value(elements[0], node)
    return [_value(e, node) for e in elements]


def _scalar(text: str, node: dict[str, Any]) -> Any:
    """Text as the node's type says (integer, number, boolean); else as written."""
    kind = node.get("type")
    value = text.strip()
    if kind == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number" and _NUMBER.fullmatch(value):
        number = float(value)
        if _INTEGER.fullmatch(value):
            return int(value)
        return number if math.isfinite(number) else text
    if kind == "boolean" and value in ("true", "false", "1", "0"):
        return value in ("true", "1")
    return text


def _generic_all(elements: list[_Element]) -> Any:
    """Elements of one name: one value, or a list when the document repeats it."""
    if len(elements) == 1:
        return _generic(elements[0])
    return [_generic(e) for e in elements]


def _generic(element: _Element) -> Any:
    """An element read by the document alone: text, or an object of its parts."""
    if element.nil:
        return None
    if not element.children and not element.attrs:
        return element.content
    return _object(element, {})
