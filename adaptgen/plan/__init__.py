"""Planning: from a loaded spec to the IR (`adaptgen.ir.Api`).

One tool per operation. All spec understanding happens here: parameters merged and typed, bodies
flattened, schemas made client-safe, names chosen, auth schemes mapped to env vars. A problem in
one operation becomes a warning with its spec location and the rest of the build goes on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from adaptgen.errors import BuildWarning, InputError
from adaptgen.hints import LoadedHints, Selector, ToolHints, did_you_mean, load_hints
from adaptgen.ir import (
    Api,
    Body,
    FixedValue,
    Pagination,
    Param,
    SecurityScheme,
    Shape,
    SkippedOperation,
    Surface,
    Tool,
)
from adaptgen.load import HTTP_METHODS, Spec
from adaptgen.load.source import SourceFile, join_pointer
from adaptgen.plan.describe import ARGUMENT_DESCRIPTION_CHARS, brief, plain, tool_description
from adaptgen.plan.names import (
    argument_name,
    common_path_prefix,
    snake_case,
    tool_name,
    unique_name,
)
from adaptgen.plan.output import UnsupportedPath, output_schema
from adaptgen.plan.pagination import detect
from adaptgen.plan.schemas import SchemaInliner, clean_text

# OpenAPI says these header parameters are ignored: the transport sets them.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}


@dataclass(frozen=True)
class PlanOptions:
    """Choices the user makes at build time."""

    include_deprecated: bool = False
    hints: LoadedHints = field(default_factory=lambda: load_hints(None))


class OperationProblem(Exception):
    """Raised while planning one operation; the operation is skipped with a warning."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass
class PlanResult:
    """The IR plus what the build report needs to tell."""

    api: Api
    warnings: list[BuildWarning] = field(default_factory=list)


