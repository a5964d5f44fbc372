"""OpenAPI Overlays (Overlay Specification 1.0.x and 1.1.x): load one, apply it to a raw spec.

An Overlay patches a spec the user doesn't own. `--overlay FILE` (repeatable, applied in order)
changes the raw spec document before anything else reads it, so hints, planning and rendering
all see the patched spec.

What is supported:

- `overlay: 1.0.x` and `1.1.x`; `info` (`title`, `version`; `description` in 1.1); `extends`
  (recorded, not checked: the command line already says which spec the overlay is for);
  `actions` (at least one, unique), each with `target`, optional `description`, and one of
  `update`, `remove: true` or (1.1) `copy`; `x-` extensions everywhere the spec allows them.
- Actions run in order, each on the result of the ones before. A target that selects nothing
  is a warning, not an error.
- `update` / `copy`, for each selected node: an object is merged recursively (new keys appended,
  primitives replaced, arrays concatenated, any other pairing is an error); an array gets an
  array value concatenated or any other value appended; a primitive (1.1 only) is replaced by a
  primitive value. The selected nodes must all be objects, all arrays or all primitives.
- `copy` (1.1) must select exactly one node; a deep copy of it is merged like an `update` value.
- `remove: true` removes every selected node from its parent object or array (the document
  root cannot be removed).

JSONPath: targets are RFC 9535 queries, evaluated by jsonpath-ng (>= 1.16, which parses the RFC
forms itself: `$.a.b`, `$['a']`, `$["a"]`, `$.*`, `$[*]`, `$[0]`, `$[-1]`, `$[0,2]`, `$['a','b']`,
slices `$[1:5:2]`, descendants `$..a`, and filters `[?@.x == 'y']` / `[?(@.x == 'y')]` with
`==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!`, parentheses, existence tests and `$`/`@`
queries as operands). RFC string escapes (`\\uXXXX`, `\\n`, ...) are decoded before parsing,
which jsonpath-ng would otherwise read as the bare letter. Not supported: the RFC function
extensions (`length()`, `count()`, `match()`, `search()`, `value()`), which are parse errors.
jsonpath-ng extensions that compute values instead of selecting nodes (`where`, `|`, `&`,
sorting, `len`, `parent`, arithmetic ...) are errors in the query itself; other non-RFC syntax
it accepts (an unquoted word as a string, `=~`) is applied with a warning, since other Overlay
tools may reject it.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from jsonpath_ng import (
    Child,
    Descendants,
    Fields,
    Index,
    JSONPath,
    Root,
    Slice,
    This,
    Wildcard,
)
from jsonpath_ng.ext import parse as _parse_jsonpath
from jsonpath_ng.ext.filter import And, Expression, Filter, Or

from adaptgen.errors import BuildError, BuildWarning, InputError, Location
from adaptgen.load.source import SourceFile, join_pointer, read_source
from adaptgen.runtime import jsonpath
from adaptgen.words import did_you_mean

Step = jsonpath.Step
NodePath = jsonpath.NodePath
ActionKind = Literal["update", "copy", "remove", "none"]

_VERSION = re.compile(r"1\.([01])\.\d+")
_ROOT_KEYS = ("overlay", "info", "extends", "actions")
_INFO_KEYS = ("title", "version", "description")  # description: 1.1 (a warning in 1.0)
_ACTION_KEYS = {
    0: ("target", "description", "update", "remove"),
    1: ("target", "description", "update", "remove", "copy"),
}

# Query segments whose matches are nodes of the document (anything else computes a value).
_SEGMENT_TYPES = (Root, Child, Fields, Wildcard, Index, Slice, Descendants, Filter)
# What may appear inside a filter expression and is RFC 9535.
_FILTER_TYPES = (*_SEGMENT_TYPES, This, Expression, And, Or)
_EXTENSION_NAMES = {
    "_Union": "`|` (union)",
    "_Intersect": "`&` (intersection)",
    "Where": "`where`",
    "WhereNot": "`wherenot`",
    "Parent": "`parent`",
    "Len": "`len`",
    "Keys": "`keys`",
    "Path": "`path`",
    "SortedThis": "sorting (`[/field]`)",
    "Sub": "`sub()`",
    "Split": "`split()`",
    "Str": "`str()`",
    "Operation": "arithmetic",
    "This": "`@` outside a filter",
}


@dataclass(frozen=True)
class Action:
    """One action of an Overlay, checked and with its JSONPath queries compiled."""

    index: int  # position in `actions` (0-based, as in JSON pointers; messages count from 1)
    target: str
    kind: ActionKind
    query: JSONPath = field(repr=False, compare=False)
    description: str | None = None
    update: Any = None
    copy: str | None = None
    copy_query: JSONPath | None = field(default=None, repr=False, compare=False)

    @property
    def number(self) -> int:
        """The action's number as users count them (from 1)."""
        return self.index + 1

    @property
    def pointer(self) -> str:
        """JSON pointer of this action in the overlay file."""
        return join_pointer("actions", self.index)


