"""The upstream HTTP client: turns tool arguments into one correct HTTP request.

Serialization follows OpenAPI's style/explode rules for path, query, header and cookie values.
Path values are always percent-encoded whole, so an argument like `../admin` stays inside its
own path segment. Failures come back as `UpstreamError` with a readable, secret-free message.

What an upstream can cost is bounded: each request (connect, send, answer, whole body) within
`<NAME>_TIMEOUT`, a tool call within `<NAME>_CALL_TIMEOUT` (`Upstream.deadline`), a body within
`<NAME>_MAX_RESPONSE_BYTES`, JSON within `MAX_JSON_DEPTH` levels (an XML answer is read as data by
`xml_answer`, within as many). What is sent is checked first:
header values HTTP can carry, a URL of at most `MAX_URL_BYTES`. Requests that cannot write twice
are retried, a bounded number of times, when the upstream is briefly unavailable.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import math
import os
import random
import re
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2

from adaptgen import __version__
from adaptgen.runtime import csrf, redirects, telemetry
from adaptgen.runtime.auth import (
    AUTH_ERRORS,
    MissingCredentials,
    choose_credentials,
    resolve_secret,
    secrets_of,
)
from adaptgen.runtime.binary import binary_answer
from adaptgen.runtime.catalog import Param, SecurityScheme, ServerVariable, Tool
from adaptgen.runtime.files import (
    OCTET_STREAM,
    DataUrlError,
    file_fields,
    file_part,
    from_data_url,
    is_file_schema,
)
from adaptgen.runtime.http_methods import IDEMPOTENT_METHODS, READ_METHODS, if_match_argument
from adaptgen.runtime.origin import origin_of
from adaptgen.runtime.proxies import proxy_for
from adaptgen.runtime.rate_limits import rate_limited, wait_asked
from adaptgen.runtime.secrets import guard_logs, is_aws_reference, redact, register_secret_source
from adaptgen.runtime.serialize import (
    PathValueError,
    as_http_date,
    cookie_value,
    form_pairs,
    percent,
    scalar,
    serialize_path,
    serialize_query,
    serialize_simple,
)
from adaptgen.runtime.tls import TlsSettingError, tls_cause, upstream_context
from adaptgen.runtime.upstream_errors import error_message, header_reason, status_line
from adaptgen.runtime.xml_answer import XmlAnswerError, is_xml, read_answer
from adaptgen.runtime.xml_body import XmlBodyError, xml_body

DEFAULT_TIMEOUT = 30.0  # seconds for one request, body included (<NAME>_TIMEOUT)
DEFAULT_CALL_TIMEOUT = (
    60.0  # seconds for a tool call, all requests and retries (<NAME>_CALL_TIMEOUT)
)
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # <NAME>_MAX_RESPONSE_BYTES
DEFAULT_RETRIES = 2  # <NAME>_RETRIES
MAX_RETRIES = 10  # whatever the env says: more would only hammer a struggling upstream
ERROR_BODY_BYTES = 16 * 1024  # of an error answer only this much is read, for its excerpt
MAX_URL_BYTES = 8192  # RFC 9112 §3: 8000 octets is the least a server is expected to take
MAX_HEADER_BYTES = 8192  # one header value from the arguments
MAX_JSON_DEPTH = 100  # deeper upstream JSON is refused: shaping walks it recursively
# What Azure's, Google's and AWS's own clients try again (a 500 is often one server's passing
# fault); only ever a request that cannot write twice.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5  # seconds; the n-th retry waits a random time in [0, base * 2**n]
BACKOFF_CAP = 8.0
DEADLINE_GRACE = 0.05  # seconds; see Upstream.deadline
MAX_RETRY_WAIT = 10.0  # a longer Retry-After goes to the agent rather than being waited out
# Seconds a call waits for an operation the upstream accepted to finish (<NAME>_OPERATION_WAIT,
# `runtime.long_running`): within the 10 s many MCP clients give a tool call by default.
DEFAULT_OPERATION_WAIT = 8.0

# What a server variable's value may not hold: it would change the URL beyond its own part.
_SERVER_VALUE_HOST = re.compile(r"[\s/?#@\\]|[\x00-\x1f\x7f]")
_SERVER_VALUE_PATH = re.compile(r"[\s?#\\]|[\x00-\x1f\x7f]|(^|/)\.\.?(/|$)")
# What an API writes before its JSON so that a page cannot run it as a script (Gerrit's every
# answer, Angular's convention): no part of the JSON.
_XSSI_GUARD = ")]}'"
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Headers a redirect within the upstream is not sent again with (httpx2 sets them anew).
_NOT_RESENT = frozenset({"host", "content-length", "transfer-encoding"})
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs but HTAB (RFC 9110 §5.5)
_NON_ASCII = "non-ASCII text"


NOT_MODIFIED = 304
# What a refused condition tells the agent, for an operation with an `If-Match` argument.
_PRECONDITIONS = {
    412: "the thing has changed since the version {if_match} names: read it again, then send "
    "its current etag as {if_match}",
    428: "the upstream takes this write only with the thing's current version: read it, then "
    "send its etag as {if_match}",
}


class UpstreamError(Exception):
    """A failed upstream call, with a message fit to show an agent (no secrets)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _CsrfRequired(UpstreamError):
    """A write refused until it carries the CSRF token its upstream hands out: SAP Gateway's
    OData services answer 403 with `x-csrf-token: Required` (`runtime.csrf`)."""


@dataclass(frozen=True)
class UpstreamResponse:
    """What came back: status, content type and the decoded body."""

    status: int
    content_type: str
    data: Any  # parsed JSON, or text
    is_json: bool
    headers: Mapping[str, str] = field(default_factory=dict)
    size: int = 0  # bytes of the body as received


@dataclass(frozen=True)
class Limits:
    """What one upstream request may cost, from `<NAME>_TIMEOUT`, `_CALL_TIMEOUT`,
    `_MAX_RESPONSE_BYTES`, `_RETRIES` and `_OPERATION_WAIT`, and which redirects it follows
    (`_REDIRECTS`, `runtime/redirects.py`); read per call: a changed env applies at once."""

    prefix: str
    timeout: float = DEFAULT_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    retries: int = DEFAULT_RETRIES
    operation_wait: float = DEFAULT_OPERATION_WAIT
    redirects: str = redirects.MODES[0]

    @classmethod
    def from_env(cls, prefix: str) -> Limits:
        """The limits set in the environment; a missing or unreadable value keeps the default."""
        return cls(
            prefix,
            timeout=_env_number(f"{prefix}_TIMEOUT", DEFAULT_TIMEOUT, float),
            call_timeout=_env_number(f"{prefix}_CALL_TIMEOUT", DEFAULT_CALL_TIMEOUT, float),
            max_response_bytes=_env_number(
                f"{prefix}_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES, int
            ),
            retries=min(_env_number(f"{prefix}_RETRIES", DEFAULT_RETRIES, int), MAX_RETRIES),
            operation_wait=_env_number(f"{prefix}_OPERATION_WAIT", DEFAULT_OPERATION_WAIT, float),
            redirects=os.environ.get(f"{prefix}_REDIRECTS", "").strip().lower()
            or redirects.MODES[0],
        )

    def too_large(self, where: str) -> UpstreamError:
        """The error for a body over `max_response_bytes`."""
        return UpstreamError(
            f"{where}: upstream response is larger than the {_size(self.max_response_bytes)} "
            f"limit (set {self.prefix}_MAX_RESPONSE_BYTES to raise it)"
        )


