"""`oauth2_client_credentials`: RFC 6749 section 4.4, a token for the client itself."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field

from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    Clock,
    FlowPlanning,
    FlowRuntime,
    OAuthTokenFlow,
    Strict,
    UpstreamAuthFlow,
    basic_auth,
    endpoint,
    resolved,
)
from adaptgen.runtime.secrets import SecretResolver


class OAuth2ClientCredentialsHints(Strict):
    """OAuth2 client credentials (RFC 6749 4.4)."""

    token_url: str | None = Field(default=None, description="Default: the scheme's tokenUrl")
    client_id: str
    client_secret: str = Field(pattern=SECRET_REFERENCE)
    scopes: list[str] = Field(default_factory=list)
    audience: str | None = None
    auth_method: Literal["basic", "body"] = "basic"


class OAuth2ClientCredentialsConfig(OAuth2ClientCredentialsHints):
    """The planned flow: the token URL is known."""

    token_url: str  # type: ignore[assignment]


class OAuth2ClientCredentialsFlow(UpstreamAuthFlow):
    """OAuth2 client credentials, as a catalog entry."""

    kind: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    config: OAuth2ClientCredentialsConfig

    hints: ClassVar[type[OAuth2ClientCredentialsHints]] = OAuth2ClientCredentialsHints

    @classmethod
    def plan(
        cls, hint: OAuth2ClientCredentialsHints, planning: FlowPlanning
    ) -> OAuth2ClientCredentialsConfig:
        token_url = hint.token_url or client_credentials_url(planning.raw_scheme)
        if not token_url:
            raise planning.error("auth oauth2_client_credentials: no token_url in hints or spec")
        return OAuth2ClientCredentialsConfig(**{**hint.model_dump(), "token_url": token_url})

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        config = self.config
        return OAuth2ClientCredentialsAuth(
            config.token_url,
            config.client_id,
            config.client_secret,
            scopes=config.scopes,
            audience=config.audience,
            auth_method=config.auth_method,
            secrets=runtime.secrets,
        )

    def describe(self) -> str:
        return f"OAuth2 client credentials at {self.config.token_url}"


def client_credentials_url(raw_scheme: Mapping[str, Any]) -> str | None:
    """The spec's clientCredentials tokenUrl of an OAuth2 scheme, if it has one."""
    flows = raw_scheme.get("flows") if isinstance(raw_scheme, Mapping) else None
    flow = flows.get("clientCredentials") if isinstance(flows, Mapping) else None
    url = flow.get("tokenUrl") if isinstance(flow, Mapping) else None
    return str(url) if url else None


class OAuth2ClientCredentialsAuth(OAuthTokenFlow):
    """RFC 6749 section 4.4: a token for the client itself, sent as `Authorization: Bearer`.

    `client_id`/`client_secret` are secret references. The client authenticates with HTTP Basic
    (`auth_method="basic"`, RFC 6749 section 2.3.1) or form fields (`"body"`). The token is
    renewed when fewer than 60 s remain (or half its lifetime, for very short-lived tokens).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        auth_method: Literal["basic", "body"] = "basic",
        secrets: SecretResolver,
        clock: Clock = time.monotonic,
    ) -> None:
        if auth_method not in ("basic", "body"):
            raise ValueError(f"auth_method must be 'basic' or 'body', not {auth_method!r}")
        super().__init__(clock)
        self.token_url = token_url
        self.scopes = tuple(scopes)
        self.audience = audience
        self.auth_method = auth_method
        self._client_refs = (client_id, client_secret)
        self._client_secret: str | None = None  # resolved value, kept only for secrets()
        self._secrets = secrets

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentialsAuth(token_url={endpoint(self.token_url)!r}, "
            f"scopes={list(self.scopes)!r}, auth_method={self.auth_method!r})"
        )

    def secrets(self) -> list[str]:
        """The current token and the resolved client secret."""
        return [*self._cached_values(), *([self._client_secret] if self._client_secret else [])]

    async def _token_request(self, context: Any) -> httpx2.Request:
        client_id, client_secret = await resolved(self._secrets, self._client_refs)
        self._client_secret = client_secret
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        if self.audience:
            form["audience"] = self.audience
        headers = {"Accept": "application/json"}
        if self.auth_method == "basic":
            headers["Authorization"] = basic_auth(client_id, client_secret)
        else:
            form.update(client_id=client_id, client_secret=client_secret)
        return httpx2.Request("POST", self.token_url, data=form, headers=headers)
