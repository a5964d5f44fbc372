"""`login`: log in with the API's own login operation and send the session token it returns.

The login operation is planned as a hidden operation (in the catalog for review, never an MCP
tool); its body's secrets are references resolved at call time.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field, field_validator

from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    SESSION_EXPIRY_SKEW,
    AuthError,
    CachedTokenFlow,
    Clock,
    FlowPlanning,
    FlowRuntime,
    Strict,
    UpstreamAuthFlow,
    failure,
    json_body,
    seconds,
    set_cookie,
)
from adaptgen.runtime.jsonpath import JsonPathError, compile_path, first
from adaptgen.runtime.secrets import SecretError, SecretResolver


class LoginApply(Strict):
    """Where the session token goes on every call."""

    in_: Literal["header", "query", "cookie"] = Field(default="header", alias="in")
    name: str
    format: str = Field(default="{token}", description='e.g. "Session {token}"')


class LoginHints(Strict):
    """Session login: a login operation of the spec, called by the runtime, never the agent."""

    operation: str = Field(description="operationId of the login operation")
    body: dict[str, Any] = Field(
        default_factory=dict,
        description="Login body; secrets as references: ${env:NAME} or ${aws-sm:ID#key}",
    )
    token: str = Field(description="JSONPath of the token in the login response")
    expires_in: str | None = Field(default=None, description="JSONPath of its lifetime (s)")
    ttl: int = Field(default=3600, ge=1, description="Lifetime when the response has none")
    apply: LoginApply | None = Field(
        default=None, description="Default: where the security scheme says the token goes."
    )

    @field_validator("body")
    @classmethod
    def _secrets_are_references(cls, body: dict[str, Any]) -> dict[str, Any]:
        for key, value in body.items():
            secret = any(w in key.lower() for w in ("password", "secret", "token", "key"))
            if secret and not (isinstance(value, str) and re.match(SECRET_REFERENCE, value)):
                raise ValueError(
                    f"{key!r} must be a secret reference (${{env:NAME}} or ${{aws-sm:ID}}), "
                    "never a literal: hints are committed and end up in the catalog"
                )
        return body


class LoginConfig(LoginHints):
    """The planned login: `operation` is the catalog name of the hidden login operation."""

    apply: LoginApply  # type: ignore[assignment]


class LoginFlow(UpstreamAuthFlow):
    """Session login, as a catalog entry."""

    kind: Literal["login"] = "login"
    config: LoginConfig

    hints: ClassVar[type[LoginHints]] = LoginHints

    @classmethod
    def plan(cls, hint: LoginHints, planning: FlowPlanning) -> LoginConfig:
        apply = hint.apply or _default_apply(planning)
        if apply is None:
            raise planning.error(
                "auth login: say where the token goes (apply: {in: header, name: ...})"
            )
        for path in (hint.token, hint.expires_in):
            try:
                compile_path(path) if path else None
            except JsonPathError as exc:
                raise planning.error(str(exc)) from None
        operation = planning.operation(hint.operation).name
        return LoginConfig(**{**hint.model_dump(), "operation": operation, "apply": apply})

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        config = self.config
        operation = runtime.operations[config.operation]
        return SessionLoginAuth(
            _login_request(config, runtime, operation),
            config.token,
            config.apply.model_dump(by_alias=True),
            expires_path=config.expires_in,
            ttl=float(config.ttl),
            secrets=runtime.secrets,
        )

    def describe(self) -> str:
        apply = self.config.apply
        return f"session login via {self.config.operation}, token -> {apply.in_} {apply.name}"


def _default_apply(planning: FlowPlanning) -> LoginApply | None:
    """Where the scheme the login satisfies says its token goes."""
    scheme = planning.scheme
    if scheme is None:
        return None
    if scheme.kind == "api_key":
        return LoginApply(**{"in": scheme.location, "name": scheme.param_name})
    if scheme.kind == "bearer":
        return LoginApply(**{"in": "header", "name": "Authorization", "format": "Bearer {token}"})
    return None


def _login_request(config: LoginConfig, runtime: FlowRuntime, operation: Any) -> Any:
    """A closure building the login request from the spec's login operation."""
    by_api_name = {p.api_name: p.arg for p in operation.params}

    def login() -> httpx2.Request:
        body = runtime.secrets.render(config.body)
        arguments = {by_api_name.get(k, k): v for k, v in body.items()}
        return runtime.upstream.build_request(operation, arguments)

    return login


class SessionLoginAuth(CachedTokenFlow):
    """Log in with the API's own login operation and send the session token it returns.

    `login()` builds the login request (resolving its secrets); `token_path` and `expires_path`
    are JSONPaths into the login response. `apply` says where the token goes:
    `{"in": "header"|"query"|"cookie", "name": "X-Session-Token", "format": "{token}"}`.
    The token is reused until `expires_in` minus 30 s (at least 1 s), or for `ttl` seconds when
    the response has no expiry.
    """

    def __init__(
        self,
        login: Callable[[], httpx2.Request],
        token_path: str,
        apply: Mapping[str, str],
        *,
        expires_path: str | None = None,
        ttl: float = 300.0,
        secrets: SecretResolver,
        clock: Clock = time.monotonic,
    ) -> None:
        where = apply.get("in", "header")
        if where not in ("header", "query", "cookie") or not apply.get("name"):
            raise ValueError(f"apply needs in: header|query|cookie and a name, not {apply!r}")
        super().__init__(clock)
        self._login = login
        self.token_path = token_path
        self.expires_path = expires_path
        self.ttl = ttl
        self.apply_in = where
        self.apply_name = apply["name"]
        self.apply_format = apply.get("format") or "{token}"
        self._secrets = secrets

    def __repr__(self) -> str:
        return (
            f"SessionLoginAuth(token_path={self.token_path!r}, "
            f"apply={self.apply_in}:{self.apply_name}, cached={bool(self._tokens)})"
        )

    def secrets(self) -> list[str]:
        """The session token and every secret resolved for the login (e.g. the password)."""
        return [*self._cached_values(), *self._secrets.known_secrets()]

    async def _token_request(self, context: Any) -> httpx2.Request:
        try:
            return await asyncio.to_thread(self._login)
        except SecretError as exc:
            raise AuthError(f"login failed: {exc}") from None

    async def _read_token(self, response: httpx2.Response) -> tuple[str, float]:
        if not response.is_success:
            raise failure("login failed", response, self.secrets())
        data = json_body(response)
        token = first(self.token_path, data) if data is not None else None
        if isinstance(token, int | float) and not isinstance(token, bool):
            token = str(token)
        if not isinstance(token, str) or not token:
            raise AuthError(f"login failed: no token at {self.token_path} in the login response")
        expires = seconds(first(self.expires_path, data)) if self.expires_path else None
        if expires is None:
            return token, self.ttl
        return token, expires - SESSION_EXPIRY_SKEW

    def _apply(self, request: httpx2.Request, token: str) -> None:
        value = self.apply_format.replace("{token}", token)
        if self.apply_in == "header":
            request.headers[self.apply_name] = value
        elif self.apply_in == "query":
            request.url = request.url.copy_set_param(self.apply_name, value)
        else:
            set_cookie(request, self.apply_name, value)
