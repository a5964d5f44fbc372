"""Caller identity from JWTs (adaptgen.runtime.governance.jwt).

Tokens are minted here with `cryptography` directly (RSA, EC, Ed25519 keys and an HMAC secret),
independently of joserfc, which the verifier uses. JWKS endpoints are served on 127.0.0.1.
Every test runs under the autouse `leaks` check: all loggers at DEBUG, and no token minted in
the test (nor any segment of one, nor the HMAC secret) may show up in a log record or in an
`IdentityError` (its message, repr, or any exception chained to it).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import logging
import socket
import traceback
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adaptgen.runtime.governance.jwt import (
    JWKS_DEFAULT_TTL,
    JWKS_MAX_STALE,
    JWKS_MIN_TTL,
    JWKS_REFETCH_INTERVAL,
    MAX_TOKEN_LENGTH,
    IdentityError,
    JwtSettings,
    JwtVerifier,
    bearer_token,
    scopes_of,
)
from adaptgen.runtime.identity import Caller
from adaptgen.sandbox.server import serve_app

NOW = 1_700_000_000
ISSUER = "https://idp.example.test/realms/acme"
AUDIENCE = "adaptgen-crm"

# Generated once per run: RSA key generation is the slow part of this module.
RSA_A = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_B = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_A = ec.generate_private_key(ec.SECP256R1())
EC_B = ec.generate_private_key(ec.SECP256R1())
EC_384 = ec.generate_private_key(ec.SECP384R1())
ED_A = ed25519.Ed25519PrivateKey.generate()
HMAC_SECRET = hashlib.sha256(b"adaptgen test hmac secret").digest() + b"-extra-entropy"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# --------------------------------------------------------------------------------------------
# Minting tokens and keys with cryptography only
# --------------------------------------------------------------------------------------------

_minted: list[str] = []  # every token of the current test, for the leak check
_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def b64int(value: int) -> str:
    return b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def sign(alg: str, key: PrivateKey | bytes, message: bytes) -> bytes:
    """A JWS signature of `message`, computed with cryptography (or hmac) directly."""
    if alg.startswith("HS"):
        assert isinstance(key, bytes)
        return hmac.new(key, message, getattr(hashlib, f"sha{alg[2:]}")).digest()
    if alg in ("EdDSA", "Ed25519"):
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key.sign(message)
    digest = _HASHES[alg[2:]]()
    if alg.startswith("RS"):
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(message, padding.PKCS1v15(), digest)
    if alg.startswith("PS"):
        assert isinstance(key, rsa.RSAPrivateKey)
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return key.sign(message, pss, digest)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and alg.startswith("ES")
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def claims_for(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": NOW - 5,
        "exp": NOW + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def mint(
    key: PrivateKey | bytes,
    alg: str = "RS256",
    *,
    kid: str | None = None,
    header: dict[str, Any] | None = None,
    signed_as: str | None = None,
    **claims: Any,
) -> str:
    """A signed JWT; claim keyword arguments override the defaults (None drops one).

    `signed_as` signs with another algorithm than the header names (for mismatch tests).
    """
    head: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        head["kid"] = kid
    head.update(header or {})
    signing_input = f"{b64json(head)}.{b64json(claims_for(**claims))}"
    signature = sign(signed_as or alg, key, signing_input.encode())
    token = f"{signing_input}.{b64(signature)}"
    _minted.append(token)
    return token


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A hand-built token with any header and signature segment."""
    token = f"{b64json(header)}.{b64json(claims)}.{signature}"
    _minted.append(token)
    return token


def pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwk(key: PrivateKey, kid: str | None = None, **members: Any) -> dict[str, Any]:
    """The public JWK of `key`, built from the raw numbers (not by the library under test)."""
    public = key.public_key()
    result: dict[str, Any]
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        result = {"kty": "RSA", "n": b64int(numbers.n), "e": b64int(numbers.e)}
    elif isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        size = (public.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[public.curve.name]
        result = {
            "kty": "EC",
            "crv": crv,
            "x": b64(numbers.x.to_bytes(size, "big")),
            "y": b64(numbers.y.to_bytes(size, "big")),
        }
    else:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        result = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
    if kid is not None:
        result["kid"] = kid
    result.update(members)
    return result


def oct_jwk(secret: bytes = HMAC_SECRET, kid: str | None = None) -> dict[str, Any]:
    result = {"kty": "oct", "k": b64(secret)}
    if kid is not None:
        result["kid"] = kid
    return result


# --------------------------------------------------------------------------------------------
# Running the verifier
# --------------------------------------------------------------------------------------------


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def make(clock: Clock | None = None, **settings: Any) -> JwtVerifier:
    """A verifier with the test issuer and audience unless overridden."""
    values: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE}
    values.update(settings)
    return JwtVerifier(JwtSettings(**values), clock=clock or Clock())


