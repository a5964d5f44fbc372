"""The HTTP front door of a governed server: who may reach the MCP endpoint, said in HTTP.

MCP's authorization spec (2025-06-18) makes a protected MCP server an OAuth resource server:

* no credentials, when the policy needs them: 401 with
  `WWW-Authenticate: Bearer resource_metadata="<metadata URL>"` (RFC 6750 3.1: no error code);
* a bearer token that fails verification: 401, `error="invalid_token"` and the reason;
* a verified caller whom no access rule admits (who may use no tool at all): 403,
  `error="insufficient_scope"`;
* the OAuth protected resource metadata (RFC 9728) at `/.well-known/oauth-protected-resource`
  plus the endpoint's path (and at the bare well-known path): `resource`, the policy's JWT issuer
  as `authorization_servers`, `bearer_methods_supported`, the scopes the access rules name.

A caller who may use some tools but not the one called still gets a tool error inside a 200
(AccessMiddleware), as MCP expects. A refused `tools/call` is audited here, as the governance
layers would have. The caller identified here is left in the request's ASGI state, where
`Governance.resolve_caller` finds it: a token is verified once per request.

FastMCP's `RemoteAuthProvider` serves the same headers and document, but it needs the public
base URL when the app is built (behind a Lambda Function URL or a proxy it is only known from
the request) and it refuses every request without a token, where a policy may admit anonymous
callers. `governed_http_app` is the one place that puts this layer in front of FastMCP's HTTP
app: `adaptgen serve` and `adaptgen proxy` over HTTP and the Lambda handler all use it.

In front of it all, DNS-rebinding protection (FastMCP's Host/Origin guard, which FastMCP leaves
off by default; `host_guard` runs it once per distinct Host and Origin): a server bound to a
loopback address answers only requests whose `Host` is a loopback name (421 otherwise) and whose
`Origin`, if any, is a loopback origin or its own (403 otherwise), so a web page in the user's
browser cannot reach it under a rebound DNS name. A deployment names its public hosts and
browser origins in `<PREFIX>_ALLOWED_HOSTS` / `<PREFIX>_ALLOWED_ORIGINS` or
`ADAPTGEN_ALLOWED_HOSTS` / `ADAPTGEN_ALLOWED_ORIGINS` (comma separated, `*` wildcards;
`adaptgen serve/proxy --allowed-host/--allowed-origin` set the latter):
then every request is checked, whatever the bind address. Without them a server bound to a
non-loopback address (or behind a Lambda Function URL) checks nothing: its public name is not
known here.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from fastmcp import FastMCP
from starlette.datastructures import URL, Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from adaptgen.runtime.governance.host_guard import HostOriginGuard
from adaptgen.runtime.governance.jwt import bearer_token
from adaptgen.runtime.governance.middleware import (
    CALLER_STATE,
    Governance,
    GovernanceMiddleware,
    Refused,
)
from adaptgen.runtime.identity import Caller

__all__ = [
    "WELL_KNOWN",
    "HttpAuth",
    "allowed_from_env",
    "front_door",
    "governance_of",
    "governed_http_app",
    "resource_metadata",
]

WELL_KNOWN = "/.well-known/oauth-protected-resource"
MAX_AUDITED_BODY = 64 * 1024  # bytes of a refused request read to name its tool in the audit


def governed_http_app(
    server: FastMCP,
    *,
    path: str = "/mcp",
    env_prefix: str | None = None,
    allow_anonymous: bool | None = None,
    **options: Any,
) -> Any:
    """`server.http_app(path=..., **options)` with the front door in front of its endpoint
    (`env_prefix`: where its allowed hosts and origins are read, see `allowed_from_env`;
    `allow_anonymous`: False refuses anonymous callers whatever the policy says)."""
    middleware = front_door(server, path, env_prefix=env_prefix, allow_anonymous=allow_anonymous)
    return server.http_app(path=path, middleware=middleware, **options)


def front_door(
    server: FastMCP,
    path: str = "/mcp",
    *,
    env_prefix: str | None = None,
    allow_anonymous: bool | None = None,
) -> list[Middleware]:
    """The Starlette middleware list in front of `server` at `path`: the Host/Origin guard,
    then `HttpAuth` (none when the server runs without governance)."""
    hosts, origins = allowed_from_env(env_prefix)
    guard = Middleware(
        HostOriginGuard,  # type: ignore[arg-type]
        allowed_hosts=hosts,
        allowed_origins=origins,
        mode="auto",  # loopback binds, or every request once hosts or origins are named
    )
    governance = governance_of(server)
    if governance is None:
        return [guard]
    door = Middleware(
        HttpAuth,  # type: ignore[arg-type]
        governance=governance,
        path=path,
        allow_anonymous=allow_anonymous,
    )
    return [guard, door]


def allowed_from_env(env_prefix: str | None = None) -> tuple[list[str] | None, list[str] | None]:
    """The allowed hosts and origins named by `<PREFIX>_ALLOWED_HOSTS` / `_ALLOWED_ORIGINS`
    and `ADAPTGEN_ALLOWED_HOSTS` / `_ALLOWED_ORIGINS` (None: none named)."""
    prefixes = [p for p in (env_prefix, "ADAPTGEN") if p]

    def named(suffix: str) -> list[str] | None:
        values = [
            item.strip()
            for prefix in prefixes
            for item in os.environ.get(f"{prefix}_{suffix}", "").split(",")
            if item.strip()
        ]
        return values or None

    return named("ALLOWED_HOSTS"), named("ALLOWED_ORIGINS")


def governance_of(server: FastMCP) -> Governance | None:
    """The governance stack mounted on `server`, or None (ADAPTGEN_GOVERNANCE=off)."""
    for middleware in server.middleware:
        if isinstance(middleware, GovernanceMiddleware):
            return middleware.governance
    return None


def resource_metadata(governance: Governance, resource: str) -> dict[str, Any]:
    """The RFC 9728 protected resource metadata for the MCP endpoint at URL `resource`."""
    issuer = governance.verifier.settings.issuer if governance.verifier is not None else None
    document: dict[str, Any] = {
        "resource": resource,
        "authorization_servers": [issuer] if issuer else [],
        "bearer_methods_supported": ["header"],
        "resource_name": governance.name,
    }
    scopes = sorted({s for rule in governance.policy.access.rules for s in rule.scopes})
    if scopes:
        document["scopes_supported"] = scopes
    return document


class HttpAuth:
    """ASGI middleware: answers 401/403 for callers the policy refuses outright, serves the
    protected resource metadata, and hands the identified caller to the governance layers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        governance: Governance,
        path: str = "/mcp",
        allow_anonymous: bool | None = None,
    ) -> None:
        self.app = app
        self.gov = governance
        self.allow_anonymous = allow_anonymous  # None: as the policy says
        self.path = "/" + path.strip("/")
        self.metadata_paths = {WELL_KNOWN, WELL_KNOWN + self.path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        if path in self.metadata_paths and scope["method"] in ("GET", "OPTIONS"):
            await self._metadata(scope, send)
            return
        if path != self.path or scope["method"] == "OPTIONS":  # CORS preflights carry no token
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = bearer_token(headers.get("authorization"))
        try:
            caller = await self.gov.identify(
                headers.get("authorization"), anonymous=self.allow_anonymous
            )
        except Refused as exc:
            reason = str(exc).removeprefix("unauthenticated: ")
            await self._audit(receive, None, "unauthenticated", "deny: unauthenticated")
            error = {"error": "invalid_token"} if token is not None else {}
            await self._refuse(scope, send, 401, reason, **error)
            return
        verified = token is not None and self.gov.verifier is not None
        if verified and not self.gov.access.admits(caller):
            reason = "no access rule admits this caller"
            await self._audit(receive, caller, "denied", f"deny: {reason}")
            await self._refuse(scope, send, 403, reason, error="insufficient_scope")
            return
        scope.setdefault("state", {})[CALLER_STATE] = caller
        await self.app(scope, receive, send)

    def _resource(self, scope: Scope) -> str:
        """The public URL of the MCP endpoint, as the client addressed this server."""
        return str(URL(scope=scope).replace(path=self._public_path(scope), query=""))

    def _public_path(self, scope: Scope) -> str:
        return scope.get("root_path", "").rstrip("/") + self.path

    def _metadata_url(self, scope: Scope) -> str:
        url = URL(scope=scope)
        return str(url.replace(path=WELL_KNOWN + self._public_path(scope), query=""))

    async def _metadata(self, scope: Scope, send: Send) -> None:
        document = resource_metadata(self.gov, self._resource(scope))
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            # Public by design: browser-based clients (MCP Inspector) read it cross-origin.
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, OPTIONS"),
            (b"cache-control", b"public, max-age=3600"),
        ]
        status = 204 if scope["method"] == "OPTIONS" else 200
        if status == 204:
            body = b""
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _refuse(
        self, scope: Scope, send: Send, status: int, reason: str, *, error: str | None = None
    ) -> None:
        """A 401/403 with the RFC 6750 challenge pointing at the metadata document."""
        params = []
        if error is not None:
            params += [f'error="{error}"', f'error_description="{_quoted(reason)}"']
        params.append(f'resource_metadata="{self._metadata_url(scope)}"')
        body = json.dumps({"error": error or "unauthorized", "error_description": reason})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", ("Bearer " + ", ".join(params)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    async def _audit(
        self, receive: Receive, caller: Caller | None, status: str, decision: str
    ) -> None:
        """One audit line per `tools/call` in a refused request (other methods are not calls)."""
        started = time.perf_counter()
        for call in _tool_calls(await _read_body(receive)):
            self.gov.audit.record(
                request_id=str(uuid.uuid4()),
                caller=caller,
                tool=call.get("name") if isinstance(call.get("name"), str) else "?",
                arguments=call.get("arguments"),
                latency_ms=(time.perf_counter() - started) * 1000,
                upstream_status=None,
                result_status=status,
                policy_decision=decision,
                tokenized=0,
            )


async def _read_body(receive: Receive) -> bytes:
    """The request body, or b"" when it is larger than MAX_AUDITED_BODY (nothing to audit)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_AUDITED_BODY:
            return b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _tool_calls(body: bytes) -> list[dict[str, Any]]:
    """The params of each `tools/call` in a JSON-RPC message (or batch)."""
    try:
        message = json.loads(body) if body else None
    except ValueError:
        return []
    messages = message if isinstance(message, list) else [message]
    return [
        m["params"] if isinstance(m.get("params"), dict) else {}
        for m in messages
        if isinstance(m, dict) and m.get("method") == "tools/call"
    ]


def _quoted(text: str) -> str:
    """Text safe inside an RFC 7235 quoted-string (the reasons are short, but be strict)."""
    return "".join(c if c.isprintable() and c not in '"\\' else " " for c in text)
