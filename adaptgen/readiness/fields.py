"""The fields of an operation's success response, each with the place its schema is written.

Lint rules and suggestions both reason about response fields by name, type and format, and a
finding about a field must point at the line that declares it (often a shared component), so
the walk keeps the file and pointer of every property it passes. Shared components are walked
once per depth and reused: GitHub's 572 operations share a few hundred schemas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from adaptgen.errors import AdaptgenError
from adaptgen.load.refs import RefResolver
from adaptgen.load.source import SourceFile, join_pointer
from adaptgen.plan.media import answer_media
from adaptgen.words import snake_words

MAX_DEPTH = 6  # objects below this are not walked: no agent reads that deep
MAX_FIELDS = 800  # per response; the rest of a huge schema adds nothing a finding needs
ITEMS = "[*]"
ENVELOPE_FIELDS = 6  # a list's envelope (data, paging, total, links...) is small; a record is not
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Field:
    """One property of a response body, at a path relative to the body's root."""

    path: tuple[str, ...]  # names, and ITEMS for "every element of this array"
    schema: dict[str, Any]  # resolved: its own `$ref` followed
    source: SourceFile
    pointer: str  # where the property is declared (its name's line)
    listed_personal: bool = False  # named in its object's `x-pii` list (Apideck's form)

    @property
    def name(self) -> str:
        """The property's own name."""
        return self.path[-1]

    @property
    def words(self) -> list[str]:
        """The name's words, lower case (`createdAt` -> created, at)."""
        return _words(self.name)

    @property
    def depth(self) -> int:
        """Object nesting below the record (a list's items are not a level)."""
        return len([p for p in self.path if p != ITEMS])

    @property
    def jsonpath(self) -> str:
        """The field as a JSONPath hints accept (`$.data[*].email`)."""
        return jsonpath(self.path)

    @property
    def plain(self) -> bool:
        """Every name on the way is a plain identifier, so the JSONPath needs no quoting."""
        return all(p == ITEMS or _PLAIN_NAME.match(p) for p in self.path)

    @property
    def kind(self) -> str:
        """The JSON type (`object` when it has properties, `array` when it has items)."""
        kind = self.schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if isinstance(kind, str):
            return kind
        if "properties" in self.schema or "additionalProperties" in self.schema:
            return "object"
        return "array" if "items" in self.schema else ""


@lru_cache(maxsize=65536)
def _words(name: str) -> list[str]:
    return snake_words(name)


def jsonpath(path: tuple[str, ...]) -> str:
    """`("data", "[*]", "email")` -> `$.data[*].email`."""
    return "$" + "".join(p if p == ITEMS else f".{p}" for p in path)


def success_response(
    resolver: RefResolver, op: dict[str, Any], pointer: str
) -> tuple[Any, SourceFile, str]:
    """The JSON schema of the operation's first 2xx (else default) response, where it is written
    (`pointer`: the operation's, in the spec `resolver` reads from: its root).

    (None, ...) when the operation answers no JSON or XML body.
    """
    responses = op.get("responses") if isinstance(op.get("responses"), dict) else {}
    codes = sorted(str(c) for c in responses if str(c).startswith("2"))
    codes += [c for c in ("default",) if c in responses]
    for code in codes:
        raw = responses.get(code, responses.get(int(code)) if code.isdigit() else None)
        source, at = resolver.root, under(pointer, "responses", code)
        resolved = follow(resolver, raw, source, at)
        if resolved is None:
            continue
        raw, source, at = resolved
        # JSON's, else a range's that admits it, else XML's (`plan.media`): an XML answer is
        # read as data by the same fields (`xml_answer`).
        chosen = answer_media(raw.get("content"))
        if chosen is not None:
            return chosen[1]["schema"], source, under(at, "content", chosen[0], "schema")
        return None, source, at
    return None, resolver.root, pointer


