"""The governance policy file: who may call what, how often, what they may see, what is logged.

YAML (or JSON), validated with pydantic; every problem is a `PolicyError` with `file:line`. The
runtime reads it at start-up from `--policy`, `<PREFIX>_POLICY` or `ADAPTGEN_POLICY`. With no
policy, `safe_default()` applies: anonymous callers get read-only tools, no writes, PII
tokenized with a per-process key, a per-caller rate limit, and an audit line per call on stdout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from adaptgen.runtime.strict import StrictModel, unknown_key_message


class PolicyError(Exception):
    """A policy file that cannot be used; the message starts with `file:line:col`."""


class JwtPolicy(StrictModel):
    """Verifying callers' JWTs (see adaptgen.runtime.governance.jwt)."""

    issuer: str | None = None
    audience: str | list[str] | None = None
    jwks_url: str | None = None
    ca_bundle: str | None = Field(
        default=None,
        description="CA certificates the JWKS URL's certificate may be signed by, beside the "
        "public roots (an IdP behind your company's CA): a PEM file, its text, or a ${env:...} "
        "or ${aws-sm:...} reference",
    )
    keys: list[str | dict[str, Any]] = Field(
        default_factory=list, description="PEM public keys or JWKs; ${env:NAME} references too"
    )
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    leeway: float = 30.0
    subject_claim: str = "sub"
    groups_claim: str = "groups"
    scopes_claim: str = "scope"

    @field_validator("algorithms")
    @classmethod
    def _never_none(cls, algorithms: list[str]) -> list[str]:
        if "none" in [a.lower() for a in algorithms]:
            raise ValueError("algorithm 'none' can never be allowed")
        return algorithms

    @model_validator(mode="after")
    def _has_keys(self) -> JwtPolicy:
        if not self.jwks_url and not self.keys:
            raise ValueError("jwt needs jwks_url or keys")
        return self


class LocalIdentity(StrictModel):
    """The identity of a stdio session (no HTTP headers to carry a token)."""

    subject: str = "local"
    groups: list[str] = Field(default_factory=list)


class IdentityPolicy(StrictModel):
    """Who the caller is."""

    jwt: JwtPolicy | None = None
    allow_anonymous: bool = False
    anonymous_groups: list[str] = Field(default_factory=lambda: ["anonymous"])
    local: LocalIdentity | None = Field(
        default=None, description="Used when a call arrives without HTTP (stdio)."
    )


class AccessRule(StrictModel):
    """Grants for callers in some groups/scopes/users (all callers when none are given)."""

    groups: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list, description="Tool name globs")
    deny: list[str] = Field(default_factory=list, description="Tool name globs; deny wins")
    writes: bool = Field(default=False, description="May call tools that are not read-only")
    destructive: bool = Field(default=False, description="May call destructive tools")


class CedarPolicy(StrictModel):
    """Attribute-based rules in Cedar (cedarpy), checked on top of the rules."""

    policies: str = Field(description="Path of a .cedar file (relative to the policy file)")


class AccessPolicy(StrictModel):
    """What each caller may see and call."""

    rules: list[AccessRule] = Field(default_factory=list)
    cedar: CedarPolicy | None = None


Scalar = str | int | float | bool | None


class ArgumentCheck(StrictModel):
    """What one argument may hold. A list argument is checked item by item (its length
    against the length limits); a string or number is matched by `pattern` as text."""

    values: list[Scalar] | None = Field(
        default=None,
        description="The only values allowed; leaving the argument out is refused too (a "
        "missing filter widens the call), unless null is one of them",
    )
    pattern: str | None = Field(default=None, description="A regex the whole value must match")
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=0)
    required: bool = Field(default=False, description="Refuse a call that leaves it out")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regex: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _checks_something(self) -> ArgumentCheck:
        limits = (self.pattern, self.minimum, self.maximum, self.min_length, self.max_length)
        if self.values is None and all(v is None for v in limits) and not self.required:
            raise ValueError(
                "give values, pattern, minimum, maximum, min_length, max_length or required"
            )
        return self


class ArgumentRule(StrictModel):
    """Checks on named arguments of some tools, for callers in some groups/scopes/users (all
    callers when none are given). Every rule that applies to a call must pass."""

    groups: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    tools: list[str] = Field(min_length=1, description="Tool name globs")
    arguments: dict[str, ArgumentCheck] = Field(min_length=1)


