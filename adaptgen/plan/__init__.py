"""Planning: from a loaded spec to the catalog (`adaptgen.runtime.catalog.Catalog`).

One tool per operation. All spec understanding happens here: parameters merged and typed, bodies
flattened, schemas made client-safe, names chosen, auth schemes mapped to env vars. A problem in
one operation becomes a warning with its spec location and the rest of the build goes on.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from adaptgen.errors import BuildWarning, InputError, Location
from adaptgen.hints import (
    LoadedHints,
    Selector,
    ToolHints,
    did_you_mean,
    load_hints,
)
from adaptgen.hints.chains import ChainSpec
from adaptgen.load import Spec
from adaptgen.load.source import SourceFile, join_pointer
from adaptgen.plan.auth import FlowContext, plan_flow
from adaptgen.plan.describe import (
    ARGUMENT_DESCRIPTION_CHARS,
    brief,
    describe_operation,
    plain,
    tool_description,
)
from adaptgen.plan.names import (
    argument_name,
    common_path_prefix,
    env_word,
    python_name,
    selector_words,
    snake_case,
    tool_names,
    unique_name,
)
from adaptgen.plan.output import UnsupportedPath, output_schema
from adaptgen.plan.pagination import Conventions, Example, detect, undetected_paging
from adaptgen.plan.schemas import SchemaInliner, clean_text
from adaptgen.runtime.catalog import (
    ApiInfo,
    Body,
    Catalog,
    Chain,
    ChainStep,
    ChainTool,
    FixedValue,
    Operation,
    Param,
    SecurityScheme,
    Shape,
    SkippedOperation,
    SuccessCriterion,
    Surface,
    Tool,
    env_vars,
    input_schema,
)
from adaptgen.runtime.expressions import references
from adaptgen.runtime.http_methods import BODILESS_METHODS, OPENAPI_METHODS, READ_METHODS
from adaptgen.runtime.paging import PagingStyle

# A parameter by these names carries the bearer token of the scheme that secures the operation.
_TOKEN_PARAMETERS = {"token", "access_token", "auth_token"}
_FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
# OpenAPI says these header parameters are ignored: the transport sets them.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
# An HTTP field name is a token (RFC 9110 5.1, 5.6.2); a cookie name too (RFC 6265 4.1.1).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A path is sent as the request target: no whitespace or control characters (RFC 9112 3.2).
_BAD_PATH_CHARACTER = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class PlanOptions:
    """Choices the user makes at build time."""

    include_deprecated: bool = False
    hints: LoadedHints = field(default_factory=lambda: load_hints(None))
    # Composite tools from Arazzo documents: tool name -> (spec, where it was declared).
    chains: dict[str, tuple[ChainSpec, Location | None]] = field(default_factory=dict)


class OperationProblem(Exception):
    """Raised while planning one operation; the operation is skipped with a warning."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass
class PlanResult:
    """The catalog plus what the build report needs to tell."""

    api: Catalog
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
        self.also_sent: set[str] = set()  # schemes made by `_also_sent`
        self.paging = Conventions(self._paging_examples)  # learned only if an operation needs it

    def warn(self, pointer: str, message: str) -> None:
        self.warnings.append(BuildWarning(self.spec.location(pointer), message))

    def run(self) -> Catalog:
        schemes = self._security_schemes()
        tools: list[Tool] = []
        skipped: list[SkippedOperation] = []
        taken: set[str] = set()
        operations = list(self._operations())
        self.common_prefix = common_path_prefix([path for path, *_ in operations])
        hints = self.options.hints
        op_ids = [op["operationId"] for _, _, op, _, _ in operations if "operationId" in op]
        hints.check_operations(op_ids)
        chain_specs = self._chain_specs()
        login_ops = {a.login.operation for a in hints.hints.auth.values() if a.login}
        wanted = login_ops | {s.call for c in chain_specs.values() for s in c[0].steps}
        for op_id in sorted(wanted - set(op_ids)):
            raise InputError(
                f"unknown operationId {op_id!r} in a chain or auth flow"
                f"{did_you_mean(op_id, op_ids)}",
                self._hints_location(("auth",) if op_id in login_ops else ("chains",)),
            )
        for done, (path, method, op, op_pointer, path_item) in enumerate(operations, 1):
            if self.progress is not None:
                self.progress(done, len(operations))
            op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
            label = op_id or f"{method.upper()} {path}"
            hint = hints.hints.tools.get(op_id or "", ToolHints())
            reason = "excluded by hints" if hint.exclude else self._selection(op_id, path, op)
            if not reason and op.get("deprecated") is True and not self.options.include_deprecated:
                reason = "deprecated"
            if op_id in login_ops:
                reason = "called by the session-login flow, never by the agent"
            hidden = bool(reason) and op_id in wanted
            if reason:
                skipped.append(_skipped(label, method, path, reason))
                if not hidden:
                    continue
            try:
                tool = self._tool(path, method, op, op_pointer, path_item, schemes, taken, hint)
                if hidden:
                    tool = tool.model_copy(update={"hidden": True})
            except OperationProblem as problem:
                self.warn(problem.pointer, f"operation skipped: {problem}")
                skipped.append(_skipped(label, method, path, str(problem)))
                continue
            tools.append(tool)
        info = self.doc.get("info") or {}
        by_op = {t.operation_id: t for t in tools if t.operation_id}
        chains = tuple(
            self._chain(name, spec, where, by_op, taken)
            for name, (spec, where) in chain_specs.items()
        )
        auth_flows = tuple(
            plan_flow(hint, self._flow_context(scheme, schemes, by_op), schemes)
            for scheme, hint in hints.hints.auth.items()
        )
        surface = self._surface(len([t for t in tools if not t.hidden]) + len(chains))
        api = ApiInfo(
            name=self.name,
            title=str(info.get("title") or self.name),
            version=str(info.get("version") or ""),
            spec_file=self.source.path.name,
            spec_version=self.spec.original_version,
            description=clean_text(str(info.get("description") or "")),
            base_url=self._base_url(),
            env_prefix=self.env_prefix,
            env=env_vars(self.env_prefix, tuple(schemes.values()), auth_flows),
            security_schemes=tuple(schemes.values()),
            security=self._requirements(self.doc.get("security"), schemes, "/security") or (),
            surface=surface,
            auth=auth_flows,
        )
        return Catalog(api=api, tools=tuple(tools), chains=chains, skipped=tuple(skipped))

    # -- chains and auth flows ----------------------------------------------------------------

    def _hints_location(self, keys: tuple[str, ...]) -> Location | None:
        source = self.options.hints.source
        return source.location(join_pointer(*keys)) if source is not None else None

    def _chain_specs(self) -> dict[str, tuple[ChainSpec, Location | None]]:
        specs: dict[str, tuple[ChainSpec, Location | None]] = {}
        for name, spec in self.options.hints.hints.chains.items():
            specs[name] = (spec, self._hints_location(("chains", name)))
        for name, (spec, where) in self.options.chains.items():
            if name in specs:
                raise InputError(f"chain {name!r} is declared twice", where)
            specs[name] = (spec, where)
        return specs

    def _chain(
        self,
        name: str,
        spec: ChainSpec,
        where: Location | None,
        by_op: dict[str, Tool],
        taken: set[str],
    ) -> ChainTool:
        tool_name = snake_case(spec.name or name)
        if tool_name in taken:
            raise InputError(f"chain name {tool_name!r} is already a tool's name", where)
        taken.add(tool_name)
        inputs = _chain_inputs(spec.inputs)
        declared = set(inputs["properties"])
        steps: list[ChainStep] = []
        for index, step in enumerate(spec.steps):
            tool = by_op[step.call]
            earlier = {s.id for s in spec.steps[:index]}
            for expr in references(
                [step.with_, step.body, [p.value for p in step.parameters], step.foreach]
            ):
                _check_reference(expr, declared, earlier, step.id, where, allow_item=False)
            arguments, paging = _step_arguments(step, tool, where)
            missing = [p.name for p in tool.params if p.required and p.name not in arguments]
            if missing:
                raise InputError(
                    f"chain {tool_name}: step {step.id} ({step.call}) needs {', '.join(missing)}",
                    where,
                )
            steps.append(
                ChainStep(
                    id=step.id,
                    operation=tool.name,
                    arguments=arguments,
                    paging=paging,
                    outputs=dict(step.outputs),
                    success=tuple(SuccessCriterion(**c.model_dump()) for c in step.success),
                    foreach=step.foreach,
                    concurrency=step.concurrency,
                    write=tool.method not in READ_METHODS,
                )
            )
        all_ids = {s.id for s in spec.steps}
        for expr in references(spec.output):
            _check_reference(expr, declared, all_ids, "output", where, allow_item=False)
        methods = {by_op[s.call].method for s in spec.steps}
        annotations: dict[str, bool] = {}
        if methods <= READ_METHODS:
            annotations["readOnlyHint"] = True
        else:
            if "DELETE" in methods:
                annotations["destructiveHint"] = True
            if spec.idempotent:
                annotations["idempotentHint"] = True
        return ChainTool(
            name=tool_name,
            description=clean_text(spec.description),
            annotations=annotations,
            input_schema=inputs,
            chain=Chain(
                source=spec.source,
                idempotent=spec.idempotent,
                steps=tuple(steps),
                output=spec.output,
            ),
            shape=self._shape(
                ToolHints(
                    keep=spec.keep, drop=spec.drop, max_response_tokens=spec.max_response_tokens
                ),
                None,
            ),
        )

    def _flow_context(
        self, scheme: str, schemes: dict[str, SecurityScheme], by_op: dict[str, Tool]
    ) -> FlowContext:
        raw = (self.doc.get("components") or {}).get("securitySchemes") or {}
        where = self._hints_location(("auth", scheme)) or self.spec.location(
            join_pointer("x-agent", "auth", scheme)
        )
        raw_scheme = raw.get(scheme) if isinstance(raw.get(scheme), dict) else {}
        return FlowContext(scheme, schemes.get(scheme), raw_scheme, by_op, where)

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
            return Surface(mode="search", max_results=search.max_results, reason=reason)
        if search.mode == "toolsets" and search.toolsets:
            reason = f"toolsets mode: only tools tagged {', '.join(search.toolsets)} were built"
            return Surface(mode="all", max_results=search.max_results, reason=reason)
        return Surface(mode="all", max_results=search.max_results)

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
            for method in OPENAPI_METHODS:
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
        path, key_fixed, selector = _split_path_key(path)
        summary = plain(str(op.get("summary") or ""))
        bad = _BAD_PATH_CHARACTER.search(path)
        if bad is not None:
            raise OperationProblem(
                f"the path holds {bad.group()!r}: no request can be sent to it", op_pointer
            )
        if hint.name is not None:
            if hint.name in taken:
                raise InputError(
                    f"hinted tool name {hint.name!r} is already taken by another operation",
                    self.options.hints.source.location(join_pointer("tools", op_id, "name")),
                )
            name = hint.name
            taken.add(name)
        else:
            names = tool_names(op_id, method, path, self.common_prefix, summary, selector)
            name = next((n for n in names if n not in taken), None) or names[0]
            name = unique_name(name, taken)
        params = self._usable_path_params(
            path, self._parameters(path_item, op, op_pointer, schemes), op_pointer
        )
        body, body_params = self._body(op, op_pointer)
        if body is not None and method in BODILESS_METHODS:
            # A GET body never reaches the upstream (Swagger 2.0 `in: body`/formData on a GET).
            self.warn(
                op_pointer,
                f"{method.upper()} carries no request body: its body is not a tool argument",
            )
            body, body_params = None, []
        params = _assign_names(params + body_params)
        missing = [
            seg[1:-1]
            for seg in _path_params(path)
            if not any(p.location == "path" and p.api_name == seg[1:-1] for p in params)
        ]
        if missing:
            # The upstream needs these to build the URL: make them plain required strings.
            extra = [
                Param(
                    name=argument_name(m),
                    api_name=m,
                    location="path",
                    schema={"type": "string"},
                    required=True,
                )
                for m in missing
            ]
            self.warn(op_pointer, f"path parameter(s) not declared, added as strings: {missing}")
            params = _assign_names(params + extra)
        params, fixed = self._hide_and_fix(params, hint, op_id, op_pointer)
        if key_fixed:
            # The path key's own query (`/messages?action=send`) is always sent: not an argument.
            keyed = {f.api_name for f in key_fixed}
            params = [p for p in params if not (p.location == "query" and p.api_name in keyed)]
            fixed = [*key_fixed, *fixed]
        pagination = None
        if method in ("get", "head") or hint.paginate is not None:
            response, headers = self._response(op, op_pointer)
            detected = detect(params, response, headers, hint.paginate, self.paging)
            if detected is not None:
                pagination = detected.pagination
                params = [
                    p
                    for p in params
                    if not (p.location == "query" and p.api_name in detected.hidden)
                ]
                params = _assign_names(params + _paging_params(pagination))
            elif hint.paginate is None and (
                problem := undetected_paging(params, response, headers, op_id or path)
            ):
                self.warn(op_pointer, problem)
        shape = self._shape(hint, pagination)
        output = None
        if self._wants_output_schema(hint):
            output, shape = self._output(op, op_pointer, shape, pagination)
        upper = method.upper()
        # Only what differs from MCP's defaults (readOnlyHint false, idempotentHint false).
        annotations: dict[str, bool] = {"readOnlyHint": True} if upper in READ_METHODS else {}
        if upper == "DELETE":
            annotations["destructiveHint"] = True
        if upper in ("PUT", "DELETE"):
            annotations["idempotentHint"] = True
        security = None
        if "security" in op:
            security = self._requirements(op["security"], schemes, op_pointer + "/security")
        params, security = self._without_credentials(params, body, security, schemes)
        params = [_with_py_name(p) for p in params]
        return Tool(
            name=name,
            title=summary.split("\n")[0] if summary else None,
            description=clean_text(hint.description)
            if hint.description
            else tool_description(summary, str(op.get("description") or ""))
            or self._described(method, path, name, params, op, op_pointer),
            annotations=annotations,
            tags=tuple(str(t) for t in op.get("tags") or [] if isinstance(t, str)),
            input_schema=input_schema(params),
            output_schema=output,
            upstream=Operation(
                operation_id=op_id or "",
                method=upper,
                path=path,
                params=tuple(params),
                body=body,
                security=security,
                fixed=tuple(fixed),
            ),
            shape=shape,
            pagination=pagination,
            pii=tuple(_relative(p, pagination) for p in hint.pii or []),
            pinned=hint.pin,
            pointer=op_pointer,
        )

    def _described(
        self,
        method: str,
        path: str,
        name: str,
        params: list[Param],
        op: dict[str, Any],
        op_pointer: str,
    ) -> str:
        """A sentence for an operation with no summary or description (Twilio has 44)."""
        arguments = [p.name for p in params if p.location != "paging"]
        response, _ = self._response(op, op_pointer)
        return describe_operation(method, path, name, arguments, response)

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
                fixed.append(
                    FixedValue(
                        location=param.location, api_name=param.api_name, value=fixes[value_key]
                    )
                )
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

    def _shape(self, hint: ToolHints, pagination: PagingStyle | None) -> Shape:
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
        self, op: dict[str, Any], op_pointer: str, shape: Shape, pagination: PagingStyle | None
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
        return schema, shape.model_copy(update={"list_cap": 1_000_000})

    def _paging_examples(self) -> Iterator[Example]:
        """(query parameters, response, headers) of every GET operation, for `Conventions`."""
        for _, method, op, op_pointer, path_item in self._operations():
            if method != "get":
                continue
            params = []
            for raw in [*(path_item.get("parameters") or []), *(op.get("parameters") or [])]:
                if isinstance(raw, dict) and "$ref" in raw:
                    resolved = self.spec.resolver.resolve(raw["$ref"], self.source, op_pointer)
                    raw = resolved.value if resolved else None
                if isinstance(raw, dict) and raw.get("in") == "query" and raw.get("name"):
                    schema = raw.get("schema") if isinstance(raw.get("schema"), dict) else {}
                    name = str(raw["name"])
                    params.append(Param(name=name, api_name=name, location="query", schema=schema))
            yield (params, *self._response(op, op_pointer))

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
            (s.location, (s.param_name or "").lower())
            for s in schemes.values()
            if s.location and s.name not in self.also_sent
        }
        params: list[Param] = []
        for (location, api_name), (value, source, pointer) in merged.items():
            if location == "header" and api_name.lower() in _IGNORED_HEADERS:
                continue
            if (location, api_name.lower()) in supplied:
                continue  # a credential: the runtime adds it, the agent never sees it
            if location not in _DEFAULT_STYLE:
                raise OperationProblem(f"parameter location {location!r} unknown", pointer)
            if location in ("header", "cookie") and not _TOKEN.fullmatch(api_name):
                self.warn(
                    pointer,
                    f"{location} parameter {api_name!r} skipped: not a valid {location} name "
                    "(an RFC 9110 token: ASCII letters, digits and !#$%&'*+-.^_`|~)",
                )
                continue
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

    def _without_credentials(
        self,
        params: list[Param],
        body: Body | None,
        security: tuple[tuple[str, ...], ...] | None,
        schemes: dict[str, SecurityScheme],
    ) -> tuple[list[Param], tuple[tuple[str, ...], ...] | None]:
        """`params` without the credentials a security scheme supplies; the requirement to use.

        An API key the spec also declares as a parameter (in any place, a form field too) is
        the scheme's; so is a `token` or `access_token` parameter of an operation a bearer
        scheme (OAuth2, OpenID Connect, HTTP bearer) secures, like Slack's `token`. The value
        comes from the server's environment. Where the spec requires it in that parameter, it
        is sent there too, by a scheme derived from the bearer one (same env var).
        """
        requirement = security if security is not None else self._default_requirement(schemes)
        applying = {name for alternative in requirement for name in alternative}
        keys = {
            (s.param_name or "").lower()
            for s in schemes.values()
            if s.kind == "api_key" and s.name not in self.also_sent
        }
        bearers = [schemes[n] for n in sorted(applying) if schemes[n].kind == "bearer"]
        form = body is not None and body.flattened and body.media_type in _FORM_MEDIA
        kept: list[Param] = []
        derived: list[SecurityScheme] = []
        for param in params:
            name = param.api_name.lower()
            if param.location == "body" and not form:
                kept.append(param)
            elif name in keys and param.location != "paging":
                continue  # the API key itself: the runtime adds it
            elif bearers and name in _TOKEN_PARAMETERS and param.location != "paging":
                if param.required:
                    where = "header" if param.location == "header" else "query"
                    derived.append(self._also_sent(bearers[0], where, param.api_name, schemes))
            else:
                kept.append(param)
        if not derived:
            return kept, security
        extra = tuple(dict.fromkeys(s.name for s in derived))
        owner = bearers[0].name
        return kept, tuple(a + extra if owner in a else a for a in requirement)

    def _default_requirement(
        self, schemes: dict[str, SecurityScheme]
    ) -> tuple[tuple[str, ...], ...]:
        raw = self.doc.get("security")
        alternatives = (
            [tuple(r) for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []
        )
        return tuple(a for a in alternatives if all(n in schemes for n in a))

    def _also_sent(
        self, bearer: SecurityScheme, location: str, name: str, schemes: dict[str, SecurityScheme]
    ) -> SecurityScheme:
        """The bearer scheme's token sent in a parameter as well (registered in `schemes`)."""
        key = f"{bearer.name}.{location}.{name}"
        if key not in schemes:
            self.also_sent.add(key)
            schemes[key] = SecurityScheme(
                name=key,
                kind="api_key",
                env=bearer.env,
                location=location,
                param_name=name,
                credential=f"the {bearer.name} token ({bearer.env[0]}), also sent as {location} "
                f"`{name}` where the spec requires it",
            )
        return schemes[key]

    def _usable_path_params(self, path: str, params: list[Param], op_pointer: str) -> list[Param]:
        """`params` without path parameters the path has no `{name}` for (never sent)."""
        in_path = {segment[1:-1] for segment in _path_params(path)}
        unused = [p.api_name for p in params if p.location == "path" and p.api_name not in in_path]
        if unused:
            self.warn(op_pointer, f"path parameter(s) not in the path {path!r}, skipped: {unused}")
        return [p for p in params if p.location != "path" or p.api_name in in_path]

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
                Param(
                    name=argument_name(name),
                    api_name=name,
                    location="body",
                    schema=sub,
                    required=required and name in needed,
                )
                for name, sub in props.items()
            ]
            return Body(media_type=media, required=required, flattened=True), params
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
        whole = Param(name="body", location="body", schema=schema, required=required)
        return Body(media_type=media, required=required, flattened=False), [whole]

    # -- security and servers -----------------------------------------------------------------

    def _security_schemes(self) -> dict[str, SecurityScheme]:
        raw = (self.doc.get("components") or {}).get("securitySchemes") or {}
        schemes: dict[str, SecurityScheme] = {}
        for key, value in raw.items():
            pointer = join_pointer("components", "securitySchemes", key)
            if isinstance(value, dict) and "$ref" in value:
                resolved = self.spec.resolver.resolve(value["$ref"], self.source, pointer)
                if resolved is None:
                    schemes[key] = self._unread_scheme(key, str(value["$ref"]), pointer)
                    continue
                value = resolved.value
            if not isinstance(value, dict):
                continue
            scheme = self._scheme(key, value, pointer)
            if scheme is not None:
                schemes[key] = scheme
        return schemes

    def _scheme(self, key: str, value: dict[str, Any], pointer: str) -> SecurityScheme | None:
        base = f"{self.env_prefix}_{env_word(key) or 'AUTH'}"
        kind = value.get("type")
        description = clean_text(str(value.get("description") or "")) or None
        if kind == "apiKey":
            location = value.get("in")
            if location not in ("header", "query", "cookie") or not value.get("name"):
                self.warn(pointer, "apiKey scheme without a valid 'in' and 'name': ignored")
                return None
            if location != "query" and not _TOKEN.fullmatch(str(value["name"])):
                self.warn(pointer, f"apiKey {location} name is not an RFC 9110 token: ignored")
                return None
            return SecurityScheme(
                name=key,
                kind="api_key",
                env=(base,),
                location=str(location),
                param_name=str(value["name"]),
                description=description,
            )
        if kind == "http":
            http_scheme = str(value.get("scheme") or "").lower()
            if http_scheme == "bearer":
                env = base if base.endswith("TOKEN") else base + "_TOKEN"
                return SecurityScheme(name=key, kind="bearer", env=(env,), description=description)
            if http_scheme == "basic":
                return SecurityScheme(
                    name=key,
                    kind="basic",
                    env=(base + "_USERNAME", base + "_PASSWORD"),
                    description=description,
                )
            self.warn(pointer, f"HTTP auth scheme {http_scheme!r} is not supported: ignored")
            return None
        if kind in ("oauth2", "openIdConnect"):
            # The access token is obtained out of band and given in the env var; OAuth2 client
            # credentials can instead be fetched by the server (hints `auth:`, runtime/flows.py).
            env = base if base.endswith("TOKEN") else base + "_TOKEN"
            credential = _token_source(key, value, env)
            return SecurityScheme(
                name=key, kind="bearer", env=(env,), description=description, credential=credential
            )
        self.warn(pointer, f"security scheme type {kind!r} is not supported: ignored")
        return None

    def _unread_scheme(self, key: str, ref: str, pointer: str) -> SecurityScheme:
        """A scheme the spec only references (a remote `$ref` not fetched): a bearer token.

        Leaving it out left such an API (Zoho's OAuth2) with no credential at all; a bearer
        token is what OAuth2 and OpenID Connect schemes, the usual remote ones, take.
        """
        env = f"{self.env_prefix}_{env_word(key) or 'AUTH'}"
        env = env if env.endswith("TOKEN") else env + "_TOKEN"
        self.warn(
            pointer,
            f"security scheme {key!r} is {ref}, not read (--allow-remote-refs reads it): taken "
            f"as a bearer token from {env}",
        )
        credential = f"bearer token in {env} (the scheme is {ref}, not read at build time)"
        return SecurityScheme(name=key, kind="bearer", env=(env,), credential=credential)

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