class FieldWalker:
    """Walks response schemas into `Field`s, following `$ref`s across files."""

    def __init__(self, resolver: RefResolver, max_depth: int = MAX_DEPTH) -> None:
        """`max_depth`: the deepest nesting walked (0: the body's own properties only)."""
        self.resolver = resolver
        self.max_depth = max_depth
        self._cache: dict[tuple[str, int], list[Field]] = {}

    def fields(self, schema: Any, source: SourceFile, pointer: str) -> list[Field]:
        """Every property under `schema`, parents before children, at most MAX_FIELDS."""
        out: list[Field] = []
        self._walk(schema, source, pointer, (), 0, frozenset(), out)
        return out[:MAX_FIELDS]

    def _walk(
        self,
        node: Any,
        source: SourceFile,
        pointer: str,
        path: tuple[str, ...],
        depth: int,
        seen: frozenset[str],
        out: list[Field],
    ) -> None:
        if len(out) >= MAX_FIELDS or depth > self.max_depth or not isinstance(node, dict):
            return
        if isinstance(node.get("$ref"), str):
            target = self._target(node["$ref"], source, pointer)
            if target is None or target[0] in seen:
                return
            key, node, source, pointer = target
            cached = self._cache.get((key, depth))
            if cached is None:
                cached = []
                self._walk(node, source, pointer, (), depth, seen | {key}, cached)
                self._cache[(key, depth)] = cached
            out.extend(_prefixed(f, path) for f in cached)
            return
        for keyword in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(node.get(keyword) or []):
                at = under(pointer, keyword, str(i))
                self._walk(sub, source, at, path, depth, seen, out)
        if isinstance(node.get("items"), dict):
            at = under(pointer, "items")
            self._walk(node["items"], source, at, (*path, ITEMS), depth, seen, out)
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return
        listed = node.get("x-pii")
        personal = {str(n) for n in listed} if isinstance(listed, list) else set()
        for name, sub in properties.items():
            at = under(pointer, "properties", str(name))
            resolved = follow(self.resolver, sub, source, at)
            schema = resolved[0] if resolved is not None else {}
            out.append(Field((*path, str(name)), schema, source, at, str(name) in personal))
            self._walk(sub, source, at, (*path, str(name)), depth + 1, seen, out)

    def _target(
        self, ref: str, source: SourceFile, pointer: str
    ) -> tuple[str, dict[str, Any], SourceFile, str] | None:
        try:
            found = self.resolver.resolve(ref, source, pointer)
        except AdaptgenError:
            return None  # the build reports broken refs; a lint finding would repeat it
        if found is None or not isinstance(found.value, dict):
            return None
        return found.key, found.value, found.source, found.pointer


def _prefixed(field: Field, path: tuple[str, ...]) -> Field:
    if not path:
        return field
    return Field(
        (*path, *field.path), field.schema, field.source, field.pointer, field.listed_personal
    )


def follow(
    resolver: RefResolver, node: Any, source: SourceFile, pointer: str
) -> tuple[dict[str, Any], SourceFile, str] | None:
    """`node` with its `$ref` (if any) followed; None when it is not a mapping."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        try:
            found = resolver.resolve(node["$ref"], source, pointer)
        except AdaptgenError:
            return None
        if found is None:
            return None
        node, source, pointer = found.value, found.source, found.pointer
    return (node, source, pointer) if isinstance(node, dict) else None


def under(pointer: str, *tokens: str) -> str:
    """`join_pointer(*split_pointer(pointer), *tokens)` without splitting and re-escaping the
    prefix: the walk makes a pointer per property, and that was a fifth of its time."""
    return ("" if pointer in ("", "/") else pointer) + join_pointer(*tokens)


def records(fields: list[Field]) -> tuple[tuple[str, ...], list[Field]]:
    """The path of the response's main record and its direct fields.

    A list's record is its items (`data[*]`); a single object is the body itself, or the one
    object it wraps (`{"data": {...}}`) when the body holds nothing else of substance.
    """
    lists = [f for f in fields if f.kind == "array" and f.depth <= 1]
    top_items = [f for f in fields if f.path and f.path[0] == ITEMS]
    if top_items:
        return (ITEMS,), _children((ITEMS,), fields)
    if lists and len(_children((), fields)) <= ENVELOPE_FIELDS:
        best = max(lists, key=lambda f: len(_children((*f.path, ITEMS), fields)))
        children = _children((*best.path, ITEMS), fields)
        if children:
            return (*best.path, ITEMS), children
    top = _children((), fields)
    if len(top) <= ENVELOPE_FIELDS:
        # An envelope (`{"data": {...}, "meta": {...}}`): the record is its widest object.
        objects = [(len(_children(f.path, fields)), f) for f in top]
        widest = max(objects, key=lambda pair: pair[0], default=(0, None))
        if widest[1] is not None and widest[0] > 2 * len(top):
            return widest[1].path, _children(widest[1].path, fields)
    return (), top


def _children(path: tuple[str, ...], fields: list[Field]) -> list[Field]:
    return [f for f in fields if len(f.path) == len(path) + 1 and f.path[: len(path)] == path]
