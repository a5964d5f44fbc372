"""Upstream auth flows (adaptgen.runtime.flows) against real servers on 127.0.0.1.

Session login runs against the sandbox CRM; OAuth2, token exchange and pass-through against
`auth_servers.TokenServer`; SigV4 against `auth_servers.SigV4Server`, which verifies every
signature itself. AWS STS and Secrets Manager are moto's in-process fakes. Every test runs under
the `leaks` fixture: all loggers at DEBUG, and no secret may show up in a log record, an
exception message or a flow's repr().
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import httpx2
import pytest
from auth_servers import ACCESS_TOKEN_TYPE, SigV4Server, TokenServer
from conftest import result_data

from adaptgen.runtime.flows import (
    AuthError,
    OAuth2ClientCredentialsAuth,
    PassThroughAuth,
    SessionLoginAuth,
    SigV4Auth,
    redact,
    session_name,
    tag_value,
)
from adaptgen.runtime.identity import Caller, acting_as, caller, current_caller
from adaptgen.runtime.secrets import SecretError, SecretResolver
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running
from adaptgen.sandbox.server import serve_app

moto = pytest.importorskip("moto", reason="moto[sts,secretsmanager] is a dev dependency")

CLIENT_ID = "adaptgen-runtime"
CLIENT_SECRET = "cl!ent s3cret/+&=é-value"  # characters that must be form-encoded for Basic
USER_PASSWORD = "user-pa55word-value"
ALICE_TOKEN = "caller-token-alice-0001"
BOB_TOKEN = "caller-token-bob-0002"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-1"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def client(flow: httpx2.Auth, **kwargs: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(auth=flow, trust_env=False, timeout=10, **kwargs)


# --------------------------------------------------------------------------------------------
# The leak check every test runs under
# --------------------------------------------------------------------------------------------


class Leaks:
    """Collects the secrets of a test; at teardown none may appear in logs, errors or reprs."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.values: list[str] = []
        self.sources: list[Callable[[], Iterable[str | None]]] = []
        self.objects: list[object] = []
        self.errors: list[BaseException] = []
        self.http = True  # the test makes HTTP calls, so httpx2/httpcore2 records must exist
        self._skipped: list[tuple[int, int]] = []

    def watch(self, *values: str) -> None:
        self.values.extend(values)

    def watch_source(self, source: Callable[[], Iterable[str | None]]) -> None:
        """Secrets only known later (tokens a server issued), read at teardown."""
        self.sources.append(source)

    def watch_repr(self, *objects: object) -> None:
        self.objects.extend(objects)

    def error(self, info: pytest.ExceptionInfo[BaseException]) -> str:
        self.errors.append(info.value)
        return str(info.value)

    @contextmanager
    def setup(self) -> Iterator[None]:
        """Test scaffolding (creating a secret in moto) whose own logs are not under test."""
        start = len(self.caplog.records)
        yield
        self._skipped.append((start, len(self.caplog.records)))

    def check(self) -> None:
        secrets = {v for v in self.values if v}
        for source in self.sources:
            secrets.update(v for v in source() if v)
        secrets = {s for s in secrets if len(s) >= 4}
        assert secrets, "the test watched no secret"
        records = self.caplog.get_records("setup") + self.caplog.get_records("call")
        offset = len(self.caplog.get_records("setup"))
        skipped = {offset + i for start, end in self._skipped for i in range(start, end)}
        if self.http:
            assert any(r.name.startswith(("httpx2", "httpcore2")) for r in records), "no logs?"
        for index, record in enumerate(records):
            if index in skipped:
                continue
            text = record.getMessage()
            if record.exc_info:
                text += "".join(traceback.format_exception(*record.exc_info))
            for secret in secrets:
                assert secret not in text, f"{record.name} logged: {redact(text, secrets)[:300]}"
        for error in self.errors:
            for secret in secrets:
                assert secret not in str(error) and secret not in repr(error)
        for obj in self.objects:
            for secret in secrets:
                assert secret not in repr(obj), f"repr({type(obj).__name__}) shows a secret"


@pytest.fixture
def leaks(caplog: pytest.LogCaptureFixture) -> Iterator[Leaks]:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx2", "httpcore2", "botocore", "boto3", "urllib3", "adaptgen"):
        caplog.set_level(logging.DEBUG, logger=name)
    check = Leaks(caplog)
    yield check
    check.check()


# --------------------------------------------------------------------------------------------
# Fixtures: servers
# --------------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    """A clock shared by a server and a flow, so expiry is tested without sleeping."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class IdP:
    url: str
    server: TokenServer
    clock: FakeClock

    def revoke(self) -> None:
        httpx2.post(f"{self.url}/revoke", trust_env=False).raise_for_status()