@dataclass(frozen=True)
class Deadline:
    """When a tool call must be done (event loop time) and the setting that allows more."""

    at: float
    seconds: float
    setting: str

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - asyncio.get_running_loop().time()

    def message(self, where: str, what: str) -> str:
        """`<where>: <what> the tool call's 60s time limit (set <NAME>_CALL_TIMEOUT ...)`."""
        return (
            f"{where}: {what} the tool call's {self.seconds:g}s time limit "
            f"(set {self.setting} to raise it)"
        )


# The deadline of the tool call running in this context (set by `Upstream.deadline`).
_CALL_DEADLINE: ContextVar[Deadline | None] = ContextVar("adaptgen_call_deadline", default=None)
# The cookies the upstream set during the tool call running in this context, sent back on the
# call's later requests (its pages, polls and retries) and forgotten when it ends: a session
# or a load balancer's sticky cookie (Azure's `ARRAffinity`, AWS's `AWSALB`) that keeps one
# server answering, as every HTTP client that keeps a session does. Never kept from one call,
# or one caller, to the next, and only ever back to the origin that set them (a jar per
# origin: a domain cookie of the API's never reaches a sibling host a redirect leads to).
_CALL_COOKIES: ContextVar[dict[tuple[str, str, int | None], httpx2.Cookies] | None] = ContextVar(
    "adaptgen_call_cookies", default=None
)
# The arguments the tool call running in this context set to null itself, rather than left
# out (`explicit_nulls`): a JSON body's field goes as `null` then, which is how JSON Merge Patch
# removes a field (RFC 7396) and how most APIs clear one (Asana's `due_on: null`).
_CALL_NULLS: ContextVar[frozenset[str]] = ContextVar("adaptgen_call_nulls", default=frozenset())


@contextlib.contextmanager
def explicit_nulls(arguments: Mapping[str, Any]) -> Iterator[None]:
    """Inside: the call's arguments given as null are sent as null in a JSON body."""
    token = _CALL_NULLS.set(frozenset(k for k, v in arguments.items() if v is None))
    try:
        yield
    finally:
        _CALL_NULLS.reset(token)


def call_time_left() -> float | None:
    """Seconds left of the tool call running in this context (None outside `deadline()`)."""
    deadline = _CALL_DEADLINE.get()
    return None if deadline is None else deadline.left()