def _split_path_key(key: str) -> tuple[str, list[FixedValue], tuple[str, ...]]:
    """A path key's path, its query as fixed query values, and the words that name them.

    Real specs split one path into several operations by a query (`/messages?action=send`) or a
    fragment (Box's `/files/{file_id}#add_shared_link`): the query is sent with every call, a
    fragment never leaves the client. Either one names the operation apart from its siblings.
    """
    rest, _, fragment = key.partition("#")
    path, _, query = rest.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    fixed = [FixedValue(location="query", api_name=name, value=value) for name, value in pairs]
    return path, fixed, selector_words(pairs, fragment)


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
        renamed[index] = param if name == param.name else param.model_copy(update={"name": name})
    # Required arguments first keeps generated signatures valid Python; spec order otherwise.
    ordered = [renamed[i] for i in range(len(params))]
    return [p for p in ordered if p.required] + [p for p in ordered if not p.required]


def _skipped(label: str, method: str, path: str, reason: str) -> SkippedOperation:
    return SkippedOperation(operation_id=label, method=method.upper(), path=path, reason=reason)


def _with_py_name(param: Param) -> Param:
    """`param` with the generated function's argument name, where it differs from its name."""
    py_name = python_name(param.name)
    return param if py_name == param.name else param.model_copy(update={"py_name": py_name})


