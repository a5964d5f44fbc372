"""The catalog: what the planner understood of a spec, as one typed model.

`plan` produces a `Catalog`, `render` writes it as `catalog.json` beside the generated server and
prints `server.py` from it, and the runtime loads that file back into the same model: there is
no second set of types and no field mapping between build and runtime. Everything spec-specific
is resolved before this point (refs inlined, names chosen, schemas made client-safe).

The file is also what `adaptgen diff` compares and what a reviewer reads, so it leaves out what
is empty or unset. `CATALOG_VERSION` changes when a catalog of the previous version would be
read wrongly; the runtime refuses a version it does not know (`adaptgen schema catalog` prints
the JSON Schema).
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from adaptgen.runtime.flows import UpstreamAuthFlow, UpstreamAuthFlowEntry
from adaptgen.runtime.paging import Pagination

CATALOG_VERSION = 1
CATALOG_FILE = "catalog.json"
# What pydantic writes of a float that Python's json writes otherwise (1e-05 -> 0.00001 or
# 1e-5, 1e-06 -> 1e-6, ...: exponents -5 to -9 without their zero; from 1e-10 down and from
# 1e-4 up the two agree): `Catalog.to_json` then writes the text the way json does. Looked
# for as "0.0000" and "e-5".."e-9" anywhere (20x faster than as numbers only; a string that
# holds one costs that catalog the slow way, nothing else).
_SMALL_DECIMAL = "0.0000"
_SMALL_EXPONENT = re.compile(r"e-[5-9](?!\d)")

ParamLocation = Literal["path", "query", "header", "cookie", "body", "paging"]


def _empty(value: Any) -> bool:
    return not value


def _unset(value: Any) -> bool:
    return value is None


class CatalogError(Exception):
    """A catalog.json the runtime cannot serve (another version, or not a catalog)."""


class _Entry(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


# The argument that holds a JSON body's fields beyond those it names (`additionalProperties`:
# Microsoft Graph's open types, Jira's, Spotify's), sent beside the named ones
# (`plan.body._more_fields`); no word of what the tool does, so search leaves it out.
MORE_FIELDS = "additional_properties"


class Param(_Entry):
    """One tool argument and where it goes in the upstream request.

    Its schema and whether it is required are the tool's `input_schema` (what the agent reads);
    they are not written twice, and are filled back in from it when a catalog is loaded.
    """

    name: str  # agent-facing argument name (snake_case)
    location: ParamLocation = Field(alias="in")
    api_name: str = ""  # the upstream's own name ("" for a whole body or a paging argument)
    py_name: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The generated function's argument name, when not `name`.",
    )
    style: str | None = Field(
        default=None, exclude_if=_unset, description="OpenAPI style, when not the default."
    )
    explode: bool | None = Field(
        default=None, exclude_if=_unset, description="OpenAPI explode, when not the default."
    )
    aws_query: dict[str, Any] | None = Field(
        default=None,
        exclude_if=_unset,
        description="How AWS's query protocol names a structure's fields and a list's items "
        "(`plan.aws_query`, `serialize.aws_query_pairs`).",
    )
    reserved: bool | None = Field(
        default=None,
        exclude_if=_unset,
        description=(
            "A path value whose `/` go as they are, when true: an Azure scope or resource ID "
            "(`x-ms-skip-url-encoding`), a Google resource name, a GitHub file path or ref "
            "(`x-multi-segment`)."
        ),
    )
    default_from: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The argument (a path parameter's name) whose value this body field takes "
        "when the agent leaves it out: a required field that repeats the path's value "
        "(`PUT /agents/{agentID}` with `AgentID` in its body) is asked for once.",
    )
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema", exclude=True)
    required: bool = Field(default=False, exclude=True)

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        """The argument's client-safe JSON Schema, description included."""
        return self.schema_

    @property
    def arg(self) -> str:
        """The generated function's argument name."""
        return self.py_name or self.name