class _RetryableFailure(Exception):
    """An attempt failed in a way a later attempt may not (busy upstream, broken connection).

    `head` and `tail` are the agent's message around the place a retry hint goes; both are
    already redacted. `retriable`: another attempt cannot write twice.
    """

    def __init__(
        self,
        head: str,
        tail: str = "",
        *,
        status: int | None = None,
        retriable: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(head + tail)
        self.head, self.tail, self.status = head, tail, status
        self.retriable, self.retry_after = retriable, retry_after

    def wait(self, attempt: int) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when no retry should follow."""
        if not self.retriable:
            return None
        if self.retry_after is not None:
            return self.retry_after if self.retry_after <= MAX_RETRY_WAIT else None
        return random.uniform(0, _backoff(attempt))  # full jitter: retries don't move in step

    def error(self, attempt: int) -> UpstreamError:
        """The agent's error after the last attempt: what failed and when to try again."""
        seconds = self.retry_after if self.retry_after is not None else _backoff(attempt + 1)
        hint = f"; retry after {max(1, math.ceil(seconds))}s"
        return UpstreamError(self.head + hint + self.tail, status=self.status)


class _BadHeader(Exception):
    """A header value the request was about to carry that HTTP cannot (found after auth ran)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name, self.problem = name, problem


class _HeaderGuard(httpx2.AsyncBaseTransport):
    """Checks the final headers, credentials included, before anything is sent; sends back the
    cookies the upstream set earlier in the same tool call (`_CALL_COOKIES`).

    Argument headers are checked (and named) when the request is built; what reaches this
    guard is a credential or an auth flow's header, so it is named but never shown.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        jars = _CALL_COOKIES.get()
        origin = (request.url.scheme, request.url.host, request.url.port)
        if jars and origin in jars:
            _send_back(jars[origin], request)
        for name, value in request.headers.raw:
            problem = _header_problem(value.decode("latin-1"))
            if problem:
                raise _BadHeader(name.decode("latin-1"), problem)
        response = await self._inner.handle_async_request(request)
        if jars is not None and "set-cookie" in response.headers:
            response.request = request
            # by the cookie rules (its path, expiry), in the jar of the origin that set it
            jars.setdefault(origin, httpx2.Cookies()).extract_cookies(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _send_back(cookies: httpx2.Cookies, request: httpx2.Request) -> None:
    """The call's cookies for this request's host and path, beside any it carries already (a
    cookie parameter's, a cookie credential's: those win over one of the same name)."""
    probe = httpx2.Request(request.method, request.url)
    cookies.set_cookie_header(probe)
    kept = probe.headers.get("cookie")
    if not kept:
        return
    carried = request.headers.get("cookie")
    if carried:
        named = {part.split("=", 1)[0].strip() for part in carried.split(";")}
        kept = "; ".join(c for c in kept.split("; ") if c.split("=", 1)[0] not in named)
        if not kept:
            return
        kept = f"{carried}; {kept}"
    request.headers["Cookie"] = kept


class Upstream:
    """Sends operations to the upstream API with one pooled httpx2 client per event loop."""

    def __init__(
        self,
        *,
        base_url: str,
        env_prefix: str,
        schemes: Mapping[str, SecurityScheme],
        security: Sequence[Sequence[str]],
        transport: httpx2.AsyncBaseTransport | None = None,
        server_url: str = "",
        server_variables: Sequence[ServerVariable] = (),
    ) -> None:
        # Auth flows by security scheme name ("*": every call); set by the server wiring.
        self.flows: dict[str, httpx2.Auth] = {}
        self.spec_base_url = base_url
        self.server_url = server_url
        self.server_variables = tuple(server_variables)
        if any(v.secret for v in self.server_variables):
            guard_logs()
            register_secret_source(self._secret_variables)
        self.env_prefix = env_prefix
        self.schemes = dict(schemes)
        self.security = tuple(tuple(a) for a in security)
        self._transport = transport
        self._clients: dict[int, httpx2.AsyncClient] = {}
        self._networks: dict[str, str] = {}  # base URL: where it is, for redirects elsewhere

    @property
    def base_url(self) -> str:
        """The env override if set, else the spec's first server; its variables (in either)
        set by their env vars (`<NAME>_SERVER_<VARIABLE>`) or defaults. A variable that cannot
        be set so (a secret not given, a value outside its enum or one that would change the
        URL's host or path) raises `UpstreamError` naming its env var."""
        override = os.environ.get(f"{self.env_prefix}_BASE_URL")
        url = override or self.server_url or self.spec_base_url
        for variable in self.server_variables:  # an override may keep some (the SAM default)
            placeholder = "{" + variable.name + "}"
            if placeholder in url:
                url = url.replace(placeholder, _server_value(variable))
        return url.rstrip("/")

    def user_agent(self) -> str:
        """`<NAME>_USER_AGENT`, else `adaptgen/<version> (<name>)`: some APIs refuse a client
        library's own (`python-httpx/...`) or ask who calls them (SEC EDGAR wants a company and
        an email; MediaWiki, the US weather service and Nominatim a contact)."""
        said = os.environ.get(f"{self.env_prefix}_USER_AGENT", "").strip()
        return said or f"adaptgen/{__version__} ({self.env_prefix.lower()})"

    def base_for(self, op: Tool) -> str:
        """Where `op`'s requests go: its own server (Box's uploads at upload.box.com), unless
        `<NAME>_BASE_URL` sends every operation to one place (a gateway, a mock); else the
        API's base URL. Credentials go with them: the spec's own servers are the API's."""
        server = op.upstream.server
        if server and not os.environ.get(f"{self.env_prefix}_BASE_URL"):
            return server.rstrip("/")
        return self.base_url

    def _url_secrets(self) -> list[str]:
        """The secret server variables' values as sent (for redaction from messages)."""
        values = []
        for variable in self.server_variables:
            if variable.secret:
                with contextlib.suppress(UpstreamError):
                    values.append(_server_value(variable))
        return values

    def _secret_variables(self) -> list[str]:
        """The secret server variables' values, for the log guard."""
        values = (os.environ.get(v.env, "") for v in self.server_variables if v.secret)
        return [value for value in values if value and not is_aws_reference(value)]

    def timeout(self) -> float:
        """Seconds one request may take, body included (`<NAME>_TIMEOUT`)."""
        return self.limits().timeout

    def limits(self) -> Limits:
        """The limits the environment sets now."""
        return Limits.from_env(self.env_prefix)

    @asynccontextmanager
    async def deadline(self, seconds: float | None = None) -> AsyncIterator[Deadline]:
        """Bound everything inside by one deadline: every request, retry and page of a tool call.
        The cookies the upstream sets inside are sent back on its later requests inside, and
        only there (`_CALL_COOKIES`).

        `async with upstream.deadline():` gives the block `<NAME>_CALL_TIMEOUT` seconds (default
        60) in all; each request inside still keeps its own `<NAME>_TIMEOUT`, and a retry that
        would wait past the deadline is not made. A deadline inside another keeps the earlier
        one. Running out raises `UpstreamError` with a message for the agent.
        """
        if seconds is None:
            seconds = self.limits().call_timeout
        setting = f"{self.env_prefix}_CALL_TIMEOUT"
        mine = Deadline(asyncio.get_running_loop().time() + seconds, seconds, setting)
        outer = _CALL_DEADLINE.get()
        current = outer if outer is not None and outer.at <= mine.at else mine
        token = _CALL_DEADLINE.set(current)
        outer_jars = _CALL_COOKIES.get()  # a deadline inside another keeps its cookies too
        jar = _CALL_COOKIES.set({} if outer_jars is None else outer_jars)
        try:
            # A moment after the deadline: a request running then is stopped by its own timeout
            # (same deadline), whose error names the request; this catches the time between.
            async with asyncio.timeout_at(current.at + DEADLINE_GRACE) as scope:
                yield current
        except TimeoutError:
            if not scope.expired():
                raise
            raise UpstreamError(
                f"the tool call took longer than its {current.seconds:g}s time limit "
                f"(set {current.setting} to raise it)"
            ) from None
        finally:
            _CALL_COOKIES.reset(jar)
            _CALL_DEADLINE.reset(token)

    def _client(self) -> httpx2.AsyncClient:
        # An AsyncClient's pool belongs to the loop that opened it; tests and Lambda may
        # run several loops in one process over time.
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            inner = self._transport
            if inner is None:
                try:
                    verify = upstream_context(self.env_prefix)  # read as the client is made
                except TlsSettingError as exc:
                    raise UpstreamError(f"the upstream's TLS settings: {exc}") from None
                inner = httpx2.AsyncHTTPTransport(
                    verify=verify,
                    trust_env=False,
                    proxy=proxy_for(self.base_url, self.env_prefix),
                )
            client = httpx2.AsyncClient(
                transport=_HeaderGuard(inner), follow_redirects=False, trust_env=False
            )
            self._clients[loop_id] = client
        return client

    async def aclose(self) -> None:
        """Close every pooled client."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def build_request(
        self,
        op: Tool,
        arguments: Mapping[str, Any],
        *,
        paging: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx2.Request:
        """The HTTP request for `op` with these arguments (None means: not sent).

        `paging` adds query parameters by their upstream names; `url` (a next-page link the
        upstream gave) replaces the path and query; `headers` are added as given. A request
        HTTP cannot carry (a header value with a line break or non-ASCII text, a URL over
        `MAX_URL_BYTES`, text that is not Unicode) raises `UpstreamError` naming the argument.
        """
        try:
            return self._request(op, arguments, paging, url, headers)
        except UnicodeEncodeError:
            name = _unencodable_argument(arguments)
            raise UpstreamError(
                f"{op.where}: argument {name} holds text that is not valid Unicode "
                "(an unpaired surrogate): pass valid UTF-8 text"
            ) from None
        except httpx2.InvalidURL as exc:
            raise UpstreamError(f"{op.where}: the request URL is invalid: {exc}") from None
        except PathValueError as exc:
            raise UpstreamError(f"{op.where}: {exc}") from None

    def _request(
        self,
        op: Tool,
        arguments: Mapping[str, Any],
        paging: Mapping[str, Any] | None,
        url: str | None,
        extra_headers: Mapping[str, str] | None,
    ) -> httpx2.Request:
        base = self.base_for(op)
        if not urlsplit(base).scheme:
            raise UpstreamError(
                f"no upstream URL configured: set {self.env_prefix}_BASE_URL "
                f"(the spec's server is {self.spec_base_url or 'missing'!r})"
            )
        path = op.path
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {
            "Accept": "application/json, */*;q=0.5",
            "User-Agent": self.user_agent(),
        }
        cookies: list[str] = []
        body_fields: dict[str, Any] = {}
        whole_body: Any = None
        for fixed in op.upstream.fixed:
            location, api_name, value = fixed.location, fixed.api_name, fixed.value
            if location == "path":
                param = Param(name=api_name, location="path", api_name=api_name)
                value = _literal(op.path, api_name, value)
                path = path.replace("{" + api_name + "}", serialize_path(param, value))
            elif location == "query":
                query.append((api_name, scalar(value)))
            elif location == "header":
                headers[api_name] = _header(op, api_name, scalar(value), "a fixed value")
            elif location == "body":
                body_fields[api_name] = value
        nulls = _CALL_NULLS.get()
        more: dict[str, Any] = {}
        for param in op.params:
            value = arguments.get(param.arg)
            if value is None and param.name not in nulls and param.default_from:
                # A body field that repeats the path's value, left out: the path's value. (The
                # MCP tool fills it before governance; a chain's step arrives here without.)
                value = arguments.get(_arg_named(op, param.default_from))
            if value is None:
                if param.location == "body" and param.name in nulls and _json_fields(op):
                    body_fields[param.api_name] = None  # set to null, not left out: cleared
                continue
            value = as_http_date(param.schema, value)
            if param.location == "path":
                value = _literal(op.path, param.api_name, value)
                segment = serialize_path(param, value)
                whole = _whole_segment(op.path, param.api_name)
                if not segment and whole:
                    # `DELETE /items/{id}` with "" would be `DELETE /items/`: another operation.
                    raise PathValueError(
                        f"argument {param.name} is empty: the path needs a value there ({op.path})"
                    )
                if whole and segment in (".", ".."):
                    # `/items/..` is `/`, and so is `/items/%2E%2E` once a server normalises it:
                    # another operation, past what the caller was allowed. Never sent.
                    raise PathValueError(
                        f"argument {param.name} may not be {segment!r}: a path segment "
                        f"of only dots names another path ({op.path})"
                    )
                path = path.replace("{" + param.api_name + "}", segment)
            elif param.location == "query":
                query.extend(serialize_query(param, value))
            elif param.location == "header":
                text = serialize_simple(value, param.explode is True)
                headers[param.api_name] = _header(
                    op, param.api_name, text, f"argument {param.name}"
                )
            elif param.location == "cookie":
                cookies.append(f"{param.api_name}={cookie_value(value, param.explode)}")
            elif param.location == "body":
                if op.upstream.body is None or op.upstream.body.flattened:
                    if not param.api_name and isinstance(value, dict):
                        # A JSON body's other fields (`additionalProperties`): beside the named
                        # ones, never in their place.
                        more.update(value)
                        continue
                    body_fields[param.api_name] = value
                else:
                    whole_body = value
        if more:
            # Never a field that has an argument of its own, given or not: that argument is
            # the way to it, where policy rules and checks apply (`role` is not smuggled in).
            named = {p.api_name for p in op.params if p.location == "body" and p.api_name}
            body_fields |= {
                k: v for k, v in more.items() if k not in body_fields and k not in named
            }
        unfilled = [
            p.name for p in op.params if p.location == "path" and f"{{{p.api_name}}}" in path
        ]
        if unfilled and url is None:
            # A chain step whose expression came out empty: never sent with `{vm}` in its path.
            raise UpstreamError(
                f"{op.where}: the path needs {', '.join(unfilled)}, which "
                f"{'was' if len(unfilled) == 1 else 'were'} not given"
            )
        if url is None and _dot_segments(path) > _dot_segments(op.path):
            # Values that are dots together (`/files/{stem}{ext}` with "." and "."): as above.
            raise PathValueError(
                f"the path's values make a segment of only dots, which names another path "
                f"({op.path})"
            )
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        for name, value in (extra_headers or {}).items():
            if name.lower() == "cookie" and "Cookie" in headers:  # a session's, beside the call's
                value = f"{headers['Cookie']}; {value}"
            headers[name] = _header(op, name, value, "")
        in_body = op.pagination is not None and op.pagination.in_body and url is None
        in_headers = (op.pagination.header_params or ()) if op.pagination is not None else ()
        for name, value in (paging or {}).items():
            if name in in_headers:  # a continuation token sent back in a header, its size
                headers[name] = _header(op, name, scalar(value), "paging")
                continue
            if in_body:  # a read POSTed that pages in its body
                body_fields[name] = value
                continue
            query = [(k, v) for k, v in query if k != name]
            query.append((name, scalar(value)))
        if url is not None:
            # Relative next links resolve against the upstream's origin.
            url = url if urlsplit(url).scheme else origin_of(base) + url
            if len(url) > MAX_URL_BYTES:
                raise UpstreamError(
                    f"{op.where}: the upstream's next-page link is {len(url)} bytes, over the "
                    f"{MAX_URL_BYTES}-byte limit"
                )
        else:
            url = base + path
            if query:
                url += "?" + "&".join(f"{percent(k)}={percent(v)}" for k, v in query)
            if len(url) > MAX_URL_BYTES:
                raise UpstreamError(_url_too_long(op, arguments, len(url)))
        content, files, media = self._body(op, body_fields, whole_body)
        if media:
            headers["Content-Type"] = media
            declared = op.upstream.body
            if declared is not None and declared.content_type and media == declared.media_type:
                headers["Content-Type"] = declared.content_type  # with its parameters
        return httpx2.Request(
            op.method,
            url,
            headers=headers,
            content=content,
            files=files,
            extensions={"timeout": httpx2.Timeout(self.timeout()).as_dict()},
        )

    @staticmethod
    def _body(
        op: Tool, fields: dict[str, Any], whole: Any
    ) -> tuple[bytes | None, list[tuple[str, tuple[None, str]]] | None, str | None]:
        body = op.upstream.body
        if body is None or (
            not fields and whole is None and not (body.required and body.flattened)
        ):
            return None, None, None  # a required body of optional fields goes, empty
        media = body.media_type
        payload = fields if body.flattened else whole
        if media == "application/json" or media.endswith("+json"):
            return json.dumps(payload, ensure_ascii=False).encode(), None, media
        if media == "application/x-www-form-urlencoded":
            if isinstance(payload, str):  # the whole form, as the spec's string schema says
                return payload.encode(), None, media
            pairs = form_pairs(payload, _deep_fields(op))
            return (
                "&".join(f"{percent(k)}={percent(v)}" for k, v in pairs).encode(),
                None,
                media,
            )
        if media == "multipart/form-data":
            files = _form_files(op)
            form = payload if isinstance(payload, dict) else {}
            parts: list[tuple[str, Any]] = []
            labelled = body.part_types
            for k, v in form_pairs(payload, _deep_fields(op)):
                try:
                    part: tuple[Any, ...] = file_part(k, v, form) if k in files else (None, v)
                except DataUrlError as exc:
                    raise UpstreamError(f"{op.where}: argument {k} is {exc}") from None
                if k in labelled:  # the spec's `encoding`: `application/json`, `image/png`
                    part = (part[0], part[1], labelled[k])
                parts.append((k, part))
            if not parts:
                # A required form of optional fields, none given (Asana's attachment): an empty
                # form (its closing boundary alone), as JSON's is `{}`; httpx2 would send no
                # body at all, and the API could only say a body is missing.
                boundary = os.urandom(16).hex()
                return f"--{boundary}--\r\n".encode(), None, f"{media}; boundary={boundary}"
            # (None, value) parts are plain fields: httpx2 then sends multipart with a boundary.
            return None, parts, None
        if isinstance(payload, bytes):
            return payload, None, media
        if isinstance(payload, str) and _is_file_body(op):
            try:
                decoded = from_data_url(payload)
            except DataUrlError as exc:
                raise UpstreamError(f"{op.where}: the body is {exc}") from None
            if decoded is not None:  # a file's bytes, given as a data URL
                content, said, _ = decoded
                return content, None, said if media == OCTET_STREAM else media
        if body.xml is not None and not isinstance(payload, str):
            try:
                return xml_body(payload, body.xml), None, media
            except XmlBodyError as exc:
                raise UpstreamError(f"{op.where}: {exc}") from None
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        return text.encode(), None, media

    async def send(
        self,
        op: Tool,
        arguments: Mapping[str, Any],
        *,
        paging: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        """Send `op`; a non-2xx answer or a transport failure raises `UpstreamError`.

        Each attempt (connect, send, answer, whole body) gets `<NAME>_TIMEOUT` seconds, within
        the tool call's deadline (`deadline()`; without one, `<NAME>_CALL_TIMEOUT` for this send
        and its retries). Bodies over `<NAME>_MAX_RESPONSE_BYTES` are refused, unread. A request
        that cannot write twice (an idempotent method, or an `Idempotency-Key` header) is tried
        again up to `<NAME>_RETRIES` times on 408/429/500/502/503/504 or a broken connection,
        after a jittered exponential backoff or the upstream's `Retry-After`; any request is
        tried again when no connection could be made (nothing was sent).
        """
        request = self.build_request(op, arguments, paging=paging, url=url, headers=headers)
        security = op.upstream.security
        requirement = security if security is not None else self.security
        try:
            auth = choose_credentials(
                requirement, self.schemes, flows=self.flows, upstream=self.base_for(op)
            )
        except MissingCredentials as exc:
            raise UpstreamError(str(exc)) from None
        limits = self.limits()
        deadline = _CALL_DEADLINE.get() or Deadline(
            asyncio.get_running_loop().time() + limits.call_timeout,
            limits.call_timeout,
            f"{self.env_prefix}_CALL_TIMEOUT",
        )
        attempt = 0
        fetched = False  # a CSRF token asked for this send (once)
        while True:
            try:
                return await self._attempt(request, op, auth, limits, deadline, attempt)
            except _CsrfRequired:
                token = (
                    None if fetched else await self._csrf(op, request.url, auth, limits, deadline)
                )
                if token is None:
                    raise
                fetched, headers = True, {**(headers or {}), **token}
                request = self.build_request(op, arguments, paging=paging, url=url, headers=headers)
                continue
            except _RetryableFailure as failure:
                wait = failure.wait(attempt)
                if attempt >= limits.retries or wait is None or wait >= deadline.left():
                    raise failure.error(attempt) from None
            await asyncio.sleep(wait)
            attempt += 1
            # A fresh request: auth flows sign and stamp it (SigV4, tokens) as for a first send.
            request = self.build_request(op, arguments, paging=paging, url=url, headers=headers)

    async def _csrf(
        self,
        op: Tool,
        written: httpx2.URL,
        auth: httpx2.Auth | None,
        limits: Limits,
        deadline: Deadline,
    ) -> dict[str, str] | None:
        """The headers a write refused for want of a CSRF token is sent again with, asked as
        the caller (`auth`) within the call's deadline; None when none is given (`csrf`)."""
        for url, template in csrf.sources(self.base_url, written, op.path):
            left = deadline.left()
            if left <= 0:
                return None
            seconds = min(limits.timeout, left)
            timeout = httpx2.Timeout(self.timeout())
            if found := await csrf.fetch(self._client(), url, template, auth, seconds, timeout):
                return found
        return None

    async def _attempt(
        self,
        request: httpx2.Request,
        op: Tool,
        auth: httpx2.Auth | None,
        limits: Limits,
        deadline: Deadline,
        attempt: int,
    ) -> UpstreamResponse:
        """One try of `request`, bounded by the request timeout and the call's deadline."""
        where = op.where
        left = deadline.left()
        if left <= 0:
            raise UpstreamError(deadline.message(where, "not sent: no time is left of"))
        target = request.url
        with telemetry.upstream_span(op.method, op.path, target.host, target.port) as span:
            if attempt:
                span.set_attribute("http.request.resend_count", attempt)
            # W3C trace context goes upstream, so its logs join this trace.
            telemetry.inject_trace_context(request.headers)
            try:
                async with asyncio.timeout(min(limits.timeout, left)):
                    response = await self._client().send(
                        request, auth=auth or httpx2.USE_CLIENT_DEFAULT, stream=True
                    )
                    try:
                        span.set_attribute("http.response.status_code", response.status_code)
                        statuses = telemetry.upstream_statuses.get()
                        if statuses is not None:
                            statuses.append(response.status_code)
                        if response.status_code in redirects.REDIRECTS:
                            response, where = await self._followed(
                                request, response, op, auth, limits
                            )
                        resend = _resendable(request, op)
                        return await _received(
                            response,
                            where,
                            limits,
                            [*secrets_of(auth), *self._url_secrets()],
                            resend,
                            answer_xml=op.upstream.answer_xml,
                            ok_field=op.upstream.ok_field,
                            if_match=if_match_argument(op),
                        )
                    finally:
                        await response.aclose()
            except (TimeoutError, httpx2.TimeoutException):
                if limits.timeout < left:
                    raise UpstreamError(
                        f"{where}: upstream timed out after {limits.timeout:g}s "
                        f"(set {limits.prefix}_TIMEOUT to raise it)"
                    ) from None
                raise UpstreamError(
                    deadline.message(where, "upstream did not finish within")
                ) from None
            except AUTH_ERRORS as exc:
                # A login/token fetch that failed: its message is already secret-free, and the
                # redaction is a second guard.
                raise UpstreamError(redact(f"{where}: {exc}", secrets_of(auth))) from None
            except _BadHeader as exc:
                raise UpstreamError(self._bad_credential(where, exc, op)) from None
            except httpx2.HTTPError as exc:
                origin = origin_of(self.base_for(op))
                raise _transport_failure(
                    exc, where, origin, _resendable(request, op), self.env_prefix
                ) from None

    async def _followed(
        self,
        request: httpx2.Request,
        response: httpx2.Response,
        op: Tool,
        auth: httpx2.Auth | None,
        limits: Limits,
    ) -> tuple[httpx2.Response, str]:
        """The answer at the end of the upstream's redirects (`runtime/redirects.py`), or the
        redirect itself when it has no `Location` or `<NAME>_REDIRECTS` is `off`, and where it
        is from for an error's first words (the tool's method and path, and the origin when it
        is not the API's). Every answer passed over is closed; a redirect not followed raises
        `UpstreamError` saying why."""
        mode = limits.redirects
        if mode not in redirects.MODES:
            await response.aclose()
            raise UpstreamError(
                f"{op.where}: {limits.prefix}_REDIRECTS is {mode!r}; set it to one of "
                f"{', '.join(redirects.MODES)}"
            )
        hops, where = 0, op.where
        while response.status_code in redirects.REDIRECTS and mode != "off":
            location = response.headers.get("location")
            if not location:
                return response, where
            status = status_line(op.where, response.status_code, response.reason_phrase)
            await response.aclose()
            base = self.base_for(op)
            hop = redirects.next_hop(request, response.status_code, location, base)
            problem = redirects.refusal(hop, mode, base, op.upstream.redirects)
            if hops == redirects.MAX_REDIRECTS:
                problem = f"more than {redirects.MAX_REDIRECTS} times in a row, not followed"
            try:
                if problem is not None:
                    raise redirects.RedirectRefused(problem)
                if hop.within:
                    await request.aread()
                    headers = {
                        k: v
                        for k, v in request.headers.items()
                        if k.lower() not in _NOT_RESENT
                        and (hop.keeps_body or not k.lower().startswith("content-"))
                    }
                    request = httpx2.Request(
                        hop.method,
                        hop.url,
                        headers=headers,
                        content=request.content if hop.keeps_body else None,
                        extensions={
                            k: v for k, v in request.extensions.items() if k != "sni_hostname"
                        },
                    )
                    sent_auth = auth or httpx2.USE_CLIENT_DEFAULT
                else:
                    network = self._networks.get(base)
                    if network is None:
                        network = await redirects.host_network(base)
                        self._networks[base] = network
                    accept = request.headers.get("accept")
                    request = await redirects.pinned_request(
                        hop, accept, network, dict(request.extensions)
                    )
                    sent_auth = httpx2.USE_CLIENT_DEFAULT  # the client has none
                    where = f"{op.where}, redirected to {hop.origin}"
            except redirects.RedirectRefused as exc:
                raise UpstreamError(
                    f"{status}, a redirect {exc}", status=response.status_code
                ) from None
            hops += 1
            response = await self._client().send(request, auth=sent_auth, stream=True)
            statuses = telemetry.upstream_statuses.get()
            if statuses is not None:
                statuses.append(response.status_code)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if hops and response.is_success and not op.upstream.redirects and media == "text/html":
            await response.aclose()
            raise UpstreamError(
                f"{status}, a redirect this operation does not declare, to an HTML page (a "
                "sign-in page? check the upstream credentials), not an answer",
                status=response.status_code,
            )
        return response, where

    def _bad_credential(self, where: str, exc: _BadHeader, op: Tool) -> str:
        security = op.upstream.security
        requirement = security if security is not None else self.security
        names = [
            v for alt in requirement for s in alt if s in self.schemes for v in self.schemes[s].env
        ]
        check = (
            f"check {' and '.join(dict.fromkeys(names))}"
            if names
            else "check the upstream auth settings"
        )
        return (
            f"{where}: the request could not be sent: a header value for {exc.name} holds "
            f"{exc.problem}, which HTTP headers cannot carry; {check}"
        )


async def _received(
    response: httpx2.Response,
    where: str,
    limits: Limits,
    secrets: list[str],
    resend: bool,
    answer_xml: dict[str, Any] | None = None,
    ok_field: str | None = None,
    if_match: str | None = None,
) -> UpstreamResponse:
    """The answer, read within the size limit; an error status raises (`resend`: whether a
    retry-worthy one may be sent again; `answer_xml`: how an XML answer is read), and so does
    a success whose `ok_field` says false (Slack's `{"ok": false, "error": ...}`). 304 Not
    Modified is an answer (the request's `If-None-Match` named the current version); 412 and
    428 say what to do with the operation's `if_match` argument, where it has one."""
    if response.is_success or response.status_code == NOT_MODIFIED:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_response_bytes:
            raise limits.too_large(where)  # refused before a byte of the body is read
        body, cut = await _prefix(response, limits.max_response_bytes)
        if cut:
            raise limits.too_large(where)
        answer = _decoded(response, body, where, answer_xml)
        data = answer.data if answer.is_json else None
        if ok_field and isinstance(data, dict) and data.get(ok_field) is False:
            head, tail = error_message(
                where, response.status_code, response.reason_phrase, _text(response, body), secrets
            )
            raise UpstreamError(
                f"{head}, but its {ok_field} is false{tail}", status=response.status_code
            )
        return answer
    body, _ = await _prefix(response, ERROR_BODY_BYTES)
    headers = {k.lower(): v for k, v in response.headers.items()}
    text = _text(response, body)
    if not text.strip():  # a HEAD, a bare 401: the reason, if any, is in the headers
        text = header_reason(headers)
    head, tail = error_message(where, response.status_code, response.reason_phrase, text, secrets)
    if csrf.required(response):
        raise _CsrfRequired(redact(head, secrets) + tail, status=403)
    if if_match and response.status_code in _PRECONDITIONS:
        said = _PRECONDITIONS[response.status_code].format(if_match=if_match)
        raise UpstreamError(f"{redact(head, secrets)}; {said}{tail}", status=response.status_code)
    if response.status_code in RETRY_STATUSES or rate_limited(response.status_code, headers):
        raise _RetryableFailure(
            head,
            tail,
            status=response.status_code,
            retriable=resend,
            retry_after=wait_asked(headers),
        )
    raise UpstreamError(redact(head, secrets) + tail, status=response.status_code)


async def _prefix(response: httpx2.Response, limit: int) -> tuple[bytearray, bool]:
    """Up to `limit` bytes of the (decoded) body, and whether there was more (then unread)."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            del body[limit:]
            return body, True
    return body, False


def _decoded(
    response: httpx2.Response, body: bytearray, where: str, answer_xml: dict[str, Any] | None
) -> UpstreamResponse:
    """The body as data: JSON parsed; XML read as data (`xml_answer`); a file as what it is
    (`binary.BinaryAnswer`), or else left as text."""
    declared_type = response.headers.get("content-type", "")
    content_type = declared_type.split(";")[0].strip().lower()
    headers = {k.lower(): v for k, v in response.headers.items()}
    disposition = headers.get("content-disposition")
    binary = binary_answer(content_type, declared_type, body, disposition)
    if binary is not None:
        return UpstreamResponse(
            response.status_code, content_type, binary, False, headers=headers, size=len(body)
        )
    text = _text(response, body)
    declared = content_type.endswith("json")
    rest = text[len(_XSSI_GUARD) :].lstrip(", \t\r\n")
    if text.startswith(_XSSI_GUARD) and (declared or rest[:1] in ("{", "[")):
        text = rest  # Gerrit's `)]}'` line, before the JSON
    data: Any = text
    is_json = False
    if text.strip() and is_xml(content_type):
        # Malformed, declaring entities, or too deep: passed on as text.
        with contextlib.suppress(XmlAnswerError):
            data, is_json = read_answer(text, answer_xml), True
    elif text and (declared or text.lstrip()[:1] in ("{", "[")):
        parsed, problem = _parse_json(text)
        if problem is None:
            data, is_json = parsed, True
        elif declared:  # a JSON API that sent something else: not data to show as text
            status = f"{response.status_code} {response.reason_phrase}".rstrip()
            raise UpstreamError(f"{where}: upstream answered {status} with {problem}")
    return UpstreamResponse(
        response.status_code,
        content_type,
        data,
        is_json,
        headers=headers,
        size=len(body),
    )


def _text(response: httpx2.Response, body: bytearray) -> str:
    """As httpx2's `response.text`: the declared charset, else UTF-8; undecodable bytes
    replaced. A byte order mark says the encoding instead, and is no part of the text: legacy
    .NET and IIS APIs start their JSON with one, which JSON readers may ignore (RFC 8259 8.1)
    and Python's refuses ("Unexpected UTF-8 BOM")."""
    for mark, codec in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return bytes(body[len(mark) :]).decode(codec, errors="replace")
    return body.decode(response.encoding or "utf-8", errors="replace")


def _parse_json(text: str) -> tuple[Any, str | None]:
    """(data, None), or (None, what is wrong with it) for invalid or too deeply nested JSON."""
    too_deep = f"JSON nested more than {MAX_JSON_DEPTH} levels deep, which adaptgen does not read"
    try:
        data = json.loads(text)
    except RecursionError:
        return None, too_deep
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return None, f"a body that is not JSON ({exc.msg} at {where})"
    return (None, too_deep) if _deeper_than(data, MAX_JSON_DEPTH) else (data, None)


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (level by level: no recursion)."""
    level = [data] if isinstance(data, dict | list) else []
    for _ in range(limit):
        if not level:
            return False
        below: list[Any] = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            below.extend(c for c in children if isinstance(c, dict | list))
        level = below
    return bool(level)


def _transport_failure(
    exc: httpx2.HTTPError, where: str, origin: str, resend: bool, prefix: str
) -> Exception:
    """What the agent reads when no answer came; a retry-worthy failure says if it may retry.
    A TLS failure is no passing fault: never tried again, and said with the setting that
    mends it."""
    kind = type(exc).__name__
    tls = tls_cause(exc)
    if isinstance(tls, ssl.SSLCertVerificationError):
        return UpstreamError(
            f"{where}: {origin}'s TLS certificate is not trusted ({tls.verify_message}); if "
            f"your company's CA signed it, set {prefix}_CA_BUNDLE to that CA's certificate"
        )
    if tls is not None and any(r in (tls.reason or "") for r in _CLIENT_CERT_REFUSALS):
        return UpstreamError(
            f"{where}: {origin} refused the TLS handshake ({tls.reason}): it asks for a client "
            f"certificate; set {prefix}_CLIENT_CERT and {prefix}_CLIENT_KEY"
        )
    if isinstance(exc, httpx2.ConnectError):  # no connection: nothing was sent
        return _RetryableFailure(f"{where}: cannot reach {origin} ({kind})", retriable=True)
    if isinstance(exc, httpx2.ReadError | httpx2.WriteError | httpx2.RemoteProtocolError):
        return _RetryableFailure(
            f"{where}: the connection to {origin} broke mid-request ({kind})",
            retriable=resend,
        )
    if isinstance(exc, httpx2.LocalProtocolError):
        return UpstreamError(f"{where}: the request could not be sent ({kind})")
    return UpstreamError(f"{where}: cannot reach {origin} ({kind})")


# What a server that wants a client certificate answers a handshake without one (TLS 1.3's
# alert, TLS 1.2's), as OpenSSL names it.
_CLIENT_CERT_REFUSALS = ("CERTIFICATE_REQUIRED", "HANDSHAKE_FAILURE", "BAD_CERTIFICATE")


def _resendable(request: httpx2.Request, op: Tool) -> bool:
    """Whether sending `request` twice has the effect of sending it once: an idempotent
    method, unless the tool is a GET the catalog says writes (not annotated read-only: AWS's
    `GET_CreateDBSnapshot`); a tool the catalog says reads, whatever its method (AWS's POSTed
    `DescribeParameters`, a `POST .../search`); or an `Idempotency-Key` header."""
    reads = bool(op.annotations.get("readOnlyHint"))
    if request.method in READ_METHODS:
        return reads or "idempotency-key" in request.headers
    return reads or request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


def _backoff(attempt: int) -> float:
    """The most the retry after attempt `attempt` (0 = the first send) waits."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


def _body_schemas(op: Tool) -> dict[str, Mapping[str, Any]]:
    """The body's fields by upstream name, and their schemas."""
    params = [p for p in op.params if p.location == "body"]
    if op.upstream.body is not None and op.upstream.body.flattened:
        return {p.api_name: p.schema for p in params}
    properties = params[0].schema.get("properties") if params else None
    return dict(properties) if isinstance(properties, dict) else {}


def _deep_fields(op: Tool) -> frozenset[str]:
    """The form fields sent in bracket notation (`deepObject`, Stripe's)."""
    return frozenset(
        p.api_name for p in op.params if p.location == "body" and p.style == "deepObject"
    )


def _arg_named(op: Tool, name: str) -> str:
    """The generated function's argument name of `op`'s argument `name`."""
    return next((p.arg for p in op.params if p.name == name), name)


def _json_fields(op: Tool) -> bool:
    """Whether the operation's body is a JSON object whose fields are arguments."""
    body = op.upstream.body
    if body is None or not body.flattened:
        return False
    return body.media_type == "application/json" or body.media_type.endswith("+json")


def _form_files(op: Tool) -> frozenset[str]:
    """The fields of a multipart body that are files (`runtime/files.py`)."""
    return file_fields(_body_schemas(op))


def _is_file_body(op: Tool) -> bool:
    """Whether the whole body is a file's bytes (`format: binary`)."""
    params = [p for p in op.params if p.location == "body"]
    body = op.upstream.body
    return (
        body is not None
        and not body.flattened
        and len(params) == 1
        and is_file_schema(params[0].schema)
    )


def _server_value(variable: ServerVariable) -> str:
    """A server variable's value: its env var's (a Secrets Manager reference resolved), else
    its default; refused when it could change more of the URL than its own part."""
    value = os.environ.get(variable.env, "").strip()
    if value and is_aws_reference(value):
        value = resolve_secret(value)
    if not value and variable.secret:
        raise UpstreamError(
            f"the upstream URL needs a secret: set {variable.env} (the server URL's "
            f"{{{variable.name}}})"
        )
    value = value or variable.default
    if variable.enum and value not in variable.enum:
        raise UpstreamError(
            f"{variable.env} is {value!r}, not one of the server's values "
            f"({', '.join(variable.enum)}); set {variable.env} to one of them, or the whole "
            "URL in the _BASE_URL variable"
        )
    if variable.origin:
        return _origin_value(variable, value)
    bad = _SERVER_VALUE_HOST if variable.in_host else _SERVER_VALUE_PATH
    if not value or bad.search(value):
        said = "is empty" if not value else "holds a character that would change the URL"
        raise UpstreamError(f"{variable.env} {said}: set the server URL's {{{variable.name}}}")
    return value


def _origin_value(variable: ServerVariable, value: str) -> str:
    """The value of a variable that begins the server URL (Azure's `{Endpoint}`,
    `{vaultBaseUrl}`): an absolute http(s) URL, with no credentials, query or fragment in it."""
    told = f"set {variable.env} to the service's URL (https://...), the server URL's "
    told += f"{{{variable.name}}}"
    if not value:
        raise UpstreamError(f"{variable.env} is empty: {told}")
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
        or _SERVER_VALUE_PATH.search(value)
    ):
        raise UpstreamError(f"{variable.env} is not an http(s) URL with a host: {told}")
    return value.rstrip("/")


