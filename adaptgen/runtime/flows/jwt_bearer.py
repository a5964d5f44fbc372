"""`jwt_bearer`: OAuth 2.0 JWT-bearer assertions (RFC 7523 section 2.1).

The server signs a short-lived JWT with its own private key (`iss`/`sub` the client, `aud` the
token endpoint, a fresh `jti`) and exchanges it at the token endpoint with
`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` for an access token, sent as
`Authorization: Bearer`. The token is cached and renewed like client credentials (RFC 6749
section 4.4): a minute before it expires, or at once when the upstream answers 401. The key is a
secret reference to a PEM private key (RSA or EC); it is resolved at call time, never written.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any, ClassVar, Literal

import httpx2
from pydantic import Field

from adaptgen.runtime.flows.base import (
    SECRET_REFERENCE,
    AuthError,
    Clock,
    FlowPlanning,
    FlowRuntime,
    OAuthTokenFlow,
    Strict,
    UpstreamAuthFlow,
    endpoint,
    resolved,
)
from adaptgen.runtime.secrets import SecretResolver

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class JwtBearerHints(Strict):
    """RFC 7523: a JWT signed with the server's key, exchanged for an access token."""

    token_url: str | None = Field(default=None, description="Default: the scheme's tokenUrl")
    issuer: str = Field(description="`iss`: the client id the token endpoint knows the key by")
    subject: str | None = Field(default=None, description="`sub`; default: the issuer")
    audience: str | None = Field(default=None, description="`aud`; default: the token URL")
    private_key: str = Field(
        pattern=SECRET_REFERENCE, description="PEM private key: ${env:NAME} or ${aws-sm:ID#key}"
    )
    key_id: str | None = Field(default=None, description="`kid` header, when the server asks")
    algorithm: Algorithm = "RS256"
    scopes: list[str] = Field(default_factory=list)
    lifetime: int = Field(default=300, ge=30, le=3600, description="Assertion lifetime (s)")


class JwtBearerConfig(JwtBearerHints):
    """The planned flow: the token URL is known."""

    token_url: str  # type: ignore[assignment]


class JwtBearerFlow(UpstreamAuthFlow):
    """RFC 7523 JWT bearer, as a catalog entry."""

    kind: Literal["jwt_bearer"] = "jwt_bearer"
    config: JwtBearerConfig

    hints: ClassVar[type[JwtBearerHints]] = JwtBearerHints

    @classmethod
    def plan(cls, hint: JwtBearerHints, planning: FlowPlanning) -> JwtBearerConfig:
        token_url = hint.token_url or _any_token_url(planning.raw_scheme)
        if not token_url:
            raise planning.error("auth jwt_bearer: no token_url in hints or spec")
        return JwtBearerConfig(**{**hint.model_dump(), "token_url": token_url})

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        return JwtBearerAuth(self.config, secrets=runtime.secrets)

    def describe(self) -> str:
        return f"OAuth2 JWT bearer (RFC 7523, {self.config.algorithm}) at {self.config.token_url}"


class JwtBearerAuth(OAuthTokenFlow):
    """Sign an assertion, exchange it for an access token, send that as a bearer token."""

    request_name = "JWT-bearer token request"

    def __init__(
        self, config: JwtBearerConfig, *, secrets: SecretResolver, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.config = config
        self.token_url = config.token_url
        self._secrets = secrets
        self._wall = time.time  # `iat`/`exp` are wall-clock seconds, whatever `clock` is

    def __repr__(self) -> str:
        return (
            f"JwtBearerAuth(token_url={endpoint(self.config.token_url)!r}, "
            f"issuer={self.config.issuer!r}, algorithm={self.config.algorithm!r})"
        )

    def secrets(self) -> list[str]:
        """The current access token (the key never leaves the signer)."""
        return self._cached_values()

    async def _token_request(self, context: Any) -> httpx2.Request:
        config = self.config
        refs = [config.private_key, config.issuer, config.subject or config.issuer]
        pem, issuer, subject = await resolved(self._secrets, refs)
        now = int(self._wall())
        claims = {
            "iss": issuer,
            "sub": subject,
            "aud": config.audience or config.token_url,
            "iat": now,
            "exp": now + config.lifetime,
            "jti": secrets.token_urlsafe(16),  # RFC 7523 3: lets the server refuse a replay
        }
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": sign(claims, pem, config)}
        if config.scopes:
            form["scope"] = " ".join(config.scopes)
        headers = {"Accept": "application/json"}
        return httpx2.Request("POST", config.token_url, data=form, headers=headers)


def sign(claims: dict[str, Any], pem: str, config: JwtBearerHints) -> str:
    """A compact JWS of `claims` (RFC 7515) signed with PEM private key `pem`."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    header = {
        "alg": config.algorithm,
        "typ": "JWT",
        **({"kid": config.key_id} if config.key_id else {}),
    }
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}".encode("ascii")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise AuthError("jwt_bearer: private_key is not an unencrypted PEM private key") from None
    digest = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}[
        config.algorithm[2:]
    ]()
    family = config.algorithm[:2]
    if family in ("RS", "PS") and isinstance(key, rsa.RSAPrivateKey):
        pad = (
            padding.PKCS1v15()
            if family == "RS"
            else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        )
        signature = key.sign(signing_input, pad, digest)
    elif family == "ES" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
        size = (key.curve.key_size + 7) // 8  # JWS wants r || s, not DER (RFC 7518 3.4)
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        raise AuthError(f"jwt_bearer: the private key does not fit algorithm {config.algorithm}")
    return f"{signing_input.decode('ascii')}.{_b64(signature)}"


def _any_token_url(raw_scheme: Any) -> str | None:
    """The token URL of any OAuth2 flow the spec declares for the scheme."""
    flows = raw_scheme.get("flows") if isinstance(raw_scheme, dict) else None
    for flow in (flows or {}).values() if isinstance(flows, dict) else ():
        if isinstance(flow, dict) and flow.get("tokenUrl"):
            return str(flow["tokenUrl"])
    return None


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