def plan(
    spec: Spec,
    name: str,
    options: PlanOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> PlanResult:
    """Turn a loaded spec into the IR for a server called `name`.

    `progress(done, total)` is called after each operation (for a progress display).
    """
    options = options or PlanOptions()
    planner = _Planner(spec, name, options, progress)
    api = planner.run()
    warnings = [*spec.warnings, *planner.warnings, *spec.resolver.warnings]
    return PlanResult(api, warnings)


class _Planner:
    def __init__(
        self,
        spec: Spec,
        name: str,
        options: PlanOptions,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.progress = progress
        self.spec = spec
        self.name = name
        self.options = options
        self.doc = spec.document
        self.source: SourceFile = spec.source
        self.inliner = SchemaInliner(spec.resolver)
        self.warnings: list[BuildWarning] = []
        self.env_prefix = (snake_case(name) or "api").upper()

    def warn(self, pointer: str, message: str) -> None:
        self.warnings.append(BuildWarning(self.spec.location(pointer), message))

    def run(self) -> Api:
        schemes = self._security_schemes()
        tools: list[Tool] = []
        skipped: list[SkippedOperation] = []
        taken: set[str] = set()
        operations = list(self._operations())
        self.common_prefix = common_path_prefix([path for path, *_ in operations])
        hints = self.options.hints
        hints.check_operations(
            [op["operationId"] for _, _, op, _, _ in operations if "operationId" in op]
        )
        for done, (path, method, op, op_pointer, path_item) in enumerate(operations, 1):
            if self.progress is not None:
                self.progress(done, len(operations))
            op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
            label = op_id or f"{method.upper()} {path}"
            hint = hints.hints.tools.get(op_id or "", ToolHints())
            reason = "excluded by hints" if hint.exclude else self._selection(op_id, path, op)
            if reason:
                skipped.append(SkippedOperation(label, method.upper(), path, reason))
                continue
            if op.get("deprecated") is True and not self.options.include_deprecated:
                skipped.append(SkippedOperation(label, method.upper(), path, "deprecated"))
                continue
            try:
                tool = self._tool(path, method, op, op_pointer, path_item, schemes, taken, hint)
            except OperationProblem as problem:
                self.warn(problem.pointer, f"operation skipped: {problem}")
                skipped.append(SkippedOperation(label, method.upper(), path, str(problem)))
                continue
            tools.append(tool)
        info = self.doc.get("info") or {}
        surface = self._surface(len(tools))
        return Api(
            name=self.name,
            title=str(info.get("title") or self.name),
            version=str(info.get("version") or ""),
            spec_file=self.source.path.name,
            spec_version=self.spec.original_version,
            env_prefix=self.env_prefix,
            base_url=self._base_url(),
            description=clean_text(str(info.get("description") or "")),
            tools=tuple(tools),
            security_schemes=tuple(schemes.values()),
            security=self._requirements(self.doc.get("security"), schemes, "/security") or (),
            skipped=tuple(skipped),
            surface=surface,
        )

    def _selection(self, op_id: str | None, path: str, op: dict[str, Any]) -> str | None:
        """Why hints leave this operation out (include/exclude/toolsets), or None."""
        hints = self.options.hints.hints
        tags = [t for t in op.get("tags") or [] if isinstance(t, str)]
        if hints.exclude is not None and _selected(hints.exclude, op_id, path, tags):
            return "excluded by hints"
        if hints.include is not None and not _selected(hints.include, op_id, path, tags):
            return "not included by hints"
        toolsets = hints.search.toolsets
        if hints.search.mode == "toolsets" and toolsets and not set(tags) & set(toolsets):
            return f"not in the selected toolsets ({', '.join(toolsets)})"
        return None

    def _surface(self, count: int) -> Surface:
        search = self.options.hints.hints.search
        if search.mode == "search" or (search.mode == "auto" and count > search.threshold):
            reason = (
                "search mode requested by hints"
                if search.mode == "search"
                else f"{count} tools is above the threshold of {search.threshold}"
            )
            return Surface("search", search.max_results, reason)
        if search.mode == "toolsets" and search.toolsets:
            reason = f"toolsets mode: only tools tagged {', '.join(search.toolsets)} were built"
            return Surface("all", search.max_results, reason)
        return Surface("all", search.max_results, "")

    # -- operations ------------------------------------------------------------------------

    def _operations(self):
        operation_ids: dict[str, str] = {}
        for path, item in (self.doc.get("paths") or {}).items():
            item_pointer = join_pointer("paths", path)
            if isinstance(item, dict) and "$ref" in item:
                resolved = self.spec.resolver.resolve(item["$ref"], self.source, item_pointer)
                item = resolved.value if resolved else {}
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                op_pointer = join_pointer("paths", path, method)
                op_id = op.get("operationId")
                if isinstance(op_id, str):
                    if op_id in operation_ids:
                        raise InputError(
                            f"duplicate operationId {op_id!r} (first used at "
                            f"{self.spec.location(operation_ids[op_id])})",
                            self.spec.location(op_pointer + "/operationId"),
                        )
                    operation_ids[op_id] = op_pointer + "/operationId"
                yield path, method, op, op_pointer, item

    def _tool(
        self,
        path: str,
        method: str,
        op: dict[str, Any],
        op_pointer: str,
        path_item: dict[str, Any],
        schemes: dict[str, SecurityScheme],
        taken: set[str],
        hint: ToolHints,
    ) -> Tool:
        op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
        if hint.name is not None:
            if hint.name in taken:
                raise InputError(
                    f"hinted tool name {hint.name!r} is already taken by another operation",
                    self.options.hints.source.location(join_pointer("tools", op_id, "name")),
                )
            name = hint.name
            taken.add(name)
        else:
            name = unique_name(tool_name(op_id, method, path, self.common_prefix), taken)
        params = self._parameters(path_item, op, op_pointer, schemes)
        body, body_params = self._body(op, op_pointer)
        params = _assign_names(params + body_params)
        missing = [
            seg[1:-1]
            for seg in _path_params(path)
            if not any(p.location == "path" and p.api_name == seg[1:-1] for p in params)
        ]
        if missing:
            # The upstream needs these to build the URL: make them plain required strings.
            extra = [Param(argument_name(m), m, "path", {"type": "string"}, True) for m in missing]
            self.warn(op_pointer, f"path parameter(s) not declared, added as strings: {missing}")
            params = _assign_names(params + extra)
        params, fixed = self._hide_and_fix(params, hint, op_id, op_pointer)
        pagination = None
        if method in ("get", "head") or hint.paginate is not None:
            response, headers = self._response(op, op_pointer)
            detected = detect(params, response, headers, hint.paginate)
            if detected is not None:
                pagination = detected.pagination
                params = [
                    p
                    for p in params
                    if not (p.location == "query" and p.api_name in detected.hidden)
                ]
                params = _assign_names(params + _paging_params(pagination))
        shape = self._shape(hint, pagination)
        output = None
        if self._wants_output_schema(hint):
            output, shape = self._output(op, op_pointer, shape, pagination)
        upper = method.upper()
        # Only what differs from MCP's defaults (readOnlyHint false, idempotentHint false).
        annotations: dict[str, bool] = {"readOnlyHint": True} if upper in _READ_METHODS else {}
        if upper == "DELETE":
            annotations["destructiveHint"] = True
        if upper in ("PUT", "DELETE"):
            annotations["idempotentHint"] = True
        security = None
        if "security" in op:
            security = self._requirements(op["security"], schemes, op_pointer + "/security")
        summary = plain(str(op.get("summary") or ""))
        return Tool(
            name=name,
            operation_id=op_id or "",
            method=upper,
            path=path,
            description=clean_text(hint.description)
            if hint.description
            else tool_description(summary, str(op.get("description") or "")) or f"{upper} {path}",
            params=tuple(params),
            annotations=annotations,
            pointer=op_pointer,
            title=summary.split("\n")[0] if summary else None,
            tags=tuple(str(t) for t in op.get("tags") or [] if isinstance(t, str)),
            body=body,
            security=security,
            shape=shape,
            output_schema=output,
            pagination=pagination,
            fixed=tuple(fixed),
            pii=tuple(_relative(p, pagination) for p in hint.pii or []),
            pinned=hint.pin,
        )

    def _hide_and_fix(
        self, params: list[Param], hint: ToolHints, op_id: str | None, op_pointer: str
    ) -> tuple[list[Param], list[FixedValue]]:
        hidden = set(hint.hide or [])
        fixes = dict(hint.fix or {})
        known = {p.api_name for p in params} | {p.name for p in params}
        for key, name in [("hide", n) for n in hidden] + [("fix", n) for n in fixes]:
            if name not in known:
                where = self.options.hints.location(op_id or "", key)
                raise InputError(
                    f"{key}: {op_id} has no parameter {name!r}{did_you_mean(name, sorted(known))}",
                    where or self.spec.location(op_pointer),
                )
        kept: list[Param] = []
        fixed: list[FixedValue] = []
        for param in params:
            value_key = param.api_name if param.api_name in fixes else param.name
            if value_key in fixes:
                fixed.append(FixedValue(param.location, param.api_name, fixes[value_key]))
            elif param.api_name in hidden or param.name in hidden:
                if param.required:
                    where = self.options.hints.location(op_id or "", "hide")
                    raise InputError(
                        f"hide: {param.api_name!r} is required by {op_id}; use fix to send a value",
                        where or self.spec.location(op_pointer),
                    )
            else:
                kept.append(param)
        return kept, fixed

    def _shape(self, hint: ToolHints, pagination: Pagination | None) -> Shape:
        defaults = self.options.hints.hints.defaults

        def pick(key: str, fallback: Any) -> Any:
            own = getattr(hint, key)
            if own is not None:
                return own
            inherited = getattr(defaults, key)
            return inherited if inherited is not None else fallback

        keep = [_relative(p, pagination) for p in pick("keep", [])]
        # Drops add up: what `defaults` drops everywhere, plus this tool's own.
        drops = list(dict.fromkeys([*(defaults.drop or []), *(hint.drop or [])]))
        drop = [_relative(p, pagination) for p in drops]
        base = Shape()
        return Shape(
            keep=tuple(keep),
            drop=tuple(drop),
            denoise=pick("denoise", base.denoise),
            max_tokens=pick("max_response_tokens", base.max_tokens),
            max_string_chars=pick("max_string_chars", base.max_string_chars),
            list_cap=pick("list_cap", base.list_cap),
        )

    def _wants_output_schema(self, hint: ToolHints) -> bool:
        if hint.output_schema is not None:
            return hint.output_schema
        return bool(self.options.hints.hints.defaults.output_schema)

    def _output(
        self, op: dict[str, Any], op_pointer: str, shape: Shape, pagination: Pagination | None
    ) -> tuple[dict[str, Any] | None, Shape]:
        response, _ = self._response(op, op_pointer, depth=8)
        try:
            schema = output_schema(response, shape, pagination)
        except UnsupportedPath as exc:
            self.warn(op_pointer, f"output schema not declared: cannot apply JSONPath {exc}")
            return None, shape
        if schema is None:
            self.warn(op_pointer, "output schema not declared: the result is not a JSON object")
            return None, shape
        # Capped lists end in a text marker, which an item schema would reject: with a declared
        # schema only the token budget cuts lists (at item boundaries, with a note).
        return schema, replace(shape, list_cap=1_000_000)

    def _response(
        self, op: dict[str, Any], op_pointer: str, depth: int = 5
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """The success response's JSON schema (shallow, output flavour) and header names."""
        responses = op.get("responses") or {}
        for code in sorted(str(c) for c in responses):
            if not (code.startswith("2") or code == "default"):
                continue
            raw = responses[code] if code in responses else responses.get(int(code))
            at = f"{op_pointer}/responses/{code}"
            source = self.source
            if isinstance(raw, dict) and "$ref" in raw:
                resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
                if resolved is None:
                    return None, []
                raw, source, at = resolved.value, resolved.source, resolved.pointer
            if not isinstance(raw, dict):
                continue
            headers = [str(h) for h in raw.get("headers") or {}]
            for media, media_obj in (raw.get("content") or {}).items():
                if "json" in media and isinstance(media_obj, dict) and "schema" in media_obj:
                    inliner = SchemaInliner(self.spec.resolver, for_input=False, max_depth=depth)
                    pointer = f"{at}/content/{media.replace('/', '~1')}/schema"
                    return inliner.inline(media_obj["schema"], source, pointer), headers
            return None, headers
        return None, []

    def _parameters(
        self,
        path_item: dict[str, Any],
        op: dict[str, Any],
        op_pointer: str,
        schemes: dict[str, SecurityScheme],
    ) -> list[Param]:
        merged: dict[tuple[str, str], tuple[dict[str, Any], SourceFile, str]] = {}
        item_pointer = op_pointer.rsplit("/", 1)[0]
        for owner, pointer in ((path_item, item_pointer), (op, op_pointer)):
            for i, raw in enumerate(owner.get("parameters") or []):
                at = f"{pointer}/parameters/{i}"
                value, source, value_pointer = raw, self.source, at
                if isinstance(raw, dict) and "$ref" in raw:
                    resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
                    if resolved is None:
                        raise OperationProblem(f"remote parameter {raw['$ref']} not fetched", at)
                    value, source, value_pointer = (
                        resolved.value,
                        resolved.source,
                        resolved.pointer,
                    )
                if not isinstance(value, dict) or "name" not in value or "in" not in value:
                    raise OperationProblem("parameter without name or in", at)
                merged[(str(value["in"]), str(value["name"]))] = (value, source, value_pointer)
        supplied = {
            (s.location, (s.param_name or "").lower()) for s in schemes.values() if s.location
        }
        params: list[Param] = []
        for (location, api_name), (value, source, pointer) in merged.items():
            if location == "header" and api_name.lower() in _IGNORED_HEADERS:
                continue
            if (location, api_name.lower()) in supplied:
                continue  # a credential: the runtime adds it, the agent never sees it
            if location not in _DEFAULT_STYLE:
                raise OperationProblem(f"parameter location {location!r} unknown", pointer)
            schema = self._param_schema(value, source, pointer)
            style = value.get("style")
            explode = value.get("explode")
            default_style = _DEFAULT_STYLE[location]
            style = style if isinstance(style, str) and style != default_style else None
            if not isinstance(explode, bool) or explode == ((style or default_style) == "form"):
                explode = None
            params.append(
                Param(
                    name=argument_name(api_name),
                    api_name=api_name,
                    location=location,  # type: ignore[arg-type]
                    schema=schema,
                    required=location == "path" or value.get("required") is True,
                    style=style,
                    explode=explode,
                )
            )
        return params

    def _param_schema(self, value: dict[str, Any], source: SourceFile, pointer: str) -> dict:
        if "schema" in value:
            schema = self.inliner.inline(value["schema"], source, pointer + "/schema")
        elif isinstance(value.get("content"), dict) and value["content"]:
            media = next(iter(value["content"]))
            media_obj = value["content"][media] or {}
            schema = self.inliner.inline(
                media_obj.get("schema"), source, join_pointer(pointer[1:], "content", media)
            )
        else:
            schema = {}
        description = value.get("description")
        if isinstance(description, str) and description.strip():
            rest = {k: v for k, v in schema.items() if k != "description"}
            schema = {"description": brief(description, ARGUMENT_DESCRIPTION_CHARS), **rest}
        return schema

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
        media = _choose_media_type(list(content))
        media_obj = content.get(media) or {}
        schema_pointer = f"{at}/content/{media.replace('~', '~0').replace('/', '~1')}/schema"
        schema = self.inliner.inline(media_obj.get("schema"), source, schema_pointer)
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
        if structured and isinstance(props, dict) and props and "anyOf" not in schema:
            needed = set(schema.get("required") or [])
            params = [
                Param(argument_name(name), name, "body", sub, required and name in needed)
                for name, sub in props.items()
            ]
            return Body(media, required, flattened=True), params
        if description:
            rest = {k: v for k, v in schema.items() if k != "description"}
            schema = {"description": description, **rest}
        if not structured and not schema:
            schema = {"type": "string", "description": description or f"Request body ({media})."}
        return Body(media, required, flattened=False), [Param("body", "", "body", schema, required)]

    # -- security and servers -----------------------------------------------------------------

    def _security_schemes(self) -> dict[str, SecurityScheme]:
        raw = (self.doc.get("components") or {}).get("securitySchemes") or {}
        schemes: dict[str, SecurityScheme] = {}
        for key, value in raw.items():
            pointer = join_pointer("components", "securitySchemes", key)
            if isinstance(value, dict) and "$ref" in value:
                resolved = self.spec.resolver.resolve(value["$ref"], self.source, pointer)
                value = resolved.value if resolved else None
            if not isinstance(value, dict):
                continue
            scheme = self._scheme(key, value, pointer)
            if scheme is not None:
                schemes[key] = scheme
        return schemes

    def _scheme(self, key: str, value: dict[str, Any], pointer: str) -> SecurityScheme | None:
        base = f"{self.env_prefix}_{(snake_case(key) or 'auth').upper()}"
        kind = value.get("type")
        description = clean_text(str(value.get("description") or "")) or None
        if kind == "apiKey":
            location = value.get("in")
            if location not in ("header", "query", "cookie") or not value.get("name"):
                self.warn(pointer, "apiKey scheme without a valid 'in' and 'name': ignored")
                return None
            return SecurityScheme(
                key, "api_key", (base,), str(location), str(value["name"]), description
            )
        if kind == "http":
            http_scheme = str(value.get("scheme") or "").lower()
            if http_scheme == "bearer":
                env = base if base.endswith("TOKEN") else base + "_TOKEN"
                return SecurityScheme(key, "bearer", (env,), description=description)
            if http_scheme == "basic":
                return SecurityScheme(
                    key, "basic", (base + "_USERNAME", base + "_PASSWORD"), description=description
                )
            self.warn(pointer, f"HTTP auth scheme {http_scheme!r} is not supported: ignored")
            return None
        if kind in ("oauth2", "openIdConnect"):
            # Until token flows are wired, an access token can be given directly.
            env = base if base.endswith("TOKEN") else base + "_TOKEN"
            return SecurityScheme(key, "bearer", (env,), description=description)
        self.warn(pointer, f"security scheme type {kind!r} is not supported: ignored")
        return None

    def _requirements(
        self, raw: Any, schemes: dict[str, SecurityScheme], pointer: str
    ) -> tuple[tuple[str, ...], ...] | None:
        if not isinstance(raw, list):
            return None
        alternatives: list[tuple[str, ...]] = []
        for i, requirement in enumerate(raw):
            if not isinstance(requirement, dict):
                continue
            names = tuple(requirement)
            unknown = [n for n in names if n not in schemes]
            if unknown:
                self.warn(
                    f"{pointer}/{i}", f"security requirement names unusable scheme(s) {unknown}"
                )
                continue
            alternatives.append(names)
        return tuple(alternatives)

    def _base_url(self) -> str:
        servers = self.doc.get("servers") or []
        if not servers or not isinstance(servers[0], dict):
            return ""
        server = servers[0]
        url = str(server.get("url") or "")
        for var, spec in (server.get("variables") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                url = url.replace("{" + var + "}", str(spec["default"]))
        return url.rstrip("/")


def _choose_media_type(media_types: list[str]) -> str:
    """JSON first, then form posts, then multipart, then whatever the spec lists first."""
    lowered = {m.split(";")[0].strip().lower(): m for m in media_types}
    for wanted in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"):
        if wanted in lowered:
            return wanted
    for media in lowered:
        if media.endswith("+json"):
            return media
    return next(iter(lowered))


def _path_params(path: str) -> list[str]:
    return [seg for seg in _segments(path) if seg.startswith("{") and seg.endswith("}")]


def _segments(path: str) -> list[str]:
    import re

    return re.findall(r"\{[^}]+\}", path)


def _assign_names(params: list[Param]) -> list[Param]:
    """Make argument names unique: path and query names win, body fields yield (`body_id`)."""
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3, "body": 4, "paging": 5}
    taken: set[str] = set()
    renamed: dict[int, Param] = {}
    for index, param in sorted(enumerate(params), key=lambda ip: (order[ip[1].location], ip[0])):
        name = param.name
        if name in taken:
            name = f"{param.location}_{param.name}"
        name = unique_name(name, taken)
        renamed[index] = param if name == param.name else _replace(param, name=name)
    # Required arguments first keeps generated signatures valid Python; spec order otherwise.
    ordered = [renamed[i] for i in range(len(params))]
    return [p for p in ordered if p.required] + [p for p in ordered if not p.required]


def _replace(param: Param, **changes: Any) -> Param:
    return replace(param, **changes)


def _selected(selector: Selector, op_id: str | None, path: str, tags: list[str]) -> bool:
    return (
        (op_id is not None and op_id in selector.operations)
        or any(fnmatch.fnmatchcase(path, glob) for glob in selector.paths)
        or bool(set(tags) & set(selector.tags))
    )


def _paging_params(pagination: Pagination) -> list[Param]:
    limit = {
        "description": (
            f"How many items to return (default {pagination.default_limit}, at most "
            f"{pagination.max_items}); they are collected across upstream pages."
        ),
        "type": "integer",
        "minimum": 1,
        "maximum": pagination.max_items,
    }
    cursor = {
        "description": "next_cursor from this tool's previous result, to continue; omit to start.",
        "type": "string",
    }
    return [
        Param("cursor", "", "paging", cursor, False),
        Param("limit", "", "paging", limit, False),
    ]


def _relative(expression: str, pagination: Pagination | None) -> str:
    """A body JSONPath made relative to one item of a paginated list (`$.data[*].x` -> `$.x`)."""
    if pagination is None or not pagination.items:
        return expression
    for prefix in (pagination.items + "[*]", pagination.items + "[:]"):
        if expression.startswith(prefix):
            return "$" + expression[len(prefix) :]
    if pagination.items == "$" and expression.startswith("$[*]"):
        return "$" + expression[len("$[*]") :]
    return expression