def _dot_segments(path: str) -> int:
    return sum(segment in (".", "..") for segment in path.split("?", 1)[0].split("/"))


def _whole_segment(path: str, api_name: str) -> bool:
    """Whether `{api_name}` is a whole segment of the path, so an empty value would drop it
    (`/items/{id}` is `/items/`); one inside a segment (`/files/{name}.json`, OData's
    `('{key}')`) still leaves its segment."""
    return f"{{{api_name}}}" in path.split("?", 1)[0].split("/")


def _literal(path: str, api_name: str, value: Any) -> Any:
    """A path value as the path's quotes need it: inside OData's string literal
    (`/A_BusinessPartner('{BusinessPartner}')`), a quote is written twice (`O''Brien`), or the
    server would read the literal as ended there."""
    if isinstance(value, str) and f"'{{{api_name}}}'" in path:
        return value.replace("'", "''")
    return value


def _header(op: Tool, name: str, value: str, source: str) -> str:
    """`value` if HTTP can carry it in header `name`, else an error naming where it came from.

    Non-ASCII text is refused, not encoded: RFC 9110 §5.5 keeps field values to US-ASCII (other
    octets are opaque "obs-text"), and an encoding such as RFC 8187's is a property of the
    header's own definition, which the spec does not give; a silently re-encoded value would
    reach the upstream as something the caller did not send.
    """
    problem = _header_problem(value)
    what = f"header {name} ({source})" if source else f"header {name}"
    if problem == _NON_ASCII:
        raise UpstreamError(
            f"{op.where}: {what} holds {problem}; HTTP header values are ASCII "
            "(RFC 9110 §5.5): pass an ASCII value"
        )
    if problem:
        raise UpstreamError(
            f"{op.where}: {what} holds {problem}; header values cannot carry control characters"
        )
    if len(value) > MAX_HEADER_BYTES:
        raise UpstreamError(
            f"{op.where}: {what} is {len(value)} bytes, over the {MAX_HEADER_BYTES}-byte limit"
        )
    return value