@dataclass
class Overlay:
    """A loaded Overlay document: its file, metadata and actions, plus load-time warnings."""

    source: SourceFile
    version: str  # the `overlay` field, e.g. "1.1.0"
    title: str
    info_version: str
    actions: list[Action]
    extends: str | None = None
    description: str | None = None
    warnings: list[BuildWarning] = field(default_factory=list)

    @property
    def minor(self) -> int:
        """0 for an Overlay 1.0.x document, 1 for 1.1.x."""
        return int(self.version.split(".")[1])

    def location(self, pointer: str | None = None) -> Location:
        """file:line:col of `pointer` inside the overlay file."""
        return self.source.location(pointer)


# --------------------------------------------------------------------------------------------
# Loading


def load_overlay(path: str | Path) -> Overlay:
    """Read and check an Overlay file.

    Every structural problem is an `InputError` located at the offending place in the overlay
    file (a JSON pointer such as `/actions/2/target` plus its line and column).
    """
    source = read_source(Path(path))
    return _build_overlay(source)


def _build_overlay(source: SourceFile) -> Overlay:
    data = source.data

    def fail(message: str, pointer: str = "") -> InputError:
        return InputError(message, source.location(pointer))

    if data is None:
        raise InputError("empty file, expected an Overlay document", Location(source.display, 1))
    if not isinstance(data, dict):
        raise fail("not an Overlay document: the top level must be a mapping")
    if "overlay" not in data:
        if "openapi" in data or "swagger" in data:
            raise fail("this is an OpenAPI document, not an Overlay (no 'overlay' field)")
        raise fail("missing required field 'overlay' (the Overlay version, e.g. overlay: 1.1.0)")
    version = data["overlay"]
    if not isinstance(version, str):
        raise fail(
            f"'overlay' must be a string such as \"1.1.0\", not {_kind(version)} ({version!r})",
            "/overlay",
        )
    matched = _VERSION.fullmatch(version)
    if matched is None:
        raise fail(f"unsupported Overlay version {version!r} (supported: 1.0.x, 1.1.x)", "/overlay")
    minor = int(matched.group(1))
    notes: list[BuildWarning] = []
    _check_keys(data, "", _ROOT_KEYS, source, "the overlay")

    if "info" not in data:
        raise fail("missing required field 'info' (with 'title' and 'version')")
    info = data["info"]
    if not isinstance(info, dict):
        raise fail(f"'info' must be a mapping, not {_kind(info)}", "/info")
    _check_keys(info, "/info", _INFO_KEYS, source, "info")
    for key in ("title", "version"):
        if key not in info:
            raise fail(f"missing required field 'info.{key}'", "/info")
        _check_string(info[key], f"/info/{key}", f"'info.{key}'", source)
    if "description" in info:
        _check_string(info["description"], "/info/description", "'info.description'", source)
        if minor == 0:
            # Harmless, so not an error; but a strict 1.0 tool would reject the file.
            notes.append(
                BuildWarning(
                    source.location("/info/description"),
                    "'info.description' is an Overlay 1.1 field; this overlay says " + version,
                )
            )
    if "extends" in data:
        _check_string(data["extends"], "/extends", "'extends'", source)

    if "actions" not in data:
        raise fail("missing required field 'actions' (a list of actions)")
    raw_actions = data["actions"]
    if not isinstance(raw_actions, list):
        raise fail(f"'actions' must be a list of actions, not {_kind(raw_actions)}", "/actions")
    if not raw_actions:
        raise fail("'actions' must contain at least one action", "/actions")

    actions: list[Action] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_actions):
        action = _build_action(raw, index, minor, version, source, notes)
        # The spec's schema requires unique actions; a repeated one is almost surely a paste.
        canonical = json.dumps(raw, sort_keys=True, default=str)
        if canonical in seen:
            raise fail(
                f"action {index + 1} repeats action {seen[canonical] + 1} (actions must be unique)",
                action.pointer,
            )
        seen[canonical] = index
        actions.append(action)

    return Overlay(
        source=source,
        version=version,
        title=info["title"],
        info_version=info["version"],
        actions=actions,
        extends=data.get("extends"),
        description=info.get("description"),
        warnings=notes,
    )


