"""Planning: from a loaded spec to the catalog (`adaptgen.runtime.catalog.Catalog`).

One tool per operation. All spec understanding happens here: parameters merged and typed, bodies
flattened, schemas made client-safe, names chosen, auth schemes mapped to env vars. A problem in
one operation becomes a warning with its spec location and the rest of the build goes on.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adaptgen.errors import BuildWarning, InputError, Location
from adaptgen.hints import LoadedHints, Selector, ToolHints, did_you_mean, load_hints
from adaptgen.hints.chains import ChainSpec
from adaptgen.load import Spec
from adaptgen.load.source import SourceFile, join_pointer
from adaptgen.plan.auth import FlowContext, plan_flow
from adaptgen.plan.aws_query import is_aws
from adaptgen.plan.body import BodyPlanning
from adaptgen.plan.chains import ChainPlanning
from adaptgen.plan.long_running import with_checks
from adaptgen.plan.names import (
    SPRINGFOX,
    common_path_prefix,
    format_twins,
    hashed_twins,
    namespaces,
    snake_case,
)
from adaptgen.plan.operations import OperationPlanning
from adaptgen.plan.pagination import Conventions, azure_pageable
from adaptgen.plan.parameters import ParameterPlanning, split_path_key
from adaptgen.plan.schemas import SchemaInliner, clean_text
from adaptgen.plan.security import SecurityPlanning
from adaptgen.plan.state import OperationProblem
from adaptgen.plan.version_tags import with_version_tags
from adaptgen.plan.xml_body import XmlForms
from adaptgen.runtime.catalog import (
    ApiInfo,
    Catalog,
    SecurityScheme,
    ServerVariable,
    SkippedOperation,
    Surface,
    Tool,
    env_vars,
)
from adaptgen.runtime.http_methods import OPENAPI_METHODS
from adaptgen.words import env_words, keyed_sets, snake_words

# A server variable that is a credential (Telegram's `bot{token}`, an `{apikey}` path segment).
_SECRET_VARIABLE = re.compile(r"(^|_)(token|key|api_?key|secret|password|passwd)($|_)")
_ABSOLUTE_URL = re.compile(r"https?://[^/?#\s{}]+", re.IGNORECASE)
_NO_VALUE = frozenset({"none", "null", "undefined"})  # a default that says there is none
_NAMES_HOST = re.compile(r"([a-z][a-z0-9+.-]*:)?//|\{", re.IGNORECASE)  # not a relative URL
# Host names that name no server: RFC 2606's and RFC 6761's reserved names and RFC 6762's
# `.local` (what APIs.guru writes for a spec that names no host: `azure.local`, `vtex.local`).
_PLACEHOLDER_HOST = re.compile(
    r"(^|\.)(example\.(com|net|org)|[^.]+\.(local|example|invalid|test))\.?$|^(local|example)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PlanOptions:
    """Choices the user makes at build time."""

    include_deprecated: bool = False
    hints: LoadedHints = field(default_factory=lambda: load_hints(None))
    # Composite tools from Arazzo documents: tool name -> (spec, where it was declared).
    chains: dict[str, tuple[ChainSpec, Location | None]] = field(default_factory=dict)


@dataclass
class PlanResult:
    """The catalog plus what the build report needs to tell."""

    api: Catalog
    warnings: list[BuildWarning] = field(default_factory=list)
    # The 3.x document planned from, for build-time readers that need more than the catalog
    # keeps (the search index reads operations' whole descriptions).
    document: dict[str, Any] = field(default_factory=dict)


def plan(
    spec: Spec,
    name: str,
    options: PlanOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> PlanResult:
    """Turn a loaded spec into the catalog of a server called `name`.

    `progress(done, total)` is called after each operation (for a progress display).
    """
    options = options or PlanOptions()
    planner = _Planner(spec, name, options, progress)
    api = planner.run()
    warnings = [*spec.warnings, *planner.warnings, *spec.resolver.warnings]
    # The paging conventions call back into the planner, a cycle only the collector would free:
    # broken here, the planner and its memoized schemas go now, before rendering needs memory.
    del planner.paging
    return PlanResult(api, warnings, spec.document)


class _Planner(ChainPlanning, OperationPlanning, ParameterPlanning, BodyPlanning, SecurityPlanning):
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
        self.body_inliner = SchemaInliner(spec.resolver, nulls=True)  # an update's may be null
        self.output_inliners: dict[int, SchemaInliner] = {}  # by depth, reused: they memoize
        self.body_inliners: dict[tuple[int, bool], SchemaInliner] = {}  # oversized bodies
        self.xml_forms: XmlForms | None = None  # made at the first XML body or answer
        self.responses: dict[tuple[str, int], tuple[dict[str, Any] | None, list[str]]] = {}
        self.warnings: list[BuildWarning] = []
        self.env_prefix = ("_".join(env_words(name)) or "api").upper()
        self.also_sent: set[str] = set()  # schemes made by `_also_sent`
        self.said_once: set[str] = set()
        self.paging = Conventions(self._paging_examples)  # learned only if an operation needs it
        self.planned_names: dict[str, list[str]] = {}
        self.kept_names: dict[str, tuple[str, frozenset[str]]] = {}
        self.named_paths: dict[str, str] = {}
        self.collections: frozenset[str] = frozenset()
        self.format_twins: frozenset[str] = frozenset()
        self.operation_words: frozenset[tuple[str, ...]] = frozenset()  # every operationId's
        self.hashed_twins: frozenset[str] = frozenset()  # `names.hashed_twins`
        self.namespaces: frozenset[str] = frozenset()  # `names.namespaces`
        self.aws_actions = is_aws(self.doc)
        self.api_base = ""

    def run(self) -> Catalog:
        schemes = self._security_schemes()
        tools: list[Tool] = []
        skipped: list[tuple[int, SkippedOperation]] = []  # by the operation's place
        taken: set[str] = set()
        operations = list(self._operations())
        if not operations:
            where = "`paths` holds none" if "paths" in self.doc else "no `paths`"
            if self.doc.get("webhooks"):
                where += "; its `webhooks` are calls the API makes, not ones it takes"
            self.warn(
                "/paths" if "paths" in self.doc else "",
                f"the spec declares no operation ({where}): the server has no tool",
            )
        self.common_prefix = common_path_prefix([path for path, *_ in operations])
        self.collections = keyed_sets(split_path_key(path)[0] for path, *_ in operations)
        self.format_twins = format_twins(split_path_key(path)[0] for path, *_ in operations)
        self.api_base = self._server()[0]
        hints = self.options.hints
        op_ids = [op["operationId"] for _, _, op, _, _ in operations if "operationId" in op]
        self.operation_words = frozenset(
            tuple(snake_words(op_id)) for op_id in op_ids if isinstance(op_id, str)
        )
        self.namespaces = namespaces(split_path_key(path)[0] for path, *_ in operations)
        self.hashed_twins = hashed_twins(op_id for op_id in op_ids if isinstance(op_id, str))
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
        chosen = []  # (its place, the operation, its hints, hidden)
        routes = {(path, method): op for path, method, op, *_ in operations}
        next_pages = _next_page_operations(operations, self.doc)
        for place, (path, method, op, op_pointer, path_item) in enumerate(operations):
            op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
            label = op_id or f"{method.upper()} {path}"
            hint = hints.hints.tools.get(op_id or "", ToolHints())
            reason = "excluded by hints" if hint.exclude else self._selection(op_id, path, op)
            if not reason and op.get("deprecated") is True and not self.options.include_deprecated:
                reason = "deprecated"
            if not reason and (twin := _query_twin(method, op_id, path, path_item)):
                reason = f"the action of {twin}, declared again for POST (AWS query APIs)"
            if not reason and (twin := _method_twin(method, op_id, path_item)):
                reason = f"the operation of {twin}, declared again for {method.upper()} (Springfox)"
            if not reason and (twin := self._read_twin(path, method, op, op_pointer, path_item)):
                reason = f"the read of {twin}, declared again for POST with the same arguments"
            if not reason and (twin := _slash_twin(path, method, op, routes)):
                reason = f"the operation of {twin}, declared again at {path} (a trailing slash)"
            if not reason and op_id in next_pages:
                reason = (
                    f"the next page of {next_pages[op_id]} (its `x-ms-pageable` operationName),"
                    " which that tool pages itself"
                )
            if op_id in login_ops:
                reason = "called by the session-login flow, never by the agent"
            hidden = bool(reason) and op_id in wanted
            if reason:
                skipped.append((place, _skipped(label, method, path, reason)))
                if not hidden:
                    continue
            chosen.append((place, (path, method, op, op_pointer, path_item), hint, hidden))
        self.keep_names([operation for _, operation, hint, _ in chosen if hint.name is None])
        for place, (path, method, op, op_pointer, path_item), hint, hidden in chosen:
            if self.progress is not None:
                self.progress(place + 1, len(operations))
            try:
                tool = self._tool(path, method, op, op_pointer, path_item, schemes, taken, hint)
                if hidden:
                    tool = tool.model_copy(update={"hidden": True})
            except OperationProblem as problem:
                self.warn(problem.pointer, f"operation skipped: {problem}")
                op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
                label = op_id or f"{method.upper()} {path}"
                skipped.append((place, _skipped(label, method, path, str(problem))))
                continue
            tools.append(tool)
        if self.progress is not None and operations:
            self.progress(len(operations), len(operations))  # the last ones may be skipped
        tools = with_version_tags(with_checks(tools))
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
        base_url, server_url, variables = self._server()
        api = ApiInfo(
            name=self.name,
            title=str(info.get("title") or self.name),
            version=str(info.get("version") or ""),
            spec_file=self.source.path.name,
            spec_version=self.spec.original_version,
            description=clean_text(str(info.get("description") or "")),
            base_url=base_url,
            env_prefix=self.env_prefix,
            server_url=server_url,
            server_variables=variables,
            env=env_vars(self.env_prefix, tuple(schemes.values()), auth_flows)
            + tuple(v.env for v in variables if v.secret),
            security_schemes=tuple(schemes.values()),
            security=self._requirements(self.doc.get("security"), schemes, "/security") or (),
            surface=surface,
            auth=auth_flows,
        )
        return Catalog(
            api=api,
            tools=tuple(tools),
            chains=chains,
            skipped=tuple(entry for _, entry in sorted(skipped, key=lambda s: s[0])),
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

    def _operations(self):
        operation_ids: dict[str, str] = {}
        for path, item in (self.doc.get("paths") or {}).items():
            item_pointer = join_pointer("paths", path)
            item = self._referred(item, item_pointer)
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

    def _read_twin(
        self, path: str, method: str, op: dict[str, Any], op_pointer: str, path_item: Any
    ) -> str | None:
        """The GET a POST repeats: the same summary, and the same arguments sent as a form or
        a body instead of a query (EPA's ECHO services, a URL too long for a big query), or in
        the query again (Monarch's `annotate/entities`). The GET is the tool; the POST's own
        would be a second search result for every read. None for any other operation."""
        read = path_item.get("get") if method == "post" and isinstance(path_item, dict) else None
        if not isinstance(read, dict) or not (said := _said(op)) or said != _said(read):
            return None
        read_pointer = op_pointer.rsplit("/", 1)[0] + "/get"
        asked = self._argument_names(read, read_pointer, path_item)
        if not asked or asked != self._argument_names(op, op_pointer, path_item):
            return None
        read_id = read.get("operationId")
        return read_id if isinstance(read_id, str) else f"GET {path}"

    def _argument_names(
        self, op: dict[str, Any], op_pointer: str, path_item: dict[str, Any]
    ) -> frozenset[str]:
        """The names of an operation's query parameters and of its body's top-level fields."""
        names: set[str] = set()
        for owner in (path_item, op):
            for raw in owner.get("parameters") or []:
                found = self._referred(raw, op_pointer)
                if isinstance(found, dict) and found.get("in") == "query":
                    names.add(str(found.get("name")))
        body = self._referred(op.get("requestBody"), op_pointer)
        content = body.get("content") if isinstance(body, dict) else None
        media = next(iter(content.values()), None) if isinstance(content, dict) else None
        schema = (
            self._referred(media.get("schema"), op_pointer) if isinstance(media, dict) else None
        )
        fields = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(fields, dict):
            names.update(fields)
        elif body is not None:
            names.add("\0body")  # a body of no known fields is an argument of its own
        return frozenset(names)

    def _referred(self, value: Any, at: str) -> Any:
        """`value`, or what it refers to when it is a `$ref` (None when that is not found)."""
        if isinstance(value, dict) and "$ref" in value:
            resolved = self.spec.resolver.resolve(value["$ref"], self.source, at)
            return resolved.value if resolved is not None else None
        return value

    def _server(self) -> tuple[str, str, tuple[ServerVariable, ...]]:
        """The base URL (the server `usable_server` picks, its variables' defaults put in, but
        a secret's), and, when it has variables, its template and the variables."""
        server = usable_server(self.doc.get("servers"))
        if server is None:
            return "", "", ()
        template = str(server.get("url") or "").rstrip("/")
        url = template
        variables = []
        declared = server.get("variables")
        for var, spec in (declared if isinstance(declared, dict) else {}).items():
            var = str(var)
            placeholder = "{" + var + "}"
            if placeholder not in template or not isinstance(spec, dict):
                continue
            secret = bool(_SECRET_VARIABLE.search(snake_case(var) or var))
            default = str(spec.get("default", ""))
            # `{Endpoint}/anomalydetector/v1.0`: the variable is the scheme and host itself
            # (not `{protocol}://...`'s scheme alone).
            origin = template.startswith(placeholder) and "://" not in template
            if (
                (origin and not _ABSOLUTE_URL.match(default))
                or "{" in default
                or "}" in default
                or default.lower() in _NO_VALUE
            ):
                default = ""  # Azure's `none`, VTEX's `{accountName}`: no value to call with
            enum = spec.get("enum")
            choices = [str(v) for v in enum] if isinstance(enum, list) else []
            if choices and default not in choices:
                # A default must be one of them (OpenAPI); TypeSpec writes `""` and emits one
                # document per version: the one this document describes (its `info.version`).
                version = str((self.doc.get("info") or {}).get("version") or "")
                default = version if version in choices else ""
            if default and not secret:
                url = url.replace(placeholder, default)
            host = template.split("//", 1)[-1].split("/", 1)[0]
            variables.append(
                ServerVariable(
                    name=var,
                    env=f"{self.env_prefix}_SERVER_{('_'.join(env_words(var)) or 'value').upper()}",
                    default="" if secret else default,
                    enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
                    in_host=not origin
                    and (placeholder in host or placeholder in template.split("//")[0]),
                    origin=origin,
                    secret=secret,
                )
            )
        return url, (template if variables else ""), tuple(variables)


def usable_server(servers: Any) -> dict[str, Any] | None:
    """The server an API is called at: the first that names a real place. A server whose host
    is a placeholder (`https://azure.local`, `api.example.com`) gives way to the first after it
    that is not, one with a scheme before one without (APIs.guru puts `https://azure.local`
    before Azure's `{Endpoint}/anomalydetector/v1.0`; a relative URL is relative to wherever the
    spec was read from); with none such, the first server, as declared."""
    declared = [s for s in servers if isinstance(s, dict)] if isinstance(servers, list) else []
    if not declared:
        return None
    real = [s for s in declared if _url_like(s) and not _placeholder_server(s)]
    absolute = [s for s in real if _NAMES_HOST.match(str(s.get("url") or ""))]
    if real and real[0] is declared[0]:
        return declared[0]
    return (absolute or real or declared)[0]


def _url_like(server: dict[str, Any]) -> bool:
    """Whether a server's URL can be one: it names a host, or a path (not Okta's `,`)."""
    url = str(server.get("url") or "")
    return bool(_NAMES_HOST.match(url)) or url.startswith("/")


def _placeholder_server(server: dict[str, Any]) -> bool:
    """Whether a server's host is a name that cannot be a real server's."""
    url = str(server.get("url") or "")
    if not _ABSOLUTE_URL.match(url):
        return False
    host = url.split("//", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return bool(_PLACEHOLDER_HOST.search(host))


def _said(op: dict[str, Any]) -> str:
    """What an operation says it does: its summary, else its description (stripped)."""
    said = op.get("summary") or op.get("description")
    return said.strip() if isinstance(said, str) else ""


def _query_twin(method: str, op_id: str | None, path: str, path_item: Any) -> str | None:
    """The GET an operation repeats, when it is an AWS query action's POST form
    (`POST_DeleteDBInstance` beside `GET_DeleteDBInstance` on `/#Action=DeleteDBInstance`):
    one action, and the GET is the form that works (its arguments go in the query, as AWS
    reads them; the POST's body is declared `text/xml`, which AWS does not take). Its own
    tool would take a second search result for every action."""
    if method != "post" or not op_id or not op_id.startswith("POST_") or "Action=" not in path:
        return None
    sibling = path_item.get("get") if isinstance(path_item, dict) else None
    twin = sibling.get("operationId") if isinstance(sibling, dict) else None
    return twin if twin == "GET_" + op_id.removeprefix("POST_") else None


def _method_twin(method: str, op_id: str | None, path_item: Any) -> str | None:
    """The operation an operation repeats under another method, when Springfox documented one
    handler mapped to no one method once per method (`createPadUsingGET`,
    `createPadUsingPOST`, ... with the same parameters and body: Etherpad's whole API): the
    GET's operationId where there is one, else the first in the order operations are read
    (`OPENAPI_METHODS`: get, put, post, ...); None for that one itself and for any operation
    not such a twin. One tool does what the handler does; seven would take seven search
    results for every operation."""
    found = SPRINGFOX.search(op_id or "")
    if found is None or not isinstance(path_item, dict):
        return None
    own = path_item.get(method)
    twins = [
        (other, sibling)
        for other in OPENAPI_METHODS
        if isinstance(sibling := path_item.get(other), dict)
        and isinstance(sibling_id := sibling.get("operationId"), str)
        and (match := SPRINGFOX.search(sibling_id)) is not None
        and sibling_id[: match.start()] == op_id[: found.start()]
        and all(
            sibling.get(key) == own.get(key) for key in ("parameters", "requestBody", "deprecated")
        )
    ]
    kept = next((t for t in twins if t[0] == "get"), twins[0] if twins else None)
    if kept is None or kept[0] == method:
        return None
    return str(kept[1]["operationId"])


def _slash_twin(
    path: str, method: str, op: dict[str, Any], routes: Mapping[tuple[str, str], Any]
) -> str | None:
    """The operation an operation repeats at its path with a trailing slash, when a Spring
    handler mapped to both (`@GetMapping({"/person", "/person/"})`: springdoc documents it
    once per path, the second operationId numbered, `getPerson` and `getPerson_1`): the same
    method, operationId but for that number, parameters, body and deprecation. The path
    without the slash is the tool; every server that routes one routes the other alike, and
    a second tool would take a second search result and a numbered name for every
    operation. None for any other operation. `routes`: every operation by path and method."""
    other = routes.get((path[:-1], method)) if path.endswith("/") and path != "/" else None
    if not isinstance(other, dict):
        return None
    own_id, other_id = op.get("operationId"), other.get("operationId")
    if not isinstance(own_id, str) or not isinstance(other_id, str):
        same_id = own_id is None and other_id is None
    else:
        same_id = _NUMBERED.sub("", own_id) == _NUMBERED.sub("", other_id)
    if not same_id or any(
        other.get(key) != op.get(key) for key in ("parameters", "requestBody", "deprecated")
    ):
        return None
    return other_id if isinstance(other_id, str) else f"{method.upper()} {path[:-1]}"


_NUMBERED = re.compile(r"_\d+$")  # springdoc's second operationId for one handler


def _next_page_operations(
    operations: Sequence[tuple[str, str, dict[str, Any], str, Any]], doc: Mapping[str, Any]
) -> dict[str, str]:
    """The operations that only fetch another operation's next page, by operationId, each to
    the operationId of the list it pages: AutoRest's `x-ms-pageable` names one by its
    `operationName` (Graph RBAC's `Users_ListNext` at `GET /{tenantID}/{nextLink}`), and such
    an operation takes nothing but the link. The list's own tool follows that link
    (`azure_pageable`), so a tool of the next page would only be a second way to the same
    pages, and one an agent must feed a URL; it is skipped. Only where the list names a next
    link (without one, the named operation is not how it pages) and not itself."""
    ids = {op.get("operationId") for _, _, op, *_ in operations}
    found: dict[str, str] = {}
    for _, _, op, *_ in operations:
        own = op.get("operationId")
        marked = op.get("x-ms-pageable")
        if not isinstance(own, str) or not isinstance(marked, dict):
            continue
        named = marked.get("operationName")
        if isinstance(named, str) and named != own and named in ids and azure_pageable(op, doc):
            found.setdefault(named, own)
    return found


def _skipped(label: str, method: str, path: str, reason: str) -> SkippedOperation:
    return SkippedOperation(operation_id=label, method=method.upper(), path=path, reason=reason)


def _selected(selector: Selector, op_id: str | None, path: str, tags: list[str]) -> bool:
    return (
        (op_id is not None and op_id in selector.operations)
        or any(fnmatch.fnmatchcase(path, glob) for glob in selector.paths)
        or bool(set(tags) & set(selector.tags))
    )
