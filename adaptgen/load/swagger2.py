"""Convert Swagger 2.0 documents to OpenAPI 3.0.3, as plain dicts.

The rest of the pipeline only understands OpenAPI 3.x, so legacy 2.0 documents are rewritten
here first.  The conversion is pure and deterministic: the input is never mutated, no I/O
happens, and the output (key order included) depends only on the input.

``$ref`` values are *rewritten* but never resolved; a later stage resolves them.  Anything that
has no faithful 3.0 representation is reported as a :class:`ConversionWarning` carrying a JSON
pointer into the original 2.0 document.  Only structurally broken input (e.g. ``paths`` not
being a mapping) raises :class:`ValueError`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from adaptgen.runtime.http_methods import IGNORED_HEADERS, SWAGGER2_METHODS

__all__ = ["OPENAPI_VERSION", "ConversionWarning", "convert_swagger2"]

OPENAPI_VERSION = "3.0.3"

_JSON = "application/json"
_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_FORM_MEDIA_TYPES = (_URLENCODED, _MULTIPART)

_PARAM_LOCATIONS = ("query", "header", "path", "cookie")
# 3.0 says header parameters with these names SHALL be ignored (they are modelled elsewhere).

# Component names in 3.0 must match this; 2.0 allowed anything (springfox emits "Foo«Bar»").
_VALID_COMPONENT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_RESPONSE_CODE = re.compile(r"^(?:[1-5][0-9]{2}|[1-5]XX|default)$")

_SCHEMA_TYPES = ("string", "number", "integer", "boolean", "array", "object")
# Schema keywords copied verbatim (deep-copied) from 2.0 to 3.0.
_SCHEMA_PASSTHROUGH = (
    "title",
    "description",
    "format",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "example",
    "deprecated",
)
# Fields of a non-body parameter / header / Items object that describe the value's schema.
_SIMPLE_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
    "x-nullable",
    "x-ms-enum",  # AutoRest's enum: whether the API may add values (`plan.schemas._open_enum`)
)
_PARAM_OWN_KEYS = (
    "name",
    "in",
    "description",
    "required",
    "deprecated",
    "allowEmptyValue",
    "collectionFormat",
    "schema",
    "example",
)
_COLLECTION_STYLES: dict[str, tuple[str, bool]] = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
}
_OAUTH2_FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    # 2.0 flow -> (3.0 flow, URLs that 3.0 requires for it)
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}
_TOP_LEVEL_KEYS = (
    "swagger",
    "info",
    "host",
    "basePath",
    "schemes",
    "consumes",
    "produces",
    "paths",
    "definitions",
    "parameters",
    "responses",
    "securityDefinitions",
    "security",
    "tags",
    "externalDocs",
)
_OPERATION_KEYS = (
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "consumes",
    "produces",
    "parameters",
    "responses",
    "schemes",
    "deprecated",
    "security",
)


@dataclass(frozen=True)
class ConversionWarning:
    """Something in the 2.0 document that could not be represented exactly in 3.0."""

    pointer: str  # JSON pointer into the ORIGINAL 2.0 document
    message: str


def convert_swagger2(doc: dict[str, Any]) -> tuple[dict[str, Any], list[ConversionWarning]]:
    """Return an OpenAPI 3.0.3 document equivalent to the Swagger 2.0 `doc` (not mutated).

    The second element lists everything that was lossy, guessed or dropped.  Raises
    ``ValueError`` (with a JSON pointer in the message) only for structurally broken input.
    """
    converter = _Converter(doc)
    out = converter.convert()
    # The same global object may be inlined into several operations; report it once.
    return out, list(dict.fromkeys(converter.warnings))


# --------------------------------------------------------------------------- helpers


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _join(pointer: str, *tokens: object) -> str:
    return pointer + "".join("/" + _escape(t) for t in tokens)


def _decode_token(token: str) -> str:
    # Fragments are URI-encoded JSON pointers: undo percent-encoding, then ~1 / ~0.
    return unquote(token).replace("~1", "/").replace("~0", "~")


def _field_ptr(container: Any, pointer: str, key: str) -> str:
    """Pointer to `key` if present, else to its container (a missing key has no location)."""
    if isinstance(container, Mapping) and key in container:
        return _join(pointer, key)
    return pointer


def _sanitize_name(name: str) -> str:
    return _INVALID_NAME_CHARS.sub("_", name) or "_"


def _base_media_type(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _is_extension(key: object) -> bool:
    return isinstance(key, str) and key.startswith("x-")


def _server_text(value: Any) -> str:
    """A parameter's default or enum value as a server variable's (always a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _with_annotations(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add keywords to a converted schema; a bare `$ref` is wrapped since 3.0 ignores siblings."""
    if not extra:
        return schema
    if "$ref" in schema:
        return {"allOf": [schema], **extra}
    return {**schema, **extra}


@dataclass
class _Param:
    """One entry of a 2.0 `parameters` list, classified after following local `$ref`s."""

    kind: str  # "param" (stays a 3.0 parameter), "body" or "form"
    key: tuple[str, str] | None  # (name, in) for path-level overriding; None if unknown
    pointer: str  # where the parameter definition lives (for warnings)
    source: Mapping[str, Any] | None  # the 2.0 parameter object (body/form kinds)
    global_name: str | None  # name under /parameters when it came from a local $ref
    converted: dict[str, Any] | None  # the 3.0 parameter (kind "param")
    site: str = ""  # where the list entry is (differs from `pointer` for a $ref)

    def __post_init__(self) -> None:
        self.site = self.site or self.pointer


class _Converter:
    """Holds per-document state (name maps, global media types) for one conversion."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        if not isinstance(doc, Mapping):
            raise ValueError("(root): a Swagger 2.0 document must be a mapping")
        self.doc = doc
        self.warnings: list[ConversionWarning] = []
        self._operation_ids: dict[str, str] = {}
        self._inlining: list[str] = []  # global responses being inlined (cycle guard)
        # Filled by _components(), which runs before paths are converted.
        self.param_components: dict[str, dict[str, Any]] = {}
        self.body_components: dict[str, dict[str, Any]] = {}

        version = doc.get("swagger")
        if str(version) != "2.0":
            raise ValueError(f"/swagger: expected '2.0', got {version!r}")

        self.definitions = self._top_mapping("definitions")
        self.global_params = self._top_mapping("parameters")
        self.global_responses = self._top_mapping("responses")
        self.security_defs = self._top_mapping("securityDefinitions")
        paths = doc.get("paths")
        if paths is None:
            self._warn("", "document has no paths; emitting an empty paths object")
            paths = {}
        elif not isinstance(paths, Mapping):
            raise ValueError("/paths: expected a mapping")
        self.paths: Mapping[str, Any] = paths

        # Name maps first: every $ref rewrite below depends on them.
        self.names: dict[str, dict[str, str]] = {
            "definitions": self._component_names(self.definitions, "/definitions"),
            "parameters": self._component_names(self.global_params, "/parameters"),
            "responses": self._component_names(self.global_responses, "/responses"),
            "securityDefinitions": self._component_names(
                self.security_defs, "/securityDefinitions"
            ),
        }
        self.consumes = self._media_types(doc, "", "consumes") or []
        self.produces = self._media_types(doc, "", "produces") or []
        self._init_server_parts()
        self.global_schemes = self._schemes(doc.get("schemes"), "/schemes")

    # ----------------------------------------------------------------- entry point

    def convert(self) -> dict[str, Any]:
        """Build the whole 3.0 document (components first, so paths can refer to them)."""
        doc = self.doc
        out: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": self._info()}
        if "externalDocs" in doc:
            out["externalDocs"] = copy.deepcopy(doc["externalDocs"])
        # Without `schemes` a scheme warning is about the host.
        schemes_ptr = "/schemes" if "schemes" in doc else "/host"
        out["servers"] = self._parameterized_servers() or self._servers(
            self.global_schemes, schemes_ptr
        )
        if "tags" in doc:
            tags = self._tags(doc["tags"])
            if tags is not None:
                out["tags"] = tags
        if "security" in doc:
            security = self._security(doc["security"], "/security")
            if security is not None:
                out["security"] = security

        components = self._components()
        out["paths"] = self._paths(self.paths)
        if components:
            out["components"] = components

        for key, value in doc.items():
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
            elif key not in _TOP_LEVEL_KEYS:
                self._warn(_join("", key), f"unknown top-level field {key!r} dropped")
        return out

    # ----------------------------------------------------------------- small utilities

    def _warn(self, pointer: str, message: str) -> None:
        self.warnings.append(ConversionWarning(pointer or "", message))

    def _top_mapping(self, key: str) -> dict[str, Any]:
        value = self.doc.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ValueError(f"/{key}: expected a mapping")
        # YAML may give non-string keys; refs address them as strings.
        return {str(k): v for k, v in value.items()}

    def _component_names(self, mapping: Mapping[str, Any], pointer: str) -> dict[str, str]:
        """Map 2.0 names to 3.0 component names (3.0 restricts the character set)."""
        taken = {name for name in mapping if _VALID_COMPONENT_NAME.match(name)}
        names: dict[str, str] = {}
        for name in mapping:
            if _VALID_COMPONENT_NAME.match(name):
                names[name] = name
                continue
            base = _sanitize_name(name)
            candidate, n = base, 2
            while candidate in taken:
                candidate, n = f"{base}_{n}", n + 1
            taken.add(candidate)
            names[name] = candidate
            self._warn(
                _join(pointer, name),
                f"name {name!r} is not a valid OpenAPI 3.0 component name; "
                f"renamed to {candidate!r} (references rewritten)",
            )
        return names

    def _media_types(
        self, container: Mapping[str, Any], pointer: str, key: str
    ) -> list[str] | None:
        """Read `consumes`/`produces`; None when the field is absent (so it is inherited)."""
        if key not in container:
            return None
        value = container[key]
        ptr = _join(pointer, key)
        if isinstance(value, str):
            self._warn(ptr, f"{key} should be a list; treated as a one-element list")
            value = [value]
        if not isinstance(value, list):
            self._warn(ptr, f"{key} is not a list; ignored")
            return None
        types: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                types.append(item.strip())
            else:
                self._warn(_join(ptr, i), f"invalid media type {item!r} ignored")
        return _dedupe(types)

    # ----------------------------------------------------------------- $ref rewriting

    def _rewrite_ref(self, ref: Any, pointer: str) -> str | None:
        """Rewrite a 2.0 `$ref` to its 3.0 location; None (with a warning) if unusable."""
        if not isinstance(ref, str):
            self._warn(pointer, f"$ref must be a string, got {ref!r}; dropped")
            return None
        file_part, hash_sign, fragment = ref.partition("#")
        if not hash_sign or not fragment.startswith("/"):
            return ref  # whole-document reference: nothing inside it to remap
        tokens = fragment[1:].split("/")
        section = tokens[0]
        if section not in self.names or len(tokens) < 2:
            return ref  # e.g. "#/paths/..." keeps its location in 3.0
        local = file_part == ""
        name = _decode_token(tokens[1])
        new_token = self._ref_name(section, name, tokens[1], local, pointer, ref)
        if section == "definitions":
            target = "schemas"
        elif section == "responses":
            target = "responses"
        elif section == "securityDefinitions":
            target = "securitySchemes"
        else:
            target = "parameters"
            kind = self._global_param_kind(name) if local else None
            if kind == "body":
                target = "requestBodies"
            elif kind == "formData":
                self._warn(
                    pointer,
                    f"reference {ref!r} to a formData parameter cannot be used here "
                    "(3.0 has no form parameters); kept pointing at components/parameters",
                )
        if len(tokens) > 2 and section in ("parameters", "responses"):
            self._warn(
                pointer,
                f"reference {ref!r} points inside a {section} entry whose structure "
                "changes in 3.0; only its prefix was rewritten",
            )
        rest = "".join("/" + t for t in tokens[2:])
        return f"{file_part}#/components/{target}/{new_token}{rest}"

    def _ref_name(
        self, section: str, name: str, raw_token: str, local: bool, pointer: str, ref: str
    ) -> str:
        if local:
            new = self.names[section].get(name)
            if new is None:
                self._warn(pointer, f"reference {ref!r} points to a missing {section} entry")
                return raw_token
            return raw_token if new == name else new
        # Another file: apply the same sanitising its own conversion would (without
        # knowing that file's collisions).
        return raw_token if _VALID_COMPONENT_NAME.match(name) else _sanitize_name(name)

    def _global_param_kind(self, name: str) -> str | None:
        target = self.global_params.get(name)
        if isinstance(target, Mapping):
            loc = target.get("in")
            return loc if isinstance(loc, str) else None
        return None

    # ----------------------------------------------------------------- info / servers / tags

    def _info(self) -> dict[str, Any]:
        info = self.doc.get("info")
        info_ptr = _field_ptr(self.doc, "", "info")
        if not isinstance(info, Mapping):
            self._warn(info_ptr, "info is missing or not an object; a placeholder was used")
            info = {}
        out = copy.deepcopy(dict(info))
        if not isinstance(out.get("title"), str):
            self._warn(
                _field_ptr(info, info_ptr, "title"), "info.title missing or not a string; set to ''"
            )
            out["title"] = "" if out.get("title") is None else str(out["title"])
        version = out.get("version")
        if not isinstance(version, str):
            # Typically YAML turning `version: 1.0` into a float.
            self._warn(
                _field_ptr(info, info_ptr, "version"),
                "info.version missing or not a string; converted",
            )
            out["version"] = "" if version is None else str(version)
        return out

    def _init_server_parts(self) -> None:
        """Normalise host/basePath once; servers are built from them per scheme list."""
        self.implied_scheme: str | None = None
        host = self.doc.get("host")
        if host is not None and (not isinstance(host, str) or not host.strip()):
            self._warn("/host", f"invalid host {host!r} ignored")
            host = None
        if host is not None:
            host = host.strip()
            if "://" in host:
                scheme, _, host = host.partition("://")
                self._warn("/host", "host must not include a scheme; the scheme was split off")
                self.implied_scheme = scheme.lower()
            host = host.rstrip("/")
            if "/" in host:
                self._warn("/host", "host should not contain a path; kept in the server URL")
        self.host: str | None = host
        self.parameterized_host = False  # set when x-ms-parameterized-host names the servers

        base = self.doc.get("basePath")
        if base is None:
            base = ""
        elif not isinstance(base, str):
            self._warn("/basePath", f"invalid basePath {base!r} ignored")
            base = ""
        elif base and not base.startswith("/"):
            self._warn("/basePath", "basePath must start with '/'; prefixed")
            base = "/" + base
        # Paths start with "/", so a trailing slash would double up when they are appended.
        self.base_path: str = base.rstrip("/")

    def _schemes(self, value: Any, pointer: str) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self._warn(pointer, "schemes is not a list; ignored")
            return None
        schemes: list[str] = []
        for i, scheme in enumerate(value):
            if isinstance(scheme, str) and scheme.strip():
                schemes.append(scheme.strip().lower())
            else:
                self._warn(_join(pointer, i), f"invalid scheme {scheme!r} ignored")
        # https first (the safer default when a client just takes servers[0]).
        order = {"https": 0, "http": 1, "wss": 2, "ws": 3}
        return sorted(_dedupe(schemes), key=lambda s: order.get(s, 4))

    def _servers(self, schemes: list[str] | None, pointer: str) -> list[dict[str, Any]]:
        if self.host is None:
            return [{"url": self.base_path or "/"}]
        if not schemes and self.implied_scheme:
            schemes = [self.implied_scheme]
        if not schemes:
            self._warn(
                pointer,
                "no schemes given: 2.0 means 'the scheme the document was fetched with'; "
                "the server URL is protocol-relative",
            )
            return [{"url": f"//{self.host}{self.base_path}"}]
        return [{"url": f"{scheme}://{self.host}{self.base_path}"} for scheme in schemes]

    def _parameterized_servers(self) -> list[dict[str, Any]]:
        """The servers AutoRest's `x-ms-parameterized-host` says, in place of `host`: its
        `hostTemplate` (`{vaultBaseUrl}`, `{Endpoint}/text/analytics/v3.0`,
        `{accountName}.blob.core.windows.net`) after the scheme unless `useSchemePrefix` is false,
        then `basePath`; each `{name}` a server variable from the parameter of that name (its
        default, enum and description), as OpenAPI 3 says a server's variables."""
        pointer = "/x-ms-parameterized-host"
        said = self.doc.get("x-ms-parameterized-host")
        if said is None:
            return []
        template = said.get("hostTemplate") if isinstance(said, Mapping) else None
        if not isinstance(template, str) or not template.strip():
            self._warn(pointer, "x-ms-parameterized-host has no hostTemplate; host used instead")
            return []
        template = template.strip().rstrip("/")
        declared: dict[str, Mapping[str, Any]] = {}
        params = said.get("parameters")
        for i, param in enumerate(params if isinstance(params, list) else []):
            if isinstance(param, Mapping) and isinstance(param.get("$ref"), str):
                tokens = param["$ref"].partition("#")[2].split("/")
                if len(tokens) == 3 and tokens[:2] == ["", "parameters"]:
                    param = self.global_params.get(_decode_token(tokens[2]))
            if isinstance(param, Mapping) and isinstance(param.get("name"), str):
                declared[param["name"]] = param
            else:
                self._warn(_join(pointer, "parameters", i), "unusable host parameter ignored")
        variables: dict[str, Any] = {}
        for name in dict.fromkeys(re.findall(r"\{([^{}]+)\}", template)):
            param = declared.get(name, {})
            variable: dict[str, Any] = {"default": ""}
            if param.get("default") is not None and not isinstance(param["default"], Mapping):
                variable["default"] = _server_text(param["default"])
            enum = param.get("enum")
            if isinstance(enum, list) and enum:
                variable["enum"] = [_server_text(v) for v in enum]
            if isinstance(param.get("description"), str):
                variable["description"] = param["description"]
            variables[name] = variable
        self.parameterized_host = True
        if said.get("useSchemePrefix", True) is False:
            urls = [f"{template}{self.base_path}"]
        else:
            schemes = self.global_schemes or ["https"]
            urls = [f"{scheme}://{template}{self.base_path}" for scheme in schemes]
        return [
            {"url": url, "variables": copy.deepcopy(variables)} if variables else {"url": url}
            for url in urls
        ]

    def _tags(self, value: Any) -> list[Any] | None:
        if not isinstance(value, list):
            self._warn("/tags", "tags is not a list; dropped")
            return None
        tags: list[Any] = []
        for i, tag in enumerate(value):
            if isinstance(tag, Mapping) and isinstance(tag.get("name"), str):
                tags.append(copy.deepcopy(tag))
            else:
                self._warn(_join("/tags", i), "tag without a name dropped")
        return tags

    def _security(self, value: Any, pointer: str) -> list[dict[str, Any]] | None:
        if not isinstance(value, list):
            self._warn(pointer, "security is not a list; dropped")
            return None
        requirements: list[dict[str, Any]] = []
        for i, requirement in enumerate(value):
            rptr = _join(pointer, i)
            if not isinstance(requirement, Mapping):
                self._warn(rptr, "security requirement is not an object; dropped")
                continue
            converted: dict[str, Any] = {}
            for name, scopes in requirement.items():
                name = str(name)
                new_name = self.names["securityDefinitions"].get(name)
                if new_name is None:
                    self._warn(_join(rptr, name), f"undefined security scheme {name!r}")
                    new_name = name
                if not isinstance(scopes, list):
                    self._warn(_join(rptr, name), "scopes must be a list; replaced by []")
                    scopes = []
                converted[new_name] = copy.deepcopy(scopes)
            requirements.append(converted)
        return requirements

    # ----------------------------------------------------------------- components

    def _components(self) -> dict[str, Any]:
        """Build components; must run before paths so `$ref`'d globals are known."""
        schemas = {
            self.names["definitions"][name]: self._schema(schema, _join("/definitions", name))
            for name, schema in self.definitions.items()
        }

        responses: dict[str, Any] = {}
        for name, response in self.global_responses.items():
            ptr = _join("/responses", name)
            responses[self.names["responses"][name]] = self._response(
                response, ptr, self._effective(self.produces)
            )

        # Global parameters split three ways: ordinary ones stay parameters, body ones become
        # requestBodies, formData ones have no 3.0 component and are inlined where used.
        for name, param in self.global_params.items():
            ptr = _join("/parameters", name)
            new_name = self.names["parameters"][name]
            if not isinstance(param, Mapping):
                self._warn(ptr, "parameter definition is not an object; dropped")
                continue
            if "$ref" in param:
                self._warn(ptr, "a global parameter may not itself be a $ref; dropped")
                continue
            loc = param.get("in")
            if loc == "body":
                self.body_components[new_name] = self._body(
                    param, ptr, self._effective(self.consumes)
                )
            elif loc == "formData":
                continue  # inlined into each operation's form request body
            else:
                converted = self._parameter(param, ptr)
                if converted is not None:
                    self.param_components[new_name] = converted

        schemes: dict[str, Any] = {}
        for name, definition in self.security_defs.items():
            converted = self._security_scheme(definition, _join("/securityDefinitions", name))
            if converted is not None:
                schemes[self.names["securityDefinitions"][name]] = converted

        components: dict[str, Any] = {}
        for key, value in (
            ("schemas", schemas),
            ("responses", responses),
            ("parameters", self.param_components),
            ("requestBodies", self.body_components),
            ("securitySchemes", schemes),
        ):
            if value:
                components[key] = value
        return components

    def _security_scheme(self, definition: Any, pointer: str) -> dict[str, Any] | None:
        if not isinstance(definition, Mapping):
            self._warn(pointer, "security scheme is not an object; dropped")
            return None
        kind = definition.get("type")
        out: dict[str, Any]
        if kind == "basic":
            out = {"type": "http", "scheme": "basic"}
        elif kind == "apiKey":
            out = {"type": "apiKey"}
            for field in ("name", "in"):
                if not isinstance(definition.get(field), str):
                    self._warn(
                        _field_ptr(definition, pointer, field),
                        f"apiKey scheme needs '{field}'; set to ''",
                    )
                out[field] = copy.deepcopy(definition.get(field, ""))
        elif kind == "oauth2":
            flow = definition.get("flow")
            if flow not in _OAUTH2_FLOWS:
                self._warn(_join(pointer, "flow"), f"unknown oauth2 flow {flow!r}; scheme dropped")
                return None
            flow_name, required_urls = _OAUTH2_FLOWS[flow]
            flow_out: dict[str, Any] = {}
            for url_key in required_urls:
                url = definition.get(url_key)
                if not isinstance(url, str):
                    self._warn(
                        _field_ptr(definition, pointer, url_key),
                        f"oauth2 {flow} flow needs {url_key}; set to ''",
                    )
                    url = ""
                flow_out[url_key] = url
            scopes = definition.get("scopes", {})
            if not isinstance(scopes, Mapping):
                self._warn(_join(pointer, "scopes"), "scopes must be a mapping; replaced by {}")
                scopes = {}
            flow_out["scopes"] = copy.deepcopy(dict(scopes))  # required (maybe empty) in 3.0
            out = {"type": "oauth2", "flows": {flow_name: flow_out}}
        else:
            self._warn(_join(pointer, "type"), f"unknown security scheme type {kind!r}; dropped")
            return None
        if "description" in definition:
            out = {"type": out.pop("type"), "description": definition["description"], **out}
        for key, value in definition.items():
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
        return out

    # ----------------------------------------------------------------- paths / operations

    def _paths(self, paths: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for raw_key, item in paths.items():
            key = str(raw_key)
            ptr = _join("/paths", key)
            if _is_extension(key):
                out[key] = copy.deepcopy(item)
                continue
            if not key.startswith("/"):
                fixed = "/" + key
                if fixed in paths or fixed in out:
                    self._warn(ptr, "path must start with '/'; dropped (prefixed form exists)")
                    continue
                self._warn(ptr, f"path must start with '/'; renamed to {fixed!r}")
                key = fixed
            if not isinstance(item, Mapping):
                self._warn(ptr, "path item is not an object; dropped")
                continue
            out[key] = self._path_item(item, ptr)
        return out

    def _path_item(self, item: Mapping[str, Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "$ref" in item:
            ref = self._rewrite_ref(item["$ref"], _join(pointer, "$ref"))
            if ref is not None:
                out["$ref"] = ref
        path_params = self._collect_params(item.get("parameters"), _join(pointer, "parameters"))
        for raw_key, value in item.items():
            key = str(raw_key)
            if key in ("$ref", "parameters"):
                continue
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
                continue
            method = key.lower()
            if method not in SWAGGER2_METHODS:
                self._warn(_join(pointer, key), f"unknown path item field {key!r} dropped")
                continue
            if method != key:
                self._warn(_join(pointer, key), f"method must be lower case; using {method!r}")
            if not isinstance(value, Mapping):
                self._warn(_join(pointer, key), "operation is not an object; dropped")
                continue
            out[method] = self._operation(value, _join(pointer, key), path_params)
        # Only ordinary parameters can stay shared; body/formData ones went into each operation.
        shared = [copy.deepcopy(p.converted) for p in path_params if p.kind == "param"]
        if shared:
            out["parameters"] = shared
        return out

    def _effective(self, declared: list[str] | None) -> list[str]:
        return declared if declared else [_JSON]

    def _operation(
        self, op: Mapping[str, Any], pointer: str, path_params: list[_Param]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("tags", "summary", "description", "externalDocs", "operationId"):
            if key in op:
                out[key] = copy.deepcopy(op[key])
        op_id = op.get("operationId")
        if isinstance(op_id, str):
            if op_id in self._operation_ids:
                self._warn(
                    _join(pointer, "operationId"),
                    f"duplicate operationId {op_id!r} (also at {self._operation_ids[op_id]})",
                )
            else:
                self._operation_ids[op_id] = pointer

        # Operation-level consumes/produces replace (not extend) the global ones.
        op_consumes = self._media_types(op, pointer, "consumes")
        consumes = op_consumes if op_consumes is not None else self.consumes
        consumes_ptr = _join(pointer, "consumes") if op_consumes is not None else None
        op_produces = self._media_types(op, pointer, "produces")
        produces = self._effective(op_produces if op_produces is not None else self.produces)

        op_params = self._collect_params(op.get("parameters"), _join(pointer, "parameters"))
        overridden = {p.key for p in op_params if p.key is not None}
        op_has_body = any(p.kind == "body" for p in op_params)
        inherited = [
            p
            for p in path_params
            if p.kind != "param"
            and p.key not in overridden
            and not (p.kind == "body" and op_has_body)
        ]
        bodies = [p for p in inherited + op_params if p.kind == "body"]
        forms = [p for p in inherited + op_params if p.kind == "form"]

        parameters = [copy.deepcopy(p.converted) for p in op_params if p.kind == "param"]
        if parameters:
            out["parameters"] = parameters

        if bodies:
            for extra in bodies[1:]:
                self._warn(extra.site, "only one body parameter is allowed; this one dropped")
            for form in forms:
                self._warn(form.site, "formData parameter next to a body parameter; dropped")
            out["requestBody"] = self._body_request(bodies[0], self._effective(consumes))
        elif forms:
            out["requestBody"] = self._form_request(forms, consumes, consumes_ptr)

        out["responses"] = self._responses(
            op.get("responses"), _field_ptr(op, pointer, "responses"), produces
        )
        if "deprecated" in op:
            out["deprecated"] = copy.deepcopy(op["deprecated"])
        if "security" in op:
            security = self._security(op["security"], _join(pointer, "security"))
            if security is not None:
                out["security"] = security
        if "schemes" in op and self.host is not None and not self.parameterized_host:
            op_schemes = self._schemes(op["schemes"], _join(pointer, "schemes"))
            if op_schemes is not None and op_schemes != self.global_schemes:
                out["servers"] = self._servers(op_schemes, _join(pointer, "schemes"))
        for key, value in op.items():
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
            elif key not in _OPERATION_KEYS:
                self._warn(_join(pointer, key), f"unknown operation field {key!r} dropped")
        return out

    # ----------------------------------------------------------------- parameters

    def _collect_params(self, value: Any, pointer: str) -> list[_Param]:
        """Classify a 2.0 parameter list, following local `#/parameters/X` references."""
        if value is None:
            return []
        if not isinstance(value, list):
            self._warn(pointer, "parameters is not a list; ignored")
            return []
        params: list[_Param] = []
        for i, param in enumerate(value):
            ptr = _join(pointer, i)
            if not isinstance(param, Mapping):
                self._warn(ptr, "parameter is not an object; dropped")
                continue
            if "$ref" in param:
                ref_param = self._ref_param(param["$ref"], ptr)
                if ref_param is not None:
                    params.append(ref_param)
                continue
            loc = param.get("in")
            name = param.get("name")
            key = (name, loc) if isinstance(name, str) and isinstance(loc, str) else None
            if loc == "body":
                params.append(_Param("body", key, ptr, param, None, None))
            elif loc == "formData":
                params.append(_Param("form", key, ptr, param, None, None))
            else:
                converted = self._parameter(param, ptr)
                if converted is not None:
                    params.append(_Param("param", key, ptr, None, None, converted))
        return params

    def _ref_param(self, ref: Any, pointer: str) -> _Param | None:
        ref_ptr = _join(pointer, "$ref")
        if not isinstance(ref, str):
            self._warn(ref_ptr, f"$ref must be a string, got {ref!r}; parameter dropped")
            return None
        file_part, _, fragment = ref.partition("#")
        tokens = fragment.split("/")
        if file_part or len(tokens) != 3 or tokens[:2] != ["", "parameters"]:
            rewritten = self._rewrite_ref(ref, ref_ptr)
            if rewritten is None:
                return None
            if file_part:
                self._warn(
                    ref_ptr,
                    f"cannot tell whether external parameter {ref!r} is a body/formData "
                    "parameter; assumed to be an ordinary parameter",
                )
            return _Param("param", None, pointer, None, None, {"$ref": rewritten})
        name = _decode_token(tokens[2])
        target = self.global_params.get(name)
        target_ptr = _join("/parameters", name)
        new_name = self.names["parameters"].get(name, name)
        if not isinstance(target, Mapping):
            self._warn(ref_ptr, f"reference {ref!r} points to a missing parameter; dropped")
            return None
        loc, target_name = target.get("in"), target.get("name")
        key = (target_name, loc) if isinstance(target_name, str) and isinstance(loc, str) else None
        if loc == "body":
            return _Param("body", key, target_ptr, target, new_name, None, pointer)
        if loc == "formData":
            return _Param("form", key, target_ptr, target, new_name, None, pointer)
        if new_name not in self.param_components:
            self._warn(ref_ptr, f"reference {ref!r} points to an unusable parameter; dropped")
            return None
        converted = {"$ref": f"#/components/parameters/{new_name}"}
        return _Param("param", key, pointer, None, new_name, converted)

    def _parameter(self, param: Mapping[str, Any], pointer: str) -> dict[str, Any] | None:
        """Convert a query/header/path parameter (schema fields move into `schema`)."""
        name, loc = param.get("name"), param.get("in")
        if not isinstance(name, str):
            self._warn(pointer, "parameter without a name dropped")
            return None
        if loc not in _PARAM_LOCATIONS:
            self._warn(_join(pointer, "in"), f"unknown parameter location {loc!r}; dropped")
            return None
        out: dict[str, Any] = {"name": name, "in": loc}
        if "description" in param:
            out["description"] = copy.deepcopy(param["description"])
        required = param.get("required")
        if loc == "path":
            if required is not True:
                self._warn(
                    _field_ptr(param, pointer, "required"), "path parameters must be required; set"
                )
            out["required"] = True
        elif isinstance(required, bool):
            out["required"] = required
        elif required is not None:
            self._warn(_join(pointer, "required"), "required must be a boolean; ignored")
        if "deprecated" in param:
            out["deprecated"] = copy.deepcopy(param["deprecated"])
        if "allowEmptyValue" in param:
            if loc == "query":
                out["allowEmptyValue"] = copy.deepcopy(param["allowEmptyValue"])
            else:
                self._warn(
                    _join(pointer, "allowEmptyValue"),
                    f"allowEmptyValue only applies to query parameters in 3.0; dropped for {loc}",
                )
        if loc == "header" and name.lower() in IGNORED_HEADERS:
            self._warn(pointer, f"OpenAPI 3.0 tooling ignores a header parameter named {name!r}")

        schema = self._param_schema(param, pointer)
        if schema.get("type") == "array":
            style, explode = self._style(loc, param.get("collectionFormat"), pointer)
            out["style"], out["explode"] = style, explode
        out["schema"] = schema
        if "example" in param:
            out["example"] = copy.deepcopy(param["example"])
        self._copy_param_extras(param, pointer, out)
        return out

    def _copy_param_extras(
        self, param: Mapping[str, Any], pointer: str, out: dict[str, Any]
    ) -> None:
        for key, value in param.items():
            if key in _SIMPLE_SCHEMA_KEYS or key in _PARAM_OWN_KEYS:
                continue
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
            else:
                self._warn(_join(pointer, key), f"unknown parameter field {key!r} dropped")

    def _param_schema(self, param: Mapping[str, Any], pointer: str) -> dict[str, Any]:
        """Build a 3.0 schema from the inline type/format/items/... of a 2.0 parameter."""
        if "schema" in param and "type" not in param:
            # 3.0-style `schema` on a non-body parameter: not valid 2.0, but unambiguous.
            return self._schema(param["schema"], _join(pointer, "schema"))
        if "type" not in param:
            self._warn(pointer, "parameter has no type; its schema accepts any value")
        fields = {key: param[key] for key in _SIMPLE_SCHEMA_KEYS if key in param}
        return self._schema(fields, pointer, items_mode=True)

    def _style(self, loc: str, collection_format: Any, pointer: str) -> tuple[str, bool]:
        """Map a 2.0 collectionFormat (default csv) to a 3.0 style/explode pair."""
        ptr = _join(pointer, "collectionFormat")
        fmt = "csv" if collection_format is None else collection_format
        if loc in ("path", "header"):
            if fmt != "csv":
                self._warn(
                    ptr,
                    f"collectionFormat {fmt!r} has no 3.0 equivalent for {loc} parameters; "
                    "using style simple (comma-separated)",
                )
            return "simple", False
        if loc == "cookie" and fmt not in ("csv", "multi"):
            self._warn(ptr, f"collectionFormat {fmt!r} unsupported for cookies; using form")
            return "form", False
        if fmt in _COLLECTION_STYLES:
            return _COLLECTION_STYLES[fmt]
        if fmt == "tsv":
            self._warn(
                ptr,
                "collectionFormat 'tsv' (tab-separated) has no 3.0 equivalent; "
                "using style form, explode false (comma-separated)",
            )
        else:
            self._warn(ptr, f"unknown collectionFormat {fmt!r}; treated as csv")
        return "form", False

    # ----------------------------------------------------------------- request bodies

    def _body(
        self, param: Mapping[str, Any], pointer: str, media_types: list[str]
    ) -> dict[str, Any]:
        """Convert an `in: body` parameter to a requestBody with one entry per media type."""
        out: dict[str, Any] = {}
        if "description" in param:
            out["description"] = copy.deepcopy(param["description"])
        if "schema" in param:
            schema = self._schema(param["schema"], _join(pointer, "schema"))
        else:
            self._warn(pointer, "body parameter has no schema; any value accepted")
            schema = {}
        out["content"] = {mt: {"schema": copy.deepcopy(schema)} for mt in media_types}
        required = param.get("required")
        if isinstance(required, bool):
            out["required"] = required
        elif required is not None:
            self._warn(_join(pointer, "required"), "required must be a boolean; ignored")
        for key, value in param.items():
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
            elif key not in ("name", "in", "description", "schema", "required"):
                self._warn(_join(pointer, key), f"unknown body parameter field {key!r} dropped")
        # 3.0 bodies are nameless; keep the name the way openapi-generator does, since code
        # generators (and tool argument names) depend on it.
        name = param.get("name")
        if isinstance(name, str) and "x-codegen-request-body-name" not in out:
            out["x-codegen-request-body-name"] = name
        return out

    def _body_request(self, param: _Param, media_types: list[str]) -> dict[str, Any]:
        assert param.source is not None
        name = param.global_name
        # The component was built for the global consumes; other media types need a copy.
        if (
            name is not None
            and name in self.body_components
            and media_types == self._effective(self.consumes)
        ):
            return {"$ref": f"#/components/requestBodies/{name}"}
        return self._body(param.source, param.pointer, media_types)

    def _form_request(
        self, params: list[_Param], consumes: list[str], consumes_ptr: str | None
    ) -> dict[str, Any]:
        """Merge formData parameters into one object-schema request body."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        has_file = False
        non_multi_arrays: list[_Param] = []
        for param in params:
            source, ptr = param.source, param.pointer
            assert source is not None
            name = source.get("name")
            if not isinstance(name, str):
                self._warn(ptr, "formData parameter without a name dropped")
                continue
            if name in properties:
                self._warn(param.site, f"duplicate formData parameter {name!r}; dropped")
                continue
            schema = self._param_schema(source, ptr)
            items = source.get("items")
            if source.get("type") == "file" or (
                isinstance(items, Mapping) and items.get("type") == "file"
            ):
                has_file = True
            extra: dict[str, Any] = {}
            if "description" in source:
                extra["description"] = copy.deepcopy(source["description"])
            for key in ("deprecated", "example"):  # both exist on 3.0 schemas
                if key in source:
                    extra[key] = copy.deepcopy(source[key])
            for key, value in source.items():
                if _is_extension(key) and key != "x-nullable":
                    extra[key] = copy.deepcopy(value)
            properties[name] = _with_annotations(schema, extra)
            if source.get("required") is True:
                required.append(name)
            if source.get("allowEmptyValue"):
                self._warn(
                    _join(ptr, "allowEmptyValue"),
                    "allowEmptyValue has no 3.0 equivalent for form fields; dropped",
                )
            if schema.get("type") == "array":
                fmt = source.get("collectionFormat")
                style, explode = self._style("formData", fmt, ptr)
                encoding[name] = {"style": style, "explode": explode}
                if (style, explode) != ("form", True):
                    non_multi_arrays.append(param)
            for key in source:
                if not (key in _SIMPLE_SCHEMA_KEYS or key in _PARAM_OWN_KEYS or _is_extension(key)):
                    self._warn(_join(ptr, key), f"unknown parameter field {key!r} dropped")

        media_types = self._form_media_types(consumes, consumes_ptr, has_file)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        content: dict[str, Any] = {}
        for media_type in media_types:
            entry: dict[str, Any] = {"schema": copy.deepcopy(schema)}
            # 3.0 only honours encoding style/explode for urlencoded bodies.
            if encoding and _base_media_type(media_type) == _URLENCODED:
                entry["encoding"] = copy.deepcopy(encoding)
            content[media_type] = entry
        if any(_base_media_type(mt) == _MULTIPART for mt in media_types):
            for param in non_multi_arrays:
                self._warn(
                    _field_ptr(param.source, param.pointer, "collectionFormat"),
                    "multipart/form-data sends arrays as repeated parts; this "
                    "collectionFormat cannot be expressed there",
                )
        out: dict[str, Any] = {"content": content}
        if required:
            out["required"] = True
        return out

    def _form_media_types(
        self, consumes: list[str], pointer: str | None, has_file: bool
    ) -> list[str]:
        """Pick form media types: files force multipart; otherwise honour consumes.

        `pointer` is None when consumes is inherited from the document: a global default
        such as application/json simply does not apply to a form operation, so only an
        operation's own consumes is reported as lossy.
        """
        form_types = [mt for mt in consumes if _base_media_type(mt) in _FORM_MEDIA_TYPES]
        others = [mt for mt in consumes if _base_media_type(mt) not in _FORM_MEDIA_TYPES]
        if others and pointer is not None:
            self._warn(
                pointer,
                f"formData parameters only describe form bodies; media types {others!r} "
                "cannot be derived from them and were dropped for this operation",
            )
        if has_file:
            multipart = [mt for mt in form_types if _base_media_type(mt) == _MULTIPART]
            if form_types and not multipart:
                self._warn(
                    pointer or "/consumes",
                    "file parameters need multipart/form-data, which consumes does not "
                    "list; using multipart/form-data",
                )
            return multipart or [_MULTIPART]
        return form_types or [_URLENCODED]

    # ----------------------------------------------------------------- responses

    def _responses(self, value: Any, pointer: str, produces: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not isinstance(value, Mapping):
            if value is not None:
                self._warn(pointer, "responses is not an object; ignored")
            value = {}
        for raw_code, response in value.items():
            code = str(raw_code)  # YAML turns `200:` into an int
            ptr = _join(pointer, code)
            if _is_extension(code):
                out[code] = copy.deepcopy(response)
                continue
            if code.lower() == "default":
                code = "default"
            elif code != code.upper():  # "2xx": ranges are upper case in 3.0
                self._warn(ptr, f"response code {code!r} written as {code.upper()!r}")
                code = code.upper()
            if _RESPONSE_CODE.match(code):
                out[code] = self._response(response, ptr, produces)
            else:
                self._warn(ptr, f"invalid response code {code!r}; dropped")
        if not any(not _is_extension(code) for code in out):
            # 3.0 requires at least one response.
            self._warn(pointer, "operation has no responses; added a bare default response")
            out["default"] = {"description": "Default response"}
        return out

    def _response(self, response: Any, pointer: str, produces: list[str]) -> dict[str, Any]:
        if not isinstance(response, Mapping):
            self._warn(pointer, "response is not an object; replaced by a bare description")
            return {"description": ""}
        if "$ref" in response:
            return self._ref_response(response["$ref"], pointer, produces)
        out: dict[str, Any] = {}
        description = response.get("description")
        if not isinstance(description, str):
            self._warn(
                _field_ptr(response, pointer, "description"),
                "response needs a description; set to ''",
            )
            description = "" if description is None else str(description)
        out["description"] = description
        headers = response.get("headers")
        if headers is not None:
            if isinstance(headers, Mapping):
                out["headers"] = {
                    str(name): self._header(header, _join(pointer, "headers", name))
                    for name, header in headers.items()
                }
            else:
                self._warn(_join(pointer, "headers"), "headers is not an object; dropped")
        content: dict[str, Any] = {}
        schema: dict[str, Any] | None = None
        if "schema" in response:
            schema = self._schema(response["schema"], _join(pointer, "schema"))
            for media_type in produces:
                content[media_type] = {"schema": copy.deepcopy(schema)}
        examples = response.get("examples")
        if examples is not None:
            if isinstance(examples, Mapping):
                for media_type, example in examples.items():
                    media_type = str(media_type)
                    entry = content.get(media_type)
                    if entry is None:
                        # Example for a type not in produces: still worth keeping.
                        entry = {} if schema is None else {"schema": copy.deepcopy(schema)}
                        content[media_type] = entry
                    entry["example"] = copy.deepcopy(example)
            else:
                self._warn(_join(pointer, "examples"), "examples is not an object; dropped")
        if content:
            out["content"] = content
        for key, value in response.items():
            if _is_extension(key):
                out[key] = copy.deepcopy(value)
            elif key not in ("description", "headers", "schema", "examples"):
                self._warn(_join(pointer, key), f"unknown response field {key!r} dropped")
        return out

    def _ref_response(self, ref: Any, pointer: str, produces: list[str]) -> dict[str, Any]:
        ref_ptr = _join(pointer, "$ref")
        rewritten = self._rewrite_ref(ref, ref_ptr)
        if rewritten is None:
            return {"description": ""}
        assert isinstance(ref, str)
        file_part, _, fragment = ref.partition("#")
        tokens = fragment.split("/")
        if file_part or len(tokens) != 3 or tokens[:2] != ["", "responses"]:
            return {"$ref": rewritten}
        name = _decode_token(tokens[2])
        if name not in self.global_responses or produces == self._effective(self.produces):
            return {"$ref": rewritten}
        # The component's content uses the global produces; this operation differs, so inline.
        if name in self._inlining:
            return {"$ref": rewritten}
        self._inlining.append(name)
        try:
            return self._response(self.global_responses[name], _join("/responses", name), produces)
        finally:
            self._inlining.pop()

    def _header(self, header: Any, pointer: str) -> dict[str, Any]:
        if not isinstance(header, Mapping):
            self._warn(pointer, "header is not an object; any value accepted")
            return {"schema": {}}
        out: dict[str, Any] = {}
        if "description" in header:
            out["description"] = copy.deepcopy(header["description"])
        if "$ref" in header:
            # Not 2.0, but some documents point headers at a definition.
            schema = self._schema({"$ref": header["$ref"]}, pointer)
        else:
            fields = {key: header[key] for key in _SIMPLE_SCHEMA_KEYS if key in header}
            schema = self._schema(fields, pointer, items_mode=True)
        if schema.get("type") == "array":
            out["style"], out["explode"] = self._style(
                "header", header.get("collectionFormat"), pointer
            )
        out["schema"] = schema
        for key, value in header.items():
            if _is_extension(key) and key != "x-nullable":
                out[key] = copy.deepcopy(value)
            elif key not in _SIMPLE_SCHEMA_KEYS and key not in (
                "description",
                "collectionFormat",
                "$ref",
            ):
                self._warn(_join(pointer, key), f"unknown header field {key!r} dropped")
        return out

    # ----------------------------------------------------------------- schemas

    def _schema(self, schema: Any, pointer: str, *, items_mode: bool = False) -> dict[str, Any]:
        """Convert a 2.0 Schema (or, with `items_mode`, an Items object) to a 3.0 Schema."""
        if not isinstance(schema, Mapping):
            self._warn(pointer, "schema is not an object; replaced by an any-value schema")
            return {}
        if "$ref" in schema:
            return self._ref_schema(schema, pointer, items_mode)
        out: dict[str, Any] = {}
        hoisted_required: list[str] = []
        is_file = False
        for raw_key, value in schema.items():
            key = str(raw_key)
            ptr = _join(pointer, key)
            if key == "type":
                is_file = self._schema_type(value, ptr, out) or is_file
            elif key in ("x-nullable", "nullable"):
                # `nullable` is not 2.0, but some generators emit the 3.0 spelling already.
                if isinstance(value, bool):
                    out["nullable"] = value
                else:
                    self._warn(ptr, f"{key} must be a boolean; ignored")
            elif key == "properties":
                if isinstance(value, Mapping):
                    out["properties"] = self._properties(value, ptr, hoisted_required)
                else:
                    self._warn(ptr, "properties is not an object; dropped")
            elif key == "items":
                out["items"] = self._items(value, ptr, items_mode)
            elif key == "additionalProperties":
                if isinstance(value, bool):
                    out[key] = value
                else:
                    out[key] = self._schema(value, ptr)
            elif key in ("allOf", "anyOf", "oneOf"):
                if isinstance(value, list) and value:
                    out[key] = [self._schema(sub, _join(ptr, i)) for i, sub in enumerate(value)]
                else:
                    self._warn(ptr, f"{key} must be a non-empty list; dropped")
            elif key == "not":
                out[key] = self._schema(value, ptr)
            elif key == "required":
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    out[key] = list(value)
                elif isinstance(value, bool):
                    self._warn(ptr, "boolean required outside a property; dropped")
                else:
                    self._warn(ptr, "required must be a list of property names; dropped")
            elif key == "discriminator":
                self._discriminator(value, ptr, out)
            elif key == "enum":
                if isinstance(value, list) and value:
                    out[key] = copy.deepcopy(value)
                else:
                    self._warn(ptr, "enum must be a non-empty list; dropped")
            elif key in _SCHEMA_PASSTHROUGH or _is_extension(key):
                out[key] = copy.deepcopy(value)
            elif key == "collectionFormat" and items_mode:
                self._warn(
                    ptr, "collectionFormat of nested arrays cannot be expressed in 3.0; dropped"
                )
            else:
                self._warn(ptr, f"unsupported schema keyword {key!r} dropped")
        if is_file:
            out["format"] = "binary"
        if hoisted_required or "required" in out:
            # 3.0 requires a non-empty, unique list; an empty one means the same as none.
            merged = _dedupe(out.get("required", []) + hoisted_required)
            if merged:
                out["required"] = merged
            else:
                del out["required"]
        if out.get("type") == "array" and "items" not in out:
            self._warn(pointer, "array schema without items; items set to any value")
            out["items"] = {}
        return out

    def _ref_schema(
        self, schema: Mapping[str, Any], pointer: str, items_mode: bool
    ) -> dict[str, Any]:
        ref = self._rewrite_ref(schema["$ref"], _join(pointer, "$ref"))
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if ref is None:
            return self._schema(siblings, pointer, items_mode=items_mode)
        if not siblings:
            return {"$ref": ref}
        # 3.0 ignores $ref siblings; allOf keeps the author's annotations (description,
        # x-nullable, readOnly, ...) meaningful.
        rest = self._schema(siblings, pointer, items_mode=items_mode)
        return _with_annotations({"$ref": ref}, rest)

    def _schema_type(self, value: Any, pointer: str, out: dict[str, Any]) -> bool:
        """Set out["type"] (and nullable); return True for the 2.0 `file` type."""
        if value == "file":
            out["type"] = "string"  # format: binary is added by the caller
            return True
        if isinstance(value, str) and value in _SCHEMA_TYPES:
            out["type"] = value
            return False
        if value == "null":
            self._warn(pointer, "type 'null' is not valid; expressed as nullable")
            out["nullable"] = True
            return False
        if isinstance(value, list) and all(isinstance(t, str) for t in value):
            types = [t for t in _dedupe(value) if t != "null"]
            if "null" in value:
                out["nullable"] = True
            if len(types) == 1 and types[0] in _SCHEMA_TYPES:
                out["type"] = types[0]
            elif types:
                valid = [t for t in types if t in _SCHEMA_TYPES]
                self._warn(pointer, f"multiple types {types!r} expressed with anyOf")
                if valid:
                    out["anyOf"] = [{"type": t} for t in valid]
            return False
        self._warn(pointer, f"invalid type {value!r} dropped")
        return False

    def _properties(
        self, properties: Mapping[str, Any], pointer: str, hoisted_required: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for raw_name, sub in properties.items():
            name = str(raw_name)
            ptr = _join(pointer, name)
            if isinstance(sub, Mapping) and isinstance(sub.get("required"), bool):
                # A common 2.0 mistake; the intent is clear, so honour it on the parent.
                self._warn(
                    _join(ptr, "required"),
                    "boolean required on a property moved to the parent's required list",
                )
                if sub["required"]:
                    hoisted_required.append(name)
                sub = {k: v for k, v in sub.items() if k != "required"}
            out[name] = self._schema(sub, ptr)
        return out

    def _items(self, value: Any, pointer: str, items_mode: bool) -> dict[str, Any]:
        if isinstance(value, list):
            # Tuple validation does not exist in 3.0.
            if len(value) == 1:
                self._warn(pointer, "items given as a list; its single schema was used")
                return self._schema(value[0], _join(pointer, 0), items_mode=items_mode)
            self._warn(pointer, "tuple-style items cannot be expressed in 3.0; using anyOf")
            variants = [
                self._schema(sub, _join(pointer, i), items_mode=items_mode)
                for i, sub in enumerate(value)
            ]
            return {"anyOf": variants} if variants else {}
        return self._schema(value, pointer, items_mode=items_mode)

    def _discriminator(self, value: Any, pointer: str, out: dict[str, Any]) -> None:
        if isinstance(value, str):
            out["discriminator"] = {"propertyName": value}
        elif isinstance(value, Mapping) and isinstance(value.get("propertyName"), str):
            discriminator = copy.deepcopy(dict(value))
            mapping = discriminator.get("mapping")
            if isinstance(mapping, dict):
                for key, target in mapping.items():
                    if isinstance(target, str) and "#" in target:
                        new = self._rewrite_ref(target, _join(pointer, "mapping", key))
                        mapping[key] = new if new is not None else target
            out["discriminator"] = discriminator
        else:
            self._warn(pointer, "discriminator must be a property name; dropped")
