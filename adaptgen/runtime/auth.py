"""Upstream credentials as `httpx2.Auth` flows: the rest of the runtime never touches secrets.

Secrets are read from env vars named in the catalog (and the build report) at call time, so a
rotated secret is picked up without a restart and no secret is ever written to disk by adaptgen.
An env var may hold a Secrets Manager reference instead of the value (`${aws-sm:ARN}` or
`${aws-sm:ARN#key}`, what `adaptgen deploy --secret` and the SAM template set on Lambda): it is
resolved at call time, off the event loop, and cached briefly.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import threading
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx2

from adaptgen.runtime.origin import origin_of, within_upstream
from adaptgen.runtime.secrets import guard_logs, is_aws_reference, register_secret_source
from adaptgen.runtime.serialize import percent

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import SecurityScheme, Tool
    from adaptgen.runtime.flows import UpstreamAuthFlow


class CredentialError(Exception):
    """An auth flow could not get credentials (login refused, token endpoint down, ...).

    Messages never carry a secret: they name what failed and the upstream's error code.
    """


class MissingCredentials(Exception):
    """No alternative of a security requirement has all its env vars set."""

    def __init__(self, needed: list[list[str]]) -> None:
        # Each variable once (two schemes of one requirement may read the same one: Slack's
        # token as a header and as a query parameter), and each alternative once.
        alternatives = dict.fromkeys(" and ".join(dict.fromkeys(group)) for group in needed)
        choices = " or ".join(alternatives)
        super().__init__(
            f"missing upstream credentials: set {choices} in the server's environment (a "
            "client that starts it over stdio passes only the variables it is given, e.g. "
            "the MCP Inspector's `-e NAME=value`)"
        )


class StaticCredentials(httpx2.Auth):
    """Applies one alternative of a security requirement: API keys, bearer tokens, basic auth."""

    def __init__(self, schemes: Sequence[SecurityScheme], env: Mapping[str, str]) -> None:
        self._schemes = list(schemes)
        self._names = [name for scheme in self._schemes for name in scheme.env]
        self._env = env
        # A credential sent in the form body: the body is read before the flow runs.
        self.requires_request_body = any(s.location == "form" for s in self._schemes)
        # httpx logs each request's URL, an API key in the query with it: the log guard
        # redacts these values while this auth lives (a Secrets Manager value: its resolver's).
        guard_logs()
        register_secret_source(self._plain_secrets)

    def _plain_secrets(self) -> list[str]:
        """The secret env values this auth sends as they are (not Secrets Manager references;
        a basic scheme's password, not its user name)."""
        names = [
            name
            for scheme in self._schemes
            for name in (scheme.env[1:] if scheme.kind in _PUBLIC_FIRST else scheme.env)
        ]
        values = [self._env.get(name, "") for name in names]
        values += self._tokens({name: self._env.get(name, "") for name in names})
        return [value for value in values if value and not is_aws_reference(value)]

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        if self.requires_request_body:
            request.read()
        values = self._values()
        for scheme in self._schemes:
            _apply(scheme, request, values)
        yield request

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        if any(is_aws_reference(self._env.get(name, "")) for name in self._names):
            values = await asyncio.to_thread(self._values)  # Secrets Manager: a blocking call
        else:
            values = self._values()
        if self.requires_request_body:
            await request.aread()
        for scheme in self._schemes:
            _apply(scheme, request, values)
        yield request

    def secrets(self) -> list[str]:
        """The secret values this auth sends (for redaction from messages)."""
        values = self._values()
        return [value for value in [*values.values(), *self._tokens(values)] if value]

    def _tokens(self, values: Mapping[str, str]) -> list[str]:
        """The token of a bearer value that names its own scheme (`Zoho-oauthtoken 1000.x`):
        an upstream's error may quote the token without the scheme."""
        bearers = {s.env[0] for s in self._schemes if s.kind == "bearer"}
        return [v.split()[-1] for n, v in values.items() if n in bearers and len(v.split()) > 1]

    def _values(self) -> dict[str, str]:
        values = {name: self._env.get(name, "") for name in self._names}
        for name, value in values.items():
            if is_aws_reference(value):
                values[name] = _env_secrets().resolve(value)
        return values


_RESOLVER_LOCK = threading.Lock()
_resolver: Any = None


def _env_secrets() -> Any:
    """One resolver (and cache) for every env var that holds a Secrets Manager reference."""
    global _resolver
    with _RESOLVER_LOCK:
        if _resolver is None:
            from adaptgen.runtime.secrets import SecretResolver

            _resolver = SecretResolver()
        return _resolver


def resolve_secret(ref: str) -> str:
    """The value a `${aws-sm:...}` env reference names (fetched once, then cached)."""
    return str(_env_secrets().resolve(ref))


# Schemes whose first env var is no secret: basic's user name, mutual TLS's certificate.
_PUBLIC_FIRST = ("basic", "mutual_tls")


def _apply(scheme: SecurityScheme, request: httpx2.Request, env: Mapping[str, str]) -> None:
    """A scheme's credential on the request (mutual TLS's is the connection's: `runtime.tls`)."""
    if scheme.kind == "bearer":
        token = env[scheme.env[0]].strip()
        # A token has no space (RFC 6750's b64token): a value with one is the whole header,
        # for an API that names its scheme otherwise (`Zoho-oauthtoken 1000.x`, Django REST
        # Framework's `Token abc`, Okta's `SSWS abc`).
        said = scheme.auth_scheme or "Bearer"  # an API's own scheme: `SharedAccessKey <key>`
        request.headers["Authorization"] = token if " " in token else f"{said} {token}"
    elif scheme.kind == "basic":
        user, password = env[scheme.env[0]], env[scheme.env[1]]
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
    elif scheme.kind == "api_key":
        value = env[scheme.env[0]]
        if scheme.location == "header":
            request.headers[scheme.param_name or ""] = value
        elif scheme.location == "query":
            # Set, not added: two schemes of one requirement may name the same parameter
            # (FEC requires `ApiKeyQueryAuth` and `apiKey`, both `?api_key=`): one value goes.
            request.url = request.url.copy_set_param(scheme.param_name or "", value)
        elif scheme.location == "cookie":
            cookie = f"{scheme.param_name}={value}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        elif scheme.location == "form":
            _add_form_field(request, scheme.param_name or "", value)


def _add_form_field(request: httpx2.Request, name: str, value: str) -> None:
    """`name=value` added to the request's form, first: Slack's `token`, which its spec
    requires in the form body of 11 writes (the other fields are as the runtime wrote them)."""
    kind = request.headers.get("Content-Type", "")
    content = request.content  # read: an auth with a form scheme reads the body first
    boundary = re.search(r'boundary="?([^";]+)"?', kind) if kind.startswith("multipart/") else None
    if boundary is not None:
        field = f'--{boundary[1]}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        content = field.encode() + value.encode() + b"\r\n" + content
    else:
        pair = f"{percent(name)}={percent(value)}".encode()
        content = pair + (b"&" + content if content else b"")
        request.headers["Content-Type"] = kind or "application/x-www-form-urlencoded"
    request.stream = httpx2.ByteStream(content)
    request._content = content
    request.headers["Content-Length"] = str(len(content))


def choose_credentials(
    requirement: Sequence[Sequence[str]],
    schemes: Mapping[str, SecurityScheme],
    env: Mapping[str, str] | None = None,
    flows: Mapping[str, httpx2.Auth] | None = None,
    upstream: str | None = None,
) -> httpx2.Auth | None:
    """Credentials for the first alternative that can be satisfied.

    A scheme is satisfied by a configured flow (login, OAuth2, SigV4, pass-through: they fetch
    what they need themselves) or by its static env vars. A flow for "*" applies to every call,
    on top of what the requirement picks. None when nothing is needed. Raises
    `MissingCredentials` naming the env vars to set when auth is needed but absent.
    With `upstream` (the base URL), the credentials go only to requests under it.
    """
    chosen = _choose(requirement, schemes, os.environ if env is None else env, flows or {})
    if chosen is None or upstream is None:
        return chosen
    return UpstreamOnly(chosen, upstream)


def _choose(
    requirement: Sequence[Sequence[str]],
    schemes: Mapping[str, SecurityScheme],
    env: Mapping[str, str],
    flows: Mapping[str, httpx2.Auth],
) -> httpx2.Auth | None:
    everywhere = flows.get("*")
    chosen: httpx2.Auth | None = None
    if requirement:
        requirement = _one_per_header(requirement, schemes)
        for alternative in requirement:
            picked = [schemes[name] for name in alternative if name in schemes]
            if not picked:
                continue
            static = [s for s in picked if s.name not in flows]
            if all(_given(scheme, env) for scheme in static):
                parts: list[httpx2.Auth] = []
                if static:
                    parts.append(StaticCredentials(static, env))
                parts.extend(flows[s.name] for s in picked if s.name in flows)
                chosen = parts[0] if len(parts) == 1 else CombinedAuth(parts)
                break
        else:
            if not any(len(alternative) == 0 for alternative in requirement) and everywhere is None:
                raise MissingCredentials(
                    [[var for name in alt for var in schemes[name].env] for alt in requirement]
                )
    if everywhere is not None:
        return everywhere if chosen is None else CombinedAuth([chosen, everywhere])
    return chosen


def _one_per_header(
    requirement: Sequence[Sequence[str]], schemes: Mapping[str, SecurityScheme]
) -> list[Sequence[str]]:
    """The requirement's alternatives, each one that names several schemes writing the
    `Authorization` header (Azure Container Registry's `{registry_auth, registry_oauth2}`:
    HTTP basic and an API key in `Authorization`) made one alternative per such scheme, in
    order: a request carries one `Authorization`, so an upstream can only ever have asked for
    one of them, and an operator who sets either is served. Other alternatives as they are."""
    out: list[Sequence[str]] = []
    for alternative in requirement:
        writers = [n for n in alternative if n in schemes and _writes_authorization(schemes[n])]
        if len(writers) < 2:
            out.append(alternative)
            continue
        for kept in writers:
            out.append([n for n in alternative if n == kept or n not in writers])
    return out


def _writes_authorization(scheme: SecurityScheme) -> bool:
    if scheme.kind in ("basic", "bearer"):
        return True
    return (
        scheme.kind == "api_key"
        and scheme.location == "header"
        and (scheme.param_name or "").lower() == "authorization"
    )


def _given(scheme: SecurityScheme, env: Mapping[str, str]) -> bool:
    """Whether a static scheme's env vars are set: each with a value, but a basic scheme's
    password, which may be set empty (Chargebee's and Recurly's API key is the user name,
    with no password)."""
    if scheme.kind == "basic":
        user, password = scheme.env
        return bool(env.get(user)) and password in env
    return all(env.get(var) for var in scheme.env)


class CombinedAuth(httpx2.Auth):
    """Several auth flows on one request, in order (e.g. an API key plus a session token)."""

    def __init__(self, parts: Sequence[httpx2.Auth]) -> None:
        self.parts = list(parts)
        self.requires_request_body = any(p.requires_request_body for p in self.parts)
        self.requires_response_body = any(p.requires_response_body for p in self.parts)

    def admit(self, request: httpx2.Request) -> None:
        """Raise `CredentialError` if `request` must not carry these credentials."""

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        self.admit(request)
        # Each part may send requests of its own first (a login, a token fetch): those go out
        # as they come; a part is done preparing when it hands back the real request. Only the
        # last part sees the real response (and may retry once on a 401).
        for part in self.parts[:-1]:
            flow = part.async_auth_flow(request)
            outgoing = await flow.__anext__()
            while outgoing is not request:
                response = yield outgoing
                outgoing = await flow.asend(response)
            await flow.aclose()
        flow = self.parts[-1].async_auth_flow(request)
        outgoing = await flow.__anext__()
        while True:
            response = yield outgoing
            try:
                outgoing = await flow.asend(response)
            except StopAsyncIteration:
                return

    def secrets(self) -> list[str]:
        return [s for p in self.parts for s in _secrets_of(p)]


class UpstreamOnly(CombinedAuth):
    """Credentials that are attached only to requests for the configured upstream.

    Whatever asks for a request (a next-page link, a cursor, a chain step), the credentials of
    `inner` never leave for another origin or a path outside the upstream's base path: such a
    request fails before anything is sent. Requests a flow makes itself (a login, a token fetch
    from the configured token URL) are the flow's own and pass as they are.
    """

    def __init__(self, inner: httpx2.Auth, base_url: str) -> None:
        super().__init__([inner])
        self.base_url = base_url

    def admit(self, request: httpx2.Request) -> None:
        if not within_upstream(str(request.url), self.base_url):
            raise CredentialError(
                f"refused to send the upstream's credentials to {origin_of(str(request.url))}: "
                f"only requests under the configured upstream {origin_of(self.base_url)} get them"
            )


def build_flows(
    entries: Sequence[UpstreamAuthFlow], upstream: Any, operations: Mapping[str, Tool]
) -> dict[str, httpx2.Auth]:
    """The catalog's auth flows as httpx2.Auth objects, by security scheme name ("*": all).

    Flows are long-lived: they cache tokens across calls (and warm Lambda invocations).
    """
    if not entries:
        return {}
    from adaptgen.runtime.flows import FlowRuntime
    from adaptgen.runtime.secrets import SecretResolver

    runtime = FlowRuntime(upstream, operations, SecretResolver())
    return {entry.scheme: entry.build(runtime) for entry in entries}


def _auth_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [CredentialError]
    try:  # the flows module brings botocore only when a flow needs it
        from adaptgen.runtime.flows import AuthError
        from adaptgen.runtime.secrets import SecretError

        errors += [AuthError, SecretError]
    except ImportError:  # pragma: no cover - flows are part of the runtime
        pass
    return tuple(errors)


def secrets_of(auth: httpx2.Auth | None) -> list[str]:
    """Secret values an auth flow holds (for redaction)."""
    return [] if auth is None else _secrets_of(auth)


def _secrets_of(auth: httpx2.Auth) -> list[str]:
    getter = getattr(auth, "secrets", None)
    return list(getter()) if callable(getter) else []


AUTH_ERRORS = _auth_errors()
