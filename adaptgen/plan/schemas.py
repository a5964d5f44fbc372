"""Making OpenAPI schemas client-safe JSON Schema for tool inputs.

MCP clients differ a lot in what JSON Schema they accept, so every input schema is made
self-contained and plain: refs inlined (recursion cut with a described, relaxed schema, never a
dangling `$ref`), `allOf` merged, `oneOf` turned into `anyOf` and single-variant unions
unwrapped, a discriminated base's kinds read beside it (`SchemaInliner._with_kinds`),
OpenAPI-only keywords (`nullable`, `discriminator`, `xml`, `x-*`) dropped (a nullable field
of a result, or of a request body, says `null` in its type instead), and read-only properties
left out of what the agent sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from adaptgen.load.refs import RefResolver, Resolved, is_remote
from adaptgen.load.source import SourceFile
from adaptgen.plan.describe import ARGUMENT_DESCRIPTION_CHARS, NESTED_DESCRIPTION_CHARS, brief
from adaptgen.runtime.binary import text_media
from adaptgen.words import squashed

# Keywords copied as they are (after the value is checked to be JSON data).
_PLAIN_KEYWORDS = (
    "format",
    "enum",
    "const",
    "default",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
# Formats that only say how a number is stored upstream: noise to an agent.
_STORAGE_FORMATS = {"int32", "int64", "float", "double"}
MAX_DEPTH = 12
# Descriptions of arguments (depth 0, or 1 for a flattened body's fields) and of their direct
# fields are kept; deeper ones cost every tools/list and rarely tell more than the field name.
NESTED_DEPTH = 2
# Bounds for hostile specs (refs fanning out grow exponentially; chains of refs recurse): real
# specs nest refs < 15 deep and visit < 1,300 schema nodes to inline their largest schema.
MAX_REF_DEPTH = 64
MAX_SCHEMA_NODES = 20_000
# Values json.dumps always encodes (floats may be NaN or infinite, which JSON has no words for).
_JSON_SCALARS = frozenset({str, int, bool, type(None)})
_TOO_LARGE = {"description": "Not described: the schema is too large to inline."}
# The most kinds of one discriminated base whose fields are read beside its own: a base with
# more is a root of everything (Graph's `entity`, Data Factory's 100+ linked services) and
# stands for itself, as before.
MAX_KINDS = 24


@dataclass
class _Walked:
    """A `$ref` target's walk, kept to be reused wherever the same walk would happen again.

    The walk of a target at a depth depends on the stack of refs it was reached through only by
    the answers to "is this ref on the stack?" it asked (`hits`: yes, `misses`: no, for refs
    pushed before it), on how close the stack came to `MAX_REF_DEPTH` (`reach`: stack length
    at its deepest check, relative to the target) and on the node budget (`cost`). Where all
    of those would come out the same, the walk would too, byte for byte.
    """

    result: dict[str, Any]
    cost: int
    hits: frozenset[str]
    misses: frozenset[str]
    reach: int


@dataclass
class _Frame:
    """A `$ref` target being walked: what its walk asked of the stack so far."""

    base: int  # the target's index on the stack
    budget: int  # nodes left when it started
    hits: set[str] = field(default_factory=set)
    misses: set[str] = field(default_factory=set)
    deepest: int = 0  # the longest stack seen at a MAX_REF_DEPTH check


@dataclass
class SchemaInliner:
    """Turns a schema found at (source, pointer) into a standalone client-safe schema.

    Each `$ref` target's walk is memoized per depth and stack context (see `_Walked`), so specs
    whose responses share deep component graphs walk each shared subtree once, not once per
    place it appears.
    """

    resolver: RefResolver
    for_input: bool = True
    max_depth: int = MAX_DEPTH
    # A request body's: a nullable field may be sent as null (a merge patch's "remove", an
    # API's "clear"), so its type says `null` too; a parameter's null only leaves it out.
    nulls: bool = False
    _nodes_left: int = field(default=MAX_SCHEMA_NODES, init=False, repr=False)
    _walked: dict[tuple[str, int], list[_Walked]] = field(default_factory=dict, init=False)
    _frames: list[_Frame] = field(default_factory=list, init=False, repr=False)
    _on_stack: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def inline(self, schema: Any, source: SourceFile, pointer: str) -> dict[str, Any]:
        """The client-safe form of `schema`, a new dict (its nested parts may be shared)."""
        self._nodes_left = MAX_SCHEMA_NODES
        return dict(self._walk(schema, source, pointer, (), 0))

    def _walk(
        self,
        schema: Any,
        source: SourceFile,
        pointer: str,
        stack: tuple[str, ...],
        depth: int,
        kinds: bool = True,
    ) -> dict[str, Any]:
        if not isinstance(schema, dict):
            # `true`/absent accept anything; `false` is not useful for inputs either.
            return {}
        self._nodes_left -= 1
        if self._nodes_left < 0:
            return dict(_TOO_LARGE)
        if "$ref" in schema:
            return self._walk_ref(schema, source, pointer, stack, depth, kinds)
        if depth > self.max_depth:
            return _with_description({}, schema.get("description"), depth)
        out: dict[str, Any] = {}
        if "allOf" in schema and isinstance(schema["allOf"], list):
            own = {k: v for k, v in schema.items() if k != "allOf"}
            parts = [self._walk(own, source, pointer, stack, depth)] if own else []
            for i, sub in enumerate(schema["allOf"]):
                # A member is a kind's base, never the union of its kinds (Graph's `entity`).
                at = f"{pointer}/allOf/{i}"
                parts.append(self._walk(sub, source, at, stack, depth, kinds=False))
            for part in parts:
                out = merge_schemas(out, part)
            if isinstance(out.get("properties"), dict) and "required" in out:
                # A member may require what another declares (Asana: `allOf: [Request,
                # {required: [assignee, ...]}]`). An input name that no member declares at
                # all (not one dropped as read-only) is asked for, as for a plain object
                # (gerermesaffaires' social regimes require `Name` and describe no `Name`).
                if self.for_input:
                    declared = _declared_names(schema, source, self.resolver, pointer)
                    if out.get("additionalProperties") is False:
                        out["required"] = _as_declared(out["required"], declared)
                    undeclared = {
                        r: {"description": _UNDESCRIBED}
                        for r in out["required"]
                        if isinstance(r, str) and r and r not in declared
                    }
                    out["properties"] = {**out["properties"], **undeclared}
                out["required"] = [r for r in out["required"] if r in out["properties"]]
                if not out["required"]:
                    del out["required"]
            return out
        description = schema.get("description")
        if isinstance(description, str) and description.strip() and depth <= NESTED_DEPTH:
            out["description"] = brief(description, _description_limit(depth))
        schema_type = _client_type(schema)
        carried = self.for_input and _carried_file(schema)
        if carried:
            schema_type = "string"  # a file's contents: the agent gives its text
        if schema_type is not None:
            if (self.nulls or not self.for_input) and _allows_null(schema):
                # Results may carry nulls, and a body's field may be set to one; a parameter
                # never needs to send one (omit the argument).
                schema_type = [
                    *([schema_type] if isinstance(schema_type, str) else schema_type),
                    "null",
                ]
            out["type"] = schema_type
        for key in _PLAIN_KEYWORDS:
            if key in schema and _is_json(schema[key]):
                if key == "format" and schema[key] in _STORAGE_FORMATS:
                    continue
                out[key] = schema[key]
        if carried:
            out["format"] = "binary"
        if "enum" in out and isinstance(out["enum"], list):
            out["enum"] = [v for v in out["enum"] if v is not None] or out.pop("enum")
        if self.for_input and "enum" in out and _open_enum(schema, out["enum"]):
            out["examples"] = out.pop("enum")  # the values known: the API takes others too
        if "enum" in out and isinstance(out.get("type"), list) and "null" in out["type"]:
            out["enum"] = [*out["enum"], None]  # a value it may be set to, as its type says
        _exclusive_bounds(schema, out)
        if "items" in schema:
            out["items"] = self._walk(schema["items"], source, f"{pointer}/items", stack, depth + 1)
        if isinstance(schema.get("properties"), dict):
            props: dict[str, Any] = {}
            for name, sub in schema["properties"].items():
                if self.for_input and _is_read_only(sub, source, self.resolver, pointer):
                    continue
                props[name] = self._walk(
                    sub, source, f"{pointer}/properties/{_esc(name)}", stack, depth + 1
                )
            declared = schema["properties"]
            asked = schema.get("required") or []
            closed = schema.get("additionalProperties") is False
            if self.for_input and closed and isinstance(asked, list):
                asked = _as_declared(asked, declared)
            for name in asked:
                if self.for_input and isinstance(name, str) and name and name not in declared:
                    # Required but never described (a slip common in old specs): the upstream
                    # still refuses a body without it, so the agent is asked for it.
                    props[name] = {"description": _UNDESCRIBED}
            out["properties"] = props
            required = [r for r in asked if r in props]
            if required:
                out["required"] = required
            out.setdefault("type", "object")
        elif isinstance(schema.get("required"), list) and schema["required"]:
            # Required names without properties: they constrain an `allOf` sibling's.
            out["required"] = [r for r in schema["required"] if isinstance(r, str)]
        additional = schema.get("additionalProperties")
        if isinstance(additional, bool):
            out["additionalProperties"] = additional
        elif isinstance(additional, dict):
            out["additionalProperties"] = self._walk(
                additional, source, f"{pointer}/additionalProperties", stack, depth + 1
            )
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                out = self._union(out, schema[key], key, source, pointer, stack, depth)
        return out

    def _with_kinds(
        self,
        out: dict[str, Any],
        schema: dict[str, Any],
        target: Resolved,
        stack: tuple[str, ...],
        depth: int,
    ) -> dict[str, Any]:
        """A discriminated base whose kinds are the schemas that `allOf` it (Swagger 2.0's
        polymorphism, which Azure's specs use throughout: a data connection of kind
        `EventHub` has fields a `DataConnection` does not declare): the fields of every kind
        beside the base's, each optional, and the kinds' names said on the discriminator. Before,
        only the base's fields were arguments, so no kind could be made whole."""
        named = schema["discriminator"]
        named = named.get("propertyName") if isinstance(named, dict) else named
        props = out.get("properties")
        source = target.source
        components = _component_schemas(source.data)
        if not isinstance(named, str) or not isinstance(props, dict) or not components:
            return out
        ref = "#" + target.pointer
        found = [
            (name, kind)
            for name, kind in components.items()
            if isinstance(kind, dict)
            and isinstance(kind.get("allOf"), list)
            and any(isinstance(m, dict) and m.get("$ref") == ref for m in kind["allOf"])
        ]
        if not found or len(found) > MAX_KINDS:
            return out  # none; or so many it is a root of everything (Graph's `entity`)
        fields = dict(props)
        kinds: list[str] = []
        for name, kind in found:
            members = kind["allOf"]
            value = kind.get("x-ms-discriminator-value")
            kinds.append(value if isinstance(value, str) and value else str(name))
            at = f"/components/schemas/{_esc(str(name))}"
            own = {k: v for k, v in kind.items() if k not in ("allOf", "required")}
            parts = [(own, at)] if isinstance(own.get("properties"), dict) else []
            parts += [
                (m, f"{at}/allOf/{i}")
                for i, m in enumerate(members)
                if not (isinstance(m, dict) and m.get("$ref") == ref)
            ]
            for part, part_pointer in parts:
                walked = self._walk(part, source, part_pointer, stack, depth, kinds=False)
                for field_name, field_schema in (walked.get("properties") or {}).items():
                    fields.setdefault(field_name, field_schema)
        said = dict(fields.get(named) or {"type": "string"})
        said.setdefault("examples", kinds)
        note = f"The kind: {', '.join(kinds)}; each kind's own fields are beside it."
        said["description"] = f"{said['description']} {note}" if said.get("description") else note
        fields[named] = said
        return {**out, "properties": fields}

    def _walk_ref(
        self,
        schema: dict[str, Any],
        source: SourceFile,
        pointer: str,
        stack: tuple[str, ...],
        depth: int,
        kinds: bool = True,
    ) -> dict[str, Any]:
        ref = schema["$ref"]
        if not isinstance(ref, str):
            return {}
        name = ref.rsplit("/", 1)[-1]
        target = self.resolver.resolve(ref, source, pointer)
        if target is None:
            # Remote and not fetched: relaxed to "anything", and said so to the agent.
            note = f"Defined by {ref} (not fetched at build time)."
            return _with_description({}, schema.get("description") or note, depth)
        if self._frames:
            frame = self._frames[-1]
            frame.deepest = max(frame.deepest, len(stack))
        if len(stack) >= MAX_REF_DEPTH:
            return {"description": f"A nested {name} (its $refs nest too deep to inline)."}
        if self._asked(target.key):
            relaxed: dict[str, Any] = {"description": f"A nested {name} (recursive structure)."}
            if isinstance(target.value, dict) and target.value.get("type") == "object":
                relaxed["type"] = "object"
            return relaxed
        result = self._walk_target(target, stack, depth)
        value = target.value
        if kinds and self.for_input and _discriminated(value):
            # Its kinds' fields, walked as parts of it: a kind's field of its own base is cut
            # as recursion, as inside the base itself.
            self._on_stack[target.key] = len(stack)
            try:
                result = self._with_kinds(result, value, target, (*stack, target.key), depth)
            finally:
                del self._on_stack[target.key]
        # OAS 3.1 lets a $ref carry its own description, which wins over the target's.
        own = schema.get("description")
        if isinstance(own, str) and own.strip() and depth <= NESTED_DEPTH:
            rest = {k: v for k, v in result.items() if k != "description"}
            limit = _description_limit(depth)
            result = {"description": brief(schema["description"], limit), **rest}
        return result

    def _asked(self, key: str) -> bool:
        """Whether `key` is on the stack, noted in the walk being recorded."""
        at = self._on_stack.get(key)
        if self._frames:
            frame = self._frames[-1]
            if at is None:
                frame.misses.add(key)
            elif at < frame.base:
                frame.hits.add(key)
        return at is not None

    def _walk_target(self, target: Resolved, stack: tuple[str, ...], depth: int) -> dict[str, Any]:
        """The walk of a ref's target: reused when an earlier one still holds, else made."""
        base = len(stack)
        for walked in self._walked.get((target.key, depth), ()):
            if self._holds(walked, base):
                self._nodes_left -= walked.cost
                self._note(walked.hits, walked.misses, base + walked.reach)
                return walked.result
        frame = _Frame(base, self._nodes_left)
        self._frames.append(frame)
        self._on_stack[target.key] = base
        try:
            result = self._walk(
                target.value, target.source, target.pointer, (*stack, target.key), depth
            )
        finally:
            del self._on_stack[target.key]
            self._frames.pop()
        reach = max(frame.deepest - base, 0)
        if self._nodes_left >= 0 and base + reach < MAX_REF_DEPTH:
            walked = _Walked(
                result,
                frame.budget - self._nodes_left,
                frozenset(frame.hits),
                frozenset(frame.misses),
                reach,
            )
            self._walked.setdefault((target.key, depth), []).append(walked)
        self._note(frame.hits, frame.misses, frame.deepest)
        return result

    def _holds(self, walked: _Walked, base: int) -> bool:
        """Whether a recorded walk is what walking again here would give."""
        on_stack = self._on_stack
        return (
            walked.cost <= self._nodes_left
            and base + walked.reach < MAX_REF_DEPTH
            and all(key in on_stack for key in walked.hits)
            and (
                walked.misses.isdisjoint(on_stack)
                if len(on_stack) < len(walked.misses)
                else not any(key in on_stack for key in walked.misses)
            )
        )

    def _note(self, hits: Iterable[str], misses: Iterable[str], deepest: int) -> None:
        """Pass what an inner walk asked of the stack on to the walk around it."""
        if not self._frames:
            return
        frame = self._frames[-1]
        frame.deepest = max(frame.deepest, deepest)
        frame.misses.update(misses)
        for key in hits:
            if self._on_stack[key] < frame.base:
                frame.hits.add(key)

    def _union(
        self,
        out: dict[str, Any],
        variants: list[Any],
        key: str,
        source: SourceFile,
        pointer: str,
        stack: tuple[str, ...],
        depth: int,
    ) -> dict[str, Any]:
        walked = [
            self._walk(v, source, f"{pointer}/{key}/{i}", stack, depth)
            for i, v in enumerate(variants)
            if not _is_null_schema(v)
        ]
        # `anyOf: [{type: string}, {type: "null"}]` (OpenAPI 3.1's nullable, FastAPI's every
        # optional field): the null said where nulls are (results, a body's field that may
        # be set to one), the other variant kept whole. Walked as a variant, the null was `{}`,
        # "accepts anything", and the field lost its type.
        null = any(_is_null_schema(v) for v in variants) and (self.nulls or not self.for_input)
        unique: list[dict[str, Any]] = []
        for variant in walked:
            if variant not in unique:
                unique.append(variant)
        if not unique:
            return {**out, "type": "null"} if null else out
        if len(unique) == 1:
            merged = merge_schemas(out, unique[0])
            return _or_null(merged) if null else merged
        if {} in unique:
            return out  # one variant accepts anything, so the union does too
        # oneOf's "exactly one" is unknowable to most clients; anyOf says what they can check.
        merged = dict(out)
        merged["anyOf"] = merged.get("anyOf", []) + unique + ([{"type": "null"}] if null else [])
        return merged