def _build_action(
    raw: Any,
    index: int,
    minor: int,
    version: str,
    source: SourceFile,
    notes: list[BuildWarning],
) -> Action:
    number = index + 1
    pointer = join_pointer("actions", index)

    def at(*tokens: str) -> Location:
        return source.location(join_pointer("actions", index, *tokens))

    if not isinstance(raw, dict):
        raise InputError(f"action {number} must be a mapping, not {_kind(raw)}", at())
    if minor == 0 and "copy" in raw:
        raise InputError(
            f"action {number}: 'copy' needs Overlay 1.1 (this overlay says {version}; "
            "set overlay: 1.1.0)",
            at("copy"),
        )
    _check_keys(raw, pointer, _ACTION_KEYS[minor], source, f"action {number}")
    if "target" not in raw:
        raise InputError(f"action {number} has no 'target' (a JSONPath query)", at())
    target = raw["target"]
    _check_string(target, f"{pointer}/target", f"action {number} 'target'", source)
    if "description" in raw:
        _check_string(
            raw["description"], f"{pointer}/description", f"action {number} 'description'", source
        )
    remove = raw.get("remove", False)
    if not isinstance(remove, bool):
        raise InputError(
            f"action {number}: 'remove' must be true or false, not {_kind(remove)} ({remove!r})",
            at("remove"),
        )
    has_update = "update" in raw
    has_copy = "copy" in raw

    kind: ActionKind
    if minor == 1 and has_update + has_copy + remove > 1:
        # 1.1's schema makes update, copy and remove mutually exclusive (its prose contradicts
        # itself for update + copy); `remove: false` is the default, so it doesn't count.
        flags = (("update", has_update), ("copy", has_copy), ("remove: true", remove))
        used = [name for name, on in flags if on]
        raise InputError(
            f"action {number} has {' and '.join(used)}: an action does exactly one of "
            "update, copy or remove: true",
            at(),
        )
    if remove:
        kind = "remove"
        if has_update:
            # Overlay 1.0: "update has no impact if remove is true" (and its tests accept it).
            notes.append(
                BuildWarning(at("update"), f"action {number}: update is ignored, remove is true")
            )
    elif has_copy:
        kind = "copy"
    elif has_update:
        kind = "update"
    elif "remove" in raw:
        kind = "none"
        notes.append(
            BuildWarning(
                at("remove"),
                f"action {number} does nothing: remove is false and there is no update"
                + (" or copy" if minor else ""),
            )
        )
    else:
        wanted = "update, copy or remove: true" if minor else "update or remove: true"
        raise InputError(f"action {number} has no {wanted}", at())

    query = _compile(target, source, f"{pointer}/target", f"action {number} target", notes)
    copy_text: str | None = None
    copy_query: JSONPath | None = None
    if has_copy:
        copy_text = raw["copy"]
        _check_string(copy_text, f"{pointer}/copy", f"action {number} 'copy'", source)
        copy_query = _compile(copy_text, source, f"{pointer}/copy", f"action {number} copy", notes)
    return Action(
        index=index,
        target=target,
        kind=kind,
        description=raw.get("description"),
        update=raw.get("update"),
        copy=copy_text,
        query=query,
        copy_query=copy_query,
    )


def _check_keys(
    mapping: dict[str, Any], pointer: str, known: tuple[str, ...], source: SourceFile, what: str
) -> None:
    for key in mapping:
        if key in known or key.startswith("x-"):
            continue
        hint = did_you_mean(key, known)
        raise InputError(
            f"unknown key {key!r} in {what}{hint}; allowed: {', '.join(known)} and x- extensions",
            source.location(pointer + join_pointer(key)),
        )


def _check_string(value: Any, pointer: str, what: str, source: SourceFile) -> None:
    if not isinstance(value, str):
        raise InputError(
            f"{what} must be a string, not {_kind(value)} ({value!r}); quote it in YAML",
            source.location(pointer),
        )