class ArgumentPolicy(StrictModel):
    """Argument rules: what callers may pass, checked on the real values the upstream gets."""

    rules: list[ArgumentRule] = Field(default_factory=list)


class Rate(StrictModel):
    """A token bucket."""

    per_minute: int = Field(ge=1)
    burst: int | None = Field(default=None, ge=1)


class RateLimitPolicy(StrictModel):
    """Limits per group and per user, shared through a backend across instances."""

    backend: Literal["memory", "redis", "dynamodb"] = "memory"
    redis_url: str | None = None
    dynamodb_table: str | None = None
    region: str | None = None
    groups: dict[str, Rate] = Field(default_factory=dict)
    per_user: Rate | None = None
    default: Rate | None = Field(default=None, description="For callers in no limited group")
    fail_open: bool = Field(default=False, description="Allow calls when the backend is down")

    @model_validator(mode="after")
    def _backend_settings(self) -> RateLimitPolicy:
        if self.backend == "redis" and not self.redis_url:
            raise ValueError("backend redis needs redis_url")
        if self.backend == "dynamodb" and not self.dynamodb_table:
            raise ValueError("backend dynamodb needs dynamodb_table")
        return self


class VaultPolicy(StrictModel):
    """Revocable tokens: every token must also exist in a DynamoDB table."""

    dynamodb_table: str
    region: str | None = None


class ComprehendPolicy(StrictModel):
    """Amazon Comprehend DetectPiiEntities as an extra recognizer for free text."""

    region: str | None = None
    min_score: float = Field(default=0.9, ge=0, le=1)


class PiiPolicy(StrictModel):
    """Reversible tokenization of personal data in results."""

    enabled: bool = True
    key: str | None = Field(
        default=None,
        description="${env:NAME} or ${aws-sm:ID#key} holding a 32/48/64-byte key (base64/hex); "
        "none: a random key per process (tokens do not survive a restart)",
    )
    recognizers: list[Literal["email", "phone", "card", "iban", "ssn", "ip"]] = Field(
        default_factory=lambda: ["email", "phone", "card", "iban", "ssn", "ip"]
    )
    fields: list[str] = Field(default_factory=list, description="JSONPaths for every tool")
    clear_for_groups: list[str] = Field(default_factory=list)
    vault: VaultPolicy | None = None
    comprehend: ComprehendPolicy | None = None


class AuditPolicy(StrictModel):
    """One JSON line per call."""

    sink: Literal["stdout", "stderr", "file", "none"] = "stdout"
    path: str | None = None

    @model_validator(mode="after")
    def _path_for_file(self) -> AuditPolicy:
        if self.sink == "file" and not self.path:
            raise ValueError("sink file needs path")
        return self


class TracingPolicy(StrictModel):
    """OpenTelemetry traces (spans per MCP call and per upstream request)."""

    exporter: Literal["none", "otlp", "console"] = "none"
    endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint")
    service_name: str | None = None


class MetricsPolicy(StrictModel):
    """Per-tool, per-caller metrics."""

    emf: Literal["auto", "on", "off"] = Field(
        default="auto", description="CloudWatch Embedded Metric Format lines (auto: on Lambda)"
    )


SECRET_REFERENCE = re.compile(r"^\$\{(env|aws-sm):[^}]+\}$")


def _reference(value: str) -> str:
    if not SECRET_REFERENCE.match(value):
        raise ValueError(
            "must be a secret reference, ${env:NAME} or ${aws-sm:ID#key}, never a literal "
            "(policy files are committed)"
        )
    return value


SecretReference = Annotated[str, AfterValidator(_reference)]


class UpstreamHeader(StrictModel):
    """A static header the proxy sends with every upstream request (e.g. an API key)."""

    name: str = Field(pattern=r"^[A-Za-z0-9-]+$")
    value: SecretReference

    @field_validator("name")
    @classmethod
    def _not_a_caller_header(cls, name: str) -> str:
        if name.lower() in ("cookie", "host", "mcp-session-id", "mcp-protocol-version"):
            raise ValueError(f"{name!r} is set by the MCP transport, not by the policy")
        return name


