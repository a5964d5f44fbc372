"""Loading: a spec file (Swagger 2.0, OAS 3.0 or 3.1; YAML or JSON) into a checked 3.x document."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_pydantic import parse_obj
from pydantic import ValidationError

from adaptgen.errors import BuildWarning, InputError, Location
from adaptgen.load.refs import RefResolver
from adaptgen.load.source import SourceFile, join_pointer, read_source, split_pointer
from adaptgen.runtime.http_methods import OPENAPI_METHODS as HTTP_METHODS

# Where Swagger 2.0 kept what 3.0 keeps under components: used to point messages at the
# user's own file after conversion.
_SWAGGER2_POINTERS = (
    ("/components/schemas/", "/definitions/"),
    ("/components/parameters/", "/parameters/"),
    ("/components/responses/", "/responses/"),
    ("/components/securitySchemes/", "/securityDefinitions/"),
)


@dataclass
class Spec:
    """A loaded spec: an OpenAPI 3.x document plus everything needed to talk about it."""

    source: SourceFile  # the user's file; for 2.0 its data is the converted 3.0 document
    document: dict[str, Any]
    original_version: str
    model: Any  # openapi_pydantic OpenAPI (3.0 or 3.1 flavour)
    resolver: RefResolver
    warnings: list[BuildWarning] = field(default_factory=list)

    @property
    def is_31(self) -> bool:
        """OAS 3.1 schemas are JSON Schema 2020-12 (type arrays instead of `nullable`)."""
        return str(self.document.get("openapi", "")).startswith("3.1")

    def location(self, pointer: str) -> Location:
        """Where `pointer` (into the 3.x document) is in the user's file."""
        return self.source.location(pointer)


class _Swagger2Source(SourceFile):
    """The user's 2.0 file, holding the converted document, locating pointers in the original."""

    def location(self, pointer: str | None = None) -> Location:
        if pointer is not None:
            for new, old in _SWAGGER2_POINTERS:
                if pointer.startswith(new):
                    pointer = old + pointer[len(new) :]
                    break
        return super().location(pointer)


_VERSION_3 = re.compile(r"^3\.[01]\.\d+$")


def _with_autorest_paths(doc: dict[str, Any]) -> dict[str, Any]:
    """AutoRest's `x-ms-paths` read as paths: the paths OpenAPI will not hold beside the others,
    the same path with another query (Azure Storage's `/?comp=list`, `/?comp=properties`, each
    its own operation). A key `paths` holds too wins; messages point into `x-ms-paths`
    (`SourceFile.location`)."""
    extra = doc.get("x-ms-paths")
    if not isinstance(extra, dict) or not extra:
        return doc
    paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
    merged = {**paths, **{k: v for k, v in extra.items() if k not in paths}}
    return {**{k: v for k, v in doc.items() if k != "x-ms-paths"}, "paths": merged}


