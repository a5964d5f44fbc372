"""What every upstream auth flow shares: the catalog entry, token caching, failure messages.

A flow kind is one module in this package: its hints block, how the planner turns that block
into the catalog entry's `config`, the `httpx2.Auth` object the runtime builds from it, and the
build report's line. `UpstreamAuthFlow` (below) is the catalog entry every kind subclasses.

Each flow runs inside the one tool call that needs it: it obtains (or reuses) a credential,
applies it to the request and, where the upstream says the credential went stale (401), gets a
new one and retries once. The agent never sees or handles a token. Credentials are cached per
flow instance (and per caller where they belong to a caller); an `asyncio.Lock` makes
concurrent calls on one instance fetch one credential. Secrets are never logged, never in
`repr()` and never in error messages; `secrets()` lists the ones a flow holds so callers can
redact upstream messages too. Flows are async-only (`httpx2.AsyncClient`).
"""

from __future__ import annotations

import asyncio
import base64
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import quote_plus, urlsplit

import httpx2
from pydantic import BaseModel, ConfigDict, Field

from adaptgen.runtime.secrets import (
    SecretError,
    SecretResolver,
    guard_logs,
    register_secret_source,
)
from adaptgen.runtime.strict import StrictModel
from adaptgen.runtime.upstream_errors import REASON_CHARS, error_message
from adaptgen.runtime.xml_answer import XmlAnswerError, is_xml, read_answer

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import SecurityScheme, Tool

Clock = Callable[[], float]

SESSION_EXPIRY_SKEW = 30.0  # renew a session this long before the upstream says it ends
MIN_LIFETIME = 1.0
OAUTH_REFRESH_MARGIN = 60.0  # renew a client-credentials token when fewer seconds remain
DEFAULT_TOKEN_LIFETIME = 300.0  # a token response without expires_in is trusted this long
MAX_CACHED = 1024  # per-caller caches keep at most this many entries
SECRET_REFERENCE = r"^\$\{(env|aws-sm):[^}]+\}$"  # ${env:NAME} or ${aws-sm:ID[#key]}


class Strict(StrictModel):
    """Hints blocks and catalog configs: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowPlanning(Protocol):
    """What planning a flow may ask of the planner (`adaptgen.plan.auth` implements it)."""

    scheme_name: str  # the security scheme the flow satisfies ("*": every operation)
    scheme: SecurityScheme | None  # the planned scheme (None for "*")
    raw_scheme: Mapping[str, Any]  # the spec's securitySchemes entry as written

    def operation(self, operation_id: str) -> Tool:
        """The planned tool of operation `operation_id` (a hidden one for a login)."""
        ...

    def error(self, message: str) -> Exception:
        """An input error located at the flow's hints, to raise."""
        ...


@dataclass(frozen=True)
class FlowRuntime:
    """What a flow needs at run time besides its config."""

    upstream: Any  # adaptgen.runtime.upstream.Upstream
    operations: Mapping[str, Tool]
    secrets: SecretResolver


class UpstreamAuthFlow(Strict):
    """How the runtime satisfies one security scheme (a catalog entry; secrets as references).

    Subclasses are the kinds: each narrows `kind` to its name and `config` to its model, and
    says how it is planned (`plan`), run (`build`) and reported (`describe`).
    """

    scheme: str = Field(description="A securitySchemes name, or '*' for every operation.")
    kind: str
    config: Any
    env: tuple[str, ...] = Field(default=(), description="Env vars its secret references read.")

    hints: ClassVar[type[BaseModel]]  # the hints block under `auth: {scheme: {kind: ...}}`

    @classmethod
    def plan(cls, hint: Any, planning: FlowPlanning) -> Any:
        """The catalog `config` for hints block `hint` (raise `planning.error(...)` if wrong)."""
        return hint

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        """The long-lived `httpx2.Auth` that runs this flow."""
        raise NotImplementedError

    def describe(self) -> str:
        """The build report's line for this flow."""
        raise NotImplementedError


class AuthError(Exception):
    """No usable upstream credential; the message is safe to show (it holds no secret)."""


@dataclass(frozen=True)
class Token:
    value: str = ""
    refresh_at: float = 0.0  # clock() time after which the token is not used again


class Locks:
    """One `asyncio.Lock` per key, for the running event loop.

    A flow instance lives in the catalog and may serve several loops over time (tests, Lambda);
    an asyncio.Lock is bound to one loop, so a new loop gets fresh locks.
    """

    def __init__(self) -> None:
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, key: str = "") -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._loop is None or self._loop() is not loop:
            self._loop, self._locks = weakref.ref(loop), {}
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) >= MAX_CACHED:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        return lock


class Flow(httpx2.Auth):
    """Base: async-only, registers with the log guard, holds a clock and locks."""

    # The request body is read first so the request can be re-sent after a 401 (and signed).
    requires_request_body = True
    requires_response_body = True

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._locks = Locks()
        guard_logs()
        register_secret_source(self.secrets)

    def sync_auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        # The default would send the request unauthenticated; fail loudly instead.
        raise TypeError(f"{type(self).__name__} needs an httpx2.AsyncClient")
        yield request  # pragma: no cover - makes this a generator like httpx2 expects

    def secrets(self) -> list[str]:
        """Secret values this flow currently holds (for redaction by callers)."""
        return []