class UpstreamClientCredentials(StrictModel):
    """OAuth2 client credentials (RFC 6749 4.4): the proxy's own token for the upstream."""

    token_url: str
    client_id: str
    client_secret: SecretReference
    scopes: list[str] = Field(default_factory=list)
    audience: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


class UpstreamSigV4(StrictModel):
    """AWS Signature V4 with the proxy's AWS credentials (an MCP server behind IAM auth)."""

    service: str
    region: str


class UpstreamTokenExchange(StrictModel):
    """RFC 8693: the caller's token exchanged for one issued to the upstream (never sent as is)."""

    token_url: str
    client_id: str
    client_secret: SecretReference
    audience: str | None = None
    scope: str | None = None
    resource: str | None = None
    requested_token_type: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


UPSTREAM_AUTH_KINDS = ("bearer", "header", "oauth2_client_credentials", "sigv4", "token_exchange")


class UpstreamAuth(StrictModel):
    """The proxy's credentials for the upstream MCP server; at most one kind."""

    bearer: SecretReference | None = Field(
        default=None, description="Sent as `Authorization: Bearer <value>`"
    )
    header: UpstreamHeader | None = None
    oauth2_client_credentials: UpstreamClientCredentials | None = None
    sigv4: UpstreamSigV4 | None = None
    token_exchange: UpstreamTokenExchange | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> UpstreamAuth:
        kinds = [k for k in UPSTREAM_AUTH_KINDS if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(f"give one of {', '.join(UPSTREAM_AUTH_KINDS)}, not {kinds}")
        return self


class UpstreamPolicy(StrictModel):
    """How `adaptgen proxy` talks to the MCP server it fronts.

    The caller's own Authorization header and cookies never reach the upstream: the proxy
    authenticates the caller itself and uses these credentials (none: no credentials).
    """

    auth: UpstreamAuth = Field(default_factory=UpstreamAuth)
    timeout: float = Field(default=60.0, gt=0, description="Seconds one upstream request may take")
    connect_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to connect (and the start-up check)"
    )


class Policy(StrictModel):
    """The whole governance policy."""

    identity: IdentityPolicy = Field(default_factory=IdentityPolicy)
    access: AccessPolicy = Field(default_factory=AccessPolicy)
    arguments: ArgumentPolicy = Field(default_factory=ArgumentPolicy)
    rate_limits: RateLimitPolicy = Field(default_factory=RateLimitPolicy)
    pii: PiiPolicy = Field(default_factory=PiiPolicy)
    audit: AuditPolicy = Field(default_factory=AuditPolicy)
    tracing: TracingPolicy = Field(default_factory=TracingPolicy)
    metrics: MetricsPolicy = Field(default_factory=MetricsPolicy)
    upstream: UpstreamPolicy = Field(default_factory=UpstreamPolicy)
    base_dir: Path | None = Field(default=None, exclude=True)


def safe_default() -> Policy:
    """The policy when none is given: read-only tools for anyone, PII tokenized, audited."""
    return Policy(
        identity=IdentityPolicy(
            allow_anonymous=True, local=LocalIdentity(subject="local", groups=["local"])
        ),
        access=AccessPolicy(rules=[AccessRule(allow=["*"])]),
        rate_limits=RateLimitPolicy(per_user=Rate(per_minute=120, burst=30)),
    )


def policy_path(env_prefix: str | None = None) -> Path | None:
    """The policy file named by `<PREFIX>_POLICY` or `ADAPTGEN_POLICY`, if any."""
    for name in ([f"{env_prefix}_POLICY"] if env_prefix else []) + ["ADAPTGEN_POLICY"]:
        value = os.environ.get(name)
        if value:
            return Path(value)
    return None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; problems are `PolicyError` with `file:line:col`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PolicyError(f"{where}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}:1:1: a policy is a mapping")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [str(p) for p in error["loc"]]
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = unknown_key_message(Policy, loc)
        line, col = _position(text, loc)
        raise PolicyError(
            f"{path}:{line}:{col}: invalid policy at {'.'.join(loc)}: {message}"
        ) from None
    policy.base_dir = path.resolve().parent
    return policy


def _position(text: str, loc: list[str]) -> tuple[int, int]:
    """Line and column of the deepest node along `loc` that exists in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 1, 1
    mark = node.start_mark if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if str(k.value) == part), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            mark = node.start_mark
        else:
            break
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)
