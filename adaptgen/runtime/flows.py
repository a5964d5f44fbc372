"""Upstream auth flows that need more than a static credential, as `httpx.Auth` objects.

Each flow runs inside the one tool call that needs it: it obtains (or reuses) a credential,
applies it to the request and, where the upstream says the credential went stale (401), gets a
new one and retries once. The agent never sees or handles a token.

* `SessionLoginAuth`: log in with a login operation, send the session token it returns.
* `OAuth2ClientCredentialsAuth`: RFC 6749 section 4.4 client credentials.
* `SigV4Auth`: AWS Signature V4, optionally with per-caller `AssumeRole` (ABAC session tags).
* `PassThroughAuth`: forward the caller's token, optionally via RFC 8693 token exchange.

Credentials are cached per flow instance (and per caller where they belong to a caller); an
`asyncio.Lock` makes concurrent calls on one instance fetch one credential. Secrets are never
logged, never in `repr()` and never in error messages; `secrets()` lists the ones a flow holds
so callers can redact upstream messages too. Flows are async-only (`httpx.AsyncClient`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

import httpx

from adaptgen.runtime import identity
from adaptgen.runtime.jsonpath import first
from adaptgen.runtime.secrets import (
    SecretError,
    SecretResolver,
    guard_logs,
    quiet_aws,
    redact,
    register_secret_source,
)

if TYPE_CHECKING:  # boto3 is imported only when a SigV4 flow first needs it (it is slow)
    import boto3

__all__ = [
    "AuthError",
    "OAuth2ClientCredentialsAuth",
    "PassThroughAuth",
    "SessionLoginAuth",
    "SigV4Auth",
    "redact",
]

Clock = Callable[[], float]

SESSION_EXPIRY_SKEW = 30.0  # renew a session this long before the upstream says it ends
MIN_LIFETIME = 1.0
OAUTH_REFRESH_MARGIN = 60.0  # renew a client-credentials token when fewer seconds remain
DEFAULT_TOKEN_LIFETIME = 300.0  # a token response without expires_in is trusted this long
ASSUMED_ROLE_MARGIN = 300.0  # assumed-role credentials are renewed 5 minutes before expiry
MAX_CACHED = 1024  # per-caller caches keep at most this many entries
EXCERPT_CHARS = 120
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class AuthError(Exception):
    """No usable upstream credential; the message is safe to show (it holds no secret)."""


# --------------------------------------------------------------------------------------------
# Shared machinery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    value: str = ""
    refresh_at: float = 0.0  # clock() time after which the token is not used again


class _Locks:
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


class _Flow(httpx.Auth):
    """Base: async-only, registers with the log guard, holds a clock and locks."""

    # The request body is read first so the request can be re-sent after a 401 (and signed).
    requires_request_body = True
    requires_response_body = True

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._locks = _Locks()
        guard_logs()
        register_secret_source(self.secrets)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        # The default would send the request unauthenticated; fail loudly instead.
        raise TypeError(f"{type(self).__name__} needs an httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator like httpx expects

    def secrets(self) -> list[str]:
        """Secret values this flow currently holds (for redaction by callers)."""
        return []


class _CachedTokenFlow(_Flow):
    """A bearer-like token fetched by a request the flow yields, cached per key until stale."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._tokens: dict[str, _Token] = {}

    # Subclasses: which cache entry a call uses, how to fetch and read a token, how to apply it.
    async def _key(self) -> tuple[str, Any]:
        return "", None

    async def _token_request(self, context: Any) -> httpx.Request:
        raise NotImplementedError

    async def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        """(token, seconds until the flow should stop using it)."""
        raise NotImplementedError

    def _apply(self, request: httpx.Request, token: str) -> None:
        raise NotImplementedError

    def _direct(self, context: Any) -> str | None:
        """A token to send as is, with no fetching or caching (plain pass-through)."""
        return None

    def _usable(self, key: str) -> _Token | None:
        token = self._tokens.get(key)
        return token if token is not None and self._clock() < token.refresh_at else None

    async def _fetched(self, key: str, response: httpx.Response) -> _Token:
        await response.aread()
        value, lifetime = await self._read_token(response)
        token = _Token(value, self._clock() + max(lifetime, MIN_LIFETIME))
        self._store(key, token)
        return token

    def _store(self, key: str, token: _Token) -> None:
        self._tokens.pop(key, None)
        if len(self._tokens) >= MAX_CACHED:
            now = self._clock()
            self._tokens = {k: t for k, t in self._tokens.items() if now < t.refresh_at}
            while len(self._tokens) >= MAX_CACHED:  # still full: drop the oldest
                del self._tokens[next(iter(self._tokens))]
        self._tokens[key] = token

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
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


