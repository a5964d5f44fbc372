"""An XML request body written from the JSON an agent gives, by the body's XML form.

The form (`Body.xml`, made by `adaptgen.plan.xml_body`) names the root element and says, per
field, what OpenAPI's `xml` objects change: another element name, an attribute, a wrapped
list, a namespace and its prefix. A field the form says nothing of is an element of its own
name; a list is one element per item (or, wrapped, those inside one more); `null` is left out;
`true`/`false` are written as such. Text and attribute values are escaped; a name that is no
XML name (an agent's key of an open object) is refused, never written.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

# XML 1.0's Name, in ASCII, plus any non-ASCII letter: what an element or attribute may be called.
_NAME = re.compile(
    r"[A-Za-z_\u00c0-\uffff][A-Za-z0-9_.\-\u00b7\u00c0-\uffff]*(:[A-Za-z_][\w.\-]*)?"
)


class XmlBodyError(ValueError):
    """A body that cannot be written as XML (a name that is no XML name)."""


def xml_body(value: Any, form: dict[str, Any]) -> bytes:
    """`value` (the agent's JSON) as an XML document, by `form`."""
    if "field" in form:  # the body's one field is the root (AWS: `{"Tagging": {...}}`)
        if not isinstance(value, dict) or set(value) - {form["field"]}:
            raise XmlBodyError(f"the XML body is one element: give only {form['field']!r}")
        value = value.get(form["field"])  # none given: the root element, empty
    root = ElementTree.Element(_qualified(_checked(form["name"]), form))
    _declare(root, form)
    _fill(root, value, form)
    text = ElementTree.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


def _fill(element: ElementTree.Element, value: Any, node: dict[str, Any]) -> None:
    """`value` written into `element` (its children, or its text)."""
    if isinstance(value, dict):
        fields = node.get("properties") or {}
        for name, item in value.items():
            if item is not None:
                _field(element, str(name), item, fields.get(str(name)) or {})
    elif isinstance(value, list):  # a list as the element's whole content: its items in it
        items = node.get("items") or {}
        for item in value:
            if item is not None:
                _child(element, items.get("name") or element.tag, item, items)
    elif value is not None:
        element.text = _text(value)


def _field(parent: ElementTree.Element, name: str, value: Any, node: dict[str, Any]) -> None:
    own = node.get("name") or name
    if isinstance(value, list):
        items = node.get("items") or {}
        holder = _child(parent, own, None, node) if node.get("wrapped") else parent
        for item in value:
            if item is not None:
                _child(holder, items.get("name") or own, item, items)
    elif node.get("attribute"):
        parent.set(_qualified(_checked(own), node), _text(value))
    else:
        _child(parent, own, value, node)


def _child(
    parent: ElementTree.Element, name: str, value: Any, node: dict[str, Any]
) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, _qualified(_checked(name), node))
    _declare(element, node)
    if value is not None:
        _fill(element, value, node)
    return element


def _qualified(name: str, node: dict[str, Any]) -> str:
    prefix = node.get("prefix")
    return f"{prefix}:{name}" if prefix and ":" not in name else name


def _declare(element: ElementTree.Element, node: dict[str, Any]) -> None:
    """The node's namespace, declared on its element (as its prefix's, or the default)."""
    namespace = node.get("namespace")
    if namespace and not node.get("attribute"):
        prefix = node.get("prefix")
        element.set(f"xmlns:{prefix}" if prefix else "xmlns", namespace)


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise XmlBodyError(f"{name!r} is not a name an XML element or attribute can have")
    return name


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