class Body(_Entry):
    """How the request body is sent."""

    media_type: str  # e.g. application/json, application/x-www-form-urlencoded
    required: bool
    flattened: bool  # object properties became params; else one param holds the whole body
    part_types: dict[str, str] = Field(
        default_factory=dict,
        exclude_if=_empty,
        description="A multipart form's parts by field, the media type each is sent as where "
        "the spec's `encoding` names one: a JSON part's `application/json` (Spring's "
        "`@RequestPart` refuses one without it), a file's own type.",
    )
    content_type: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The `Content-Type` sent, where the spec's media type has parameters "
        "(`application/json;version=2018-01-01`, `text/plain; charset=UTF-8`): as written.",
    )
    xml: dict[str, Any] | None = Field(
        default=None,
        exclude_if=_unset,
        description="How an XML body is written: its root element and what differs from the "
        "field names (`adaptgen.plan.xml_body`).",
    )


class FixedValue(_Entry):
    """A parameter the agent never sees, always sent with this value."""

    location: str = Field(alias="in")
    api_name: str
    value: Any


FinalState = Literal["location", "azure-async-operation", "operation-location", "original-uri"]


class LongRunning(_Entry):
    """A write the upstream may finish after it answers: Azure's
    `x-ms-long-running-operation`, or one whose spec declares `202 Accepted`. The runtime
    follows it to its end within the call (`runtime.long_running`); these say how."""

    final: FinalState | None = Field(
        default=None,
        exclude_if=_unset,
        description="Where the finished operation's result is read "
        "(`x-ms-long-running-operation-options.final-state-via`); absent: by the method.",
    )
    check: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The tool that reads what it changes: named to the agent when the "
        "operation has not finished within the wait.",
    )


class Operation(_Entry):
    """The upstream request of one tool."""

    operation_id: str
    method: str  # upper case
    path: str  # path template, relative to the base URL
    params: tuple[Param, ...] = ()
    body: Body | None = Field(default=None, exclude_if=_unset)
    security: tuple[tuple[str, ...], ...] | None = Field(
        default=None,
        exclude_if=_unset,
        description="Requirement alternatives; absent: the API's default.",
    )
    fixed: tuple[FixedValue, ...] = Field(default=(), exclude_if=_empty)
    answer_xml: dict[str, Any] | None = Field(
        default=None,
        exclude_if=_unset,
        description="How an XML answer is read as data: its lists, scalar types and the names "
        "that differ from the fields' (`adaptgen.runtime.xml_answer`).",
    )
    long_running: LongRunning | None = Field(default=None, exclude_if=_unset)
    server: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The operation's own server, where the spec gives it one (Box's uploads "
        "at upload.box.com): its requests go there unless `<NAME>_BASE_URL` is set.",
    )
    redirects: bool = Field(
        default=False,
        exclude_if=_empty,
        description="The spec declares a redirect answer (301/302/303/307/308: a download "
        "handed to storage, a moved thing): one elsewhere is followed (`runtime.redirects`).",
    )
    ok_field: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The boolean field of a successful answer that says whether the call "
        "worked (Slack's `ok`, `success`): an answer where it is false is a tool error.",
    )
    answer_headers: tuple[str, ...] = Field(
        default=(),
        exclude_if=_empty,
        description="Headers whose values a result with no content carries: those its success "
        "answers with no content declare, and a HEAD's own (`plan.answer_headers`).",
    )
    absent: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="What a 404 means for a check, a read whose success has no content and "
        "that declares 404 (GitHub's `GET /user/starred/{owner}/{repo}`: 204 yes, 404 no): the "
        "spec's words for it. Such a 404 is the result, not an error.",
    )
    etag_header: bool = Field(
        default=False,
        exclude_if=_empty,
        description="A write on this path takes the thing's version tag back (`If-Match`): the "
        "answer's `ETag` header is added to an object answer as `etag` "
        "(`plan.version_tags`).",
    )


class Shape(_Entry):
    """How a tool's results are trimmed (adaptgen.runtime.shape)."""

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    denoise: bool = True
    max_tokens: int = 4000
    max_string_chars: int = 400
    list_cap: int = 50
    compact: bool = Field(
        default=True,
        exclude_if=lambda on: on,  # written only when turned off: catalogs stay as they were
        description="Text results in their lean form (adaptgen.runtime.lean).",
    )
    version_tags: bool = Field(
        default=False,
        exclude_if=_empty,
        description="Version tags (`etag`, `_rev`) are kept in results: the API takes them back "
        "(`If-Match`, a `_rev` field), so they are no bookkeeping here (`plan.version_tags`).",
    )