_UNDESCRIBED = "Required by the API; the spec does not describe it."


def _as_declared(required: list[Any], declared: Iterable[str]) -> list[Any]:
    """`required` with each name no property has, but one property has but for case and
    punctuation, read as that property's, for an object that takes no other field: Airbyte's
    stream requires `json_schema`, declares `jsonSchema` and `additionalProperties: false`, so
    the name as written can never be sent, and asked for under it the agent sent a field the
    schema refuses and never the one it reads. Where other fields are taken (Xero's files
    require `name` of their `Name`, vestorly `id` beside `_id`: 10 more in 6 corpus specs)
    the name stays as written, an undescribed argument: which one a server reads the spec does
    not settle, and a mock that checks the spec wants it as written."""
    by_squashed: dict[str, list[str]] = {}
    for name in declared:
        by_squashed.setdefault(squashed(name), []).append(name)
    out = []
    for name in required:
        alike = by_squashed.get(squashed(name), []) if isinstance(name, str) else []
        out.append(alike[0] if name not in declared and len(alike) == 1 else name)
    return list(dict.fromkeys(out))


def merge_schemas(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two schemas as `allOf` means (both must hold), favouring `a` on conflicts."""
    if not a:
        return dict(b)
    if not b:
        return dict(a)
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            props = dict(out["properties"])
            for name, sub in value.items():
                props[name] = merge_schemas(props[name], sub) if name in props else sub
            out["properties"] = props
        elif key in ("items", "additionalProperties") and _both_dicts(out[key], value):
            # A member that says what a list holds refines one that says only that it is a
            # list (NPR's `allOf: [CollectionDocument, {items: {items: AdTrackingDocument}}]`,
            # a base page's `data` of objects and a subtype's `data` of its own records).
            out[key] = merge_schemas(out[key], value)
        elif key == "required":
            out["required"] = list(dict.fromkeys([*out["required"], *value]))
        elif key == "enum" and isinstance(out["enum"], list):
            both = [v for v in out["enum"] if v in value]
            out["enum"] = both or out["enum"]
    if "properties" in out:
        out.setdefault("type", "object")
    return out


def _both_dicts(a: Any, b: Any) -> bool:
    return isinstance(a, dict) and isinstance(b, dict)


def clean_text(text: str) -> str:
    """Normalize prose from a spec: dedented, no trailing spaces, no surrounding blank lines."""
    import inspect

    lines = inspect.cleandoc(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _client_type(schema: dict[str, Any]) -> Any:
    schema_type = schema.get("type")
    if isinstance(schema_type, list):
        kinds = [t for t in schema_type if isinstance(t, str) and t != "null"]
        if not kinds:
            return None
        return kinds[0] if len(kinds) == 1 else kinds
    if isinstance(schema_type, str):
        if schema_type == "file":
            return "string"
        return schema_type if schema_type != "null" else None
    return None


def _open_enum(schema: dict[str, Any], values: list[Any]) -> bool:
    """Whether an enum of strings is one the API may add to: AutoRest's `x-ms-enum` with
    `modelAsString: true` (2,825 in 394 Azure corpus specs: VM sizes, SKUs, kinds). Its values
    are the ones known when the spec was written, and the service takes newer ones (a VM size
    released since): asked as a closed list, a call with one was refused before it was sent.
    An argument of such a type is a string with those values as `examples`."""
    marked = schema.get("x-ms-enum")
    return (
        isinstance(marked, dict)
        and marked.get("modelAsString") is True
        and all(isinstance(v, str) for v in values)
    )


def _carried_file(schema: dict[str, Any]) -> bool:
    """Whether `schema` is a file's bytes written otherwise than OAS 3.0's `{type: string,
    format: binary}`, which it is then read as:

    - Swagger 2's `type: file` as a converter carried it into OAS 3: `{type: object, format:
      file}` and nothing an object has (in the requests of 11 Azure and Microsoft specs of
      APIs.guru's, mostly `application/octet-stream` bodies: Data Lake's appends, Computer
      Vision's images); read as written, the agent would be asked for an object and the
      upstream sent its JSON;
    - OAS 3.1's `contentMediaType` with no `contentEncoding` (its own way to say binary:
      `{contentMediaType: image/png}`, TypeSpec's every file and bytes body); read as written,
      a data URL was sent as its text. With `contentEncoding: base64` it is text, as given."""
    if (
        schema.get("format") == "file"
        and schema.get("type") in ("object", "file", None)
        and not any(k in schema for k in ("properties", "additionalProperties", "items"))
    ):
        return True
    media = schema.get("contentMediaType")
    return (
        isinstance(media, str)
        and not text_media(media.strip().lower())  # a string holding JSON or XML is text
        and "contentEncoding" not in schema
        and schema.get("type") in ("string", None)
        and not any(k in schema for k in ("properties", "items", "enum", "const"))
    )


def _exclusive_bounds(schema: dict[str, Any], out: dict[str, Any]) -> None:
    # OAS 3.0 used booleans beside minimum/maximum; JSON Schema wants the bound itself.
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = schema.get(flag)
        if value is True and bound in out:
            out[flag] = out.pop(bound)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[flag] = value


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` that also takes null: `null` among its types (and its values, if it lists
    them), or, with no type to widen, beside it in an `anyOf`."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema = {**schema, "type": [kind, "null"] if kind != "null" else kind}
    elif isinstance(kind, list):
        schema = {**schema, "type": kind if "null" in kind else [*kind, "null"]}
    else:
        return {"anyOf": [schema, {"type": "null"}]}
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return schema.get("nullable") is True or (isinstance(kind, list) and "null" in kind)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("type") == "null" or (schema.get("enum") == [None])
    )


