"""`oauth1`: OAuth 1.0a signed requests (RFC 5849), with a token the API issued beforehand.

Legacy APIs that never moved to OAuth 2 sign every request: NetSuite's token-based
authentication (HMAC-SHA256, the account id as `realm`), Magento's and WooCommerce's
integration tokens, Jira Server's and Data Center's application links (RSA-SHA1), Twitter's
v1.1, Flickr, Garmin. There is no token to fetch: the consumer key and secret and the access
token and its secret are given (secret references), and each request is signed as it goes
(section 3.4: the method, the base URI, the query and form parameters with the protocol's own,
sorted and encoded), in the `Authorization: OAuth ...` header (section 3.5.1) or, for an API
that wants them there, the query (section 3.5.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random_source
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, quote

import httpx2
from pydantic import Field

from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    AuthError,
    Flow,
    FlowRuntime,
    Strict,
    UpstreamAuthFlow,
    resolved,
)
from adaptgen.runtime.secrets import SecretResolver

SignatureMethod = Literal["HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "RSA-SHA256", "PLAINTEXT"]
_FORM = "application/x-www-form-urlencoded"


class OAuth1Hints(Strict):
    """OAuth 1.0a (RFC 5849): requests signed with a consumer key and an access token."""

    consumer_key: str = Field(description="The consumer (client) key, or a secret reference.")
    consumer_secret: str | None = Field(
        default=None,
        pattern=SECRET_REFERENCE,
        description="The consumer secret (HMAC and PLAINTEXT methods).",
    )
    token: str | None = Field(default=None, description="The access token (id), or a reference.")
    token_secret: str | None = Field(default=None, pattern=SECRET_REFERENCE)
    private_key: str | None = Field(
        default=None,
        pattern=SECRET_REFERENCE,
        description="The consumer's PEM private key (RSA methods: Jira's application links).",
    )
    signature_method: SignatureMethod = "HMAC-SHA1"
    realm: str | None = Field(default=None, description="NetSuite: the account id.")
    placement: Literal["header", "query"] = "header"


class OAuth1Flow(UpstreamAuthFlow):
    """OAuth 1.0a, as a catalog entry."""

    kind: Literal["oauth1"] = "oauth1"
    config: OAuth1Hints

    hints: ClassVar[type[OAuth1Hints]] = OAuth1Hints

    @classmethod
    def plan(cls, hint: OAuth1Hints, planning: Any) -> OAuth1Hints:
        rsa = hint.signature_method.startswith("RSA")
        if rsa and not hint.private_key:
            raise planning.error(f"auth oauth1: {hint.signature_method} needs a private_key")
        if not rsa and not hint.consumer_secret:
            raise planning.error(f"auth oauth1: {hint.signature_method} needs a consumer_secret")
        if (hint.token is None) != (hint.token_secret is None) and not rsa:
            raise planning.error("auth oauth1: a token needs its token_secret, and the reverse")
        return hint

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        return OAuth1Auth(self.config, secrets=runtime.secrets)

    def describe(self) -> str:
        where = "query" if self.config.placement == "query" else "Authorization header"
        return f"OAuth 1.0a, {self.config.signature_method}, in the {where}"


def percent(value: str) -> str:
    """RFC 5849 3.6: UTF-8, then every octet but ALPHA, DIGIT, `-`, `.`, `_`, `~` escaped."""
    return quote(value, safe="-._~")


def base_string(method: str, url: httpx2.URL, parameters: Sequence[tuple[str, str]]) -> str:
    """The signature base string (RFC 5849 3.4.1): the method, the base string URI (scheme and
    host in lower case, a port only when not the scheme's default, the path; no query), and
    the parameters encoded, sorted by name then value, joined."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    port = f":{url.port}" if url.port and url.port != default else ""
    uri = f"{url.scheme.lower()}://{url.host.lower()}{port}{url.raw_path.split(b'?')[0].decode()}"
    pairs = sorted((percent(name), percent(value)) for name, value in parameters)
    normalized = "&".join(f"{name}={value}" for name, value in pairs)
    return "&".join([method.upper(), percent(uri), percent(normalized)])


class OAuth1Auth(Flow):
    """Sign each request with OAuth 1.0a. Secrets are references, resolved per request (a
    rotated secret is used at once) and kept only for `secrets()`."""

    def __init__(
        self,
        config: OAuth1Hints,
        *,
        secrets: SecretResolver,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: random_source.token_hex(16),
    ) -> None:
        super().__init__(clock)
        self.config = config
        self._secrets = secrets
        self._nonce = nonce
        self._held: list[str] = []

    def __repr__(self) -> str:
        return f"OAuth1Auth(signature_method={self.config.signature_method!r})"

    def secrets(self) -> list[str]:
        """The resolved consumer secret, token secret and private key."""
        return list(self._held)

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        await request.aread()  # a form body's fields are signed
        self._sign(request, await self._resolved())
        yield request

    async def _resolved(self) -> dict[str, str]:
        c = self.config
        names = ["consumer_key", "consumer_secret", "token", "token_secret", "private_key"]
        refs = [getattr(c, name) or "" for name in names]
        values = dict(zip(names, await resolved(self._secrets, refs), strict=True))
        self._held = [v for k, v in values.items() if v and k not in ("consumer_key", "token")]
        return values

    def _sign(self, request: httpx2.Request, keys: dict[str, str]) -> None:
        c = self.config
        protocol = {
            "oauth_consumer_key": keys["consumer_key"],
            "oauth_nonce": self._nonce(),
            "oauth_signature_method": c.signature_method,
            "oauth_timestamp": str(int(self._clock())),
            "oauth_version": "1.0",
        }
        if keys["token"]:
            protocol["oauth_token"] = keys["token"]
        signed = [*request.url.params.multi_items(), *protocol.items()]
        if request.headers.get("content-type", "").split(";")[0].strip().lower() == _FORM:
            signed += parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)
        text = base_string(request.method, request.url, signed)
        protocol["oauth_signature"] = self._signature(text, keys)
        if c.placement == "query":
            request.url = request.url.copy_merge_params(protocol)
            return
        fields = ([("realm", c.realm)] if c.realm is not None else []) + sorted(protocol.items())
        said = ", ".join(f'{name}="{percent(value)}"' for name, value in fields)
        request.headers["Authorization"] = f"OAuth {said}"

    def _signature(self, text: str, keys: dict[str, str]) -> str:
        method = self.config.signature_method
        key = f"{percent(keys['consumer_secret'])}&{percent(keys['token_secret'])}"
        if method == "PLAINTEXT":
            return key
        if method.startswith("HMAC"):
            digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
            signed = hmac.new(key.encode(), text.encode(), digest).digest()
            return base64.b64encode(signed).decode("ascii")
        return _rsa_signature(text, keys["private_key"], method)


def _rsa_signature(text: str, pem: str, method: str) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise AuthError("auth oauth1: private_key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthError(f"auth oauth1: {method} needs an RSA private key")
    digest = hashes.SHA1() if method == "RSA-SHA1" else hashes.SHA256()  # noqa: S303 - RFC 5849
    signed = key.sign(text.encode(), padding.PKCS1v15(), digest)
    return base64.b64encode(signed).decode("ascii")
