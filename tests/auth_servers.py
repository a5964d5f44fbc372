"""Real auth servers for the auth-flow tests, served on 127.0.0.1 (see tests/test_auth_flows.py).

* `TokenServer`: an OAuth 2.0 token endpoint (client credentials, RFC 8693 token exchange), a
  JSON session login, `/revoke`, and a protected `/data` that checks whatever credential came.
  It counts every token it issues and records how each client authenticated.
* `SigV4Server`: an endpoint that *verifies* AWS Signature V4 the way AWS does: it rebuilds the
  request from what arrived on the wire and recomputes the signature with the known secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class Issued:
    kind: str  # client | exchanged | session
    expires_at: float
    subject: str | None = None
    audience: str | None = None
    scope: str | None = None


@dataclass
class TokenServer:
    """OAuth token endpoint + session login + a protected resource, with a replaceable clock."""

    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    caller_tokens: dict[str, str] = field(default_factory=dict)  # caller token -> subject
    users: dict[str, str] = field(default_factory=dict)  # username -> password
    scopes: tuple[str, ...] = ("read", "write")
    expires_in: int = 3600
    clock: Callable[[], float] = time.monotonic
    tokens: dict[str, Issued] = field(default_factory=dict)
    ever_issued: list[str] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0
    data_requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def issued(self) -> int:
        """How many tokens the token endpoint issued (client credentials + exchange)."""
        return sum(1 for r in self.token_requests if r["status"] == 200)

    @cached_property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/login", self._login, methods=["POST"]),
                Route("/revoke", self._revoke, methods=["POST"]),
                Route("/data", self._data, methods=["GET", "POST"]),
            ]
        )

    # -- token endpoint ----------------------------------------------------------------------

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        record: dict[str, Any] = {"form": {k: v for k, v in form.items() if k != "client_secret"}}
        self.token_requests.append(record)
        response = self._grant(request, form, record)
        record["status"] = response.status_code
        return response

    def _grant(self, request: Request, form: dict[str, str], record: dict[str, Any]) -> Any:
        header = request.headers.get("authorization", "")
        basic = None
        if header.startswith("Basic "):
            decoded = base64.b64decode(header[6:]).decode()
            user, _, password = decoded.partition(":")
            basic = (unquote_plus(user), unquote_plus(password))  # RFC 6749 section 2.3.1
        if basic and "client_secret" in form:
            return _oauth_error(400, "invalid_request", "More than one client authentication")
        record["client_auth"] = "basic" if basic else "body" if "client_secret" in form else None
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        record["client_id"] = client_id
        if client_id is not None and not (
            client_id in self.clients
            and hmac.compare_digest(
                (client_secret or "").encode(), self.clients[client_id].encode()
            )
        ):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if client_id is None:
                return _oauth_error(401, "invalid_client", "Client authentication required")
            scope = form.get("scope")
            if scope and not set(scope.split()) <= set(self.scopes):
                return _oauth_error(400, "invalid_scope", "Unknown scope requested")
            return self._issue(Issued("client", 0, client_id, form.get("audience"), scope))
        if grant == TOKEN_EXCHANGE:
            if form.get("subject_token_type") != ACCESS_TOKEN_TYPE:
                return _oauth_error(400, "invalid_request", "Unsupported subject_token_type")
            subject = self.caller_tokens.get(form.get("subject_token", ""))
            if subject is None:
                return _oauth_error(400, "invalid_grant", "subject_token is not valid")
            issued = Issued("exchanged", 0, subject, form.get("audience"), form.get("scope"))
            return self._issue(issued, issued_token_type=ACCESS_TOKEN_TYPE)
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")

    def _issue(self, issued: Issued, **extra: str) -> JSONResponse:
        token = self._new(issued)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        return JSONResponse({**body, **extra}, headers={"Cache-Control": "no-store"})

    def _new(self, issued: Issued) -> str:
        token = secrets.token_urlsafe(24)
        issued.expires_at = self.clock() + self.expires_in
        self.tokens[token] = issued
        self.ever_issued.append(token)
        return token

    async def _login(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        password = self.users.get(body.get("username", ""))
        if password is None or not hmac.compare_digest(
            password.encode(), str(body.get("password", "")).encode()
        ):
            return JSONResponse({"message": "bad credentials"}, status_code=401)
        self.logins += 1
        token = self._new(Issued("session", 0, body["username"]))
        return JSONResponse({"result": {"sid": token}})  # no expiry: the client's ttl applies

    async def _revoke(self, request: Request) -> JSONResponse:
        """Invalidate every token issued so far (as if the IdP rotated its keys)."""
        count = len(self.tokens)
        self.tokens.clear()
        return JSONResponse({"revoked": count})

    # -- protected resource -----------------------------------------------------------------

    async def _data(self, request: Request) -> JSONResponse:
        token, via = _presented(request)
        issued = self.tokens.get(token or "")
        entry: dict[str, Any] = {"via": via}
        self.data_requests.append(entry)
        if issued is not None and self.clock() < issued.expires_at:
            body = {"kind": issued.kind, "subject": issued.subject, "audience": issued.audience}
        elif token in self.caller_tokens and via == "bearer":
            body = {"kind": "caller", "subject": self.caller_tokens[token]}
        else:
            entry["status"] = 401
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        entry["status"] = 200
        return JSONResponse({**body, "via": via})


def _presented(request: Request) -> tuple[str | None, str | None]:
    """The credential and where it came: Bearer, `X-Session: Session <t>`, ?sid= or cookie."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header[7:], "bearer"
    session = request.headers.get("x-session", "")
    if session.startswith("Session "):
        return session[8:], "header"
    if "sid" in request.query_params:
        return request.query_params["sid"], "query"
    if "sid" in request.cookies:
        return request.cookies["sid"], "cookie"
    return None, None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="token"'} if status == 401 else {}
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