def verify(verifier: JwtVerifier, token: Any) -> Caller:
    return run(verifier.verify(token))


_errors: list[BaseException] = []


def reason(verifier: JwtVerifier, token: Any) -> str:
    """The IdentityError reason for `token` (which must be rejected)."""
    with pytest.raises(IdentityError) as info:
        run(verifier.verify(token))
    _errors.append(info.value)
    return info.value.reason


# --------------------------------------------------------------------------------------------
# The leak check every test runs under
# --------------------------------------------------------------------------------------------


def _secrets() -> set[str]:
    values = {b64(HMAC_SECRET), HMAC_SECRET.hex()}
    for token in _minted:
        values.add(token)
        values.update(token.split("."))
    return {value for value in values if len(value) >= 16}


def _exception_texts(error: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        current = current.__cause__ or current.__context__


@pytest.fixture(autouse=True)
def leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    for name in ("adaptgen", "httpx2", "httpcore2", "joserfc"):
        caplog.set_level(logging.DEBUG, logger=name)
    _minted.clear()
    _errors.clear()
    yield
    secrets = _secrets()
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        for secret in secrets:
            assert secret not in text, f"{record.name} logged a token or secret"
    for error in _errors:
        for text in _exception_texts(error):
            for secret in secrets:
                assert secret not in text, "an IdentityError carries a token or secret"


# --------------------------------------------------------------------------------------------
# A JWKS endpoint on 127.0.0.1
# --------------------------------------------------------------------------------------------


@dataclass
class Jwks:
    """What the test JWKS endpoint serves; tests change it between calls."""

    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes | None = None  # served instead of {"keys": ...} when set
    cache_control: str | None = None
    hits: int = 0

    def reset(self) -> None:
        self.keys, self.status, self.body, self.cache_control, self.hits = [], 200, None, None, 0


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[Jwks]:
    state = Jwks()

    async def endpoint(request: Request) -> Response:
        state.hits += 1
        body = state.body if state.body is not None else json.dumps({"keys": state.keys}).encode()
        headers = {"Cache-Control": state.cache_control} if state.cache_control else {}
        return Response(body, state.status, headers, media_type="application/json")

    with serve_app(Starlette(routes=[Route("/jwks.json", endpoint)])) as base_url:
        state.url = f"{base_url}/jwks.json"
        yield state


@pytest.fixture
def jwks(jwks_server: Jwks) -> Jwks:
    jwks_server.reset()
    jwks_server.keys = [jwk(RSA_A, "rsa-1"), jwk(EC_A, "ec-1")]
    return jwks_server


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


# --------------------------------------------------------------------------------------------
# Valid tokens
# --------------------------------------------------------------------------------------------


def certificate(key: PrivateKey) -> str:
    """A self-signed PEM certificate for `key` (IdPs often publish these)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.test")])
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(("alg", "key"), [("RS256", RSA_A), ("ES256", EC_A)])
@pytest.mark.parametrize("form", ["pem", "certificate", "jwk", "jwk-json", "jwks"])
def test_valid_token_with_static_key(alg: str, key: PrivateKey, form: str) -> None:
    static: Any = {
        "pem": lambda: pem(key),
        "certificate": lambda: certificate(key),
        "jwk": lambda: jwk(key),
        "jwk-json": lambda: json.dumps(jwk(key)),
        "jwks": lambda: {"keys": [jwk(key, "k")]},
    }[form]()
    verifier = make(keys=[static])
    token = mint(key, alg, kid="k" if form == "jwks" else None)
    who = verify(verifier, token)
    assert who.subject == "alice"
    assert who.token == token
    assert who.claims["iss"] == ISSUER and who.claims["exp"] == NOW + 600
    assert token not in repr(who)


@pytest.mark.parametrize(
    ("alg", "key", "static"),
    [
        ("PS256", RSA_A, pem(RSA_A)),
        ("RS384", RSA_A, pem(RSA_A)),
        ("EdDSA", ED_A, pem(ED_A)),
        ("Ed25519", ED_A, jwk(ED_A)),
        ("ES384", EC_384, jwk(EC_384)),
        ("HS256", HMAC_SECRET, oct_jwk()),
    ],
)
def test_other_families(alg: str, key: Any, static: Any) -> None:
    verifier = make(keys=[static], algorithms=[alg])
    assert verify(verifier, mint(key, alg)).subject == "alice"


def test_kid_picks_the_key_among_several_static_keys() -> None:
    verifier = make(keys=[jwk(RSA_A, "a"), jwk(RSA_B, "b")])
    assert verify(verifier, mint(RSA_B, kid="b")).subject == "alice"
    assert verify(verifier, mint(RSA_A, kid="a")).subject == "alice"
    assert reason(verifier, mint(RSA_B, kid="a")) == "bad signature"


def test_token_kid_still_verifies_with_a_kidless_pem() -> None:
    verifier = make(keys=[pem(RSA_A)])
    assert verify(verifier, mint(RSA_A, kid="idp-key-7")).subject == "alice"


def test_valid_tokens_via_jwks_url_with_two_keys(jwks: Jwks) -> None:
    verifier = make(jwks_url=jwks.url)
    assert verify(verifier, mint(RSA_A, kid="rsa-1")).subject == "alice"
    assert verify(verifier, mint(EC_A, "ES256", kid="ec-1", sub="bob")).subject == "bob"
    # Without a kid, the keys of the right type are tried.
    assert verify(verifier, mint(EC_A, "ES256")).subject == "alice"
    assert jwks.hits == 1  # cached


def test_injected_http_client_is_used(jwks: Jwks) -> None:
    requests: list[httpx2.Request] = []

    async def record(request: httpx2.Request) -> None:
        requests.append(request)

    async def scenario() -> Caller:
        async with httpx2.AsyncClient(trust_env=False, event_hooks={"request": [record]}) as http:
            settings = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks.url)
            verifier = JwtVerifier(settings, http=http, clock=Clock())
            return await verifier.verify(mint(RSA_A, kid="rsa-1"))

    assert run(scenario()).subject == "alice"
    assert [str(r.url) for r in requests] == [jwks.url]


def test_verifier_serves_several_event_loops(jwks: Jwks) -> None:
    clock = Clock()
    verifier = make(clock, jwks_url=jwks.url)
    for _ in range(2):
        clock.advance(JWKS_DEFAULT_TTL + 1)  # each loop refetches under the lock
        assert verify(verifier, mint(RSA_A, kid="rsa-1", iat=None, exp=int(clock.now) + 60))
    assert jwks.hits == 2


# --------------------------------------------------------------------------------------------
# JWKS caching, rotation, failures
# --------------------------------------------------------------------------------------------


def test_key_rotation_refetches_once_then_rate_limits(jwks: Jwks) -> None:
    clock = Clock()
    verifier = make(clock, jwks_url=jwks.url)
    assert verify(verifier, mint(RSA_A, kid="rsa-1"))
    assert jwks.hits == 1

    jwks.keys = [*jwks.keys, jwk(RSA_B, "rsa-2")]  # the issuer rotates in a new key
    clock.advance(JWKS_REFETCH_INTERVAL + 1)
    assert verify(verifier, mint(RSA_B, kid="rsa-2")).subject == "alice"
    assert jwks.hits == 2  # one refetch for the unknown kid
    assert verify(verifier, mint(RSA_B, kid="rsa-2"))
    assert jwks.hits == 2

    # Kid spraying: unknown kids do not cause a fetch each.
    for n in range(25):
        assert reason(verifier, mint(RSA_B, kid=f"sprayed-{n}")) == "no matching signing key"
    assert jwks.hits == 2
    clock.advance(JWKS_REFETCH_INTERVAL + 1)
    for n in range(5):
        assert reason(verifier, mint(RSA_B, kid=f"later-{n}")) == "no matching signing key"
    assert jwks.hits == 3  # one more fetch per interval, no more


def test_concurrent_cold_verifications_fetch_once(jwks: Jwks) -> None:
    verifier = make(jwks_url=jwks.url)
    tokens = [mint(RSA_A, kid="rsa-1", sub=f"user-{n}") for n in range(20)]

    async def all_at_once() -> list[Caller]:
        return await asyncio.gather(*(verifier.verify(t) for t in tokens))

    assert [c.subject for c in run(all_at_once())] == [f"user-{n}" for n in range(20)]
    assert jwks.hits == 1


@pytest.mark.parametrize(
    ("cache_control", "ttl"),
    [
        (None, JWKS_DEFAULT_TTL),
        ("public, max-age=120", 120.0),
        ("max-age=1", JWKS_MIN_TTL),  # bounded below: no refetch storm
        ("no-cache", JWKS_MIN_TTL),
        ("max-age=nonsense", JWKS_DEFAULT_TTL),
    ],
)
def test_jwks_cache_respects_cache_control(
    jwks: Jwks, cache_control: str | None, ttl: float
) -> None:
    jwks.cache_control = cache_control
    clock = Clock()
    verifier = make(clock, jwks_url=jwks.url, leeway=10**6)
    verify(verifier, mint(RSA_A, kid="rsa-1"))
    clock.advance(ttl - 1)
    verify(verifier, mint(RSA_A, kid="rsa-1"))
    assert jwks.hits == 1
    clock.advance(2)
    verify(verifier, mint(RSA_A, kid="rsa-1"))
    assert jwks.hits == 2


@pytest.mark.parametrize(
    "failure", ["connection refused", "HTTP 500", "redirect", "not JSON", "no keys"]
)
def test_jwks_endpoint_down(jwks: Jwks, failure: str, caplog: pytest.LogCaptureFixture) -> None:
    url = jwks.url
    if failure == "connection refused":
        url = closed_port_url()
    elif failure == "HTTP 500":
        jwks.status = 500
    elif failure == "redirect":
        jwks.status = 302  # not followed: it could lead anywhere, plain http included
    elif failure == "not JSON":
        jwks.body = b"<html>maintenance</html>"
    else:
        jwks.body = b'{"issuer": "x"}'
    verifier = make(jwks_url=url)
    assert reason(verifier, mint(RSA_A, kid="rsa-1")) == "cannot fetch signing keys"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("cannot fetch signing keys" in r.getMessage() for r in warnings)


def test_jwks_failure_backs_off_then_recovers(jwks: Jwks) -> None:
    jwks.status = 503
    clock = Clock()
    verifier = make(clock, jwks_url=jwks.url)
    assert reason(verifier, mint(RSA_A, kid="rsa-1")) == "cannot fetch signing keys"
    jwks.status = 200
    assert reason(verifier, mint(RSA_A, kid="rsa-1")) == "cannot fetch signing keys"
    assert jwks.hits == 1  # no retry storm against a struggling endpoint
    clock.advance(JWKS_REFETCH_INTERVAL + 1)
    assert verify(verifier, mint(RSA_A, kid="rsa-1")).subject == "alice"
    assert jwks.hits == 2


def test_stale_keys_serve_while_the_endpoint_is_down_for_a_bounded_time(jwks: Jwks) -> None:
    clock = Clock()
    verifier = make(clock, jwks_url=jwks.url, leeway=10**6)
    verify(verifier, mint(RSA_A, kid="rsa-1"))
    jwks.status = 500
    clock.advance(JWKS_DEFAULT_TTL + 1)
    assert verify(verifier, mint(RSA_A, kid="rsa-1")).subject == "alice"
    assert jwks.hits == 2
    clock.advance(JWKS_MAX_STALE)
    assert reason(verifier, mint(RSA_A, kid="rsa-1")) == "cannot fetch signing keys"


def test_static_keys_keep_working_while_the_jwks_endpoint_is_down() -> None:
    verifier = make(jwks_url=closed_port_url(), keys=[jwk(EC_A, "static")])
    assert verify(verifier, mint(EC_A, "ES256", kid="static")).subject == "alice"
    assert verify(verifier, mint(EC_A, "ES256")).subject == "alice"
    assert reason(verifier, mint(RSA_A, kid="rsa-1")) == "cannot fetch signing keys"


def test_jwks_symmetric_keys_are_ignored_and_private_members_dropped(jwks: Jwks) -> None:
    private_rsa = {**jwk(RSA_B, "leaky"), "d": b64int(RSA_B.private_numbers().d)}
    jwks.keys = [oct_jwk(kid="shared"), private_rsa, {"kty": "RSA", "kid": "junk"}, "junk"]  # type: ignore[list-item]
    verifier = make(jwks_url=jwks.url, algorithms=["RS256", "HS256"])
    assert reason(verifier, mint(HMAC_SECRET, "HS256", kid="shared")) == "no matching signing key"
    assert verify(verifier, mint(RSA_B, kid="leaky")).subject == "alice"


# --------------------------------------------------------------------------------------------
# Rejected signatures, algorithms and keys
# --------------------------------------------------------------------------------------------


def test_forged_signature_by_another_key(jwks: Jwks) -> None:
    assert reason(make(keys=[pem(RSA_A)]), mint(RSA_B)) == "bad signature"
    assert reason(make(keys=[pem(EC_A)]), mint(EC_B, "ES256")) == "bad signature"
    assert reason(make(jwks_url=jwks.url), mint(RSA_B, kid="rsa-1")) == "bad signature"


def test_tampered_payload_is_rejected() -> None:
    token = mint(RSA_A)
    header, _, signature = token.split(".")
    forged = f"{header}.{b64json(claims_for(sub='admin'))}.{signature}"
    _minted.append(forged)
    assert reason(make(keys=[pem(RSA_A)]), forged) == "bad signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_rejected_even_when_configured(alg: str) -> None:
    token = unsigned({"alg": alg, "typ": "JWT"}, claims_for())
    for algorithms in (["RS256"], ["RS256", "none"]):
        verifier = make(keys=[pem(RSA_A)], algorithms=algorithms)
        assert reason(verifier, token) == "algorithm not allowed"
    with_signature = unsigned({"alg": alg}, claims_for(), b64(b"x" * 32))
    assert reason(make(keys=[pem(RSA_A)]), with_signature) == "algorithm not allowed"


def test_none_alone_is_not_a_configuration() -> None:
    with pytest.raises(ValueError, match="allows no signature algorithm"):
        make(keys=[pem(RSA_A)], algorithms=["none"])


def test_empty_signature_is_rejected() -> None:
    token = mint(RSA_A)
    stripped = token.rsplit(".", 1)[0] + "."
    _minted.append(stripped)
    assert reason(make(keys=[pem(RSA_A)]), stripped) == "bad signature"


@pytest.mark.parametrize("victim", [RSA_A, EC_A], ids=["rsa", "ec"])
def test_hs256_signed_with_a_public_key_is_rejected(victim: PrivateKey, jwks: Jwks) -> None:
    # The classic key confusion: the public key's bytes used as the HMAC secret.
    public_pem = pem(victim).encode()
    public_jwk_json = json.dumps(jwk(victim)).encode()
    kid = "rsa-1" if victim is RSA_A else "ec-1"
    for secret in (public_pem, public_pem.strip(), public_jwk_json):
        for settings in ({"keys": [pem(victim)]}, {"keys": [jwk(victim, kid)]}):
            verifier = make(**settings, algorithms=["RS256", "ES256", "HS256"])
            forged = mint(secret, "HS256", kid=kid)
            assert reason(verifier, forged) == "no matching signing key"
        forged = mint(public_pem, "HS256", kid=kid)
        verifier = make(jwks_url=jwks.url, algorithms=["RS256", "ES256", "HS256"])
        assert reason(verifier, forged) == "no matching signing key"


def test_keys_only_verify_their_own_family() -> None:
    verifier = make(keys=[jwk(RSA_A, "r"), jwk(EC_A, "e")], algorithms=["RS256", "ES256", "PS256"])
    assert reason(verifier, mint(EC_A, "ES256", kid="r")) == "no matching signing key"
    assert reason(verifier, mint(RSA_A, "RS256", kid="e")) == "no matching signing key"
    # ES256 names P-256: a P-384 key is the wrong curve even when it signed the token.
    verifier = make(keys=[jwk(EC_384)], algorithms=["ES256", "ES384"])
    assert verify(verifier, mint(EC_384, "ES384")).subject == "alice"
    forged = mint(EC_384, "ES256", signed_as="ES384")
    assert reason(verifier, forged) == "no matching signing key"


@pytest.mark.parametrize(
    "members",
    [{"alg": "RS512"}, {"alg": "PS256"}, {"use": "enc"}, {"key_ops": ["sign"]}],
    ids=["alg-RS512", "alg-PS256", "use-enc", "key_ops-sign"],
)
def test_jwk_whose_alg_or_use_contradicts_the_token_is_not_used(
    members: dict[str, Any], jwks: Jwks
) -> None:
    algorithms = ["RS256", "RS512", "PS256"]
    verifier = make(keys=[jwk(RSA_A, "k", **members)], algorithms=algorithms)
    assert reason(verifier, mint(RSA_A, kid="k")) == "no matching signing key"
    jwks.keys = [jwk(RSA_A, "k", **members)]
    verifier = make(jwks_url=jwks.url, algorithms=algorithms)
    assert reason(verifier, mint(RSA_A, kid="k")) == "no matching signing key"
    matching = make(keys=[jwk(RSA_A, "k", alg="RS256", use="sig", key_ops=["verify"])])
    assert verify(matching, mint(RSA_A, kid="k")).subject == "alice"


def test_algorithm_outside_the_allow_list_is_rejected() -> None:
    verifier = make(keys=[pem(RSA_A)], algorithms=["RS256"])
    assert reason(verifier, mint(RSA_A, "RS512")) == "algorithm not allowed"
    assert reason(verifier, mint(RSA_A, "PS256")) == "algorithm not allowed"
    assert reason(make(keys=[oct_jwk()]), mint(HMAC_SECRET, "HS256")) == "algorithm not allowed"


def test_keys_in_the_token_header_are_never_trusted(jwks: Jwks) -> None:
    attacker = {"jwk": jwk(RSA_B), "jku": jwks.url, "x5u": jwks.url}
    token = mint(RSA_B, kid="rsa-1", header=attacker)
    assert reason(make(keys=[jwk(RSA_A, "rsa-1")]), token) == "bad signature"
    assert jwks.hits == 0


def test_crit_header_is_refused() -> None:
    token = mint(RSA_A, header={"crit": ["exp"], "exp": NOW + 60})
    assert reason(make(keys=[pem(RSA_A)]), token) == "unsupported token header"
    token = mint(RSA_A, header={"b64": False})
    assert reason(make(keys=[pem(RSA_A)]), token) == "unsupported token header"


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def test_expired_and_leeway() -> None:
    verifier = make(keys=[pem(RSA_A)], leeway=30)
    assert reason(verifier, mint(RSA_A, exp=NOW - 31, iat=NOW - 600)) == "token expired"
    assert reason(verifier, mint(RSA_A, exp=NOW - 30, iat=NOW - 600)) == "token expired"
    assert verify(verifier, mint(RSA_A, exp=NOW - 29, iat=NOW - 600)).subject == "alice"
    assert reason(make(keys=[pem(RSA_A)], leeway=0), mint(RSA_A, exp=NOW)) == "token expired"


def test_not_yet_valid_and_issued_in_the_future() -> None:
    verifier = make(keys=[pem(RSA_A)], leeway=30)
    assert reason(verifier, mint(RSA_A, nbf=NOW + 31)) == "token not yet valid"
    assert verify(verifier, mint(RSA_A, nbf=NOW + 29)).subject == "alice"
    assert reason(verifier, mint(RSA_A, iat=NOW + 31)) == "token issued in the future"
    assert verify(verifier, mint(RSA_A, iat=NOW + 29)).subject == "alice"


@pytest.mark.parametrize("bad", ["soon", True, [NOW], {"t": NOW}], ids=repr)
def test_non_numeric_dates_are_rejected(bad: Any) -> None:
    verifier = make(keys=[pem(RSA_A)])
    assert reason(verifier, mint(RSA_A, exp=bad)) == "invalid claim: exp"
    assert reason(verifier, mint(RSA_A, nbf=bad)) == "invalid claim: nbf"


def test_missing_exp_and_other_required_claims() -> None:
    verifier = make(keys=[pem(RSA_A)])
    assert reason(verifier, mint(RSA_A, exp=None)) == "missing claim: exp"
    strict = make(keys=[pem(RSA_A)], required_claims=["exp", "sub", "jti"])
    assert reason(strict, mint(RSA_A, jti="j-1", sub=None)) == "missing claim: sub"
    assert reason(strict, mint(RSA_A)) == "missing claim: jti"
    assert verify(strict, mint(RSA_A, jti="j-1")).claims["jti"] == "j-1"
    relaxed = make(keys=[pem(RSA_A)], required_claims=[])
    assert verify(relaxed, mint(RSA_A, exp=None)).subject == "alice"


def test_audience() -> None:
    verifier = make(keys=[pem(RSA_A)])
    assert reason(verifier, mint(RSA_A, aud="another-app")) == "wrong audience"
    assert reason(verifier, mint(RSA_A, aud=["x", "y"])) == "wrong audience"
    assert reason(verifier, mint(RSA_A, aud=None)) == "missing claim: aud"
    assert reason(verifier, mint(RSA_A, aud=[AUDIENCE, 7])) == "invalid claim: aud"
    assert verify(verifier, mint(RSA_A, aud=["other", AUDIENCE])).subject == "alice"
    any_of = make(keys=[pem(RSA_A)], audience=["api://crm", AUDIENCE])
    assert verify(any_of, mint(RSA_A)).subject == "alice"
    unchecked = make(keys=[pem(RSA_A)], audience=None)
    assert verify(unchecked, mint(RSA_A, aud="anything")).subject == "alice"


def test_issuer() -> None:
    verifier = make(keys=[pem(RSA_A)])
    assert reason(verifier, mint(RSA_A, iss="https://evil.example.test")) == "wrong issuer"
    assert reason(verifier, mint(RSA_A, iss=ISSUER + "/")) == "wrong issuer"
    assert reason(verifier, mint(RSA_A, iss=None)) == "missing claim: iss"


# --------------------------------------------------------------------------------------------
# Subject, groups and scopes
# --------------------------------------------------------------------------------------------


def test_groups_from_cognito_groups_list() -> None:
    verifier = make(keys=[pem(RSA_A)], groups_claim="cognito:groups")
    who = verify(verifier, mint(RSA_A, **{"cognito:groups": ["sales", "admins", "sales"]}))
    assert who.groups == ("sales", "admins")
    assert who.claim("groups") == ["sales", "admins"]


@pytest.mark.parametrize(
    ("value", "groups"),
    [
        ("sales admins", ("sales", "admins")),
        ("sales,admins", ("sales", "admins")),
        ("  sales ,  admins\tsupport ", ("sales", "admins", "support")),
        ("", ()),
        ([], ()),
    ],
)
def test_groups_from_a_string(value: Any, groups: tuple[str, ...]) -> None:
    who = verify(make(keys=[pem(RSA_A)]), mint(RSA_A, groups=value))
    assert who.groups == groups


def test_groups_from_a_nested_claim_and_missing_groups() -> None:
    verifier = make(keys=[pem(RSA_A)], groups_claim="realm_access.roles")
    who = verify(verifier, mint(RSA_A, realm_access={"roles": ["crm-reader"]}))
    assert who.groups == ("crm-reader",)
    assert verify(verifier, mint(RSA_A)).groups == ()


@pytest.mark.parametrize("bad", [{"sales": True}, ["sales", 3], 42])
def test_malformed_groups_fail_closed(bad: Any) -> None:
    assert reason(make(keys=[pem(RSA_A)]), mint(RSA_A, groups=bad)) == "invalid claim: groups"


def test_scopes_from_scope_string() -> None:
    who = verify(make(keys=[pem(RSA_A)]), mint(RSA_A, scope="crm.read  crm.write"))
    assert who.claims["scopes"] == ["crm.read", "crm.write"]
    assert scopes_of(who) == ["crm.read", "crm.write"]
    assert who.claims["scope"] == "crm.read  crm.write"  # the original claim is kept


@pytest.mark.parametrize("value", [["crm.read", "crm.write"], "crm.read crm.write"])
def test_scopes_from_scp(value: Any) -> None:
    who = verify(make(keys=[pem(RSA_A)], scopes_claim="scp"), mint(RSA_A, scp=value))
    assert scopes_of(who) == ["crm.read", "crm.write"]


def test_scopes_of_other_callers() -> None:
    assert scopes_of(None) == []
    assert scopes_of(Caller(token="opaque")) == []
    assert verify(make(keys=[pem(RSA_A)]), mint(RSA_A)).claims["scopes"] == []


def test_subject_claim() -> None:
    verifier = make(keys=[pem(RSA_A)], subject_claim="email")
    assert verify(verifier, mint(RSA_A, email="a@example.test")).subject == "a@example.test"
    assert verify(make(keys=[pem(RSA_A)]), mint(RSA_A, sub=12345)).subject == "12345"
    assert verify(make(keys=[pem(RSA_A)]), mint(RSA_A, sub=None)).subject is None
    assert reason(make(keys=[pem(RSA_A)]), mint(RSA_A, sub=["a"])) == "invalid claim: sub"


# --------------------------------------------------------------------------------------------
# Malformed tokens
# --------------------------------------------------------------------------------------------

_HEADER = b64json({"alg": "RS256"})
_PAYLOAD = b64json(claims_for())
_SIG = b64(b"s" * 256)


def _token(header: bytes | str = _HEADER, payload: bytes | str = _PAYLOAD) -> str:
    """Raw bytes are base64url-encoded; strings are used as the segment itself."""
    parts = [b64(p) if isinstance(p, bytes) else p for p in (header, payload)]
    return f"{parts[0]}.{parts[1]}.{_SIG}"


MALFORMED: dict[str, Any] = {
    "empty": "",
    "one part": "abcdef",
    "two parts": f"{_HEADER}.{_PAYLOAD}",
    "four parts": f"{_HEADER}.{_PAYLOAD}.{_SIG}.{_SIG}",
    "JWE (five parts)": f"{_HEADER}.{_SIG}.{_SIG}.{_PAYLOAD}.{_SIG}",
    "bad base64 chars": f"{_HEADER}.{_PAYLOAD}!.{_SIG}",
    "padding": f"{_HEADER}=.{_PAYLOAD}.{_SIG}",
    "impossible length": f"{_HEADER}.{_PAYLOAD}.{_SIG[:-1]}",  # 4n+1 characters
    "standard base64 alphabet": f"{_HEADER}.{_PAYLOAD}.ab+/cd",
    "whitespace": f"{_HEADER}. {_PAYLOAD}.{_SIG}",
    "header not JSON": _token(b"{alg: RS256"),
    "header a list": _token(b'["RS256"]'),
    "header empty": _token(""),
    "no alg": _token(b'{"typ":"JWT"}'),
    "alg not a string": _token(b'{"alg":256}'),
    "kid not a string": _token(b'{"alg":"RS256","kid":7}'),
    "duplicate alg": _token(b'{"alg":"RS256","alg":"none"}'),
    "payload not JSON": _token(payload=b"not json"),
    "payload a string": _token(payload=b'"sub"'),
    "payload empty": _token(payload=""),
    "payload not UTF-8": _token(payload=b'{"sub":"\xff\xfe"}'),
    "payload NaN": _token(payload=b'{"exp":NaN}'),
    "duplicate claim": _token(payload=b'{"sub":"alice","sub":"root"}'),
    "deeply nested": _token(payload=b"[" * 5000 + b"]" * 5000),
    "not a string": b"a.b.c",
    "None": None,
}


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_tokens_are_rejected(token: Any) -> None:
    if isinstance(token, str):
        _minted.append(token)
    verifier = make(keys=[pem(RSA_A)])
    assert reason(verifier, token) == "malformed token"


def test_huge_token_is_rejected_before_parsing() -> None:
    huge = mint(RSA_A, padding="x" * MAX_TOKEN_LENGTH)
    assert len(huge) > MAX_TOKEN_LENGTH
    assert reason(make(keys=[pem(RSA_A)]), huge) == "token too large"


def test_errors_carry_no_chained_exception() -> None:
    verifier = make(keys=[pem(RSA_A)])
    for token in (MALFORMED["header not JSON"], mint(RSA_B), mint(RSA_A, exp="x")):
        _minted.append(token)
        with pytest.raises(IdentityError) as info:
            run(verifier.verify(token))
        _errors.append(info.value)
        assert info.value.__cause__ is None and info.value.__context__ is None
        assert str(info.value) == info.value.reason


def test_unexpected_failures_become_identity_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = make(keys=[pem(RSA_A)])
    token = mint(RSA_A)

    def broken(claims: Any, token: str) -> Caller:
        raise RuntimeError(f"bug while handling {token}")

    monkeypatch.setattr(verifier, "_caller", broken)
    assert reason(verifier, token) == "invalid token"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["unexpected RuntimeError while verifying a token"]


def test_no_token_in_errors_or_logs(jwks: Jwks, caplog: pytest.LogCaptureFixture) -> None:
    # The autouse leak check does the asserting; this test only produces every failure kind.
    verifier = make(jwks_url=jwks.url, keys=[pem(EC_A), oct_jwk()], algorithms=["RS256", "HS256"])
    tokens = [
        mint(RSA_B, kid="rsa-1"),
        mint(RSA_A, kid="rsa-1", exp=NOW - 3600),
        mint(RSA_A, kid="rsa-1", aud="other"),
        mint(RSA_A, "RS512", kid="rsa-1"),
        mint(HMAC_SECRET, "HS256", nbf=NOW + 3600),
        mint(RSA_A, kid="unknown"),
        unsigned({"alg": "none"}, claims_for()),
    ]
    reasons = {reason(verifier, token) for token in tokens}
    assert reasons == {
        "bad signature",
        "token expired",
        "wrong audience",
        "algorithm not allowed",
        "token not yet valid",
        "no matching signing key",
    }
    rejections = [r.getMessage() for r in caplog.records if "token rejected" in r.getMessage()]
    assert len(rejections) == len(tokens)
    assert verify(verifier, mint(RSA_A, kid="rsa-1")).subject == "alice"


# --------------------------------------------------------------------------------------------
# Configuration and the Authorization header
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "needs `keys` or `jwks_url`"),
        ({"jwks_url": "http://idp.example.test/jwks"}, "https://"),
        ({"jwks_url": "ftp://127.0.0.1/jwks"}, "https://"),
        ({"keys": ["not a key"]}, r"keys\[0\]"),
        ({"keys": ["{not json"]}, r"keys\[0\]: not valid JSON"),
        ({"keys": [{"kty": "RSA", "n": "AQAB"}]}, r"keys\[0\]: not a usable JWK"),
        ({"keys": [oct_jwk(b"short-secret")]}, "at least 32 bytes"),
        ({"keys": [pem(RSA_A)], "algorithms": ["XS256"]}, "unsupported JWT algorithm"),
        ({"keys": [pem(RSA_A)], "leeway": -1}, "leeway"),
        ({"keys": [pem(RSA_A)], "audience": []}, "audience"),
    ],
)
@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
def test_invalid_settings(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        JwtVerifier(JwtSettings(**settings))
    assert "short-secret" not in str(info.value)


def test_private_keys_are_refused_in_configuration() -> None:
    private_pem = RSA_A.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    private_jwk = {**jwk(RSA_A), "d": b64int(RSA_A.private_numbers().d)}
    for key in (private_pem, private_jwk):
        with pytest.raises(ValueError, match="private key") as info:
            JwtVerifier(JwtSettings(keys=[key]))
        assert private_jwk["d"] not in str(info.value)
        assert "PRIVATE KEY-----\n" not in str(info.value)


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
def test_weak_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        JwtVerifier(JwtSettings(keys=[pem(weak)]))
    with pytest.raises(ValueError, match="not a usable JWK"):
        JwtVerifier(JwtSettings(keys=[jwk(weak)]))


def test_loopback_http_jwks_and_missing_checks_warning(caplog: pytest.LogCaptureFixture) -> None:
    JwtVerifier(JwtSettings(jwks_url="http://localhost:1/jwks", issuer=ISSUER))
    JwtVerifier(JwtSettings(jwks_url="https://idp.example.test/jwks", audience=AUDIENCE))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    JwtVerifier(JwtSettings(jwks_url="http://[::1]:1/jwks"))
    assert any("without issuer or audience" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("BEARER   abc.def.ghi  ", "abc.def.ghi"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer a b", None),
        ("Bearerabc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token