class Tool(_Entry):
    """One MCP tool for one upstream operation (or a hidden operation only flows call)."""

    name: str
    hidden: bool = Field(
        default=False,
        exclude_if=_empty,
        description="Not an MCP tool: an operation only chains or auth flows call.",
    )
    title: str | None = Field(default=None, exclude_if=_unset)
    description: str
    annotations: dict[str, bool] = Field(default_factory=dict)
    tags: tuple[str, ...] = Field(default=(), exclude_if=_empty)
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = Field(default=None, exclude_if=_unset)
    upstream: Operation
    shape: Shape = Field(default_factory=Shape)
    pagination: Pagination | None = Field(default=None, exclude_if=_unset)
    pii: tuple[str, ...] = Field(
        default=(), exclude_if=_empty, description="JSONPaths of personal data in results."
    )
    pinned: bool = Field(default=False, exclude_if=_empty, description="Listed in search mode.")
    pointer: str = Field(
        default="", exclude_if=_empty, description="Where the operation is in the spec."
    )

    @model_validator(mode="before")
    @classmethod
    def _params_from_schema(cls, data: Any) -> Any:
        """Give each loaded parameter its schema and requiredness back from `input_schema`."""
        if not isinstance(data, dict) or not isinstance(data.get("upstream"), dict):
            return data
        schema = data.get("input_schema") or {}
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        params = [
            _with_schema(p, properties, required)
            if isinstance(p, dict) and "schema" not in p
            else p
            for p in data["upstream"].get("params") or ()
        ]
        return {**data, "upstream": {**data["upstream"], "params": params}}

    @property
    def params(self) -> tuple[Param, ...]:
        """The tool's arguments (required first: the generated function's signature)."""
        return self.upstream.params

    @property
    def method(self) -> str:
        return self.upstream.method

    @property
    def path(self) -> str:
        return self.upstream.path

    @property
    def operation_id(self) -> str:
        return self.upstream.operation_id

    @property
    def where(self) -> str:
        """`METHOD /path/{template}`: how messages name the operation (never real values)."""
        return f"{self.upstream.method} {self.upstream.path}"


def _with_schema(param: dict[str, Any], properties: dict[str, Any], required: set[str]) -> dict:
    name = param.get("name")
    return {**param, "schema": properties.get(name, {}), "required": name in required}