# --------------------------------------------------------------------------------------------
# SigV4
# --------------------------------------------------------------------------------------------

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
MAX_CLOCK_SKEW = 300


@dataclass
class SigV4Server:
    """Accepts a request only if its SigV4 signature verifies with a known secret key.

    `keys` maps access key id -> (secret key, session token or None); a session token must
    also arrive as X-Amz-Security-Token, as with real temporary credentials.
    """

    service: str = "execute-api"
    region: str = "eu-west-1"
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    @cached_property
    def app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])

    async def _handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        problem = self._verify(request, body)
        if problem:
            self.rejected.append(problem)
            return JSONResponse({"message": problem}, status_code=403)
        match = AUTHORIZATION.fullmatch(request.headers["authorization"])
        assert match
        seen = {
            "akid": match["akid"],
            "method": request.method,
            "path": request.url.path,
            "query": sorted(request.query_params.multi_items()),
            "body": body.decode(),
            "signed_headers": match["signed"].split(";"),
        }
        self.accepted.append(seen)
        return JSONResponse(seen)

    def _verify(self, request: Request, body: bytes) -> str | None:
        match = AUTHORIZATION.fullmatch(request.headers.get("authorization", ""))
        if not match:
            return "missing or malformed SigV4 Authorization header"
        if (match["region"], match["service"]) != (self.region, self.service):
            return "credential scope names another region or service"
        known = self.keys.get(match["akid"])
        if known is None:
            return "unknown access key"
        secret_key, session_token = known
        if session_token != request.headers.get("x-amz-security-token"):
            return "security token missing or wrong"
        signed = match["signed"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return "host and x-amz-date must be signed"
        amz_date = request.headers.get("x-amz-date", "")
        try:
            when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "bad x-amz-date"
        if abs((datetime.now(UTC) - when).total_seconds()) > MAX_CLOCK_SKEW:
            return "request time too skewed"
        if amz_date[:8] != match["date"]:
            return "credential date does not match x-amz-date"
        claimed = request.headers.get("x-amz-content-sha256")
        if claimed and claimed != hashlib.sha256(body).hexdigest():
            return "payload hash mismatch"
        # Rebuild the request as it arrived: raw path, signed headers, body; the query decoded
        # and re-encoded per RFC 3986 as AWS does (so "+" is a plus sign, never a space).
        raw_path = request.scope["raw_path"].decode("latin-1")
        query = _aws_query(request.scope["query_string"].decode("latin-1"))
        url = f"http://{request.headers['host']}{raw_path}" + (f"?{query}" if query else "")
        headers = {name: ",".join(request.headers.getlist(name)) for name in signed}
        aws = AWSRequest(method=request.method, url=url, data=body, headers=headers)
        aws.context["timestamp"] = amz_date
        credentials = Credentials(match["akid"], secret_key, session_token)
        signer = SigV4Auth(credentials, self.service, self.region)
        canonical = signer.canonical_request(aws)
        expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
        if not hmac.compare_digest(expected, match["signature"]):
            return "signature mismatch"
        return None


def _aws_query(raw: str) -> str:
    pairs = [part.partition("=") for part in raw.split("&") if part]
    return "&".join(
        f"{quote(unquote(k), safe='-_.~')}={quote(unquote(v), safe='-_.~')}" for k, _, v in pairs
    )
