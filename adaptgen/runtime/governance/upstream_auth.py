"""The credentials `adaptgen proxy` shows its upstream MCP server: its own, never the caller's.

The MCP authorization spec forbids token passthrough: a caller's token was issued for the proxy,
so the proxy verifies it (the identity layer) and then speaks to the upstream as itself, with
what the policy's `upstream.auth` names:

* `bearer` / `header`: a static credential, a secret reference resolved at request time
  (`${env:NAME}`, `${aws-sm:ID#key}`), so a rotated secret is picked up without a restart.
* `oauth2_client_credentials`, `sigv4`: the runtime's flows (`adaptgen.runtime.flows`).
* `token_exchange`: RFC 8693, the caller's token exchanged at the policy's token endpoint for a
  token issued to the upstream; the only way anything of the caller's reaches the upstream.

The MCP client transport and the flows both run on `httpx2`: `FlowAuth` runs a flow for a
request of the transport's, showing it a copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import httpx2

from adaptgen.runtime import flows
from adaptgen.runtime.governance.policy import UpstreamAuth
from adaptgen.runtime.secrets import SecretError, SecretResolver, is_aws_reference
from adaptgen.runtime.tls import verify_context

__all__ = ["FlowAuth", "StaticHeaderAuth", "upstream_auth"]


class StaticHeaderAuth(httpx2.Auth):
    """One header whose value is a secret reference, resolved for each request."""

    def __init__(self, name: str, reference: str, *, prefix: str = "") -> None:
        self.name = name
        self.reference = reference
        self.prefix = prefix
        self._secrets = SecretResolver()

    def __repr__(self) -> str:
        return f"StaticHeaderAuth(name={self.name!r}, reference={self.reference!r})"

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        name, value = await self.header()
        request.headers[name] = value
        yield request

    async def header(self) -> tuple[str, str]:
        """The header's name and value, resolved now (the proxy's lean client sets it
        without building an `httpx2` request)."""
        try:
            if is_aws_reference(self.reference):  # Secrets Manager: a blocking call, off the loop
                value = await asyncio.to_thread(self._secrets.resolve, self.reference)
            else:
                value = self._secrets.resolve(self.reference)
        except SecretError as exc:
            raise flows.AuthError(f"upstream credentials: {exc}") from None
        return self.name, self.prefix + value

    def secrets(self) -> list[str]:
        """The resolved values (for redaction)."""
        return self._secrets.known_secrets()


class FlowAuth(httpx2.Auth):
    """An `adaptgen.runtime.flows` flow applied to the MCP client transport's requests.

    The flow sees a copy of each request; what it sets (headers, a canonical query) is
    copied back before the request is sent. Requests the flow makes itself (a token endpoint)
    go out on a separate client. Only the status and headers of the upstream's answer
    reach the flow (enough for its retry on a 401): the answer may be a long-lived event stream.
    """

    requires_request_body = True  # signing and re-sending need the body
    requires_response_body = False

    def __init__(self, flow: httpx2.Auth, *, timeout: float) -> None:
        self.flow = flow
        self.timeout = timeout
        self._client: httpx2.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"FlowAuth({self.flow!r})"

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        mirror = httpx2.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.content,
        )
        steps = self.flow.async_auth_flow(mirror)
        outgoing = await steps.__anext__()
        while True:
            if outgoing is mirror:
                request.url = httpx2.URL(str(mirror.url))
                request.headers = httpx2.Headers(list(mirror.headers.multi_items()))
                answer = yield request
                reply = httpx2.Response(
                    answer.status_code, headers=list(answer.headers.multi_items()), request=mirror
                )
            else:
                reply = await self._own_client().send(outgoing)
            try:
                outgoing = await steps.asend(reply)
            except StopAsyncIteration:
                return

    def _own_client(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                timeout=self.timeout, verify=verify_context(trust_env=True)
            )
        return self._client

    def secrets(self) -> list[str]:
        """The secrets the flow holds (for redaction)."""
        return self.flow.secrets()  # type: ignore[attr-defined]


def upstream_auth(policy: UpstreamAuth, *, timeout: float) -> httpx2.Auth | None:
    """The `httpx2.Auth` for the policy's `upstream.auth` (None: send no credentials)."""
    secrets = SecretResolver()
    if policy.bearer is not None:
        return StaticHeaderAuth("Authorization", policy.bearer, prefix="Bearer ")
    if policy.header is not None:
        return StaticHeaderAuth(policy.header.name, policy.header.value)
    if policy.oauth2_client_credentials is not None:
        oauth = policy.oauth2_client_credentials
        flow: httpx2.Auth = flows.OAuth2ClientCredentialsAuth(
            oauth.token_url,
            oauth.client_id,
            oauth.client_secret,
            scopes=oauth.scopes,
            audience=oauth.audience,
            auth_method=oauth.auth_method,
            secrets=secrets,
        )
    elif policy.sigv4 is not None:
        flow = flows.SigV4Auth(policy.sigv4.service, policy.sigv4.region)
    elif policy.token_exchange is not None:
        exchange = policy.token_exchange.model_dump(exclude_none=True)
        flow = flows.PassThroughAuth(exchange=exchange, secrets=secrets)
    else:
        return None
    return FlowAuth(flow, timeout=timeout)