class CachedTokenFlow(Flow):
    """A bearer-like token fetched by a request the flow yields, cached per key until stale."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._tokens: dict[str, Token] = {}

    # Subclasses: which cache entry a call uses, how to fetch and read a token, how to apply it.
    async def _key(self) -> tuple[str, Any]:
        return "", None

    async def _token_request(self, context: Any) -> httpx2.Request:
        raise NotImplementedError

    async def _read_token(self, response: httpx2.Response) -> tuple[str, float]:
        """(token, seconds until the flow should stop using it)."""
        raise NotImplementedError

    def _apply(self, request: httpx2.Request, token: str) -> None:
        raise NotImplementedError

    def _direct(self, context: Any) -> str | None:
        """A token to send as is, with no fetching or caching (plain pass-through)."""
        return None

    def _usable(self, key: str) -> Token | None:
        token = self._tokens.get(key)
        return token if token is not None and self._clock() < token.refresh_at else None

    async def _fetched(self, key: str, response: httpx2.Response) -> Token:
        await response.aread()
        value, lifetime = await self._read_token(response)
        token = Token(value, self._clock() + max(lifetime, MIN_LIFETIME))
        self._store(key, token)
        return token

    def _store(self, key: str, token: Token) -> None:
        self._tokens.pop(key, None)
        if len(self._tokens) >= MAX_CACHED:
            now = self._clock()
            self._tokens = {k: t for k, t in self._tokens.items() if now < t.refresh_at}
            while len(self._tokens) >= MAX_CACHED:  # still full: drop the oldest
                del self._tokens[next(iter(self._tokens))]
        self._tokens[key] = token

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        await request.aread()
        key, context = await self._key()
        direct = self._direct(context)
        if direct is not None:
            self._apply(request, direct)
            yield request
            return
        token = self._usable(key)
        if token is None:
            async with self._locks(key):
                # Checked again under the lock: a concurrent call may have fetched it already.
                token = self._usable(key)
                if token is None:
                    response = yield await self._token_request(context)
                    token = await self._fetched(key, response)
        self._apply(request, token.value)
        response = yield request
        if response.status_code != 401:
            return
        # The upstream no longer takes the token (expired early, revoked): renew once, retry once.
        async with self._locks(key):
            current = self._usable(key)
            if current is None or current.value == token.value:
                self._tokens.pop(key, None)
                renewal = yield await self._token_request(context)
                current = await self._fetched(key, renewal)
        self._apply(request, current.value)
        yield request

    def _cached_values(self) -> list[str]:
        return [t.value for t in dict(self._tokens).values()]


class OAuthTokenFlow(CachedTokenFlow):
    """A token from an OAuth 2.0 token endpoint (RFC 6749 5.1), sent as `Authorization: Bearer`.

    Renewed when fewer than 60 s remain (or half its lifetime, for very short-lived tokens).
    """

    token_url: str
    request_name = "token request"  # how failure messages name the request

    async def _read_token(self, response: httpx2.Response) -> tuple[str, float]:
        what = f"{self.request_name} to {endpoint(self.token_url)} failed"
        token, lifetime = oauth_token(what, response, self.secrets())
        return token, lifetime - min(OAUTH_REFRESH_MARGIN, lifetime / 2)

    def _apply(self, request: httpx2.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"


async def resolved(secrets: SecretResolver, refs: Sequence[str]) -> list[str]:
    """Resolve references off the event loop (an AWS call may block), as AuthError on failure."""
    try:
        return await asyncio.to_thread(lambda: [secrets.resolve(ref) for ref in refs])
    except SecretError as exc:
        raise AuthError(str(exc)) from None


def json_body(response: httpx2.Response) -> Any:
    """The answer as data: its JSON, or an XML answer read as data (a legacy login's
    `<LoginResponse><Token>...</Token></LoginResponse>` is `{"Token": "..."}`, so
    `token_path: $.Token` reads it); None when it is neither."""
    try:
        return response.json()
    except ValueError:
        pass
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if is_xml(media) or (not media and response.text.lstrip().startswith("<")):
        try:
            return read_answer(response.text, None)
        except XmlAnswerError:
            return None
    return None


def endpoint(url: str | httpx2.URL) -> str:
    # Origin and path only: a query or userinfo could hold a credential.
    parts = urlsplit(str(url))
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def failure(what: str, response: httpx2.Response, secrets: Iterable[str]) -> AuthError:
    """`{what}: upstream answered 401 Unauthorized: <short, redacted reason>`."""
    reason = _reason(json_body(response), response.text)
    head, tail = error_message(
        what, response.status_code, response.reason_phrase, reason, secrets, REASON_CHARS
    )
    return AuthError(head + tail)


def _reason(data: Any, text: str) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str):  # RFC 6749 section 5.2
            description = data.get("error_description")
            return f"{error} ({description})" if isinstance(description, str) else error
        if isinstance(error, dict):  # {"error": {"code": .., "message": ..}} envelopes
            parts = [error.get("code"), error.get("message")]
            return " ".join(str(p) for p in parts if isinstance(p, str))
        for key in ("message", "detail", "error_description"):
            value = data.get(key)
            if isinstance(value, str):
                return value
    return " ".join(text.split())


def seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds == seconds else None  # NaN is no lifetime


def basic_auth(client_id: str, client_secret: str) -> str:
    # RFC 6749 section 2.3.1: form-urlencode both before joining them with ":".
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def set_cookie(request: httpx2.Request, name: str, value: str) -> None:
    kept = [
        part.strip()
        for part in request.headers.get("Cookie", "").split(";")
        if part.strip() and part.strip().partition("=")[0] != name
    ]
    request.headers["Cookie"] = "; ".join([*kept, f"{name}={value}"])


def oauth_token(what: str, response: httpx2.Response, secrets: list[str]) -> tuple[str, float]:
    """(access_token, expires_in) from an RFC 6749 section 5.1 response, else AuthError."""
    if not response.is_success:
        raise failure(what, response, secrets)
    data = json_body(response)
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{what}: no access_token in the token response")
    lifetime = seconds(data.get("expires_in")) if isinstance(data, dict) else None
    return token, DEFAULT_TOKEN_LIFETIME if lifetime is None else lifetime