def input_schema(params: tuple[Param, ...] | list[Param]) -> dict[str, Any]:
    """The JSON Schema the agent sees for `params` (an object, never a top-level anyOf)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: p.schema for p in params},
    }
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    return schema


class SuccessCriterion(_Entry):
    """An Arazzo `successCriteria` entry: a simple condition, or a JSONPath/regex on a context."""

    condition: str
    context: str | None = Field(default=None, exclude_if=_unset)
    type: Literal["simple", "jsonpath", "regex"] = "simple"


class ChainStep(_Entry):
    """One upstream call of a composite tool."""

    id: str
    operation: str  # the catalog name of the operation it calls (a tool, or a hidden one)
    arguments: dict[str, Any] = Field(default_factory=dict)  # literals or runtime expressions
    paging: dict[str, Any] = Field(default_factory=dict, exclude_if=_empty)
    outputs: dict[str, str] = Field(default_factory=dict, exclude_if=_empty)
    success: tuple[SuccessCriterion, ...] = Field(default=(), exclude_if=_empty)
    foreach: str | None = Field(default=None, exclude_if=_unset)
    concurrency: int = 4
    write: bool = False


class Chain(_Entry):
    """The steps of a composite tool and what it returns."""

    source: str = "hints"  # hints, or the Arazzo document's name
    idempotent: bool = False
    steps: tuple[ChainStep, ...]
    output: Any = None  # default: the last step's body


class ChainTool(_Entry):
    """A composite tool: one MCP call, several upstream calls."""

    name: str
    description: str
    annotations: dict[str, bool] = Field(default_factory=dict)
    input_schema: dict[str, Any]
    chain: Chain
    shape: Shape = Field(default_factory=Shape)

    @property
    def params(self) -> tuple[Param, ...]:
        """The chain's inputs as parameters, required first (its function's signature)."""
        needed = set(self.input_schema.get("required", []))
        params = [
            Param(name=name, api_name=name, location="body", schema=schema, required=name in needed)
            for name, schema in self.input_schema["properties"].items()
        ]
        return tuple([p for p in params if p.required] + [p for p in params if not p.required])


class SecurityScheme(_Entry):
    """A way the upstream authenticates us, with the env vars its secrets come from."""

    name: str  # the key in components.securitySchemes
    kind: Literal["api_key", "bearer", "basic", "mutual_tls"]
    # api_key/bearer: (value,); basic: (username, password); mutual_tls: (client certificate,),
    # which the transport presents (`runtime.tls`), its key beside it or in `<NAME>_CLIENT_KEY`
    env: tuple[str, ...]
    location: str | None = Field(default=None, exclude_if=_unset)
    param_name: str | None = Field(default=None, exclude_if=_unset)
    description: str | None = Field(default=None, exclude_if=_unset)
    # How to get the credential, when the env var alone does not say (OAuth2, OpenID Connect,
    # a scheme the spec only references, a credential the spec also wants in a parameter).
    credential: str | None = Field(default=None, exclude_if=_unset)
    auth_scheme: str | None = Field(
        default=None,
        exclude_if=_unset,
        description="The `Authorization` scheme a bearer-kind credential is sent under when "
        "not `Bearer`: an HTTP scheme of the API's own (`SharedAccessKey`, `Token`, `SSWS`).",
    )


class SkippedOperation(_Entry):
    """An operation that did not become a tool, and why."""

    operation_id: str
    method: str
    path: str
    reason: str


class Surface(_Entry):
    """What tools/list shows: every tool, or a search tool (huge APIs)."""

    mode: Literal["all", "search"] = "all"
    max_results: int  # search_tools hits by default (hints: search.max_results)
    reason: str = ""


class ServerVariable(_Entry):
    """A variable of the spec's server URL (`https://{subdomain}.zendesk.com/api/v2`,
    `{protocol}://{hostname}/api/v3`, `https://api.telegram.org/bot{token}`), set by its own env
    var (`<NAME>_SERVER_<VARIABLE>`), else its default."""

    name: str
    env: str
    default: str = ""
    enum: tuple[str, ...] = Field(default=(), exclude_if=_empty)
    in_host: bool = Field(
        default=False, exclude_if=_empty, description="Part of the host: it may hold no `/`."
    )
    origin: bool = Field(
        default=False,
        exclude_if=_empty,
        description="The URL's beginning: an absolute http(s) URL, its scheme and host and "
        "maybe a path (`{Endpoint}/anomalydetector/v1.0`, `{vaultBaseUrl}`).",
    )
    secret: bool = Field(
        default=False,
        exclude_if=_empty,
        description="A credential in the URL (a token, a key): its default is the spec's "
        "example, never used, and its value is redacted as a secret.",
    )


class ApiInfo(_Entry):
    """The API as a whole: names, where it is, how it authenticates."""

    name: str  # the generated package name, e.g. "crm"
    title: str
    version: str  # the API's own version
    spec_file: str  # as given on the command line, for the header comment
    spec_version: str  # the spec's own OpenAPI/Swagger version
    description: str = ""
    base_url: str
    env_prefix: str  # e.g. "CRM" -> CRM_BASE_URL, CRM_API_KEY
    server_url: str = Field(
        default="", exclude_if=_empty, description="The server URL with its `{variables}`."
    )
    server_variables: tuple[ServerVariable, ...] = Field(default=(), exclude_if=_empty)
    env: tuple[str, ...] = Field(default=(), description="Every env var the server reads.")
    security_schemes: tuple[SecurityScheme, ...] = ()
    security: tuple[tuple[str, ...], ...] = ()  # default requirement alternatives
    surface: Surface = Field(default_factory=Surface)
    auth: tuple[UpstreamAuthFlowEntry, ...] = Field(
        default=(), description="Flows that satisfy security schemes, by scheme ('*': all)."
    )

    @property
    def base_url_env(self) -> str:
        """The env var that overrides the spec's server URL."""
        return f"{self.env_prefix}_BASE_URL"

    @property
    def timeout_env(self) -> str:
        """The env var that sets the upstream timeout in seconds."""
        return f"{self.env_prefix}_TIMEOUT"


