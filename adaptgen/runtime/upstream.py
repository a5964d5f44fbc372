"""The upstream HTTP client: turns tool arguments into one correct HTTP request.

Serialization follows OpenAPI's style/explode rules for path, query, header and cookie values.
Path values are always percent-encoded whole, so an argument like `../admin` stays inside its
own path segment. Failures come back as `UpstreamError` with a readable, secret-free message.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from adaptgen.runtime.auth import (
    AUTH_ERRORS,
    MissingCredentials,
    SchemeSpec,
    choose_credentials,
    secrets_of,
)
from adaptgen.runtime.governance import telemetry
from adaptgen.runtime.governance.state import UPSTREAM_STATUSES

DEFAULT_TIMEOUT = 30.0
ERROR_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class ParamSpec:
    """Where one tool argument goes in the request."""

    name: str
    location: str  # path | query | header | cookie | body
    api_name: str
    style: str | None = None
    explode: bool | None = None
    arg: str = ""  # the Python argument name, when it differs from the agent-facing name

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParamSpec:
        return cls(
            name=data["name"],
            arg=data.get("py_name", data["name"]),
            location=data["in"],
            api_name=data.get("api_name", ""),
            style=data.get("style"),
            explode=data.get("explode"),
        )


@dataclass(frozen=True)
class Operation:
    """One upstream operation, as the catalog describes it."""

    name: str
    method: str
    path: str
    params: tuple[ParamSpec, ...]
    body_media_type: str | None = None
    body_flattened: bool = True
    security: tuple[tuple[str, ...], ...] | None = None
    fixed: tuple[tuple[str, str, Any], ...] = ()  # (location, api name, value) always sent

    @classmethod
    def from_dict(cls, tool: Mapping[str, Any]) -> Operation:
        upstream = tool["upstream"]
        body = upstream.get("body") or {}
        security = upstream.get("security")
        return cls(
            name=tool["name"],
            method=upstream["method"],
            path=upstream["path"],
            params=tuple(ParamSpec.from_dict(p) for p in upstream.get("params", [])),
            body_media_type=body.get("media_type"),
            body_flattened=body.get("flattened", True),
            security=None if security is None else tuple(tuple(a) for a in security),
            fixed=tuple((f["in"], f["api_name"], f["value"]) for f in upstream.get("fixed", [])),
        )


class UpstreamError(Exception):
    """A failed upstream call, with a message fit to show an agent (no secrets)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UpstreamResponse:
    """What came back: status, content type and the decoded body."""

    status: int
    content_type: str
    data: Any  # parsed JSON, or text
    is_json: bool
    headers: Mapping[str, str] = field(default_factory=dict)
    size: int = 0  # bytes of the body as received


