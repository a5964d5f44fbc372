"""Identity: who is calling, from a verified JWT, the local identity (stdio) or anonymous.

Outermost but audit, so every layer below decides for a known caller, and a call that is
refused here is still audited (as `deny: unauthenticated`).
"""

from __future__ import annotations

from typing import Any

from fastmcp.server.dependencies import get_http_headers, get_http_request

from adaptgen.runtime import identity
from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.policy import IdentityPolicy
from adaptgen.runtime.identity import Caller
from adaptgen.runtime.secrets import SecretResolver

__all__ = ["CALLER_STATE", "Identity"]

# Where the HTTP front door leaves the caller it identified: the request's ASGI `state`.
CALLER_STATE = "adaptgen.caller"


class Identity:
    """Sets `call.caller`; auth flows below (pass-through, AssumeRole) act for that caller."""

    def __init__(self, policy: IdentityPolicy) -> None:
        self.policy = policy
        self.verifier = _verifier(policy)
        local = policy.local
        self._local = Caller(subject=local.subject, groups=tuple(local.groups)) if local else None

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        if call.caller is None:
            try:
                call.caller = await self.resolve_caller()
            except Refused:
                call.decision = "deny: unauthenticated"
                raise
        with identity.acting_as(call.caller):
            return await call_next(call)

    async def resolve_caller(self) -> Caller:
        """Who is calling: the caller the HTTP front door identified for this request (see
        http_auth), else a verified JWT, the stdio identity, or anonymous (if allowed)."""
        request = _http_request()
        if request is not None:
            known = request.scope.get("state", {}).get(CALLER_STATE)
            if isinstance(known, Caller):
                return known  # its token was verified once, at the front door
            header = request.headers.get("authorization")
        else:  # a background task keeps its request's headers
            header = get_http_headers(include={"authorization"}).get("authorization")
        return await self.identify(header, local=request is None)

    async def identify(
        self, authorization: str | None, *, local: bool = False, anonymous: bool | None = None
    ) -> Caller:
        """The caller an `Authorization` header value identifies; `Refused` if none may call.

        `local`: no HTTP request carries the call (stdio), so the policy's local identity
        stands in for a missing token. `anonymous`: whether anonymous callers are served, when
        the front door decides it instead of the policy (a Lambda URL without a policy file).
        """
        token = _bearer(authorization)
        if token is not None and self.verifier is not None:
            from adaptgen.runtime.governance.jwt import IdentityError

            try:
                return await self.verifier.verify(token)
            except IdentityError as exc:
                raise Refused(f"unauthenticated: {exc.reason}", "unauthenticated") from None
        if token is None and self._local is not None and local:
            return self._local
        if self.policy.allow_anonymous if anonymous is None else anonymous:
            groups = tuple(self.policy.anonymous_groups)
            return Caller(subject="anonymous", groups=groups, token=token)
        raise Refused("unauthenticated: a bearer token is required", "unauthenticated")


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _http_request() -> Any:
    """The MCP HTTP request being served, or None (stdio, in-memory, a background task)."""
    try:
        return get_http_request()
    except RuntimeError:
        return None


def _verifier(policy: IdentityPolicy) -> Any:
    config = policy.jwt
    if config is None:
        return None
    from adaptgen.runtime.governance.jwt import JwtSettings, JwtVerifier

    resolver = SecretResolver()  # keys, issuer, audience and JWKS URL may be ${env:...}
    return JwtVerifier(
        JwtSettings(
            issuer=resolver.render(config.issuer),
            audience=resolver.render(config.audience),
            jwks_url=resolver.render(config.jwks_url),
            ca_bundle=resolver.render(config.ca_bundle),
            keys=[resolver.render(k) for k in config.keys],
            algorithms=tuple(config.algorithms),
            leeway=config.leeway,
            subject_claim=config.subject_claim,
            groups_claim=config.groups_claim,
            scopes_claim=config.scopes_claim,
        )
    )