def load_spec(
    path: str | Path,
    *,
    allow_remote_refs: bool = False,
    overlays: Sequence[str | Path] = (),
    ref_root: str | Path | None = None,
) -> Spec:
    """Read, patch (Overlays), convert (2.0) and check a spec.

    Bad input raises `InputError` with a location. Overlays apply to the document as written,
    before anything else reads it, so they can patch a 2.0 spec or add `x-agent` hints.
    File `$ref`s may read only under `ref_root` (default: the spec's folder).
    """
    source = read_source(Path(path))
    doc = source.data
    if not isinstance(doc, dict):
        raise InputError(
            "not an OpenAPI document: the top level must be a mapping", source.location("")
        )
    warnings: list[BuildWarning] = []
    if overlays:
        from adaptgen.load.overlay import apply_overlays, load_overlay

        doc, applied = apply_overlays(doc, [load_overlay(Path(o)) for o in overlays])
        warnings.extend(applied)
        source.data = doc
    doc = _with_autorest_paths(doc)
    if "swagger" in doc:
        version = str(doc["swagger"])
        if version != "2.0":
            raise InputError(
                f"unsupported Swagger version {version!r} (supported: 2.0, 3.0.x, 3.1.x)",
                source.location("/swagger"),
            )
        from adaptgen.load.swagger2 import convert_swagger2

        try:
            converted, notes = convert_swagger2(doc)
        except ValueError as exc:
            raise InputError(f"cannot convert Swagger 2.0: {exc}", source.location("")) from None
        warnings.extend(BuildWarning(source.location(n.pointer), n.message) for n in notes)
        source = _Swagger2Source(
            path=source.path, text=source.text, data=converted, kind=source.kind
        )
        doc = converted
    elif "openapi" in doc:
        version = str(doc["openapi"])
        if not _VERSION_3.match(version):
            raise InputError(
                f"unsupported OpenAPI version {version!r} (supported: 2.0, 3.0.x, 3.1.x)",
                source.location("/openapi"),
            )
    else:
        raise InputError(
            "not an OpenAPI document: no 'openapi' or 'swagger' version field", source.location("")
        )
    if not isinstance(doc.get("paths", {}), dict):
        raise InputError("'paths' must be a mapping", source.location("/paths"))
    if any(str(key).startswith("x-") for key in doc.get("paths") or {}):
        # Extensions of the Paths object (`x-codegen-contextRoot`) are not paths; openapi-pydantic
        # would read them as path items and refuse the document.
        paths = {k: v for k, v in doc["paths"].items() if not str(k).startswith("x-")}
        doc = {**doc, "paths": paths}

    doc, model, dropped = _validate(doc, source)
    warnings.extend(dropped)
    if doc is not source.data:
        source.data = doc
    resolver = RefResolver(
        source,
        allow_remote=allow_remote_refs,
        ref_root=Path(ref_root) if ref_root is not None else None,
    )
    return Spec(source, doc, version, model, resolver, warnings)


def _validate(
    doc: dict[str, Any], source: SourceFile
) -> tuple[dict[str, Any], Any, list[BuildWarning]]:
    """Check the document with openapi-pydantic.

    An invalid documentation or constraint keyword (`examples`, `pattern`, ...: see
    ANNOTATIONS) is left out with a warning, and so is an invalid operation (one bad operation
    must not fail a build of hundreds); anything else invalid is an `InputError`. OpenAPI
    3.1's boolean schemas, which openapi-pydantic does not take, are read as `{}` (true) and
    `{"not": {}}` (false) first.
    """
    if str(doc.get("openapi", "")).startswith("3.1"):
        doc = _without_boolean_schemas(doc)
    warnings: list[BuildWarning] = []
    operations = len(doc.get("paths") or {}) * len(HTTP_METHODS)
    for _ in range(operations + MAX_IGNORED_ANNOTATIONS + 1):
        try:
            return doc, parse_obj(doc), warnings
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        if any(_empty_required(e) for e in errors):
            # OpenAPI 3.0 wants a `required` list to name one field at least; TypeSpec's
            # emitter writes `required: []` for a model of optional fields. It says nothing.
            doc = _without_empty_required(doc)
            continue
        # A value checked against a union (a schema or a reference) fails once per branch: an
        # annotation error in any branch is the one to act on.
        found = ((e, _annotation(_real_tokens(doc, e["loc"]))) for e in errors)
        annotated = next(((e, a) for e, a in found if a is not None), None)
        ignored = sum(w.message.startswith("ignored") for w in warnings)
        if annotated is not None and ignored < MAX_IGNORED_ANNOTATIONS:
            error, annotation = annotated
            warnings.append(
                BuildWarning(
                    source.location(join_pointer(*annotation)),
                    f"ignored {annotation[-1]!r}, it is not valid OpenAPI: {_describe(error)}",
                )
            )
            if doc is source.data:
                doc = copy.deepcopy(doc)
            _delete(doc, annotation)
            continue
        first = errors[0]
        tokens = _real_tokens(doc, first["loc"])
        pointer = join_pointer(*tokens)
        op_pointer = join_pointer(*tokens[:3]) if _is_operation(tokens) else None
        if op_pointer is None:
            raise InputError(
                f"invalid OpenAPI document: {_describe(first)}", source.location(pointer)
            )
        warnings.append(
            BuildWarning(
                source.location(pointer),
                f"operation skipped, it is not valid OpenAPI: {_describe(first)}",
            )
        )
        if doc is source.data:
            doc = copy.deepcopy(doc)
        path_key, method = split_pointer(op_pointer)[1:]
        del doc["paths"][path_key][method]
    raise InputError("invalid OpenAPI document", source.location(""))  # pragma: no cover