@pytest.fixture
def idp(leaks: Leaks) -> Iterator[IdP]:
    clock = FakeClock()
    server = TokenServer(
        clients={CLIENT_ID: CLIENT_SECRET},
        caller_tokens={ALICE_TOKEN: "alice", BOB_TOKEN: "bob"},
        users={"agent": USER_PASSWORD},
        clock=clock,
    )
    leaks.watch(CLIENT_SECRET, USER_PASSWORD, ALICE_TOKEN, BOB_TOKEN)
    leaks.watch_source(lambda: server.ever_issued)
    with serve_app(server.app) as url:
        yield IdP(url, server, clock)


def watch_crm(leaks: Leaks, crm: Any) -> None:
    leaks.watch(SANDBOX_PASSWORD)
    leaks.watch_source(lambda: [r["headers"].get("x-session-token") for r in crm.request_log])


@pytest.fixture
def crm(leaks: Leaks) -> Iterator[Any]:
    with running(require_session=True) as sandbox:
        watch_crm(leaks, sandbox)
        yield sandbox


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto.mock_aws():
        yield


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


def test_env_references_resolve_render_and_fail_by_name(leaks: Leaks) -> None:
    leaks.http = False
    env = {"CRM_USER": "agent", "CRM_PASSWORD": "pw-from-env-1234"}
    leaks.watch("pw-from-env-1234")
    secrets = SecretResolver(env=env)
    assert secrets.resolve("plain value") == "plain value"
    assert secrets.resolve("${env:CRM_PASSWORD}") == "pw-from-env-1234"
    assert secrets.resolve("Basic ${env:CRM_USER}:${env:CRM_PASSWORD}") == (
        "Basic agent:pw-from-env-1234"
    )
    template: dict[str, Any] = {
        "auth": {"user": "${env:CRM_USER}", "pw": "${env:CRM_PASSWORD}"},
        "n": [1, "x"],
    }
    rendered = secrets.render(template)
    assert rendered == {"auth": {"user": "agent", "pw": "pw-from-env-1234"}, "n": [1, "x"]}
    assert template["auth"]["pw"] == "${env:CRM_PASSWORD}"  # a copy: the template is untouched
    env["CRM_PASSWORD"] = "rotated-pw-5678"  # env refs are read at each call
    leaks.watch("rotated-pw-5678")
    assert secrets.resolve("${env:CRM_PASSWORD}") == "rotated-pw-5678"
    assert set(secrets.known_secrets()) == {"agent", "pw-from-env-1234", "rotated-pw-5678"}
    with pytest.raises(SecretError) as missing:
        secrets.resolve("${env:NOT_SET}")
    assert leaks.error(missing) == "missing secret: set NOT_SET"
    with pytest.raises(SecretError, match="unknown secret reference"):
        secrets.resolve("${vault:x}")
    leaks.watch_repr(secrets)


def test_aws_secrets_manager_references_are_cached(aws: None, leaks: Leaks) -> None:
    leaks.http = False
    sm = boto3.client("secretsmanager", region_name=REGION)
    document = {"username": "svc", "password": "json-pa55word", "port": 5432}
    with leaks.setup():
        sm.create_secret(Name="crm/api-key", SecretString="plain-secret-value")
        sm.create_secret(Name="crm/creds", SecretString=json.dumps(document))
    leaks.watch("plain-secret-value", "json-pa55word", json.dumps(document))
    fetched: list[str] = []
    sm.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: fetched.append(params["SecretId"]),
    )
    clock = FakeClock()
    secrets = SecretResolver(secretsmanager_client=sm, ttl=300, clock=clock)
    for _ in range(10):
        assert secrets.resolve("${aws-sm:crm/api-key}") == "plain-secret-value"
        assert secrets.resolve("${aws-sm:crm/creds#password}") == "json-pa55word"
        assert secrets.resolve("${aws-sm:crm/creds#port}") == "5432"
    with ThreadPoolExecutor(8) as pool:  # concurrent resolutions share the cached value
        values = list(pool.map(secrets.resolve, ["${aws-sm:crm/creds#username}"] * 16))
    assert values == ["svc"] * 16
    assert secrets.render({"u": "${aws-sm:crm/creds#username}"}) == {"u": "svc"}
    assert fetched == ["crm/api-key", "crm/creds"]  # one GetSecretValue per secret id

    clock.advance(301)  # the ttl is over: read again, once
    assert secrets.resolve("${aws-sm:crm/creds#password}") == "json-pa55word"
    assert fetched == ["crm/api-key", "crm/creds", "crm/creds"]

    with pytest.raises(SecretError) as missing:
        secrets.resolve("${aws-sm:crm/nope}")
    assert leaks.error(missing) == "cannot read AWS secret 'crm/nope': ResourceNotFoundException"
    with pytest.raises(SecretError) as no_key:
        secrets.resolve("${aws-sm:crm/creds#token}")
    assert leaks.error(no_key) == "AWS secret 'crm/creds' has no key 'token'"
    with pytest.raises(SecretError) as not_json:
        secrets.resolve("${aws-sm:crm/api-key#password}")
    assert "is not JSON" in leaks.error(not_json)

    # Without an injected client, boto3's own region and credential chain are used.
    assert SecretResolver().resolve("${aws-sm:crm/api-key}") == "plain-secret-value"
    leaks.watch_repr(secrets)


