"""`passthrough`: forward the MCP caller's own token, or exchange it (RFC 8693) for the upstream.

For APIs that must see the user: the caller's token (from the identity layer) goes upstream as
is, or is exchanged at a token endpoint for one issued to the upstream.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field

from adaptgen.runtime import identity
from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    SESSION_EXPIRY_SKEW,
    AuthError,
    CachedTokenFlow,
    Clock,
    FlowRuntime,
    Strict,
    UpstreamAuthFlow,
    basic_auth,
    endpoint,
    oauth_token,
    resolved,
)
from adaptgen.runtime.secrets import SecretResolver

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class TokenExchangeHints(Strict):
    """RFC 8693 token exchange of the caller's token."""

    token_url: str
    client_id: str
    client_secret: str = Field(pattern=SECRET_REFERENCE)
    audience: str | None = None
    scope: str | None = None
    requested_token_type: str | None = None


class PassThroughHints(Strict):
    """Forward the MCP caller's own token (or exchange it) for APIs that must see the user."""

    header: str = "Authorization"
    scheme: str = "Bearer"
    exchange: TokenExchangeHints | None = None


class PassThroughFlow(UpstreamAuthFlow):
    """Pass-through, as a catalog entry."""

    kind: Literal["passthrough"] = "passthrough"
    config: PassThroughHints

    hints: ClassVar[type[PassThroughHints]] = PassThroughHints

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        exchange = self.config.exchange
        return PassThroughAuth(
            header=self.config.header,
            scheme=self.config.scheme,
            exchange=exchange.model_dump() if exchange is not None else None,
            secrets=runtime.secrets,
        )

    def describe(self) -> str:
        how = "exchanged (RFC 8693)" if self.config.exchange else "passed through"
        return f"caller's token {how}"


class PassThroughAuth(CachedTokenFlow):
    """Send the caller's own token upstream, as is or exchanged (RFC 8693) for the upstream.

    `exchange`: `{"token_url", "client_id", "client_secret", "audience", "scope",
    "requested_token_type", "resource", "auth_method": "basic"|"body"}` (client_* are secret
    references; all but token_url optional). Exchanged tokens are cached per caller token,
    keyed by its SHA-256 (the raw caller token is never stored), until they expire.
    """

    def __init__(
        self,
        *,
        header: str = "Authorization",
        scheme: str = "Bearer",
        exchange: Mapping[str, Any] | None = None,
        secrets: SecretResolver,
        clock: Clock = time.monotonic,
    ) -> None:
        if exchange is not None and not exchange.get("token_url"):
            raise ValueError("exchange needs a token_url")
        super().__init__(clock)
        self.header = header
        self.scheme = scheme
        self.exchange = dict(exchange) if exchange is not None else None
        self._secrets = secrets
        self._client_secret: str | None = None

    def __repr__(self) -> str:
        exchange = endpoint(self.exchange["token_url"]) if self.exchange else None
        return (
            f"PassThroughAuth(header={self.header!r}, scheme={self.scheme!r}, "
            f"exchange={exchange!r}, cached={len(self._tokens)})"
        )

    def secrets(self) -> list[str]:
        """Exchanged tokens, the resolved client secret and the current caller's token."""
        values = self._cached_values()
        if self._client_secret:
            values.append(self._client_secret)
        who = identity.caller()
        if who is not None and who.token:
            values.append(who.token)
        return values

    def _direct(self, context: Any) -> str | None:
        return context if self.exchange is None else None

    async def _key(self) -> tuple[str, Any]:
        who = identity.caller()
        token = who.token if who is not None else None
        if not token:
            raise AuthError("no caller token to pass through")
        return hashlib.sha256(token.encode()).hexdigest(), token

    async def _token_request(self, context: Any) -> httpx2.Request:
        assert self.exchange is not None
        spec = self.exchange
        names = [k for k in ("client_id", "client_secret") if spec.get(k)]
        found = await resolved(self._secrets, [spec[k] for k in names])
        values = dict(zip(names, found, strict=True))
        self._client_secret = values.get("client_secret")
        form = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": context,
            "subject_token_type": ACCESS_TOKEN_TYPE,
        }
        for key in ("audience", "scope", "resource", "requested_token_type"):
            if spec.get(key):
                form[key] = str(spec[key])
        headers = {"Accept": "application/json"}
        basic = spec.get("auth_method", "basic") == "basic"
        if basic and "client_id" in values and "client_secret" in values:
            headers["Authorization"] = basic_auth(values["client_id"], values["client_secret"])
        else:
            form.update(values)  # body auth, or a public client sending only its client_id
        return httpx2.Request("POST", spec["token_url"], data=form, headers=headers)

    async def _read_token(self, response: httpx2.Response) -> tuple[str, float]:
        assert self.exchange is not None
        what = f"token exchange at {endpoint(self.exchange['token_url'])} failed"
        token, lifetime = oauth_token(what, response, self.secrets())
        return token, lifetime - SESSION_EXPIRY_SKEW

    def _apply(self, request: httpx2.Request, token: str) -> None:
        request.headers[self.header] = f"{self.scheme} {token}" if self.scheme else token