# --------------------------------------------------------------------------------------------
# JSONPath


def _compile(
    expression: str, source: SourceFile, pointer: str, what: str, notes: list[BuildWarning]
) -> JSONPath:
    """Parse an RFC 9535 query with jsonpath-ng; non-RFC syntax it accepts becomes a warning."""
    _require_rfc_jsonpath()
    location = source.location(pointer)
    if not expression.startswith("$"):
        raise InputError(
            f"{what} {expression!r} is not a JSONPath query: it must start with '$'", location
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            query = _parse_jsonpath(_decode_escapes(expression))
        except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises several unrelated types
            message = str(exc) or type(exc).__name__
            if _FUNCTION_CALL.search(expression):
                message += (
                    "; RFC 9535 functions (length, count, match, search, value) are not supported"
                )
            raise InputError(
                f"{what} {expression!r} is not valid JSONPath: {message}", location
            ) from None
    for found in caught:
        # Keep what is wrong and how to write it; drop jsonpath-ng's own release plans.
        sentences = str(found.message).rstrip(".").split(". ")
        advice = "; ".join(s for s in sentences if "version 2.0.0" not in s)
        notes.append(BuildWarning(location, f"{what} is not RFC 9535 JSONPath: {advice}"))
    _check_query(query, expression, what, location, notes)
    return query


def _check_query(
    node: Any, expression: str, what: str, location: Location, notes: list[BuildWarning]
) -> None:
    """Reject extensions outside filters (their matches aren't nodes); warn about those inside."""
    stack: list[tuple[Any, bool]] = [(node, False)]
    while stack:
        part, in_filter = stack.pop()
        if not isinstance(part, JSONPath):
            continue
        allowed = _FILTER_TYPES if in_filter else _SEGMENT_TYPES
        if type(part) not in allowed:
            name = _EXTENSION_NAMES.get(type(part).__name__, type(part).__name__)
            if not in_filter:
                raise InputError(
                    f"{what} {expression!r} uses {name}, a jsonpath-ng extension that selects "
                    "values rather than document nodes (not RFC 9535)",
                    location,
                )
            notes.append(
                BuildWarning(location, f"{what} uses {name} in a filter, not RFC 9535 JSONPath")
            )
            continue
        if isinstance(part, Child | Descendants):
            stack += [(part.left, in_filter), (part.right, in_filter)]
        elif isinstance(part, Filter):
            stack += [(e, True) for e in part.expressions]
        elif isinstance(part, And | Or):
            stack += [(o, True) for o in part.operands]
        elif isinstance(part, Expression):
            if part.op == "=~":
                notes.append(
                    BuildWarning(
                        location, f"{what} uses `=~` (a jsonpath-ng regex extension), not RFC 9535"
                    )
                )
            stack += [(part.target, True), (part.value, True)]


@cache
def _require_rfc_jsonpath() -> None:
    # Older jsonpath-ng releases parse RFC filters differently (or not at all) and filtered an
    # object's members by position rather than by key, which would make in-place edits land on
    # the wrong nodes: refuse rather than guess.
    try:
        found = _parse_jsonpath("$[?@.a == 'x']").find({"k": {"a": "x"}})
        path = found[0].path if len(found) == 1 else None
        ok = isinstance(path, Fields) and path.fields == ("k",)
    except Exception:  # noqa: BLE001 - any failure here means "too old"
        ok = False
    if not ok:
        raise BuildError(
            f"jsonpath-ng {metadata.version('jsonpath-ng')} cannot evaluate RFC 9535 filters; "
            "Overlay targets need jsonpath-ng >= 1.16 (pip install -U jsonpath-ng)"
        )


_FUNCTION_CALL = re.compile(r"\b(?:length|count|match|search|value)\s*\(")
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _decode_escapes(expression: str) -> str:
    """Decode RFC 9535 string escapes jsonpath-ng misreads (it takes `\\n` as the letter n)."""
    if "\\" not in expression:
        return expression
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(expression):
        char = expression[i]
        if quote is None:
            if char in "'\"":
                quote = char
            out.append(char)
            i += 1
            continue
        if char == quote:
            quote = None
        elif char == "\\" and i + 1 < len(expression):
            letter = expression[i + 1]
            decoded: str | None = None
            width = 2
            if letter in _SIMPLE_ESCAPES:
                decoded = _SIMPLE_ESCAPES[letter]
            elif letter == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", expression[i + 2 : i + 6]):
                code = int(expression[i + 2 : i + 6], 16)
                width = 6
                low = expression[i + 6 : i + 12]
                surrogate = re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", low)
                if 0xD800 <= code < 0xDC00 and surrogate:
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00)
                    width = 12
                decoded = chr(code)
            if decoded is None:
                out.append(expression[i : i + 2])  # \' \" \\ \/ : jsonpath-ng reads these right
            else:
                out.append("\\" + decoded if decoded in ("\\", quote) else decoded)
            i += width
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _node_paths(document: Any, query: JSONPath, expression: str, where: Location) -> list[NodePath]:
    """Concrete key/index paths of the distinct nodes `query` selects, in document order."""
    try:
        return jsonpath.paths(query, document)
    except jsonpath.JsonPathError as exc:
        # Queries are checked when loaded, so this means jsonpath-ng changed under us.
        raise BuildError(f"{expression!r}: {exc}", where) from None