class Upstream:
    """Sends operations to the upstream API with one pooled httpx client per event loop."""

    def __init__(
        self,
        *,
        base_url: str,
        env_prefix: str,
        schemes: Mapping[str, SchemeSpec],
        security: Sequence[Sequence[str]],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # Auth flows by security scheme name ("*": every call); set by the server wiring.
        self.flows: dict[str, httpx.Auth] = {}
        self.spec_base_url = base_url
        self.env_prefix = env_prefix
        self.schemes = dict(schemes)
        self.security = tuple(tuple(a) for a in security)
        self._transport = transport
        self._clients: dict[int, httpx.AsyncClient] = {}

    @property
    def base_url(self) -> str:
        """The env override if set, else the spec's first server."""
        return (os.environ.get(f"{self.env_prefix}_BASE_URL") or self.spec_base_url).rstrip("/")

    def timeout(self) -> float:
        raw = os.environ.get(f"{self.env_prefix}_TIMEOUT")
        try:
            return float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            return DEFAULT_TIMEOUT

    def _client(self) -> httpx.AsyncClient:
        # An AsyncClient's pool belongs to the loop that opened it; tests and Lambda may
        # run several loops in one process over time.
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                transport=self._transport, follow_redirects=False, trust_env=False
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
        op: Operation,
        arguments: Mapping[str, Any],
        *,
        paging: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """The HTTP request for `op` with these arguments (None means: not sent).

        `paging` adds query parameters by their upstream names; `url` (a next-page link the
        upstream gave) replaces the path and query; `headers` are added as given.
        """
        extra_headers = headers
        base = self.base_url
        if not urlsplit(base).scheme:
            raise UpstreamError(
                f"no upstream URL configured: set {self.env_prefix}_BASE_URL "
                f"(the spec's server is {self.spec_base_url or 'missing'!r})"
            )
        path = op.path
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {"Accept": "application/json, */*;q=0.5"}
        cookies: list[str] = []
        body_fields: dict[str, Any] = {}
        whole_body: Any = None
        for location, api_name, value in op.fixed:
            if location == "path":
                param = ParamSpec(api_name, "path", api_name)
                path = path.replace("{" + api_name + "}", serialize_path(param, value))
            elif location == "query":
                query.append((api_name, _scalar(value)))
            elif location == "header":
                headers[api_name] = _scalar(value)
            elif location == "body":
                body_fields[api_name] = value
        for param in op.params:
            value = arguments.get(param.arg or param.name)
            if value is None:
                continue
            if param.location == "path":
                path = path.replace("{" + param.api_name + "}", serialize_path(param, value))
            elif param.location == "query":
                query.extend(serialize_query(param, value))
            elif param.location == "header":
                headers[param.api_name] = serialize_simple(value, param.explode is True)
            elif param.location == "cookie":
                cookies.append(f"{param.api_name}={_cookie_value(value, param.explode)}")
            elif param.location == "body":
                if op.body_flattened:
                    body_fields[param.api_name] = value
                else:
                    whole_body = value
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        headers.update(extra_headers or {})
        for name, value in (paging or {}).items():
            query = [(k, v) for k, v in query if k != name]
            query.append((name, _scalar(value)))
        if url is not None:
            # Relative next links resolve against the upstream's origin.
            url = url if urlsplit(url).scheme else _origin(base) + url
        else:
            url = base + path
            if query:
                url += "?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in query)
        content, files, media = self._body(op, body_fields, whole_body)
        if media:
            headers["Content-Type"] = media
        return httpx.Request(
            op.method,
            url,
            headers=headers,
            content=content,
            files=files,
            extensions={"timeout": httpx.Timeout(self.timeout()).as_dict()},
        )

    @staticmethod
    def _body(
        op: Operation, fields: dict[str, Any], whole: Any
    ) -> tuple[bytes | None, list[tuple[str, tuple[None, str]]] | None, str | None]:
        media = op.body_media_type
        if media is None or (not fields and whole is None):
            return None, None, None
        payload = fields if op.body_flattened else whole
        if media == "application/json" or media.endswith("+json"):
            return json.dumps(payload, ensure_ascii=False).encode(), None, media
        if media == "application/x-www-form-urlencoded":
            pairs = _form_pairs(payload)
            return "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs).encode(), None, media
        if media == "multipart/form-data":
            # (None, value) parts are plain fields: httpx then sends multipart with a boundary.
            return None, [(k, (None, v)) for k, v in _form_pairs(payload)], None
        if isinstance(payload, bytes):
            return payload, None, media
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        return text.encode(), None, media

    async def send(
        self,
        op: Operation,
        arguments: Mapping[str, Any],
        *,
        paging: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UpstreamResponse:
        """Send `op`; a non-2xx answer or a transport failure raises `UpstreamError`."""
        request = self.build_request(op, arguments, paging=paging, url=url, headers=headers)
        requirement = op.security if op.security is not None else self.security
        try:
            auth = choose_credentials(
                requirement, self.schemes, flows=self.flows, upstream=self.base_url
            )
        except MissingCredentials as exc:
            raise UpstreamError(str(exc)) from None
        where = f"{op.method} {op.path}"
        target = request.url
        try:
            with telemetry.upstream_span(op.method, op.path, target.host, target.port) as span:
                # W3C trace context goes upstream, so its logs join this trace.
                telemetry.inject_trace_context(request.headers)
                response = await self._client().send(request, auth=auth or httpx.USE_CLIENT_DEFAULT)
                span.set_attribute("http.response.status_code", response.status_code)
                statuses = UPSTREAM_STATUSES.get()
                if statuses is not None:
                    statuses.append(response.status_code)
        except AUTH_ERRORS as exc:
            # A login/token fetch that failed: its message is already secret-free, and the
            # redaction below is a second guard.
            raise UpstreamError(_redact(f"{where}: {exc}", secrets_of(auth))) from None
        except httpx.TimeoutException:
            raise UpstreamError(f"{where}: upstream timed out after {self.timeout():g}s") from None
        except httpx.HTTPError as exc:
            origin = _origin(self.base_url)
            kind = type(exc).__name__
            raise UpstreamError(
                _redact(f"{where}: cannot reach {origin} ({kind})", secrets_of(auth))
            ) from None
        return _decode(response, where, secrets_of(auth))


def _decode(response: httpx.Response, where: str, secrets: list[str]) -> UpstreamResponse:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    text = response.text
    data: Any = text
    is_json = False
    if text and (content_type.endswith("json") or text.lstrip()[:1] in ("{", "[")):
        try:
            data = json.loads(text)
            is_json = True
        except ValueError:
            pass
    if response.is_success:
        return UpstreamResponse(
            response.status_code,
            content_type,
            data,
            is_json,
            headers={k.lower(): v for k, v in response.headers.items()},
            size=len(response.content),
        )
    excerpt = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if is_json else text
    excerpt = " ".join(excerpt.split())
    if len(excerpt) > ERROR_EXCERPT_CHARS:
        excerpt = excerpt[:ERROR_EXCERPT_CHARS] + "…"
    reason = response.reason_phrase or ""
    message = f"{where}: upstream answered {response.status_code} {reason}".rstrip()
    if excerpt:
        message += f": {excerpt}"
    raise UpstreamError(_redact(message, secrets), status=response.status_code)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _origin(url: str) -> str:
    # Never show userinfo or query (either could hold a credential).
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _q(text: str) -> str:
    return quote(text, safe="")


def serialize_path(param: ParamSpec, value: Any) -> str:
    """A path value (simple, label or matrix style), percent-encoded as one segment."""
    style = param.style or "simple"
    explode = param.explode is True

    def enc(item: Any) -> str:
        encoded = _q(_scalar(item))
        # "." and ".." are dot-segments even when alone: encode them so the path can't move.
        return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded

    if isinstance(value, list):
        items = [enc(v) for v in value]
        if style == "label":
            return "." + ("." if explode else ",").join(items)
        if style == "matrix":
            name = _q(param.api_name)
            if explode:
                return "".join(f";{name}={i}" for i in items)
            return f";{name}=" + ",".join(items)
        return ",".join(items)
    if isinstance(value, dict):
        if explode:
            pairs = [f"{_q(str(k))}={enc(v)}" for k, v in value.items()]
        else:
            pairs = [f"{_q(str(k))},{enc(v)}" for k, v in value.items()]
        joined = ",".join(pairs)
        if style == "label":
            return "." + joined
        if style == "matrix":
            return ";" + (joined.replace(",", ";") if explode else f"{_q(param.api_name)}={joined}")
        return joined
    if style == "label":
        return "." + enc(value)
    if style == "matrix":
        return f";{_q(param.api_name)}={enc(value)}"
    return enc(value)


def serialize_query(param: ParamSpec, value: Any) -> list[tuple[str, str]]:
    """Query pairs for one value, by style (form, spaceDelimited, pipeDelimited, deepObject)."""
    style = param.style or "form"
    explode = param.explode if param.explode is not None else style == "form"
    name = param.api_name
    if isinstance(value, list):
        items = [_scalar(v) for v in value]
        if explode:
            return [(name, item) for item in items]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, separator.join(items))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", _scalar(v)) for k, v in value.items()]
        if explode:
            return [(str(k), _scalar(v)) for k, v in value.items()]
        return [(name, ",".join(f"{k},{_scalar(v)}" for k, v in value.items()))]
    return [(name, _scalar(value))]


def serialize_simple(value: Any, explode: bool) -> str:
    """Header values use the simple style."""
    if isinstance(value, list):
        return ",".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if explode else ","
        return ",".join(f"{k}{sep}{_scalar(v)}" for k, v in value.items())
    return _scalar(value)


def _cookie_value(value: Any, explode: bool | None) -> str:
    if isinstance(value, list):
        return ",".join(_q(_scalar(v)) for v in value)
    return _q(_scalar(value))


def _form_pairs(payload: Any) -> list[tuple[str, str]]:
    if not isinstance(payload, dict):
        return [("body", _scalar(payload))]
    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            pairs.extend((key, _scalar(v)) for v in value)
        else:
            pairs.append((key, _scalar(value)))
    return pairs