def _declared_names(
    schema: Any, source: SourceFile, resolver: RefResolver, pointer: str, depth: int = 0
) -> set[str]:
    """Every property name `schema` and its `allOf` members declare (local `$ref`s followed,
    a few levels deep), read-only ones too."""
    if not isinstance(schema, dict) or depth > MAX_REF_DEPTH:
        return set()
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = None if is_remote(ref) else resolver.resolve(ref, source, pointer)
        if target is None:
            return set()
        return _declared_names(target.value, target.source, resolver, target.pointer, depth + 1)
    names = set(schema["properties"]) if isinstance(schema.get("properties"), dict) else set()
    for i, member in enumerate(schema.get("allOf") or []):
        names |= _declared_names(member, source, resolver, f"{pointer}/allOf/{i}", depth + 1)
    return names


def _is_read_only(schema: Any, source: SourceFile, resolver: RefResolver, pointer: str) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("readOnly") is True:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and not is_remote(ref):
        target = resolver.resolve(ref, source, pointer)
        return bool(target and isinstance(target.value, dict) and target.value.get("readOnly"))
    return False


def _is_json(value: Any) -> bool:
    if type(value) in _JSON_SCALARS or (
        type(value) is list and all(type(v) in _JSON_SCALARS for v in value)
    ):
        return True  # the common case (a format, a bound, an enum of strings), without encoding
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _description_limit(depth: int) -> int:
    # Depth 0 is an argument itself, depth 1 a field of a flattened body: both are arguments.
    return ARGUMENT_DESCRIPTION_CHARS if depth <= 1 else NESTED_DESCRIPTION_CHARS


def _with_description(schema: dict[str, Any], description: Any, depth: int) -> dict[str, Any]:
    if isinstance(description, str) and description.strip() and depth <= NESTED_DEPTH:
        return {"description": brief(description, _description_limit(depth)), **schema}
    return schema


def _discriminated(schema: Any) -> bool:
    """Whether a schema names its kinds by a discriminator without listing them (Swagger
    2.0's polymorphism; a `oneOf`/`anyOf` beside it says what its kinds are itself)."""
    return (
        isinstance(schema, dict)
        and "discriminator" in schema
        and not any(isinstance(schema.get(k), list) for k in ("oneOf", "anyOf"))
    )


def _component_schemas(doc: Any) -> dict[str, Any]:
    """The document's named schemas (a converted 2.0 spec's `definitions` are there too)."""
    components = doc.get("components") if isinstance(doc, dict) else None
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