# --------------------------------------------------------------------------------------------
# 1. Session login (sandbox CRM)
# --------------------------------------------------------------------------------------------


def crm_session(crm: Any, password: str = SANDBOX_PASSWORD, **kwargs: Any) -> SessionLoginAuth:
    """The flow as the planner will build it: a login closure rendering the spec's body."""
    secrets = SecretResolver(env={"CRM_USER": SANDBOX_USERNAME, "CRM_PASSWORD": password})

    def login() -> httpx2.Request:
        body = secrets.render({"username": "${env:CRM_USER}", "password": "${env:CRM_PASSWORD}"})
        return httpx2.Request("POST", f"{crm.url}/auth/login", json=body)

    return SessionLoginAuth(
        login,
        "$.session.token",
        {"in": "header", "name": "X-Session-Token", "format": "{token}"},
        expires_path="$.session.expires_in",
        ttl=600,
        secrets=secrets,
        **kwargs,
    )


def logins(crm: Any) -> list[dict[str, Any]]:
    return [r for r in crm.request_log if r["path"].endswith("/auth/login")]


def api_calls(crm: Any) -> list[dict[str, Any]]:
    return [r for r in crm.request_log if not r["path"].endswith("/auth/login")]


def test_session_login_happens_once_for_many_calls(crm: Any, leaks: Leaks) -> None:
    flow, fresh = crm_session(crm), crm_session(crm)
    leaks.watch_repr(flow, fresh)

    async def calls() -> list[httpx2.Response]:
        async with client(flow) as http, client(fresh) as other:
            one_by_one = [await http.get(f"{crm.url}/contacts?per_page=1") for _ in range(10)]
            assert len(logins(crm)) == 1
            # A fresh flow hit by 10 concurrent calls before it has any token: one login.
            together = await asyncio.gather(
                *(other.get(f"{crm.url}/contacts?per_page=1") for _ in range(10))
            )
            return one_by_one + list(together)

    responses = run(calls())
    assert [r.status_code for r in responses] == [200] * 20
    assert len(logins(crm)) == 2  # one per flow instance, however its calls arrive
    tokens = {r["headers"]["x-session-token"] for r in api_calls(crm)}
    assert len(tokens) == 2 and all(r["status"] == 200 for r in crm.request_log)


def test_session_expiry_means_exactly_one_new_login(leaks: Leaks) -> None:
    clock = FakeClock()
    with running(require_session=True, session_ttl=120) as crm:
        watch_crm(leaks, crm)
        crm.app.state.sessions.clock = clock  # the sandbox and the flow share one clock
        flow = crm_session(crm, clock=clock)

        async def calls() -> None:
            async with client(flow) as http:
                for _ in range(3):
                    assert (await http.get(f"{crm.url}/contacts?per_page=1")).status_code == 200
                clock.advance(89)  # expires_in 120 - 30 s skew = 90: still in use
                assert (await http.get(f"{crm.url}/contacts?per_page=1")).status_code == 200
                assert len(logins(crm)) == 1
                clock.advance(2)  # now past 90: renewed before the upstream would say 401
                answers = await asyncio.gather(
                    *(http.get(f"{crm.url}/contacts?per_page=1") for _ in range(5))
                )
                assert [r.status_code for r in answers] == [200] * 5

        run(calls())
        assert len(logins(crm)) == 2
        assert all(r["status"] == 200 for r in crm.request_log)  # no 401 was ever needed


