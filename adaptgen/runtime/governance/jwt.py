"""Caller identity: verify a JWT bearer token ourselves and turn it into a `Caller`.

Security teams require that every caller is identified by a token the server verifies with keys
it trusts (static PEM/JWK keys and/or a JWKS URL), with groups and scopes read from configurable
claims. The rules, in the order they are applied:

* Structure: three base64url segments, JSON objects, at most 16 KB, no duplicate JSON members.
  Anything else is "malformed token", never an unhandled exception.
* Algorithm: the header's `alg` must be in the configured allow-list; "none" never is, and the
  header cannot widen the list. `crit` headers are refused (we implement no extensions), and
  keys embedded in or pointed to by the header (`jwk`, `jku`, `x5c`, `x5u`) are never used.
* Key: chosen by `kid` (else every trusted key of the right type) and only if its family fits
  the algorithm: `oct` -> HS*, RSA -> RS*/PS*, EC -> ES* (on the algorithm's curve), OKP ->
  EdDSA. A JWK whose `alg`, `use` or `key_ops` contradicts the token is not used. This is what
  defeats key confusion: an RSA public key is never an HMAC secret.
* Claims (only after the signature holds): the required claims (`exp` by default), `exp`,
  `nbf`, `iat` against the clock with leeway, then `iss` and `aud` when configured.

Verification is done with joserfc's algorithm objects, called directly with the algorithm we
chose: its `deserialize_compact`/`jwt.decode` helpers would pick the algorithm from the header
and would accept "none" if it were ever allow-listed, so they are not used.

Error messages are short reasons safe to show a caller; no token, key or secret is ever put in
an exception or a log record.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import re
import ssl
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from joserfc.jwk import ECKey, JWKRegistry, Key, OctKey, OKPKey, RSAKey
from joserfc.jws import JWSAlgModel, JWSRegistry

from ..identity import Caller
from ..origin import is_loopback_host
from ..proxies import proxy_for
from ..tls import TlsSettingError, tls_cause, trusting

__all__ = [
    "IdentityError",
    "JwtSettings",
    "JwtVerifier",
    "bearer_token",
    "scopes_of",
]

logger = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 16 * 1024  # bytes; real access/ID tokens are 1-4 KB
JWKS_DEFAULT_TTL = 300.0  # seconds a JWKS is cached when the response says nothing
JWKS_MIN_TTL = 30.0  # Cache-Control bounds: never refetch on every request...
JWKS_MAX_TTL = 24 * 3600.0  # ...and never trust a key set for longer than a day
JWKS_REFETCH_INTERVAL = 10.0  # at most one fetch per interval (unknown kids, retries)
JWKS_MAX_STALE = 3600.0  # keep using expired keys this long while the endpoint is down
JWKS_TIMEOUT = 5.0
JWKS_MAX_BYTES = 512 * 1024
JWKS_MAX_KEYS = 100  # bounds the work a kid-less token can cause

# Which key family may verify which algorithm (RFC 7518 section 3, RFC 8037, RFC 9864).
_KEY_TYPES: dict[str, str] = {
    "HS256": "oct",
    "HS384": "oct",
    "HS512": "oct",
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "ES256K": "EC",
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "Ed448": "OKP",
}
# RFC 7518 3.2: an HMAC key must be at least as long as the hash output.
_HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_MIN_RSA_BITS = 2048
# Public members per key type: private members of a fetched JWK are dropped, never used.
_PUBLIC_MEMBERS = {
    "RSA": ("n", "e"),
    "EC": ("crv", "x", "y"),
    "OKP": ("crv", "x"),
}
_KEY_METADATA = ("kty", "kid", "alg", "use", "key_ops")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class IdentityError(Exception):
    """The caller could not be identified; `reason` is short and safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class JwtSettings:
    """How to verify callers' JWTs (see the module docstring for the rules)."""

    issuer: str | None = None
    audience: str | Sequence[str] | None = None
    jwks_url: str | None = None
    ca_bundle: str | None = None  # CAs the JWKS URL may be signed by, beside the public roots
    keys: Sequence[str | Mapping[str, Any]] = ()
    algorithms: Sequence[str] = ("RS256", "ES256")
    leeway: float = 30.0
    subject_claim: str = "sub"
    groups_claim: str = "groups"
    scopes_claim: str = "scope"
    required_claims: Sequence[str] = ("exp",)