def _selected(selector: Selector, op_id: str | None, path: str, tags: list[str]) -> bool:
    return (
        (op_id is not None and op_id in selector.operations)
        or any(fnmatch.fnmatchcase(path, glob) for glob in selector.paths)
        or bool(set(tags) & set(selector.tags))
    )


def _paging_params(pagination: PagingStyle) -> list[Param]:
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
        Param(name="cursor", location="paging", schema=cursor),
        Param(name="limit", location="paging", schema=limit),
    ]


def _relative(expression: str, pagination: PagingStyle | None) -> str:
    """A body JSONPath made relative to one item of a paginated list (`$.data[*].x` -> `$.x`)."""
    if pagination is None or not pagination.items:
        return expression
    for prefix in (pagination.items + "[*]", pagination.items + "[:]"):
        if expression.startswith(prefix):
            return "$" + expression[len(prefix) :]
    if pagination.items == "$" and expression.startswith("$[*]"):
        return "$" + expression[len("$[*]") :]
    return expression


def _chain_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Chain inputs as an object schema: `{name: schema | "type"}` or a whole object schema."""
    if inputs.get("type") == "object" and isinstance(inputs.get("properties"), dict):
        schema = {"type": "object", "properties": dict(inputs["properties"])}
        if inputs.get("required"):
            schema["required"] = list(inputs["required"])
        return schema
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, value in inputs.items():
        prop = {"type": value} if isinstance(value, str) else dict(value)
        properties[name] = prop
        if "default" not in prop:
            required.append(name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _check_reference(
    expr: str,
    inputs: set[str],
    earlier: set[str],
    where_in_chain: str,
    where: Location | None,
    *,
    allow_item: bool,
) -> None:
    if expr.startswith("$inputs."):
        name = expr[len("$inputs.") :].split(".")[0]
        if name not in inputs:
            raise InputError(
                f"{where_in_chain}: {expr} names no input{did_you_mean(name, sorted(inputs))}",
                where,
            )
    elif expr.startswith("$steps."):
        step = expr[len("$steps.") :].split(".")[0]
        if step not in earlier:
            hint = did_you_mean(step, sorted(earlier))
            raise InputError(f"{where_in_chain}: {expr} names no earlier step{hint}", where)


def _step_arguments(step: Any, tool: Tool, where: Location | None) -> tuple[dict, dict]:
    """A step's values keyed by the tool's argument names; paging parameters apart."""
    arguments: dict[str, Any] = {}
    paging: dict[str, Any] = {}
    paging_names = set(tool.pagination.params()) if tool.pagination is not None else set()
    for key, value in step.with_.items():
        param = next((p for p in tool.params if key in (p.name, p.api_name)), None)
        if param is not None and param.location != "paging":
            arguments[param.name] = value
        elif key in paging_names:
            paging[key] = value
        else:
            names = sorted({p.api_name or p.name for p in tool.params if p.location != "paging"})
            raise InputError(
                f"step {step.id}: {step.call} has no parameter {key!r}{did_you_mean(key, names)}",
                where,
            )
    for parameter in step.parameters:
        param = next(
            (
                p
                for p in tool.params
                if p.api_name == parameter.name and parameter.in_ in (None, p.location)
            ),
            None,
        )
        if param is not None:
            arguments[param.name] = parameter.value
        elif parameter.name in paging_names:
            paging[parameter.name] = parameter.value
        else:
            raise InputError(
                f"step {step.id}: {step.call} has no {parameter.in_ or ''} parameter "
                f"{parameter.name!r}",
                where,
            )
    if step.body is not None:
        body = tool.upstream.body
        if body is not None and body.flattened and isinstance(step.body, dict):
            for key, value in step.body.items():
                param = next(
                    (p for p in tool.params if p.location == "body" and p.api_name == key), None
                )
                if param is None:
                    raise InputError(
                        f"step {step.id}: {step.call} body has no field {key!r}", where
                    )
                arguments[param.name] = value
        else:
            arguments["body"] = step.body
    return arguments, paging


def _token_source(key: str, value: dict[str, Any], env: str) -> str:
    """Where an OAuth2 / OpenID Connect access token comes from, for the README and report."""
    if value.get("type") == "openIdConnect":
        where = value.get("openIdConnectUrl") or "the provider"
        return f"access token in {env}, obtained out of band (OpenID Connect: {where})"
    flows = value.get("flows") if isinstance(value.get("flows"), dict) else {}
    if isinstance(flows.get("clientCredentials"), dict):
        url = flows["clientCredentials"].get("tokenUrl") or "the token URL"
        return (
            f"access token in {env}; or client credentials fetched at {url}: hints "
            f"`auth: {{{key}: {{oauth2_client_credentials: {{client_id: ..., client_secret: "
            "${env:...}}}}}`"
        )
    names = ", ".join(sorted(flows)) or "OAuth2"
    return f"access token in {env}, obtained out of band ({names} flow)"