# Keywords that can be left out when invalid: they describe for people (`example`, ...), or
# constrain a value the upstream checks again (`pattern`, `minimum`, ...): without them a
# schema accepts more, never less, and no call or result changes shape.
ANNOTATIONS = frozenset(
    {
        "example", "examples", "externalDocs", "xml", "contact", "license", "title",
        "description", "summary", "default", "deprecated", "nullable", "pattern", "format",
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip
# Past this many ignored annotations the document is refused as it is (each costs a re-check).
MAX_IGNORED_ANNOTATIONS = 200
# Mappings whose keys are names the spec chose (a property called `example`), not keywords.
_NAMED = frozenset(
    {
        "properties", "patternProperties", "$defs", "definitions", "components", "schemas",
        "responses", "parameters", "headers", "requestBodies", "securitySchemes", "links",
        "callbacks", "encoding", "variables", "mapping", "scopes", "webhooks", "pathItems",
    }
)  # fmt: skip


# Where a JSON Schema (2020-12, OpenAPI 3.1) may be `true` or `false` instead of an object.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_SCHEMA_KEYS = frozenset(
    {"items", "not", "contains", "if", "then", "else", "propertyNames", "unevaluatedItems",
     "unevaluatedProperties", "additionalItems", "schema"}
)  # fmt: skip
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_DATA = frozenset({"example", "examples", "default", "enum", "const"})  # values, not schemas


def _without_boolean_schemas(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc`, or a copy with every boolean schema as the object that means the same."""
    copied = False

    def schema(value: Any) -> Any:
        return {} if value is True else {"not": {}} if value is False else value

    def walk(node: Any) -> Any:
        nonlocal copied
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in _DATA:
                out[key] = value
                continue
            if key in _SCHEMA_KEYS and isinstance(value, bool):
                value = schema(value)
                copied = True
            elif key in _SCHEMA_MAPS and _holds_bool(value, dict):
                value = {k: schema(v) for k, v in value.items()}
                copied = True
            elif key in _SCHEMA_LISTS and _holds_bool(value, list):
                value = [schema(v) for v in value]
                copied = True
            out[key] = walk(value)
        return out

    normalized = walk(doc)
    return normalized if copied else doc


def _empty_required(error: dict[str, Any]) -> bool:
    """Whether a validation error is OpenAPI 3.0's about a schema's empty `required` list."""
    return error["loc"][-1:] == ("required",) and error.get("input") == []


def _without_empty_required(doc: Any) -> Any:
    """A copy of `doc` without any schema's `required: []` (a value's data left as it is)."""
    if isinstance(doc, list):
        return [_without_empty_required(item) for item in doc]
    if not isinstance(doc, dict):
        return doc
    return {
        key: value if key in _DATA else _without_empty_required(value)
        for key, value in doc.items()
        if not (key == "required" and value == [])
    }


def _holds_bool(value: Any, kind: type) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return isinstance(value, kind) and any(isinstance(v, bool) for v in items)


def _annotation(tokens: list[Any]) -> list[Any] | None:
    """The tokens of the innermost documentation keyword an error lies in, if any."""
    for end in range(len(tokens), 0, -1):
        key = tokens[end - 1]
        parent = tokens[end - 2] if end >= 2 else None
        if key in ANNOTATIONS and parent not in _NAMED:
            return tokens[:end]
    return None


def _delete(doc: dict[str, Any], tokens: list[Any]) -> None:
    node: Any = doc
    for token in tokens[:-1]:
        node = node[token]
    del node[tokens[-1]]


def _is_operation(tokens: list[Any]) -> bool:
    return len(tokens) >= 3 and tokens[0] == "paths" and tokens[2] in HTTP_METHODS


def _real_tokens(doc: Any, loc: tuple[Any, ...]) -> list[Any]:
    """The pointer tokens of a pydantic error location, leaving out union branch names."""
    tokens: list[Any] = []
    value = doc
    for part in loc:
        if isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            continue
        tokens.append(part)
    return tokens


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"][-2:])
    return f"{where}: {error['msg']}"