# --------------------------------------------------------------------------------------------
# Applying


def apply_overlay(
    document: dict[str, Any], overlay: Overlay
) -> tuple[dict[str, Any], list[BuildWarning]]:
    """Apply an Overlay's actions, in order, to a copy of `document` (which is not changed).

    Returns the new document and the warnings (the overlay's load-time ones first, then e.g.
    targets that selected nothing), all located in the overlay file. Actions that cannot be
    applied (kinds that don't merge, a copy source that isn't exactly one node ...) raise
    `InputError` located at the action.
    """
    result = copy.deepcopy(document)
    found: list[BuildWarning] = []
    _apply_in_place(result, overlay, found)
    return result, found


def apply_overlays(
    document: dict[str, Any], overlays: list[Overlay]
) -> tuple[dict[str, Any], list[BuildWarning]]:
    """Apply several Overlays in order (each sees the result of the ones before) to a copy."""
    result = copy.deepcopy(document)
    found: list[BuildWarning] = []
    for overlay in overlays:
        _apply_in_place(result, overlay, found)
    return result, found


def _apply_in_place(document: Any, overlay: Overlay, found: list[BuildWarning]) -> None:
    found.extend(overlay.warnings)
    for action in overlay.actions:
        if action.kind == "none":
            continue  # already reported when loaded
        where = overlay.location(f"{action.pointer}/target")
        targets = _node_paths(document, action.query, action.target, where)
        if not targets:
            found.append(
                BuildWarning(
                    where, f"action {action.number} target {action.target} matched nothing"
                )
            )
            continue
        if action.kind == "remove":
            _remove(document, targets, action, overlay, found)
        elif action.kind == "update":
            _update(document, targets, action.update, _Source(overlay, action, "update"))
        elif action.kind == "copy":
            assert action.copy_query is not None
            assert action.copy is not None
            copy_where = overlay.location(f"{action.pointer}/copy")
            sources = _node_paths(document, action.copy_query, action.copy, copy_where)
            if len(sources) != 1:
                raise InputError(
                    f"action {action.number} copy {action.copy} must select exactly one node; "
                    f"it selected {len(sources)}",
                    copy_where,
                )
            # A deep copy first: the source may contain (or be) a target.
            value = copy.deepcopy(jsonpath.get(document, sources[0]))
            _update(document, targets, value, _Source(overlay, action, "copy", sources[0]))


@dataclass(frozen=True)
class _Source:
    """Where an update/copy value comes from, for messages and their locations."""

    overlay: Overlay
    action: Action
    modifier: Literal["update", "copy"]
    copied_from: NodePath = ()

    def location(self, inner: NodePath = ()) -> Location:
        # An update value is in the overlay file, so point into it; a copied one is not.
        tokens = inner if self.modifier == "update" else ()
        pointer = join_pointer("actions", self.action.index, self.modifier, *tokens)
        return self.overlay.location(pointer)

    def describe(self, inner: NodePath) -> str:
        if self.modifier == "update":
            return "the update value" + (f" at {join_pointer(*inner)}" if inner else "")
        return f"the copied value at {_pointer(self.copied_from + inner)}"