def test_revoked_session_gets_401_then_one_login_and_a_retry(crm: Any, leaks: Leaks) -> None:
    flow = crm_session(crm)
    sessions = crm.app.state.sessions

    def revoke_current() -> None:
        sessions.revoke(api_calls(crm)[-1]["headers"]["x-session-token"])

    async def calls() -> None:
        async with client(flow) as http:
            listing = await http.get(f"{crm.url}/contacts?per_page=1")
            contact_id = listing.json()["data"][0]["id"]
            revoke_current()  # the server forgets the session
            answer = await http.post(
                f"{crm.url}/activities",
                json={"type": "call", "subject": "retried with its body", "contact_id": contact_id},
            )
            assert answer.status_code == 201, answer.text
            revoke_current()
            answers = await asyncio.gather(
                *(http.get(f"{crm.url}/contacts?per_page=1") for _ in range(10))
            )
            assert [r.status_code for r in answers] == [200] * 10

    run(calls())
    log = list(crm.request_log)
    # call, (revoked) 401, login, retried POST with the same body, 200 ...
    assert [r["status"] for r in log[:5]] == [200, 200, 401, 200, 201]
    assert log[2]["method"] == log[4]["method"] == "POST" and log[2]["body"] == log[4]["body"]
    assert len(logins(crm)) == 3  # first login + one per revocation, even with 10 concurrent
    leaks.watch_repr(flow)


def test_wrong_password_is_an_auth_error_without_the_password(crm: Any, leaks: Leaks) -> None:
    wrong = "not-the-sandbox-password"
    leaks.watch(wrong)
    flow = crm_session(crm, password=wrong)

    async def call() -> None:
        async with client(flow) as http:
            await http.get(f"{crm.url}/contacts")

    with pytest.raises(AuthError) as failed:
        run(call())
    message = leaks.error(failed)
    assert message.startswith("login failed: upstream answered 401 Unauthorized")
    assert "Invalid username or password" in message and wrong not in message
    assert len(api_calls(crm)) == 0  # the real request was never sent
    leaks.watch_repr(flow)


def token_server_session(idp: IdP, apply: dict[str, str]) -> SessionLoginAuth:
    secrets = SecretResolver(env={"USER_PASSWORD": USER_PASSWORD})

    def login() -> httpx2.Request:
        body = secrets.render({"username": "agent", "password": "${env:USER_PASSWORD}"})
        return httpx2.Request("POST", f"{idp.url}/login", json=body)

    return SessionLoginAuth(login, "$.result.sid", apply, ttl=60, secrets=secrets, clock=idp.clock)


@pytest.mark.parametrize(
    ("apply", "via"),
    [
        ({"in": "header", "name": "X-Session", "format": "Session {token}"}, "header"),
        ({"in": "query", "name": "sid"}, "query"),
        ({"in": "cookie", "name": "sid"}, "cookie"),
    ],
)
def test_session_token_goes_where_apply_says(
    idp: IdP, leaks: Leaks, caplog: pytest.LogCaptureFixture, apply: dict[str, str], via: str
) -> None:
    flow = token_server_session(idp, apply)

    async def calls() -> list[httpx2.Response]:
        async with client(flow) as http:
            answers = [await http.get(f"{idp.url}/data?page=2") for _ in range(3)]
            idp.clock.advance(61)  # no expiry in the login response: ttl=60 applies
            answers.append(await http.get(f"{idp.url}/data?page=2"))
            return answers

    answers = run(calls())
    assert [a.json() for a in answers] == [
        {"kind": "session", "subject": "agent", "audience": None, "via": via}
    ] * 4
    assert idp.server.logins == 2
    if via == "query":
        # httpx2 logs request URLs at INFO; the log guard masks the token in them.
        lines = [r.getMessage() for r in caplog.records if r.name == "httpx2"]
        assert any("/data?page=2&sid=***" in line for line in lines), lines
    leaks.watch_repr(flow)


def test_a_second_401_is_returned_as_is(idp: IdP, leaks: Leaks) -> None:
    # The token goes in a header the server ignores, so every call is refused.
    flow = token_server_session(idp, {"in": "header", "name": "X-Ignored"})

    async def call() -> httpx2.Response:
        async with client(flow) as http:
            return await http.get(f"{idp.url}/data")

    assert run(call()).status_code == 401
    assert idp.server.logins == 2  # the login, and exactly one more after the first 401
    assert [r["status"] for r in idp.server.data_requests] == [401, 401]


# --------------------------------------------------------------------------------------------
# 2. OAuth2 client credentials
# --------------------------------------------------------------------------------------------