@dataclass(frozen=True)
class _Parsed:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


class JwtVerifier:
    """Verifies bearer JWTs against trusted keys and returns the `Caller` they identify.

    One verifier serves many requests (and event loops): the JWKS is cached and shared.
    `http` is used for JWKS fetches when given (the caller owns it); otherwise a short-lived
    client is opened per fetch. `clock` is the wall clock (seconds since the epoch).
    """

    def __init__(
        self,
        settings: JwtSettings,
        *,
        http: httpx2.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._http = http
        self._clock = clock
        self._algorithms = _allowed_algorithms(settings.algorithms)
        self._static_keys = _static_keys(settings.keys)
        self._audiences = _audiences(settings.audience)
        if not math.isfinite(settings.leeway) or settings.leeway < 0:
            raise ValueError("leeway must be a non-negative number of seconds")
        if settings.jwks_url is not None:
            _check_jwks_url(settings.jwks_url)
        if not self._static_keys and not settings.jwks_url:
            raise ValueError("JwtSettings needs `keys` or `jwks_url`")
        if settings.issuer is None and self._audiences is None:
            # Without either, a token the same issuer minted for any other app is accepted.
            logger.warning("JWT verification configured without issuer or audience checks")
        self._jwks_keys: tuple[Key, ...] = ()
        self._jwks_loaded = False
        self._jwks_expires = 0.0
        self._last_fetch = -math.inf
        self._lock_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._lock = asyncio.Lock()  # replaced per event loop, see _loop_lock

    async def verify(self, token: str) -> Caller:
        """The verified caller for `token`, or raise `IdentityError` with a safe reason."""
        failure: str | None = None
        try:
            return await self._verify(token)
        except IdentityError as err:
            failure = err.reason
        except Exception as err:  # noqa: BLE001 - a token must never crash the server
            # The exception text may quote the input, so only its type is logged.
            logger.error("unexpected %s while verifying a token", type(err).__name__)
            failure = "invalid token"
        # Raised outside the except blocks: no chained exception can carry token text along.
        logger.debug("token rejected: %s", failure)
        raise IdentityError(failure)

    async def _verify(self, token: str) -> Caller:
        parsed = _parse(token)
        alg = parsed.header["alg"]
        model = self._algorithms.get(alg)
        if model is None:
            raise IdentityError("algorithm not allowed")
        if "crit" in parsed.header or "b64" in parsed.header:
            raise IdentityError("unsupported token header")
        if not parsed.signature:
            raise IdentityError("bad signature")
        kid = parsed.header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise IdentityError("malformed token")

        candidates = await self._candidates(kid, alg, model)
        if not any(_signature_ok(model, parsed, key) for key in candidates):
            raise IdentityError("bad signature")

        self._check_claims(parsed.claims)
        return self._caller(parsed.claims, token)

    # -- keys ---------------------------------------------------------------------------------

    async def _candidates(self, kid: str | None, alg: str, model: JWSAlgModel) -> list[Key]:
        """The trusted keys that may verify this token, refetching the JWKS once if none."""
        jwks = await self._jwks(force=False)
        keys = self._static_keys + (jwks or ())
        chosen = _select(keys, kid, alg, model)
        if not chosen and self.settings.jwks_url:
            # Unknown kid: the issuer may have rotated its keys (rate limited in _jwks).
            jwks = await self._jwks(force=True)
            keys = self._static_keys + (jwks or ())
            chosen = _select(keys, kid, alg, model)
        if not chosen and kid is not None:
            # Keys configured without a kid (a PEM) can still verify a token that names one.
            chosen = [k for k in keys if k.kid is None and _fits(k, alg, model)]
        if not chosen:
            # A dead JWKS endpoint only matters when no static key could verify the token.
            unavailable = self.settings.jwks_url and jwks is None
            raise IdentityError(
                "cannot fetch signing keys" if unavailable else "no matching signing key"
            )
        return chosen

    async def _jwks(self, *, force: bool) -> tuple[Key, ...] | None:
        """The JWKS keys (None when unavailable): cached, refreshed when stale or forced, and
        fetched at most once per interval."""
        if not self.settings.jwks_url:
            return ()
        now = self._clock()
        if self._jwks_loaded and now < self._jwks_expires and not force:
            return self._jwks_keys
        attempt = self._last_fetch
        async with self._loop_lock():
            # Tasks that waited for the lock share the fetch that was in flight; otherwise at
            # most one fetch per interval, whatever the tokens' kids (kid spraying).
            due = self._clock() - self._last_fetch >= JWKS_REFETCH_INTERVAL
            if self._last_fetch == attempt and due:
                self._last_fetch = self._clock()
                await self._refresh()
        if self._jwks_loaded and self._clock() < self._jwks_expires + JWKS_MAX_STALE:
            return self._jwks_keys
        return None

    async def _refresh(self) -> None:
        url = self.settings.jwks_url
        assert url is not None
        fetched = await self._fetch(url)
        if fetched is None:
            return
        keys, ttl = fetched
        self._jwks_keys, self._jwks_loaded = keys, True
        self._jwks_expires = self._clock() + ttl
        logger.debug("fetched %d signing keys from %s (cached %.0f s)", len(keys), _safe(url), ttl)

    async def _fetch(self, url: str) -> tuple[tuple[Key, ...], float] | None:
        """(keys, ttl) from the JWKS endpoint, or None (logged) when it cannot be used."""
        problem = None
        body = b""
        cache_control = ""
        try:
            if self._http is not None:
                body, cache_control, problem = await _get(self._http, url)
            else:
                async with httpx2.AsyncClient(
                    timeout=JWKS_TIMEOUT,
                    follow_redirects=False,
                    trust_env=False,
                    verify=trusting(self.settings.ca_bundle, "identity.jwt.ca_bundle"),
                    proxy=proxy_for(url, None),  # an IdP outside, behind an egress proxy
                ) as client:
                    body, cache_control, problem = await _get(client, url)
        except TlsSettingError as err:  # names the setting, never a certificate's text
            problem = str(err)
        except Exception as err:  # noqa: BLE001 - any transport failure means: no keys
            problem = type(err).__name__
            if isinstance(tls_cause(err), ssl.SSLCertVerificationError):
                problem = (
                    "its TLS certificate is not trusted; if your company's CA signed it, set "
                    "identity.jwt.ca_bundle in the policy"
                )
        if problem is None:
            document = _json(body)
            entries = document.get("keys") if isinstance(document, dict) else None
            if isinstance(entries, list):
                return _jwks_keys(entries), _ttl(cache_control)
            problem = "not a JWK set"
        logger.warning("cannot fetch signing keys from %s: %s", _safe(url), problem)
        return None

    def _loop_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one loop; a verifier may serve several over time.
        loop = asyncio.get_running_loop()
        if self._lock_loop is None or self._lock_loop() is not loop:
            self._lock_loop, self._lock = weakref.ref(loop), asyncio.Lock()
        return self._lock

    # -- claims -------------------------------------------------------------------------------

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        settings = self.settings
        for name in settings.required_claims:
            if claims.get(name) is None:
                raise IdentityError(f"missing claim: {name}")
        now, leeway = self._clock(), settings.leeway
        exp, nbf, iat = (_numeric_date(claims, name) for name in ("exp", "nbf", "iat"))
        if exp is not None and now - leeway >= exp:
            raise IdentityError("token expired")
        if nbf is not None and now + leeway < nbf:
            raise IdentityError("token not yet valid")
        if iat is not None and now + leeway < iat:
            raise IdentityError("token issued in the future")
        if settings.issuer is not None:
            if "iss" not in claims:
                raise IdentityError("missing claim: iss")
            if claims["iss"] != settings.issuer:
                raise IdentityError("wrong issuer")
        if self._audiences is not None:
            if "aud" not in claims:
                raise IdentityError("missing claim: aud")
            aud = claims["aud"]
            token_audiences = [aud] if isinstance(aud, str) else aud
            if not isinstance(token_audiences, list) or not all(
                isinstance(a, str) for a in token_audiences
            ):
                raise IdentityError("invalid claim: aud")
            if not self._audiences.intersection(token_audiences):
                raise IdentityError("wrong audience")

    def _caller(self, claims: dict[str, Any], token: str) -> Caller:
        settings = self.settings
        subject = _claim(claims, settings.subject_claim)
        if isinstance(subject, int) and not isinstance(subject, bool):
            subject = str(subject)  # some issuers use numeric user ids
        if subject is not None and not isinstance(subject, str):
            raise IdentityError(f"invalid claim: {settings.subject_claim}")
        groups = _names(_claim(claims, settings.groups_claim), settings.groups_claim, ",")
        scopes = _names(_claim(claims, settings.scopes_claim), settings.scopes_claim, "")
        return Caller(
            subject=subject or None,
            groups=tuple(groups),
            claims={**claims, "scopes": scopes},
            token=token,
        )


def scopes_of(caller: Caller | None) -> list[str]:
    """The scopes of a caller made by `JwtVerifier` (`claims["scopes"]`); [] otherwise."""
    if caller is None:
        return []
    scopes = caller.claims.get("scopes")
    if isinstance(scopes, list | tuple):
        return [s for s in scopes if isinstance(s, str)]
    return []


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive)."""
    if not authorization_header:
        return None
    parts = authorization_header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


# -- parsing ----------------------------------------------------------------------------------


def _parse(token: Any) -> _Parsed:
    if not isinstance(token, str) or not token:
        raise IdentityError("malformed token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise IdentityError("token too large")
    segments = token.split(".")
    # Five segments is a JWE (encrypted token): not something this verifier accepts.
    if len(segments) != 3 or not all(_B64URL.fullmatch(s) for s in segments):
        raise IdentityError("malformed token")
    header_b64, payload_b64, signature_b64 = segments
    header = _json(_b64decode(header_b64))
    claims = _json(_b64decode(payload_b64))
    signature = _b64decode(signature_b64)
    if not isinstance(header, dict) or not isinstance(claims, dict) or signature is None:
        raise IdentityError("malformed token")
    if not isinstance(header.get("alg"), str):
        raise IdentityError("malformed token")
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    return _Parsed(header, claims, signing_input, signature)


def _b64decode(segment: str) -> bytes | None:
    """Unpadded base64url (the alphabet was checked by the caller), or None."""
    if len(segment) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


class _DuplicateKeyError(ValueError):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate members are read differently by different parsers: refuse them.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError  # NaN / Infinity are not JSON


def _json(data: bytes | None) -> Any:
    """Parsed JSON, or None when `data` is not strict UTF-8 JSON."""
    if data is None:
        return None
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_unique_object, parse_constant=_no_constant
        )
    except (ValueError, RecursionError):
        return None


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise IdentityError(f"invalid claim: {name}")
    return float(value)


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by exact name, else by dotted path (`realm_access.roles`)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _names(value: Any, claim: str, extra_separators: str) -> list[str]:
    """Group or scope names from a list or a whitespace (and `extra_separators`) string."""
    if value is None:
        return []
    if isinstance(value, str):
        for separator in extra_separators:
            value = value.replace(separator, " ")
        items: list[Any] = value.split()
    elif isinstance(value, list):
        items = value
    else:
        # Fail closed: a malformed claim could otherwise dodge a deny rule on a group.
        raise IdentityError(f"invalid claim: {claim}")
    if not all(isinstance(item, str) for item in items):
        raise IdentityError(f"invalid claim: {claim}")
    return list(dict.fromkeys(item for item in items if item))


# -- keys -------------------------------------------------------------------------------------


def _allowed_algorithms(names: Sequence[str]) -> dict[str, JWSAlgModel]:
    if isinstance(names, str):
        names = (names,)
    allowed: dict[str, JWSAlgModel] = {}
    for name in names:
        if not isinstance(name, str):
            raise ValueError("JwtSettings.algorithms must be algorithm names")
        if name.lower() == "none":
            continue  # unsigned tokens are never accepted, whatever the configuration says
        if name not in _KEY_TYPES or name not in JWSRegistry.algorithms:
            raise ValueError(f"unsupported JWT algorithm {name!r}")
        model = JWSRegistry.algorithms[name]
        if model.key_type != _KEY_TYPES[name]:  # pragma: no cover - guards a joserfc change
            raise ValueError(f"unexpected key type for {name!r}")
        allowed[name] = model
    if not allowed:
        raise ValueError("JwtSettings.algorithms allows no signature algorithm")
    return allowed


def _audiences(audience: str | Sequence[str] | None) -> frozenset[str] | None:
    if audience is None:
        return None
    values = frozenset([audience] if isinstance(audience, str) else audience)
    if not values or not all(isinstance(a, str) and a for a in values):
        raise ValueError("JwtSettings.audience must be a non-empty string or list of strings")
    return values


def _check_jwks_url(url: str) -> None:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError("jwks_url has an invalid port") from None
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return  # local development and tests only: nobody can tamper with loopback traffic
    raise ValueError("jwks_url must be an https:// URL (http:// only on loopback)")


def _static_keys(entries: Sequence[str | Mapping[str, Any]]) -> tuple[Key, ...]:
    if isinstance(entries, str | Mapping):
        entries = [entries]
    keys: list[Key] = []
    for index, entry in enumerate(entries):
        # Messages name the entry, never its content (an oct key is a secret).
        problem = None
        if isinstance(entry, str) and entry.lstrip().startswith("{"):
            entry = _json(entry.encode("utf-8"))
            if entry is None:
                problem = "not valid JSON"
        if problem is None and isinstance(entry, Mapping) and isinstance(entry.get("keys"), list):
            imported = [_static_jwk(jwk) for jwk in entry["keys"]]
        elif problem is None:
            imported = [_static_pem(entry) if isinstance(entry, str) else _static_jwk(entry)]
        else:
            imported = []
        for key_or_problem in imported:
            if isinstance(key_or_problem, str):
                problem = key_or_problem
            else:
                keys.append(key_or_problem)
        if problem is not None:
            raise ValueError(f"JwtSettings.keys[{index}]: {problem}")
    return tuple(keys)


def _static_pem(text: str) -> Key | str:
    """A key from a PEM public key or certificate, or a problem description."""
    if "PRIVATE KEY" in text:
        return "is a private key; configure the public key only"
    data = text.strip().encode("utf-8")
    public: Any = None
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            public = x509.load_pem_x509_certificate(data).public_key()
        except (ValueError, TypeError):
            public = None
    if public is None:
        return "not a PEM public key, certificate or JWK"
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key: Key
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < _MIN_RSA_BITS:
            return f"RSA keys must have at least {_MIN_RSA_BITS} bits"
        key = RSAKey.import_key(pem)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        key = ECKey.import_key(pem)
    elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key = OKPKey.import_key(pem)
    else:
        return "unsupported key type (RSA, EC, Ed25519/Ed448 only)"
    return key


def _static_jwk(value: Any) -> Key | str:
    """A configured JWK (oct allowed; private members refused), or a problem description."""
    if not isinstance(value, Mapping):
        return "not a PEM public key, certificate or JWK"
    kty = value.get("kty")
    if kty in _PUBLIC_MEMBERS and "d" in value:
        return "is a private key; configure the public key only"
    key = _import_jwk(value)
    if key is None:
        return "not a usable JWK"
    if isinstance(key, OctKey) and len(key.raw_value) < min(_HMAC_MIN_BYTES.values()):
        return "HMAC keys must have at least 32 bytes"
    return key


def _jwks_keys(entries: list[Any]) -> tuple[Key, ...]:
    """The usable public keys of a fetched JWKS; anything odd is skipped, not fatal."""
    keys: list[Key] = []
    for index, value in enumerate(entries[:JWKS_MAX_KEYS]):
        if not isinstance(value, Mapping):
            continue
        kty = value.get("kty")
        if kty == "oct":
            # A symmetric key published at a URL is public: anyone could mint tokens with it.
            logger.warning("ignoring symmetric key #%d of the JWKS", index)
            continue
        if kty not in _PUBLIC_MEMBERS:
            continue
        # Only public members are kept, so an IdP that leaks `d` does not make us hold it.
        public = {k: value[k] for k in (*_KEY_METADATA, *_PUBLIC_MEMBERS[kty]) if k in value}
        key = _import_jwk(public)
        if key is None:
            logger.warning("ignoring unusable key #%d of the JWKS", index)
        else:
            keys.append(key)
    return tuple(keys)


def _import_jwk(value: Mapping[str, Any]) -> Key | None:
    kid = value.get("kid")
    if kid is not None and not isinstance(kid, str):
        return None
    try:
        key = JWKRegistry.import_key(dict(value))
    except Exception:  # noqa: BLE001 - joserfc/cryptography raise many types for bad input
        return None
    raw = key.raw_value
    if isinstance(raw, rsa.RSAPrivateKey | rsa.RSAPublicKey) and raw.key_size < _MIN_RSA_BITS:
        return None
    if isinstance(key, OKPKey) and key.curve_name not in ("Ed25519", "Ed448"):
        return None  # X25519/X448 are key-agreement keys, not signing keys
    return key


def _fits(key: Key, alg: str, model: JWSAlgModel) -> bool:
    """Whether `key` may verify `alg`: right family and curve, no contradicting JWK members."""
    if key.key_type != _KEY_TYPES[alg]:
        return False
    designed_alg, use, key_ops = key.get("alg"), key.get("use"), key.get("key_ops")
    if designed_alg is not None and designed_alg != alg:
        return False
    if use is not None and use != "sig":
        return False
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return False
    if isinstance(key, OctKey) and len(key.raw_value) < _HMAC_MIN_BYTES[alg]:
        return False
    try:
        model.check_key(key)  # joserfc's own checks: key type, curve, use, alg
    except Exception:  # noqa: BLE001 - any refusal means: not this key
        return False
    return True


def _select(keys: Sequence[Key], kid: str | None, alg: str, model: JWSAlgModel) -> list[Key]:
    fitting = [key for key in keys if _fits(key, alg, model)]
    if kid is None:
        return fitting
    return [key for key in fitting if key.kid == kid]


def _signature_ok(model: JWSAlgModel, parsed: _Parsed, key: Key) -> bool:
    try:
        return bool(model.verify(parsed.signing_input, parsed.signature, key))
    except Exception:  # noqa: BLE001 - e.g. an ECDSA signature of the wrong length
        return False


# -- JWKS over HTTP ---------------------------------------------------------------------------


async def _get(client: httpx2.AsyncClient, url: str) -> tuple[bytes, str, str | None]:
    """(body, Cache-Control, problem) of a GET, reading at most JWKS_MAX_BYTES."""
    headers = {"Accept": "application/json, application/jwk-set+json"}
    # No redirects, even on a caller's client: one could lead to a plain-http key source.
    request = client.stream(
        "GET", url, headers=headers, timeout=JWKS_TIMEOUT, follow_redirects=False
    )
    async with request as response:
        if response.status_code != 200:
            return b"", "", f"HTTP {response.status_code}"
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > JWKS_MAX_BYTES:
                return b"", "", "response too large"
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("cache-control", ""), None


def _ttl(cache_control: str) -> float:
    """Seconds to cache a JWKS: Cache-Control max-age within bounds, else the default."""
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return JWKS_MIN_TTL
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age":
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                break
            if math.isfinite(seconds):
                return min(max(seconds, JWKS_MIN_TTL), JWKS_MAX_TTL)
            break
    return JWKS_DEFAULT_TTL


def _safe(url: str) -> str:
    """The URL without query or credentials, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