async def _resolved(secrets: SecretResolver, refs: Sequence[str]) -> list[str]:
    """Resolve references off the event loop (an AWS call may block), as AuthError on failure."""
    try:
        return await asyncio.to_thread(lambda: [secrets.resolve(ref) for ref in refs])
    except SecretError as exc:
        raise AuthError(str(exc)) from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _endpoint(url: str | httpx.URL) -> str:
    # Origin and path only: a query or userinfo could hold a credential.
    parts = urlsplit(str(url))
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def _failure(what: str, response: httpx.Response, secrets: Iterable[str]) -> AuthError:
    """`{what}: upstream answered 401 Unauthorized: <short, redacted reason>`."""
    message = f"{what}: upstream answered {response.status_code} {response.reason_phrase}".rstrip()
    reason = _reason(_json(response), response.text)
    if reason:
        if len(reason) > EXCERPT_CHARS:
            reason = reason[:EXCERPT_CHARS] + "…"
        message += f": {reason}"
    return AuthError(redact(message, secrets))


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


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds == seconds else None  # NaN is no lifetime


def _basic(client_id: str, client_secret: str) -> str:
    # RFC 6749 section 2.3.1: form-urlencode both before joining them with ":".
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _set_cookie(request: httpx.Request, name: str, value: str) -> None:
    kept = [
        part.strip()
        for part in request.headers.get("Cookie", "").split(";")
        if part.strip() and part.strip().partition("=")[0] != name
    ]
    request.headers["Cookie"] = "; ".join([*kept, f"{name}={value}"])


# --------------------------------------------------------------------------------------------
# 1. Session login
# --------------------------------------------------------------------------------------------