def client_credentials(
    idp: IdP, method: str = "basic", secret_ref: str = "${env:CLIENT_SECRET}", **kwargs: Any
) -> OAuth2ClientCredentialsAuth:
    secrets = SecretResolver(env={"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET})
    options: dict[str, Any] = {"scopes": ["read"], "audience": "https://crm.internal"}
    options.update(kwargs)
    return OAuth2ClientCredentialsAuth(
        f"{idp.url}/token",
        "${env:CLIENT_ID}",
        secret_ref,
        auth_method=method,  # type: ignore[arg-type]
        secrets=secrets,
        clock=idp.clock,
        **options,
    )


async def get_data(flow: httpx2.Auth, idp: IdP, times: int = 1, together: bool = False) -> list:
    async with client(flow) as http:
        if together:
            answers = await asyncio.gather(*(http.get(f"{idp.url}/data") for _ in range(times)))
        else:
            answers = [await http.get(f"{idp.url}/data") for _ in range(times)]
    assert [a.status_code for a in answers] == [200] * times, [a.text for a in answers]
    return [a.json() for a in answers]


def test_client_credentials_fetches_one_token_for_many_calls(idp: IdP, leaks: Leaks) -> None:
    flow, fresh = client_credentials(idp), client_credentials(idp)
    leaks.watch_repr(flow, fresh)
    assert run(get_data(flow, idp, 10))[0] == {
        "kind": "client",
        "subject": CLIENT_ID,
        "audience": "https://crm.internal",
        "via": "bearer",
    }
    run(get_data(fresh, idp, 10, together=True))
    assert idp.server.issued == 2  # one per flow instance, concurrent or not
    form = idp.server.token_requests[0]["form"]
    assert form == {
        "grant_type": "client_credentials",
        "scope": "read",
        "audience": "https://crm.internal",
    }


def test_client_credentials_refreshes_before_expiry(idp: IdP, leaks: Leaks) -> None:
    idp.server.expires_in = 120
    flow = client_credentials(idp)

    async def calls() -> None:
        await get_data(flow, idp)
        idp.clock.advance(59)  # 61 s left: keep using it
        await get_data(flow, idp)
        assert idp.server.issued == 1
        idp.clock.advance(2)  # 59 s left: renew before the call, no 401 needed
        await get_data(flow, idp, 5, together=True)
        assert idp.server.issued == 2

    run(calls())
    assert all(r["status"] == 200 for r in idp.server.data_requests)

    idp.server.expires_in = 30  # very short-lived tokens are kept for half their lifetime
    short = client_credentials(idp)
    run(get_data(short, idp))
    idp.clock.advance(14)
    run(get_data(short, idp))
    assert idp.server.issued == 3
    idp.clock.advance(2)
    run(get_data(short, idp))
    assert idp.server.issued == 4


def test_client_credentials_refetches_once_on_401(idp: IdP, leaks: Leaks) -> None:
    flow = client_credentials(idp)

    async def calls() -> None:
        await get_data(flow, idp)
        idp.revoke()  # the token is no longer accepted
        await get_data(flow, idp)
        assert idp.server.issued == 2
        idp.revoke()
        await get_data(flow, idp, 10, together=True)

    run(calls())
    assert idp.server.issued == 3  # 10 concurrent 401s, one new token
    assert [r["status"] for r in idp.server.data_requests[:3]] == [200, 401, 200]


@pytest.mark.parametrize("method", ["basic", "body"])
def test_client_authentication_methods(idp: IdP, leaks: Leaks, method: str) -> None:
    run(get_data(client_credentials(idp, method), idp))
    request = idp.server.token_requests[0]
    assert request["status"] == 200 and request["client_auth"] == method
    assert request["client_id"] == CLIENT_ID  # the server decoded the form-encoded Basic pair
    assert ("client_id" in request["form"]) is (method == "body")


def test_token_endpoint_errors_are_auth_errors_without_secrets(idp: IdP, leaks: Leaks) -> None:
    idp.server.clients[CLIENT_ID] = "another-secret-entirely"
    leaks.watch("another-secret-entirely")
    with pytest.raises(AuthError) as bad_client:
        run(get_data(client_credentials(idp), idp))
    assert leaks.error(bad_client) == (
        f"token request to {idp.url}/token failed: upstream answered 401 Unauthorized: "
        "invalid_client (Client authentication failed)"
    )
    idp.server.clients[CLIENT_ID] = CLIENT_SECRET
    with pytest.raises(AuthError) as bad_scope:
        run(get_data(client_credentials(idp, scopes=["admin"]), idp))
    assert leaks.error(bad_scope).endswith(
        "upstream answered 400 Bad Request: invalid_scope (Unknown scope requested)"
    )
    with pytest.raises(AuthError) as unset:
        run(get_data(client_credentials(idp, secret_ref="${env:UNSET_SECRET}"), idp))
    assert leaks.error(unset) == "missing secret: set UNSET_SECRET"
    assert idp.server.data_requests == []  # no call went upstream without a token


# --------------------------------------------------------------------------------------------
# 3. SigV4
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sigv4(leaks: Leaks) -> Iterator[tuple[str, SigV4Server]]:
    server = SigV4Server(
        service="execute-api", region=REGION, keys={"AKIDSTATIC": (AWS_SECRET, None)}
    )
    leaks.watch(AWS_SECRET)
    with serve_app(server.app) as url:
        yield url, server


def static_session(secret: str = AWS_SECRET) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDSTATIC", aws_secret_access_key=secret, region_name=REGION
    )


async def signed_calls(flow: SigV4Auth, url: str, **kwargs: Any) -> list[httpx2.Response]:
    async with client(flow, **kwargs) as http:
        return [
            await http.get(
                f"{url}/v1/items", params={"q": "café & co/~x", "tag": ["b", "a"], "empty": ""}
            ),
            await http.post(f"{url}/v1/orders", json={"amount": 100, "note": "ünïcode"}),
        ]


def test_sigv4_signs_get_with_query_and_post_with_body(
    sigv4: tuple[str, SigV4Server], leaks: Leaks
) -> None:
    url, server = sigv4
    flow = SigV4Auth("execute-api", REGION, session=static_session())
    leaks.watch_repr(flow)
    get, post = run(signed_calls(flow, url))
    assert get.status_code == 200, get.text
    assert post.status_code == 200, post.text
    assert get.json()["query"] == [["empty", ""], ["q", "café & co/~x"], ["tag", "a"], ["tag", "b"]]
    assert json.loads(post.json()["body"]) == {"amount": 100, "note": "ünïcode"}
    assert post.json()["signed_headers"] == ["content-type", "host", "x-amz-date"]
    assert server.rejected == []


def test_sigv4_uses_the_default_credential_chain(
    sigv4: tuple[str, SigV4Server], leaks: Leaks, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    url, server = sigv4
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSTATIC")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    flow = SigV4Auth("execute-api", REGION)
    assert [r.status_code for r in run(signed_calls(flow, url))] == [200, 200]
    assert AWS_SECRET in flow.secrets()


class Tamper(httpx2.AsyncBaseTransport):
    """A hop that changes the body after signing (same length, so only the signature differs)."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        forged = httpx2.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content.replace(b"100", b"900"),
        )
        return await self.inner.handle_async_request(forged)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_sigv4_tampered_body_or_wrong_key_is_rejected(
    sigv4: tuple[str, SigV4Server], leaks: Leaks
) -> None:
    url, server = sigv4
    flow = SigV4Auth("execute-api", REGION, session=static_session())
    get, post = run(signed_calls(flow, url, transport=Tamper()))
    assert get.status_code == 200  # nothing to tamper with
    assert post.status_code == 403 and server.rejected == ["signature mismatch"]

    wrong = SigV4Auth("execute-api", REGION, session=static_session("x" * 40))
    assert [r.status_code for r in run(signed_calls(wrong, url))] == [403, 403]


ALICE = Caller(
    subject="alice@example.com",
    groups=("eng", "ops"),
    claims={"sub": "alice@example.com", "dept": "R&D / Platform", "cost_center": 4711},
    token=ALICE_TOKEN,
)
BOB = Caller(subject="bob smith (contractor)", claims={"dept": "Sales"})


def test_assume_role_per_caller_with_session_name_and_tags(
    aws: None, sigv4: tuple[str, SigV4Server], leaks: Leaks
) -> None:
    url, server = sigv4
    session = static_session()
    assumed: list[dict[str, Any]] = []

    def on_params(params: dict[str, Any], **_: Any) -> None:
        assumed.append(copy.deepcopy(params))

    def on_answer(parsed: dict[str, Any], **_: Any) -> None:
        # The verifying endpoint learns the temporary keys as AWS would.
        creds = parsed["Credentials"]
        server.keys[creds["AccessKeyId"]] = (creds["SecretAccessKey"], creds["SessionToken"])
        leaks.watch(creds["SecretAccessKey"], creds["SessionToken"])

    session.events.register("provide-client-params.sts.AssumeRole", on_params)
    session.events.register("after-call.sts.AssumeRole", on_answer)
    clock = FakeClock()
    role = "arn:aws:iam::123456789012:role/crm-agent"
    flow = SigV4Auth(
        "execute-api",
        REGION,
        assume_role={
            "role_arn": role,
            "session_name_claim": "sub",
            "tags": {
                "Department": "dept",
                "Groups": "groups",
                "CostCenter": "cost_center",
                "Missing": "no_such_claim",
            },
            "duration": 900,
        },
        session=session,
        clock=clock,
    )
    leaks.watch_repr(flow)

    async def as_(who: Caller, times: int) -> list[str]:
        with acting_as(who):
            async with client(flow) as http:
                answers = await asyncio.gather(*(http.get(f"{url}/v1/me") for _ in range(times)))
        assert [a.status_code for a in answers] == [200] * times, [a.text for a in answers]
        return [a.json()["akid"] for a in answers]

    alice_keys = run(as_(ALICE, 5))  # 5 concurrent calls: one AssumeRole
    bob_keys = run(as_(BOB, 2))
    again = run(as_(ALICE, 3))  # cached: no AssumeRole
    assert len(assumed) == 2
    assert assumed[0] == {
        "RoleArn": role,
        "RoleSessionName": "alice@example.com",
        "DurationSeconds": 900,
        "Tags": [
            {"Key": "Department", "Value": "R_D / Platform"},
            {"Key": "Groups", "Value": "eng:ops"},
            {"Key": "CostCenter", "Value": "4711"},
        ],
    }
    assert assumed[1]["RoleSessionName"] == "bob-smith--contractor-"
    assert assumed[1]["Tags"] == [{"Key": "Department", "Value": "Sales"}]
    # Each caller's requests were signed with that caller's own temporary keys.
    assert len(set(alice_keys)) == 1 and set(again) == set(alice_keys)
    assert len(set(bob_keys)) == 1 and bob_keys[0] != alice_keys[0]
    assert "AKIDSTATIC" not in alice_keys + bob_keys
    assert all("x-amz-security-token" in r["signed_headers"] for r in server.accepted)

    with leaks.setup():  # AWS itself now knows who acted (what CloudTrail records)
        key_id = alice_keys[0]
        secret, token = server.keys[key_id]
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )
        assert sts.get_caller_identity()["Arn"].endswith(
            ":assumed-role/crm-agent/alice@example.com"
        )

    clock.advance(601)  # 900 s credentials are renewed 5 minutes before they expire
    renewed = run(as_(ALICE, 1))
    assert len(assumed) == 3 and renewed != alice_keys[:1]

    with pytest.raises(AuthError) as nobody:
        run(as_(None, 1))  # type: ignore[arg-type]
    assert leaks.error(nobody) == "caller identity required for AssumeRole"


def test_sts_name_and_tag_sanitizing() -> None:
    assert session_name("alice@example.com") == "alice@example.com"
    assert session_name("x") == "x_"  # STS wants at least 2 characters
    long = session_name("u" * 100)
    assert len(long) == 64 and long.startswith("u" * 53 + "-")
    assert long != session_name("u" * 99)  # truncated names stay distinct
    assert tag_value(["a", "b c", "d;e"]) == "a:b c:d_e"
    assert len(tag_value("v" * 300)) == 256
    assert tag_value("Zürich 東京") == "Zürich 東京"  # letters of any script are allowed


# --------------------------------------------------------------------------------------------
# 4. Pass-through and token exchange
# --------------------------------------------------------------------------------------------


def test_pass_through_forwards_the_callers_token(idp: IdP, leaks: Leaks) -> None:
    flow = PassThroughAuth(secrets=SecretResolver(env={}))
    leaks.watch_repr(flow)

    async def as_(who: Caller | None) -> dict[str, Any]:
        with acting_as(who):
            return (await get_data(flow, idp))[0]

    assert run(as_(ALICE)) == {"kind": "caller", "subject": "alice", "via": "bearer"}
    assert run(as_(Caller(token=BOB_TOKEN)))["subject"] == "bob"
    with pytest.raises(AuthError) as nobody:
        run(as_(None))
    assert leaks.error(nobody) == "no caller token to pass through"
    assert current_caller.get() is None and caller() is None
    assert ALICE_TOKEN not in repr(ALICE)


def test_pass_through_takes_the_token_of_the_incoming_mcp_request(idp: IdP, leaks: Leaks) -> None:
    from fastmcp import Client, FastMCP

    flow = PassThroughAuth(secrets=SecretResolver(env={}))
    mcp = FastMCP("passthrough")

    @mcp.tool
    async def whoami() -> dict[str, Any]:
        """Ask the upstream who we are."""
        return (await get_data(flow, idp))[0]

    app = mcp.http_app(stateless_http=True, json_response=True)
    with serve_app(app, lifespan=True) as base:

        async def session() -> Any:
            async with Client(f"{base}/mcp", auth=ALICE_TOKEN) as mcp_client:
                result = await mcp_client.call_tool("whoami", {})
                return result_data(result.content[0].text)

        assert run(session()) == {"kind": "caller", "subject": "alice", "via": "bearer"}


def exchanging(idp: IdP, **overrides: Any) -> PassThroughAuth:
    spec = {
        "token_url": f"{idp.url}/token",
        "client_id": "${env:CLIENT_ID}",
        "client_secret": "${env:CLIENT_SECRET}",
        "audience": "https://crm.internal",
        "scope": "read",
        "requested_token_type": ACCESS_TOKEN_TYPE,
    }
    spec.update(overrides)
    secrets = SecretResolver(env={"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET})
    return PassThroughAuth(exchange=spec, secrets=secrets, clock=idp.clock)


def test_token_exchange_is_cached_per_caller_token(idp: IdP, leaks: Leaks) -> None:
    flow = exchanging(idp)
    leaks.watch_repr(flow)

    async def as_(who: Caller, times: int = 1, together: bool = False) -> list[dict[str, Any]]:
        with acting_as(who):
            return await get_data(flow, idp, times, together)

    async def calls() -> None:
        alice = await as_(ALICE, 5, together=True)
        bob = await as_(Caller(token=BOB_TOKEN), 3)
        await as_(ALICE, 3)
        assert {a["subject"] for a in alice} == {"alice"} and bob[0]["subject"] == "bob"
        assert alice[0] == {
            "kind": "exchanged",
            "subject": "alice",
            "audience": "https://crm.internal",
            "via": "bearer",
        }
        assert idp.server.issued == 2  # one exchange per caller token
        idp.clock.advance(3600 - 30)  # exchanged tokens are dropped 30 s before they expire
        await as_(ALICE)
        assert idp.server.issued == 3
        idp.revoke()  # upstream rejects the exchanged token: exchange again, once
        await as_(ALICE)
        assert idp.server.issued == 4

    run(calls())
    request = idp.server.token_requests[0]
    assert request["client_auth"] == "basic" and request["client_id"] == CLIENT_ID
    assert request["form"] == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": ALICE_TOKEN,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": "https://crm.internal",
        "scope": "read",
        "requested_token_type": ACCESS_TOKEN_TYPE,
    }
    # Cached under a SHA-256 of the caller's token: the raw token is held nowhere.
    assert ALICE_TOKEN not in repr(vars(flow)) and BOB_TOKEN not in repr(vars(flow))


def test_token_exchange_errors(idp: IdP, leaks: Leaks) -> None:
    stranger = "caller-token-unknown-9999"
    leaks.watch(stranger)
    flow = exchanging(idp)
    with pytest.raises(AuthError) as refused, acting_as(Caller(token=stranger)):
        run(get_data(flow, idp))
    assert leaks.error(refused) == (
        f"token exchange at {idp.url}/token failed: upstream answered 400 Bad Request: "
        "invalid_grant (subject_token is not valid)"
    )
    idp.server.clients[CLIENT_ID] = "rotated-client-secret"
    leaks.watch("rotated-client-secret")
    with pytest.raises(AuthError, match="invalid_client") as bad_client, acting_as(ALICE):
        run(get_data(exchanging(idp, auth_method="body"), idp))
    leaks.error(bad_client)
    assert idp.server.token_requests[-1]["client_auth"] == "body"
    assert idp.server.data_requests == []


# --------------------------------------------------------------------------------------------
# Odds and ends
# --------------------------------------------------------------------------------------------


def test_flows_refuse_a_sync_client(idp: IdP, leaks: Leaks) -> None:
    leaks.http = False
    with pytest.raises(TypeError, match="needs an httpx2.AsyncClient"):
        httpx2.Client(auth=client_credentials(idp), trust_env=False).get(f"{idp.url}/data")
    assert idp.server.data_requests == []  # nothing was sent unauthenticated


def test_redact() -> None:
    assert redact("token abcd1234 and abc", ["abcd1234", "abc", ""]) == "token *** and abc"
    assert redact("pw=secret-long", ["secret", "secret-long"]) == "pw=***"


def test_static_credentials_are_redacted_from_httpx_logs_while_they_live(caplog):
    """httpx logs each request's URL at INFO: an API key in the query was in that line. A
    static credential's values are redacted from the guarded loggers while its auth lives; a
    basic scheme's user name is not a secret and stays readable."""
    from adaptgen.runtime.auth import StaticCredentials
    from adaptgen.runtime.catalog import SecurityScheme

    caplog.set_level(logging.INFO)
    key = SecurityScheme(
        name="k", kind="api_key", env=("K",), location="query", param_name="api_key"
    )
    basic = SecurityScheme(name="b", kind="basic", env=("U", "P"))
    env = {"K": "key-s3cret", "U": "operator", "P": "pass-s3cret"}
    auth = StaticCredentials([key, basic], env)
    logger = logging.getLogger("httpx2")
    logger.info("HTTP Request: GET https://x.example/a?api_key=key-s3cret user operator")
    logger.info("Basic %s", "pass-s3cret")
    assert "key-s3cret" not in caplog.text and "pass-s3cret" not in caplog.text
    assert "operator" in caplog.text and caplog.text.count("***") == 2
    del auth
    caplog.clear()
    logger.info("after: key-s3cret")  # gone with the auth: nothing left to redact
    assert "key-s3cret" in caplog.text