def env_vars(
    env_prefix: str,
    schemes: tuple[SecurityScheme, ...] | list[SecurityScheme],
    flows: tuple[UpstreamAuthFlow, ...] | list[UpstreamAuthFlow],
) -> tuple[str, ...]:
    """Every env var a generated server reads, in a stable order."""
    names = [f"{env_prefix}_BASE_URL", f"{env_prefix}_TIMEOUT"]
    replaced = {flow.scheme for flow in flows}
    for scheme in schemes:
        if scheme.name not in replaced:  # a flow replaces the scheme's static secret
            names.extend(n for n in scheme.env if n not in names)  # one token, two places
    for flow in flows:
        names.extend(n for n in flow.env if n not in names)
    return tuple(names)


class Catalog(_Entry):
    """Everything a generated server needs, in one value (catalog.json)."""

    version: int = Field(default=CATALOG_VERSION, description="The catalog format's version.")
    info: ApiInfo = Field(alias="api")
    tools: tuple[Tool, ...] = Field(
        default=(), description="One per upstream operation (hidden ones: called by flows only)."
    )
    chains: tuple[ChainTool, ...] = Field(default=(), exclude_if=_empty)
    skipped: tuple[SkippedOperation, ...] = ()

    @property
    def listed(self) -> tuple[Tool | ChainTool, ...]:
        """The MCP tools: every tool but the hidden operations, then the chains."""
        return (*(t for t in self.tools if not t.hidden), *self.chains)

    def tool(self, name: str) -> Tool | ChainTool:
        """The tool or chain called `name` (KeyError when there is none)."""
        for tool in (*self.tools, *self.chains):
            if tool.name == name:
                return tool
        raise KeyError(name)

    def to_json(self) -> str:
        """catalog.json's text: indented, key order as declared, non-ASCII as is, numbers as
        Python writes them. pydantic writes the same text 8x faster (an 87 MB catalog: 0.8 s
        against 7.8; GitHub's 0.017 against 0.08), but for a float under 1e-4 (`0.00001` and
        `1e-6` where Python writes `1e-05` and `1e-06`): a text with one of those, even in a
        string, is written again the slow way, so the bytes never depend on which way was
        taken."""
        try:
            text = self.model_dump_json(indent=2, by_alias=True)
        except ValueError:  # pydantic refuses what json writes as is (a lone surrogate)
            text = ""
        if not text or _SMALL_DECIMAL in text or _SMALL_EXPONENT.search(text):
            data = self.model_dump(mode="json", by_alias=True)
            text = json.dumps(data, indent=2, ensure_ascii=False)
        return text + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, where: str = CATALOG_FILE) -> Catalog:
        """A catalog read back; CatalogError for another version or a broken file."""
        collecting = gc.isenabled()
        gc.disable()  # thousands of new objects, none garbage: a collection would only scan
        try:
            return cls._parsed(text, where)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _parsed(cls, text: str | bytes, where: str) -> Catalog:
        """`from_json` without the collector: the version checked first, then the model."""
        try:
            head = json.loads(text)
        except ValueError as exc:
            raise CatalogError(f"{where} is not JSON: {exc}") from None
        version = head.get("version") if isinstance(head, dict) else None
        if version != CATALOG_VERSION:
            raise CatalogError(
                f"{where} is catalog version {version!r}, but this adaptgen runtime reads "
                f"version {CATALOG_VERSION}: rebuild the server with this adaptgen "
                "(`adaptgen build`), or install the adaptgen that built it"
            )
        try:
            return cls.model_validate(head)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                for error in exc.errors()[:3]
            )
            raise CatalogError(f"{where} is not a valid catalog: {problems}") from None

    @classmethod
    def read(cls, path: str | Path) -> Catalog:
        """The catalog in file `path`."""
        path = Path(path)
        return cls.from_json(path.read_bytes(), str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of catalog.json (what `adaptgen schema catalog` prints)."""
    schema = Catalog.model_json_schema(mode="serialization")
    return schema