def _update(document: Any, targets: list[NodePath], value: Any, source: _Source) -> None:
    action = source.action
    nodes = [jsonpath.get(document, t) for t in targets]
    kinds = {_shape(n) for n in nodes}
    where = source.overlay.location(f"{action.pointer}/target")
    if "primitive" in kinds and source.overlay.minor == 0:
        first = next(t for t, n in zip(targets, nodes, strict=True) if _shape(n) == "primitive")
        raise InputError(
            f"action {action.number} target {action.target} selects "
            f"{_kind(jsonpath.get(document, first))} at {_pointer(first)}; "
            "Overlay 1.0 targets must be "
            "objects or arrays (select the containing object and update the property, or set "
            "overlay: 1.1.0)",
            where,
        )
    if len(kinds) > 1:
        examples: dict[str, tuple[NodePath, Any]] = {}
        for t, n in zip(targets, nodes, strict=True):
            examples.setdefault(_shape(n), (t, n))
        listed = ", ".join(f"{_kind(n)} at {_pointer(t)}" for t, n in examples.values())
        raise InputError(
            f"action {action.number} target {action.target} selects nodes of different kinds "
            f"({listed}); an {source.modifier} target must select all objects, all arrays or all "
            "primitives",
            where,
        )
    for target, node in zip(targets, nodes, strict=True):
        if isinstance(node, dict):
            if not isinstance(value, dict):
                raise InputError(
                    f"action {action.number}: {source.describe(())} is {_kind(value)}, but "
                    f"{_pointer(target)} is an object, which only merges with an object",
                    source.location(),
                )
            _merge(node, value, target, (), source)
        elif isinstance(node, list):
            # An array value is concatenated, anything else appended as one item.
            node.extend(copy.deepcopy(value) if isinstance(value, list) else [copy.deepcopy(value)])
        else:
            if isinstance(value, dict | list):
                raise InputError(
                    f"action {action.number}: {source.describe(())} is {_kind(value)}, but "
                    f"{_pointer(target)} is {_kind(node)}, which only a primitive value can "
                    "replace",
                    source.location(),
                )
            jsonpath.get(document, target[:-1])[target[-1]] = value


def _merge(
    node: dict[str, Any], value: dict[str, Any], at: NodePath, inner: NodePath, source: _Source
) -> None:
    """Merge `value` into `node` by the Overlay rules; keys keep their order, new ones go last."""
    for key, new in value.items():
        if key not in node:
            node[key] = copy.deepcopy(new)
            continue
        old = node[key]
        if isinstance(old, dict) and isinstance(new, dict):
            _merge(old, new, (*at, key), (*inner, key), source)
        elif isinstance(old, list) and isinstance(new, list):
            old.extend(copy.deepcopy(new))
        elif not isinstance(old, dict | list) and not isinstance(new, dict | list):
            node[key] = new
        else:
            # Includes null against an object or array: the spec calls every other pairing
            # incompatible, so a `null` placeholder doesn't silently mean "leave it".
            raise InputError(
                f"action {source.action.number}: {source.describe((*inner, key))} is "
                f"{_kind(new)}, but the document has {_kind(old)} at {_pointer((*at, key))}; "
                "only objects, arrays or primitives merge with their own kind",
                source.location((*inner, key)),
            )


def _remove(
    document: Any,
    targets: list[NodePath],
    action: Action,
    overlay: Overlay,
    found: list[BuildWarning],
) -> None:
    where = overlay.location(f"{action.pointer}/target")
    if () in targets:
        raise InputError(
            f"action {action.number} target {action.target} selects the document root, "
            "which cannot be removed",
            where,
        )
    if overlay.minor == 0:
        primitive = [t for t in targets if _shape(jsonpath.get(document, t)) == "primitive"]
        if primitive:
            # 1.0's text forbids primitive targets, but its compliance sets remove primitives
            # and 1.1 allows it: do it, and say so.
            found.append(
                BuildWarning(
                    where,
                    f"action {action.number} removes "
                    f"{_kind(jsonpath.get(document, primitive[0]))} at "
                    f"{_pointer(primitive[0])}; Overlay 1.0 targets must be objects or arrays "
                    "(set overlay: 1.1.0)",
                )
            )
    # Deepest first and, within one array, highest index first: earlier removals then never
    # shift the positions of later ones.
    for target in sorted(targets, key=jsonpath.removal_order, reverse=True):
        del jsonpath.get(document, target[:-1])[target[-1]]


def _pointer(path: NodePath) -> str:
    return join_pointer(*path) or "the document root"


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "primitive"


def _kind(value: Any) -> str:
    """`an object`, `a string`, `null` ...: a JSON value's kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