def _header_problem(value: str) -> str | None:
    """What makes `value` unfit for an HTTP header value, or None (never the value itself)."""
    control = _CONTROL.search(value)
    if control is None:
        return None if value.isascii() else _NON_ASCII
    if "\r" in value or "\n" in value:
        return "a line break (CR or LF)"
    return f"a control character (U+{ord(control.group()):04X})"


def _url_too_long(op: Tool, arguments: Mapping[str, Any], length: int) -> str:
    sizes: dict[str, int] = {}
    for param in op.params:
        value = arguments.get(param.arg)
        if value is None:
            continue
        if param.location == "path":
            sizes[param.name] = len(serialize_path(param, value))
        elif param.location == "query":
            sizes[param.name] = sum(
                len(percent(k)) + len(percent(v)) + 2 for k, v in serialize_query(param, value)
            )
    message = (
        f"{op.where}: the request URL would be {length} bytes, over the {MAX_URL_BYTES}-byte limit"
    )
    if not sizes:
        return message
    largest = max(sizes, key=sizes.__getitem__)
    return f"{message}; argument {largest} alone takes {sizes[largest]}: pass a shorter value"


def _unencodable_argument(arguments: Mapping[str, Any]) -> str:
    """The first argument whose text cannot be encoded as UTF-8 (a lone surrogate)."""
    for name, value in arguments.items():
        try:
            json.dumps(value, ensure_ascii=False, default=str).encode()
        except UnicodeEncodeError:
            return name
    return "(a fixed or paging value)"


def _env_number(name: str, default: Any, kind: type) -> Any:
    """A number from the environment; `default` when unset, unreadable or negative."""
    raw = os.environ.get(name)
    try:
        value = kind(raw) if raw else default
    except ValueError:
        return default
    return value if value >= 0 else default


def _size(count: int) -> str:
    """`10 MB`, `512 KB` or `1234 bytes` (binary units, as the limit is usually set)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"