class SessionLoginAuth(_CachedTokenFlow):
    """Log in with the API's own login operation and send the session token it returns.

    `login()` builds the login request (resolving its secrets); `token_path` and `expires_path`
    are JSONPaths into the login response. `apply` says where the token goes:
    `{"in": "header"|"query"|"cookie", "name": "X-Session-Token", "format": "{token}"}`.
    The token is reused until `expires_in` minus 30 s (at least 1 s), or for `ttl` seconds when
    the response has no expiry.
    """

    def __init__(
        self,
        login: Callable[[], httpx.Request],
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

    async def _token_request(self, context: Any) -> httpx.Request:
        try:
            return await asyncio.to_thread(self._login)
        except SecretError as exc:
            raise AuthError(f"login failed: {exc}") from None

    async def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        if not response.is_success:
            raise _failure("login failed", response, self.secrets())
        data = _json(response)
        token = first(self.token_path, data) if data is not None else None
        if isinstance(token, int | float) and not isinstance(token, bool):
            token = str(token)
        if not isinstance(token, str) or not token:
            raise AuthError(f"login failed: no token at {self.token_path} in the login response")
        expires = _seconds(first(self.expires_path, data)) if self.expires_path else None
        if expires is None:
            return token, self.ttl
        return token, expires - SESSION_EXPIRY_SKEW

    def _apply(self, request: httpx.Request, token: str) -> None:
        value = self.apply_format.replace("{token}", token)
        if self.apply_in == "header":
            request.headers[self.apply_name] = value
        elif self.apply_in == "query":
            request.url = request.url.copy_set_param(self.apply_name, value)
        else:
            _set_cookie(request, self.apply_name, value)


# --------------------------------------------------------------------------------------------
# 2. OAuth 2.0 client credentials
# --------------------------------------------------------------------------------------------


class OAuth2ClientCredentialsAuth(_CachedTokenFlow):
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
            f"OAuth2ClientCredentialsAuth(token_url={_endpoint(self.token_url)!r}, "
            f"scopes={list(self.scopes)!r}, auth_method={self.auth_method!r})"
        )

    def secrets(self) -> list[str]:
        """The current token and the resolved client secret."""
        return [*self._cached_values(), *([self._client_secret] if self._client_secret else [])]

    async def _token_request(self, context: Any) -> httpx.Request:
        client_id, client_secret = await _resolved(self._secrets, self._client_refs)
        self._client_secret = client_secret
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        if self.audience:
            form["audience"] = self.audience
        headers = {"Accept": "application/json"}
        if self.auth_method == "basic":
            headers["Authorization"] = _basic(client_id, client_secret)
        else:
            form.update(client_id=client_id, client_secret=client_secret)
        return httpx.Request("POST", self.token_url, data=form, headers=headers)

    async def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        what = f"token request to {_endpoint(self.token_url)} failed"
        token, lifetime = _oauth_token(what, response, self.secrets())
        return token, lifetime - min(OAUTH_REFRESH_MARGIN, lifetime / 2)

    def _apply(self, request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"


def _oauth_token(what: str, response: httpx.Response, secrets: list[str]) -> tuple[str, float]:
    """(access_token, expires_in) from an RFC 6749 section 5.1 response, else AuthError."""
    if not response.is_success:
        raise _failure(what, response, secrets)
    data = _json(response)
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{what}: no access_token in the token response")
    lifetime = _seconds(data.get("expires_in")) if isinstance(data, dict) else None
    return token, DEFAULT_TOKEN_LIFETIME if lifetime is None else lifetime


# --------------------------------------------------------------------------------------------
# 4. Pass-through and token exchange
# --------------------------------------------------------------------------------------------


class PassThroughAuth(_CachedTokenFlow):
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
        exchange = _endpoint(self.exchange["token_url"]) if self.exchange else None
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

    async def _token_request(self, context: Any) -> httpx.Request:
        assert self.exchange is not None
        spec = self.exchange
        names = [k for k in ("client_id", "client_secret") if spec.get(k)]
        resolved = await _resolved(self._secrets, [spec[k] for k in names])
        values = dict(zip(names, resolved, strict=True))
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
            headers["Authorization"] = _basic(values["client_id"], values["client_secret"])
        else:
            form.update(values)  # body auth, or a public client sending only its client_id
        return httpx.Request("POST", spec["token_url"], data=form, headers=headers)

    async def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        assert self.exchange is not None
        what = f"token exchange at {_endpoint(self.exchange['token_url'])} failed"
        token, lifetime = _oauth_token(what, response, self.secrets())
        return token, lifetime - SESSION_EXPIRY_SKEW

    def _apply(self, request: httpx.Request, token: str) -> None:
        request.headers[self.header] = f"{self.scheme} {token}" if self.scheme else token


# --------------------------------------------------------------------------------------------
# 3. AWS Signature V4
# --------------------------------------------------------------------------------------------

SESSION_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")  # STS RoleSessionName: [\w+=,.@-]
TAG_CHARS = re.compile(r"[^\w .:/=+@-]")  # STS tags: [\p{L}\p{Z}\p{N}_.:/=+\-@]
MAX_SESSION_NAME = 64
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_SESSION_TAGS = 50


@dataclass(frozen=True)
class _AwsKeys:
    access_key: str
    secret_key: str
    token: str | None
    refresh_at: float = float("inf")


class SigV4Auth(_Flow):
    """Sign requests with AWS Signature V4 (botocore's signer) for `service` in `region`.

    Credentials come from the boto3 session's chain (env, profile, role...). With `assume_role`
    `{"role_arn", "session_name_claim": "sub", "tags": {"Department": "groups"}, "duration": 900,
    "external_id"?}`, each caller (`identity.caller()`) gets its own `AssumeRole` session named
    after a claim and tagged with claims, so the upstream's CloudTrail shows who acted and ABAC
    policies can use the tags. Assumed credentials are cached per caller until 5 minutes before
    they expire.
    """

    def __init__(
        self,
        service: str,
        region: str,
        *,
        assume_role: Mapping[str, Any] | None = None,
        session: boto3.session.Session | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if assume_role is not None and not assume_role.get("role_arn"):
            raise ValueError("assume_role needs a role_arn")
        super().__init__(clock)
        self.service = service
        self.region = region
        self.assume_role = dict(assume_role) if assume_role is not None else None
        self._session = session
        self._base: Any = None  # botocore Credentials from the chain, resolved on first use
        self._base_keys_seen: _AwsKeys | None = None  # last frozen base keys, for secrets()
        self._sts: Any = None
        self._assumed: dict[str, _AwsKeys] = {}

    def __repr__(self) -> str:
        role = self.assume_role["role_arn"] if self.assume_role else None
        return f"SigV4Auth(service={self.service!r}, region={self.region!r}, assume_role={role!r})"

    def secrets(self) -> list[str]:
        """Secret keys and session tokens of the base and assumed credentials held."""
        values: list[str] = []
        keys = list(dict(self._assumed).values())
        if self._base_keys_seen is not None:
            # Not the live credentials object: reading that could trigger a refresh (and I/O).
            keys.append(self._base_keys_seen)
        for key in keys:
            values.append(key.secret_key)
            if key.token:
                values.append(key.token)
        return values

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()  # the payload hash is part of the signature
        keys = await (self._assumed_keys() if self.assume_role else self._base_keys())
        self._sign(request, keys)
        yield request

    # -- credentials -------------------------------------------------------------------------

    def _boto_session(self) -> boto3.session.Session:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session()
        return self._session

    async def _base_keys(self) -> _AwsKeys:
        if self._base is None:
            async with self._locks("base"):
                if self._base is None:
                    # The chain may read files or the instance metadata service: off the loop.
                    self._base = await asyncio.to_thread(self._resolve_chain)
        # Refreshable credentials refresh themselves here when near expiry.
        frozen = self._base.get_frozen_credentials()
        keys = _AwsKeys(frozen.access_key, frozen.secret_key, frozen.token)
        self._base_keys_seen = keys
        return keys

    def _resolve_chain(self) -> Any:
        with quiet_aws():
            credentials = self._boto_session().get_credentials()
        if credentials is None:
            raise AuthError(
                "no AWS credentials for SigV4 signing: configure the AWS credential chain "
                "(e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or an instance role)"
            )
        return credentials

    async def _assumed_keys(self) -> _AwsKeys:
        params = self._assume_params(identity.caller())
        # Same session name and tags = same AWS identity, so they share credentials.
        key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        cached = self._assumed.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached
        async with self._locks(key):
            cached = self._assumed.get(key)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached
            keys = await asyncio.to_thread(self._assume, params)
            self._assumed.pop(key, None)
            if len(self._assumed) >= MAX_CACHED:
                now = self._clock()
                self._assumed = {k: v for k, v in self._assumed.items() if now < v.refresh_at}
                while len(self._assumed) >= MAX_CACHED:
                    del self._assumed[next(iter(self._assumed))]
            self._assumed[key] = keys
            return keys

    def _assume_params(self, who: identity.Caller | None) -> dict[str, Any]:
        assert self.assume_role is not None
        spec = self.assume_role
        if who is None:
            raise AuthError("caller identity required for AssumeRole")
        claim = spec.get("session_name_claim", "sub")
        raw_name = who.claim(claim)
        if raw_name in (None, "", [], ()):
            raise AuthError(f"caller has no {claim!r} claim for the AssumeRole session name")
        params: dict[str, Any] = {
            "RoleArn": spec["role_arn"],
            "RoleSessionName": session_name(_claim_text(raw_name)),
            "DurationSeconds": int(spec.get("duration", 900)),
        }
        tags = []
        for tag_key, tag_claim in (spec.get("tags") or {}).items():
            value = who.claim(tag_claim)
            if value is None:
                continue  # an absent claim is no tag (not an empty one ABAC could match)
            tags.append({"Key": tag_text(tag_key, MAX_TAG_KEY), "Value": tag_value(value)})
        if tags:
            params["Tags"] = tags[:MAX_SESSION_TAGS]
        if spec.get("external_id"):
            params["ExternalId"] = str(spec["external_id"])
        return params

    def _assume(self, params: dict[str, Any]) -> _AwsKeys:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with quiet_aws():
                if self._sts is None:
                    self._sts = self._boto_session().client("sts", region_name=self.region)
                answer = self._sts.assume_role(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            raise AuthError(f"AssumeRole {params['RoleArn']} failed: {code}") from None
        except BotoCoreError as exc:
            kind = type(exc).__name__
            raise AuthError(f"AssumeRole {params['RoleArn']} failed: {kind}") from None
        creds = answer["Credentials"]
        expiration = creds["Expiration"]
        remaining = (
            expiration.timestamp() - time.time()
            if isinstance(expiration, datetime)
            else float(params["DurationSeconds"])
        )
        return _AwsKeys(
            creds["AccessKeyId"],
            creds["SecretAccessKey"],
            creds.get("SessionToken"),
            self._clock() + max(remaining - ASSUMED_ROLE_MARGIN, MIN_LIFETIME),
        )

    # -- signing -----------------------------------------------------------------------------

    def _sign(self, request: httpx.Request, keys: _AwsKeys) -> None:
        from botocore.auth import S3SigV4Auth
        from botocore.auth import SigV4Auth as BotoSigV4
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        for stale in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            request.headers.pop(stale, None)  # a re-sent request must not keep the old ones
        _canonicalize_query(request)
        # Sign what no hop should change: host, content type and x-amz-* (not connection etc.).
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("host", "content-type") or name.lower().startswith("x-amz-")
        }
        aws = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        signer_class = S3SigV4Auth if self.service == "s3" else BotoSigV4
        signer = signer_class(
            Credentials(keys.access_key, keys.secret_key, keys.token), self.service, self.region
        )
        with quiet_aws():  # botocore logs the canonical request (with the session token)
            signer.add_auth(aws)
        for name, value in aws.headers.items():
            if name.lower() == "authorization" or name.lower().startswith("x-amz-"):
                request.headers[name] = value


def _canonicalize_query(request: httpx.Request) -> None:
    """Re-encode the query the way SigV4 canonicalizes it, so what is sent is what was signed.

    botocore signs the query string as given; AWS decodes and re-encodes it (RFC 3986, space as
    %20). httpx writes spaces as "+", which would then not match.
    """
    raw = request.url.query.decode("ascii")
    if not raw:
        return
    pairs = [part.partition("=") for part in raw.split("&") if part]
    encoded = "&".join(
        f"{quote(unquote_plus(k), safe='-_.~')}={quote(unquote_plus(v), safe='-_.~')}"
        for k, _, v in pairs
    )
    request.url = request.url.copy_with(query=encoded.encode("ascii"))


def _claim_text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ":".join(str(v) for v in value)
    return str(value)


def session_name(value: str) -> str:
    """A valid STS RoleSessionName (2-64 chars of `[\\w+=,.@-]`) for a claim value.

    Overlong values keep a readable prefix plus a hash of the whole, so two long subjects that
    share a prefix still get different sessions.
    """
    name = SESSION_NAME_CHARS.sub("-", value)
    if len(name) > MAX_SESSION_NAME:
        digest = hashlib.sha256(value.encode()).hexdigest()[:10]
        name = f"{name[: MAX_SESSION_NAME - 11]}-{digest}"
    return name.ljust(2, "_")


def tag_text(value: str, limit: int) -> str:
    """Text in STS's session-tag charset, at most `limit` characters."""
    return TAG_CHARS.sub("_", value)[:limit]


def tag_value(value: Any) -> str:
    """A session-tag value for a claim: lists joined with ":", sanitized, <= 256 characters."""
    return tag_text(_claim_text(value), MAX_TAG_VALUE)
