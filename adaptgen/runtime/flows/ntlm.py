"""`ntlm`: Windows authentication (NTLM over HTTP) for the APIs IIS serves on premises.

SharePoint Server's REST API, Dynamics CRM on premises, SQL Server Reporting Services, Team
Foundation Server and many a WCF REST service accept a Windows account and nothing else: the
client says it speaks NTLM (`Authorization: NTLM <negotiate>`), the server answers 401 with a
challenge (`WWW-Authenticate: NTLM <challenge>`), and the client sends the request again with
its answer to it, on the same connection. pyspnego (`pip install 'adaptgen[ntlm]'`) makes the
messages; this flow runs the exchange inside each call, so the agent never sees it.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncGenerator
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field

from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    AuthError,
    Clock,
    Flow,
    FlowRuntime,
    Strict,
    UpstreamAuthFlow,
    resolved,
)
from adaptgen.runtime.secrets import SecretResolver

INSTALL = "pip install 'adaptgen[ntlm]'"


class NtlmHints(Strict):
    """A Windows account, for NTLM."""

    username: str = Field(description="`alice`, `CORP\\alice` or `alice@corp.example`.")
    password: str = Field(pattern=SECRET_REFERENCE)
    domain: str | None = Field(default=None, description="Put before a bare user name.")


class NtlmFlow(UpstreamAuthFlow):
    """NTLM, as a catalog entry."""

    kind: Literal["ntlm"] = "ntlm"
    config: NtlmHints

    hints: ClassVar[type[NtlmHints]] = NtlmHints

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        return NtlmAuth(self.config, secrets=runtime.secrets)

    def describe(self) -> str:
        return "NTLM (Windows authentication)"


class NtlmAuth(Flow):
    """One NTLM exchange per request: negotiate, then the answer to the server's challenge."""

    def __init__(
        self, config: NtlmHints, *, secrets: SecretResolver, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.config = config
        self._secrets = secrets
        self._password: str | None = None  # resolved, kept only for secrets()

    def __repr__(self) -> str:
        return "NtlmAuth()"

    def secrets(self) -> list[str]:
        return [self._password] if self._password else []

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        user, password = await resolved(self._secrets, [self.config.username, self.config.password])
        self._password = password
        context = _client(self._account(user), password, request.url.host)
        request.headers["Authorization"] = "NTLM " + _b64(context.step())
        response = yield request
        challenge = _challenge(response)
        if response.status_code != 401 or challenge is None:
            return  # not asked (a public path), or refused outright: the answer says which
        try:
            answer = context.step(challenge)
        except Exception:  # noqa: BLE001 - pyspnego's errors name no secret, but say little
            raise AuthError("NTLM: the server's challenge could not be answered") from None
        request.headers["Authorization"] = "NTLM " + _b64(answer or b"")
        yield request

    def _account(self, user: str) -> str:
        domain = self.config.domain
        if domain and "\\" not in user and "@" not in user:
            return f"{domain}\\{user}"
        return user


def _client(account: str, password: str, host: str) -> Any:
    try:
        import spnego
    except ImportError:
        raise AuthError(f"NTLM needs pyspnego: {INSTALL}") from None
    return spnego.client(account, password, hostname=host, service="http", protocol="ntlm")


def _challenge(response: httpx2.Response) -> bytes | None:
    """The server's NTLM challenge in its `WWW-Authenticate`, if it sent one."""
    for value in response.headers.get_list("www-authenticate"):
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == "ntlm" and token.strip():
            try:
                return base64.b64decode(token.strip(), validate=True)
            except ValueError:
                return None
    return None


def _b64(token: bytes) -> str:
    return base64.b64encode(token).decode("ascii")
