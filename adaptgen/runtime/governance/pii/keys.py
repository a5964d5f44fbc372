"""The tokenization key: from a secret reference, text (base64 or hex), or made per process."""

from __future__ import annotations

import base64
import binascii
import re

from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from adaptgen.runtime.governance.pii.errors import PiiError
from adaptgen.runtime.secrets import SecretError, SecretResolver

KEY_SIZES = (32, 48, 64)  # AES-SIV: two AES keys of 128, 192 or 256 bits


def check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray):
        raise PiiError("the PII key must be bytes (see key_from_text / key_from_reference)")
    if len(key) not in KEY_SIZES:
        raise PiiError(
            f"the PII key must be 32, 48 or 64 bytes (AES-SIV-256/384/512), not {len(key)} bytes"
        )
    return bytes(key)


def ephemeral_key() -> bytes:
    """A random 64-byte (AES-SIV-512) key; tokens made with it die with the process."""
    return AESSIV.generate_key(512)


def key_from_text(text: str) -> bytes:
    """A key from its text form: hex or base64 (standard or URL-safe, padding optional) of 32,
    48 or 64 bytes, optionally prefixed ``hex:`` or ``base64:``. Whitespace is ignored.

    This is what an environment variable or a Secrets Manager secret holds; the text itself is
    never put in an error message.
    """
    compact = "".join(str(text).split())
    scheme, sep, body = compact.partition(":")
    if sep and scheme.lower() in ("hex", "base64", "b64"):
        decoders = [_from_hex] if scheme.lower() == "hex" else [_from_base64]
        compact = body
    else:
        # Hex first: 64/96/128 hex digits are also valid base64 of a *different* length.
        decoders = [_from_hex, _from_base64]
    for decode in decoders:
        key = decode(compact)
        if key is not None and len(key) in KEY_SIZES:
            return key
    raise PiiError(
        "the PII key text must be hex or base64 of 32, 48 or 64 random bytes "
        "(e.g. `openssl rand -base64 64`)"
    )


def _from_hex(text: str) -> bytes | None:
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", text):
        return None
    return bytes.fromhex(text)


def _from_base64(text: str) -> bytes | None:
    standard = text.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def key_from_reference(ref: str, resolver: SecretResolver | None = None) -> bytes:
    """The key behind a secret reference (``${env:NAME}``, ``${aws-sm:ID#key}``).

    A literal is refused: a key written into a policy file or a command line would end up in
    version control and process listings.
    """
    if "${" not in ref:
        raise PiiError(
            "the PII key must be a secret reference like ${env:NAME} or ${aws-sm:ID#key}, "
            "not a literal"
        )
    try:
        text = (resolver or SecretResolver()).resolve(ref)
    except SecretError as exc:  # its message names the reference only
        raise PiiError(f"cannot read the PII key: {exc}") from None
    return key_from_text(text)
