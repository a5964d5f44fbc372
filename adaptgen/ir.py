"""The IR: what the planner understood of a spec, and all the renderer prints.

Everything spec-specific is resolved before this point (refs inlined, names chosen, schemas made
client-safe); templates only print it and the runtime only executes it. The catalog written
beside each generated server is this IR serialized, so it is also what `adaptgen diff` compares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ParamLocation = Literal["path", "query", "header", "cookie", "body", "paging"]


@dataclass(frozen=True)
class Param:
    """One tool argument and where it goes in the upstream request."""

    name: str  # agent-facing argument name (snake_case)
    api_name: str  # the upstream's own name ("" for a whole, unflattened body)
    location: ParamLocation
    schema: dict[str, Any]  # client-safe JSON Schema, description included
    required: bool
    style: str | None = None  # OpenAPI serialization style, when not the default
    explode: bool | None = None  # OpenAPI explode, when not the default for the style


@dataclass(frozen=True)
class Body:
    """How the request body is sent."""

    media_type: str  # e.g. application/json, application/x-www-form-urlencoded
    required: bool
    flattened: bool  # object properties became params; else one param holds the whole body


@dataclass(frozen=True)
class Shape:
    """How a tool's results are trimmed (runtime: adaptgen.runtime.shape.ShapeSpec)."""

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    denoise: bool = True
    max_tokens: int = 4000
    max_string_chars: int = 400
    list_cap: int = 50


@dataclass(frozen=True)
class Pagination:
    """How a tool pages (runtime: adaptgen.runtime.paginate.PaginationSpec)."""

    style: str  # page | offset | cursor | last_id | link | next_url
    items: str | None = None
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None
    next: str | None = None
    total: str | None = None
    page_size: int = 25
    first_page: int = 1
    default_limit: int = 25
    max_items: int = 200
    has_more: str | None = None
    id_field: str | None = None


@dataclass(frozen=True)
class FixedValue:
    """A parameter the agent never sees, always sent with this value."""

    location: str
    api_name: str
    value: Any


@dataclass(frozen=True)
class Tool:
    """One MCP tool for one upstream operation."""

    name: str
    operation_id: str
    method: str  # upper case
    path: str  # path template, relative to the base URL
    description: str
    params: tuple[Param, ...]
    annotations: dict[str, bool]
    pointer: str  # where the operation is in the spec
    title: str | None = None
    tags: tuple[str, ...] = ()
    body: Body | None = None
    security: tuple[tuple[str, ...], ...] | None = None  # None: the API's default
    shape: Shape = field(default_factory=Shape)
    pagination: Pagination | None = None
    fixed: tuple[FixedValue, ...] = ()
    pii: tuple[str, ...] = ()  # JSONPaths of personal data in results
    pinned: bool = False  # listed even in search mode
    output_schema: dict[str, Any] | None = None  # of the shaped result, when hints ask for one
    hidden: bool = False  # not an MCP tool: an operation only chains or auth flows call

    def input_schema(self) -> dict[str, Any]:
        """The tool's JSON Schema as the agent sees it (an object, never a top-level anyOf)."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: p.schema for p in self.params},
        }
        required = [p.name for p in self.params if p.required]
        if required:
            schema["required"] = required
        return schema


@dataclass(frozen=True)
class SecurityScheme:
    """A way the upstream authenticates us, with the env vars its secrets come from."""

    name: str  # the key in components.securitySchemes
    kind: Literal["api_key", "bearer", "basic"]
    env: tuple[str, ...]  # api_key/bearer: (value,); basic: (username, password)
    location: str | None = None  # api_key: header, query or cookie
    param_name: str | None = None  # api_key: header/query/cookie name
    description: str | None = None
    # How to get the credential, when the env var alone does not say (OAuth2, OpenID Connect,
    # a scheme the spec only references, a credential the spec also wants in a parameter).
    credential: str | None = None


@dataclass(frozen=True)
class SkippedOperation:
    """An operation that did not become a tool, and why."""

    operation_id: str
    method: str
    path: str
    reason: str


@dataclass(frozen=True)
class ChainStep:
    """One upstream call of a composite tool."""

    id: str
    operation: str  # the catalog name of the operation it calls (a tool, or a hidden one)
    arguments: dict[str, Any]  # by argument name; values are literals or runtime expressions
    paging: dict[str, Any] = field(default_factory=dict)  # upstream paging parameters
    outputs: dict[str, str] = field(default_factory=dict)
    success: tuple[dict[str, Any], ...] = ()
    foreach: str | None = None
    concurrency: int = 4
    write: bool = False


@dataclass(frozen=True)
class Chain:
    """A composite tool: one MCP call, several upstream calls."""

    name: str
    description: str
    input_schema: dict[str, Any]
    steps: tuple[ChainStep, ...]
    output: Any = None
    idempotent: bool = False
    annotations: dict[str, bool] = field(default_factory=dict)
    shape: Shape = field(default_factory=Shape)
    source: str = "hints"


@dataclass(frozen=True)
class AuthFlow:
    """How the runtime satisfies one security scheme (secrets as references only)."""

    scheme: str  # a securitySchemes name, or "*" for every operation
    kind: str  # login | oauth2_client_credentials | sigv4 | passthrough
    config: dict[str, Any]
    env: tuple[str, ...] = ()  # env vars its secret references read


@dataclass(frozen=True)
class Surface:
    """What tools/list shows: every tool, or a search tool (huge APIs)."""

    mode: Literal["all", "search"] = "all"
    max_results: int = 8
    reason: str = ""


@dataclass(frozen=True)
class Api:
    """Everything a generated server needs, in one value."""

    name: str  # the generated package name, e.g. "crm"
    title: str
    version: str
    spec_file: str  # as given on the command line, for the header comment
    spec_version: str  # the spec's own OpenAPI/Swagger version
    env_prefix: str  # e.g. "CRM" -> CRM_BASE_URL, CRM_API_KEY
    base_url: str
    description: str = ""
    tools: tuple[Tool, ...] = ()
    security_schemes: tuple[SecurityScheme, ...] = ()
    security: tuple[tuple[str, ...], ...] = ()  # default requirement alternatives
    skipped: tuple[SkippedOperation, ...] = field(default=())
    surface: Surface = field(default_factory=Surface)
    chains: tuple[Chain, ...] = ()
    auth_flows: tuple[AuthFlow, ...] = ()

    @property
    def base_url_env(self) -> str:
        """The env var that overrides the spec's server URL."""
        return f"{self.env_prefix}_BASE_URL"

    @property
    def timeout_env(self) -> str:
        """The env var that sets the upstream timeout in seconds."""
        return f"{self.env_prefix}_TIMEOUT"

    def env_vars(self) -> list[str]:
        """Every env var the generated server reads, in a stable order."""
        names = [self.base_url_env, self.timeout_env]
        flows = {flow.scheme for flow in self.auth_flows}
        for scheme in self.security_schemes:
            if scheme.name not in flows:  # a flow replaces the scheme's static secret
                names.extend(n for n in scheme.env if n not in names)  # one token, two places
        for flow in self.auth_flows:
            names.extend(n for n in flow.env if n not in names)
        return names

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the catalog's core)."""
        return asdict(self)
