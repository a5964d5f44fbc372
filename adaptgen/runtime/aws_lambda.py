"""AWS Lambda entry point: MCP over stateless streamable HTTP, one JSON response per request.

Every generated server has a `handler.py` whose `handler(event, context)` is this module's
`LambdaHandler` around the server's FastMCP instance. It serves the three HTTP event shapes Lambda
receives: Function URL and API Gateway HTTP API (payload v2.0), and API Gateway REST API (v1.0);
Mangum turns each into an ASGI request and the answer back into the shape the event's source
expects.

Warm invocations must reuse what is expensive and safe to keep: the upstream `httpx2` client and
its connection pool, cached upstream tokens (session logins, OAuth2, STS), rate-limit buckets,
the governance layer's keys and JWKS. All of those are tied to the event loop they were made on,
so the handler owns one event loop for the life of the execution environment and runs every
invocation on it (Mangum's default would make a new lifespan per call and leave loop handling to
`asyncio.get_event_loop()`). The ASGI lifespan (FastMCP's session manager and server lifespan)
is entered once, on the first invocation, and left open: Lambda freezes the environment between
invocations and discards it without notice, so there is no shutdown to wait for.

The handler serves behind the same HTTP front door as `adaptgen serve --transport http`
(adaptgen.runtime.governance.http_auth: 401/403 with `WWW-Authenticate`, the RFC 9728 metadata).
A Lambda URL is on the network, so with no policy (the built-in default) anonymous callers are
refused unless the variable named by `allow_anonymous_env` (`<NAME>_ALLOW_ANONYMOUS=1` in the
generated handler) says otherwise; a policy file decides for itself (`identity.allow_anonymous`).

Behind a Function URL or API Gateway the `Host` is the endpoint's public name, so the Host/Origin
guard of the front door checks nothing unless the function's `<NAME>_ALLOWED_HOSTS` (the prefix of
`allow_anonymous_env`) names that host, e.g. `abc123.lambda-url.eu-west-1.on.aws`.

Stateless mode is what Lambda needs: any instance can answer any request, so there is no
`Mcp-Session-Id` to route, and `json_response=True` returns each answer as one JSON body (no SSE
stream, which Function URLs in buffered mode and API Gateway cannot carry).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from fastmcp import FastMCP
from mangum import Mangum
from mangum.protocols.http import HTTPCycle
from mangum.protocols.lifespan import LifespanCycle

from adaptgen.runtime.governance.http_auth import governed_http_app
from adaptgen.runtime.network import anonymous_override, plain_tracebacks_without_pygments

__all__ = ["MCP_PATH", "LambdaHandler"]

MCP_PATH = "/mcp"


class LambdaHandler:
    """`handler(event, context)` for a FastMCP server on AWS Lambda.

    The Starlette app, the event loop and the ASGI lifespan are made on the first invocation
    (so importing `handler.py` stays cheap and import errors surface as such), then reused.
    `path` is where MCP is served; API Gateway stages and custom domains with a base path are
    handled by `api_gateway_base_path` (e.g. "/prod" for a REST API stage in the URL).
    `allow_anonymous_env` names the variable that, set to 1, lets anonymous callers in with no
    policy file (read at the first invocation).
    """

    def __init__(
        self,
        server: FastMCP,
        *,
        path: str = MCP_PATH,
        api_gateway_base_path: str = "/",
        allow_anonymous_env: str = "ADAPTGEN_ALLOW_ANONYMOUS",
    ) -> None:
        self.server = server
        self.path = path
        self.api_gateway_base_path = api_gateway_base_path
        self.allow_anonymous_env = allow_anonymous_env
        self._lock = threading.Lock()
        self._adapter: _WarmMangum | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        plain_tracebacks_without_pygments()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        adapter = self._adapter or self._start()
        # Lambda calls the handler on one thread at a time, but a test or a local runner may
        # not: the loop can only run one invocation at once.
        with self._lock:
            asyncio.set_event_loop(self._loop)
            return adapter(event, context)

    def _start(self) -> _WarmMangum:
        with self._lock:
            if self._adapter is not None:
                return self._adapter
            # No anonymous callers on a Lambda URL unless a policy file or the variable says so.
            anonymous = anonymous_override(self.server, self.allow_anonymous_env)
            app = governed_http_app(
                self.server,
                path=self.path,
                env_prefix=self.allow_anonymous_env.removesuffix("_ALLOW_ANONYMOUS"),
                allow_anonymous=anonymous,
                transport="http",
                stateless_http=True,
                json_response=True,
            )
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            lifespan = LifespanCycle(app, "on")
            # Entered for good: the lifespan task stays suspended on `loop` between
            # invocations, holding FastMCP's session manager (and its task group) open.
            lifespan.__enter__()
            self._loop = loop
            self._adapter = _WarmMangum(
                app,
                lifespan="off",
                api_gateway_base_path=self.api_gateway_base_path,
                state=lifespan.lifespan_state,
            )
            return self._adapter


class _WarmMangum(Mangum):
    """Mangum that serves on an already-running lifespan instead of one per invocation."""

    def __init__(self, app: Any, *, state: dict[str, Any], **options: Any) -> None:
        super().__init__(app, **options)
        self._state = state

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        source = self.infer(event, context)
        scope = source.scope
        scope["state"] = self._state.copy()
        return source(HTTPCycle(scope, source.body)(self.app))
