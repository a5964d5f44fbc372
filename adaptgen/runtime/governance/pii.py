"""PII tokenization: the model sees deterministic, reversible tokens; the upstream sees real values.

PII in tool *results* becomes tokens like ``<pii:email:Zm9v...>``; tokens the model puts into tool
*arguments* are turned back into the real values before the upstream call.

Tokens
    ``<pii:KIND:B64>``: a readable kind (so the model knows what it holds and can pass it back) and
    the URL-safe base64 (unpadded) of an AES-SIV encryption of the UTF-8 value, with the kind as
    associated data. AES-SIV is deterministic (RFC 5297): the same value and kind always give the
    same token under one key, so an agent can compare and join on tokens. The associated data
    binds a token to its kind: a token minted as ``email`` and relabeled ``phone`` does not
    decrypt, and neither does a tampered token or one made under another key. Detokenizing such a
    token raises `PiiError`; a forged token is never passed upstream as text.

What gets tokenized
    * values at JSONPath ``fields`` (marked fields): the whole value, kind ``field`` unless the
      whole value is one recognized kind (an email at ``$.email`` gets the same ``email`` token as
      the same address found in free text, so joins work across both). Numbers are stringified;
      objects/arrays at a marked path have each scalar leaf tokenized. ``None``, booleans and
      ``""`` are left as they are (nothing to hide, and flags keep their meaning).
    * every other string (and dict key) when ``recognize=True``: each finding of `find_pii`
      (and of Amazon Comprehend, when configured) is replaced in place, so sentences keep their
      words. Existing tokens are never tokenized again.

Detokenized numbers come back as *strings* (the token does not record the JSON type).

Vault mode (`TokenVault`)
    Tokens stay the deterministic AES-SIV ones, but each minted token is also stored
    (`DynamoDbVault` in production, `MemoryVault` in tests), and detokenization *requires* the
    vault entry: revoking a token (erasing its stored value) makes it undetokenizable everywhere
    at once. Revocation is a tombstone, so re-tokenizing the same value does not revive it.

No raw value is ever put in an exception message, a log line or a ``repr()``; AWS calls run
inside `quiet_aws()` because botocore at DEBUG logs request bodies (which would hold the text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from adaptgen.runtime.jsonpath import JsonPathError, NodePath, _simple_steps, paths
from adaptgen.runtime.secrets import SecretError, SecretResolver, quiet_aws

__all__ = [
    "COMPREHEND_KINDS",
    "KEY_SIZES",
    "RECOGNIZERS",
    "TOKEN_PATTERN",
    "DynamoDbVault",
    "MemoryVault",
    "PiiError",
    "PiiFinding",
    "PiiTokenizer",
    "TokenVault",
    "ephemeral_key",
    "find_pii",
    "key_from_reference",
    "key_from_text",
]

RECOGNIZERS = ("email", "phone", "card", "iban", "ssn", "ip")
KEY_SIZES = (32, 48, 64)  # AES-SIV: two AES keys of 128, 192 or 256 bits
FIELD_KIND = "field"

# Anything shaped like a token, even a mangled one: the detokenizer must refuse what it cannot
# decrypt rather than pass a half-token upstream as a literal string.
TOKEN_PATTERN = re.compile(r"<pii:[^<>\s]*>")
_TOKEN_PARTS = re.compile(r"<pii:([a-z][a-z0-9_]{0,31}):([A-Za-z0-9_-]+)>")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_DOMAIN = b"adaptgen/pii/v1"  # first associated-data component: versions the token scheme

# Amazon Comprehend DetectPiiEntities types that are tokenized, and the kind their tokens carry
# (the regex recognizers' kinds where they overlap, so both mint the same token for a value).
# DATE_TIME, AGE and URL are left out on purpose: they are mostly not personal and very common.
COMPREHEND_KINDS: Mapping[str, str] = {
    "NAME": "name",
    "ADDRESS": "address",
    "EMAIL": "email",
    "PHONE": "phone",
    "CREDIT_DEBIT_NUMBER": "card",
    "CREDIT_DEBIT_CVV": "card_cvv",
    "CREDIT_DEBIT_EXPIRY": "card_expiry",
    "PIN": "pin",
    "SSN": "ssn",
    "IP_ADDRESS": "ip",
    "MAC_ADDRESS": "mac",
    "BANK_ACCOUNT_NUMBER": "bank_account",
    "BANK_ROUTING": "bank_routing",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": "iban",
    "SWIFT_CODE": "swift",
    "PASSPORT_NUMBER": "passport",
    "DRIVER_ID": "driver_id",
    "LICENSE_PLATE": "license_plate",
    "VEHICLE_IDENTIFICATION_NUMBER": "vin",
    "USERNAME": "username",
    "PASSWORD": "password",
    "AWS_ACCESS_KEY": "secret",
    "AWS_SECRET_KEY": "secret",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": "tax_id",
    "UK_NATIONAL_INSURANCE_NUMBER": "national_id",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER": "tax_id",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER": "health_id",
    "CA_SOCIAL_INSURANCE_NUMBER": "national_id",
    "CA_HEALTH_NUMBER": "health_id",
    "IN_AADHAAR": "national_id",
    "IN_PERMANENT_ACCOUNT_NUMBER": "tax_id",
    "IN_NREGA": "national_id",
    "IN_VOTER_NUMBER": "national_id",
}
# DetectPiiEntities takes at most 100 KB of UTF-8; 20,000 characters is at most 80 KB.
_COMPREHEND_CHUNK = 20_000
_COMPREHEND_CACHE = 512


class PiiError(Exception):
    """A key, token or vault problem; messages name kinds and token prefixes, never values."""


@dataclass(frozen=True)
class PiiFinding:
    """A span ``text[start:end]`` recognized as PII of ``kind`` (offsets only, no value)."""

    kind: str
    start: int
    end: int


# --------------------------------------------------------------------------------------------
# Recognizers
# --------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9._%+'\-@])
    (?P<local>[A-Za-z0-9_%+\-]+(?:['.][A-Za-z0-9_%+\-]+)*)
    @
    (?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})
    (?![A-Za-z0-9\-@]|\.[A-Za-z0-9])
    """,
    re.VERBOSE,
)
_MACHINE_LOCAL = re.compile(r"[0-9a-fA-F]{16,}")  # Message-IDs: <16 hex digits@mail.host>
_RETINA = re.compile(r"\d+x\.")  # icon@2x.png is a file name

_EXTENSION = r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?"
# NANP: area code and exchange start with 2-9; separators are required (a bare 10-digit run is
# as likely an id), except in E.164 form with its "+1".
_NANP = re.compile(
    rf"""
    (?<![\w.+\-/@])
    (?:
        (?:\+1[ .\-]?|1[ .\-])?
        (?:\([2-9]\d{{2}}\)[ .\-]?|[2-9]\d{{2}}[ .\-])
        [2-9]\d{{2}}[ .\-]\d{{4}}
      | \+1[2-9]\d{{2}}[2-9]\d{{6}}
    )
    {_EXTENSION}
    (?![\w\-]|[.,/]\d)
    """,
    re.VERBOSE,
)
# Other countries: "+" or "00", a country code (not 1: that is NANP above), then 2-7 groups
# separated by space/dot/dash or in parentheses, with an optional trunk "(0)"; 8-15 digits.
_INTL = re.compile(
    rf"""
    (?<![\w.+\-/@])
    (?<!\d[ .\-])
    (?:
        \+[2-9]\d{{7,14}}
      | (?:\+|00)[2-9]\d{{0,2}}
        (?:[ .\-]?\(0\)[ .\-]?\d{{1,8}}|[ .\-]?\(\d{{1,5}}\)|[ .\-]\d{{1,8}}){{2,7}}
    )
    {_EXTENSION}
    (?![\w\-]|[.,/]\d)
    """,
    re.VERBOSE,
)
_EXTENSION_TAIL = re.compile(r"[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$")

_CARD = re.compile(
    r"""
    (?<![\w.,/+@\-])
    (?<!\d[ \-])  # not from the middle of a digit-group run (a mistyped IBAN, say)
    (?:\d{13,19}|\d{4}(?P<sep>[ \-])\d{2,6}(?:(?P=sep)\d{2,6}){1,4})
    (?![\w\-]|[.,/]\d)
    """,
    re.VERBOSE,
)
_CARD_GROUP = re.compile(r"\d+")

_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)
# SWIFT IBAN registry: country -> total length.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
_SSN = re.compile(
    r"(?<![\w.\-/])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-]|[.,/]\d)"
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.\-])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w\-]|\.\d)")
# A loose IPv6 shape (hex groups and colons, optional dotted IPv4 tail), confirmed by ipaddress.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)")

# On overlapping candidates the longest wins, then the more specific kind.
_PRIORITY = {"email": 0, "iban": 1, "card": 2, "ssn": 3, "ip": 4, "phone": 5}


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (digits only) passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """True if ``compact`` (no spaces) has its country's length and passes ISO 7064 mod 97-10."""
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# A recognizer is a few regexes, each with the span a match stands for (None: rejected on a
# closer look) and a character the text must hold for the regex to match at all (a cheap skip).
# Findings come from `finditer`; whether a whole value is one finding comes from `match` at
# position 0, which is the first match `finditer` sees there (see `_whole_kind`).
_Span = tuple[int, int]


def _span(m: re.Match[str]) -> _Span | None:
    return m.span()


def _email_span(m: re.Match[str]) -> _Span | None:
    if _MACHINE_LOCAL.fullmatch(m["local"]) or _RETINA.match(m["domain"]):
        return None
    return m.span()


def _intl_span(m: re.Match[str]) -> _Span | None:
    number = _EXTENSION_TAIL.sub("", m.group()).replace("(0)", "")
    digits = re.sub(r"\D", "", number)
    if number.startswith("00"):
        digits = digits[2:]
    return m.span() if 8 <= len(digits) <= 15 else None


def _card_ok(digits: str) -> bool:
    # Issuer prefixes 2-6 cover Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro;
    # with Luhn alone one 16-digit id in ten would pass.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def _card_layout(sizes: list[int]) -> bool:
    """Grouped numbers as cards are printed: 4-4-4-4 (last group 3-4 digits), 4-6-5, 4-6-4."""
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(size == 4 for size in sizes[:-1]) and 3 <= sizes[-1] <= 4


def _card_span(m: re.Match[str]) -> _Span | None:
    groups = list(_CARD_GROUP.finditer(m.group()))
    if len(groups) == 1:
        return m.span() if _card_ok(groups[0].group()) else None
    # A grouped run may carry a neighbour ("4111 1111 1111 1111 2024"): take the longest
    # contiguous run of groups that is a valid card number.
    best: _Span | None = None
    for first in range(len(groups)):
        for last in range(len(groups) - 1, first, -1):
            run = groups[first : last + 1]
            digits = "".join(g.group() for g in run)
            if _card_layout([len(g.group()) for g in run]) and _card_ok(digits):
                span = (groups[first].start(), groups[last].end())
                if best is None or span[1] - span[0] > best[1] - best[0]:
                    best = span
                break
    if best is None:
        return None
    return m.start() + best[0], m.start() + best[1]


def _iban_span(m: re.Match[str]) -> _Span | None:
    return m.span() if iban_valid(m.group().replace(" ", "")) else None


def _ipv6_span(m: re.Match[str]) -> _Span | None:
    candidate = m.group()
    if candidate.count(":") < 2 or candidate == "::":
        return None
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
    return m.span()


_MATCHERS: dict[str, tuple[tuple[str, re.Pattern[str], Any], ...]] = {
    "email": (("@", _EMAIL, _email_span),),
    "phone": (("", _NANP, _span), ("", _INTL, _intl_span)),
    "card": (("", _CARD, _card_span),),
    "iban": (("", _IBAN, _iban_span),),
    "ssn": (("-", _SSN, _span),),
    "ip": ((".", _IPV4, _span), (":", _IPV6, _ipv6_span)),
}


def _findings(text: str, kind: str) -> Iterator[PiiFinding]:
    """Every finding of one recognizer, overlapping ones included."""
    for needle, regex, span_of in _MATCHERS[kind]:
        if needle not in text:
            continue
        for m in regex.finditer(text):
            span = span_of(m)
            if span is not None:
                yield PiiFinding(kind, *span)


_DIGIT = re.compile(r"\d")
_MAYBE_PII = re.compile(r"[@\d]")


def _check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    if isinstance(kinds, str):  # a lone "email" would otherwise be read as five letters
        kinds = (kinds,)
    wanted = tuple(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in _MATCHERS]
    if unknown:
        raise PiiError(f"unknown PII recognizer(s) {unknown}: choose from {list(RECOGNIZERS)}")
    return wanted


def _resolve(candidates: Iterable[PiiFinding]) -> list[PiiFinding]:
    """Non-overlapping findings in text order: longest first, then by kind priority."""
    chosen: list[PiiFinding] = []
    ordered = sorted(
        candidates, key=lambda f: (f.start - f.end, _PRIORITY.get(f.kind, 10), f.start)
    )
    for finding in ordered:
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


# Marked fields as a trie the walk follows: at an object, a member's node is under its key; at
# a list, an item's node is under _INDEXES then its index; _ANY holds what every member or item
# gets ([*]), already folded into the named and indexed nodes beside it, so each step is one
# `get`. Only objects (dicts) and lists are descended, as `adaptgen.runtime.jsonpath` does.
_MARKED = object()  # the node at this path is a marked field
_ANY = object()
_INDEXES = object()


def _concrete_trie(data: Any, paths_: Iterable[NodePath]) -> dict[Any, Any]:
    """The trie of concrete paths into ``data`` (what any JSONPath selected)."""
    root: dict[Any, Any] = {}
    for path in paths_:
        node, at = root, data
        for step in path:
            if isinstance(at, list):
                node = node.setdefault(_INDEXES, {})
            node = node.setdefault(step, {})
            at = at[step]
        node[_MARKED] = True
    return root


def _pattern_trie(expressions: Iterable[tuple[str | int, ...]]) -> dict[Any, Any]:
    """The trie of simple paths (names, ``[n]``, ``[*]``; see `jsonpath._simple_steps`): the
    same for every document, so it is built once per set of fields."""
    root: dict[Any, Any] = {}
    for steps in expressions:
        node = root
        for step in steps:
            if step == "*":
                node = node.setdefault(_ANY, {})
            elif isinstance(step, int):
                node = node.setdefault(_INDEXES, {}).setdefault(step, {})
            else:
                node = node.setdefault(step, {})
        node[_MARKED] = True
    return _fold(root)


def _fold(node: dict[Any, Any]) -> dict[Any, Any]:
    """``node`` with its wildcard's marks added to each named and indexed child (recursively)."""
    every = node.get(_ANY)
    if every is not None:
        node[_ANY] = every = _fold(every)
    for key, child in list(node.items()):
        if key is _INDEXES:
            node[key] = {i: _fold(_union(c, every)) for i, c in child.items()}
        elif key is not _ANY and key is not _MARKED:
            node[key] = _fold(_union(child, every))
    return node


def _union(a: dict[Any, Any], b: dict[Any, Any] | None) -> dict[Any, Any]:
    """Both tries' marks in a new trie."""
    out = dict(a)
    for key, child in (b or {}).items():
        if key is _MARKED:
            out[key] = True
        elif key is _INDEXES:
            indexes = dict(out.get(key, {}))
            for i, c in child.items():
                indexes[i] = _union(indexes[i], c) if i in indexes else c
            out[key] = indexes
        else:
            out[key] = _union(out[key], child) if key in out else child
    return out


def _by_priority(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(kinds, key=lambda k: _PRIORITY.get(k, 10)))


def _whole_kind(text: str, ordered: tuple[str, ...]) -> str | None:
    """The kind of a value that is one PII value end to end, else None; ``ordered``: the
    recognizers by priority (`_by_priority`).

    Same answer as `_find` giving a single finding spanning the text (a span over the whole
    text is the longest possible, so overlap resolution would keep it), but it stops at the
    first recognizer that claims the whole text. A finding that starts at 0 can only come from
    the match `finditer` finds at position 0, which is `regex.match(text)`: one anchored
    attempt per regex instead of a scan of the text.
    """
    has_at = "@" in text
    has_digit = _DIGIT.search(text) is not None
    whole = (0, len(text))
    for kind in ordered:
        if (kind == "email" and not has_at) or (kind != "email" and not has_digit):
            continue
        for needle, regex, span_of in _MATCHERS[kind]:
            m = regex.match(text) if needle in text else None
            if m is not None and m.end() == whole[1] and span_of(m) == whole:
                return kind
    return None


def find_pii(text: str, kinds: Iterable[str] = RECOGNIZERS) -> list[PiiFinding]:
    """The PII spans in ``text`` for the given recognizers, non-overlapping, in text order."""
    return _find(text, _check_kinds(kinds))


def _find(text: str, wanted: tuple[str, ...]) -> list[PiiFinding]:
    # Most strings in a record are names, enums and dates: an email needs "@" and every other
    # kind needs a digit, so two cheap checks skip the regexes for them (the hot path).
    if not text:
        return []
    has_at = "@" in text
    has_digit = _DIGIT.search(text) is not None
    if not has_at and not has_digit:
        return []
    candidates: list[PiiFinding] = []
    for kind in wanted:
        if (kind == "email" and not has_at) or (kind != "email" and not has_digit):
            continue
        candidates.extend(_findings(text, kind))
    if not candidates:
        return []
    return _resolve(candidates)


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def _check_key(key: bytes) -> bytes:
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


# --------------------------------------------------------------------------------------------
# Vaults
# --------------------------------------------------------------------------------------------


class TokenVault(Protocol):
    """Where minted tokens are registered; detokenization requires a live entry."""

    def put(self, token: str, value: str, kind: str) -> None:
        """Store a token's value; must not overwrite an entry (nor revive a revoked one)."""
        ...

    def get(self, token: str) -> str | None:
        """The value of a live token; ``None`` if unknown or revoked."""
        ...

    def revoke(self, token: str) -> None:
        """Erase the token's value for good (a tombstone stays so it is never re-stored)."""
        ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MemoryVault:
    """An in-process `TokenVault` (tests, single-process deployments)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str | None, str, str]] = {}  # value None: revoked
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryVault(entries={len(self._entries)})"

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, token: str, value: str, kind: str) -> None:
        """Store ``value`` for ``token`` unless the token is known (live or revoked)."""
        with self._lock:
            self._entries.setdefault(token, (value, kind, _now()))

    def get(self, token: str) -> str | None:
        """The live value, or ``None``."""
        entry = self._entries.get(token)
        return entry[0] if entry else None

    def revoke(self, token: str) -> None:
        """Drop the value, keep a tombstone."""
        with self._lock:
            _, kind, created = self._entries.get(token, (None, "", _now()))
            self._entries[token] = (None, kind, created)


class DynamoDbVault:
    """A `TokenVault` in a DynamoDB table with the string hash key ``token``.

    Items: ``{token, value, kind, created_at}``; revoking removes ``value`` and sets
    ``revoked_at`` (a tombstone: `put` is conditional on the token being absent, so a value seen
    again after revocation is not stored again). Reads are strongly consistent, so a revocation
    is effective on the next detokenization in every process sharing the table. The client is
    boto3's ``dynamodb`` client, created on first use unless given.
    """

    def __init__(self, table_name: str, client: Any = None, *, region: str | None = None) -> None:
        self.table_name = table_name
        self._client = client
        self._region = region
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DynamoDbVault(table_name={self.table_name!r})"

    def create_table(self) -> None:
        """Create the table (on-demand capacity) and wait until it exists."""
        client = self._dynamodb()
        self._call(
            client.create_table,
            TableName=self.table_name,
            KeySchema=[{"AttributeName": "token", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "token", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with quiet_aws():
            client.get_waiter("table_exists").wait(TableName=self.table_name)

    def put(self, token: str, value: str, kind: str) -> None:
        """Store the token unless it exists (live or revoked)."""
        self._call(
            self._dynamodb().put_item,
            TableName=self.table_name,
            Item={
                "token": {"S": token},
                "value": {"S": value},
                "kind": {"S": kind},
                "created_at": {"S": _now()},
            },
            ConditionExpression="attribute_not_exists(#t)",
            ExpressionAttributeNames={"#t": "token"},
            ignore=("ConditionalCheckFailedException",),
        )

    def get(self, token: str) -> str | None:
        """The live value, or ``None`` for an unknown or revoked token."""
        answer = self._call(
            self._dynamodb().get_item,
            TableName=self.table_name,
            Key={"token": {"S": token}},
            ConsistentRead=True,
        )
        item = (answer or {}).get("Item") or {}
        if "revoked_at" in item or "value" not in item:
            return None
        return item["value"]["S"]

    def revoke(self, token: str) -> None:
        """Erase the value and mark the token revoked (creating the tombstone if absent)."""
        self._call(
            self._dynamodb().update_item,
            TableName=self.table_name,
            Key={"token": {"S": token}},
            UpdateExpression="SET #r = :now REMOVE #v",
            ExpressionAttributeNames={"#r": "revoked_at", "#v": "value"},
            ExpressionAttributeValues={":now": {"S": _now()}},
        )

    def _dynamodb(self) -> Any:
        with self._lock:  # boto3 client creation is not thread-safe
            if self._client is None:
                import boto3

                with quiet_aws():
                    self._client = boto3.session.Session().client(
                        "dynamodb", region_name=self._region
                    )
            return self._client

    def _call(self, method: Any, *, ignore: tuple[str, ...] = (), **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with quiet_aws():  # botocore DEBUG would log the item, value included
                return method(**kwargs)
        except ClientError as exc:
            # Only the code: AWS messages can echo request details.
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            if code in ignore:
                return None
            raise PiiError(f"token vault {self.table_name!r}: {code}") from None
        except BotoCoreError as exc:
            raise PiiError(f"token vault {self.table_name!r}: {type(exc).__name__}") from None


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    """URL-safe base64 without padding (`base64.urlsafe_b64encode` minus two Python frames)."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_URLSAFE).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _label(token: str) -> str:
    """A token shortened for messages: enough to spot it, and tokens hold no raw value anyway."""
    return token if len(token) <= 28 else token[:24] + "...>"


class PiiTokenizer:
    """Turns PII in results into tokens and tokens in arguments back into values.

    ``key``: 32, 48 or 64 bytes (`key_from_reference`, `key_from_text`, `ephemeral_key`); it is
    held only inside the cipher, never as an attribute. ``kinds``: the regex recognizers used on
    free text. ``vault``: makes tokens revocable (see the module docstring). ``comprehend``: a
    boto3 ``comprehend`` client; unmarked strings of at least ``comprehend_min_length``
    characters then also go through DetectPiiEntities, and entities with a score of at least
    ``comprehend_min_score`` whose type is in ``comprehend_types`` are tokenized by offsets. A
    failing Comprehend call raises `PiiError` (fail closed: PII must not slip through because a
    recognizer was unavailable).

    Thread-safe; instances with the same key mint the same tokens and read each other's.
    """

    def __init__(
        self,
        key: bytes,
        *,
        kinds: Iterable[str] = RECOGNIZERS,
        vault: TokenVault | None = None,
        comprehend: Any = None,
        comprehend_min_score: float = 0.9,
        comprehend_min_length: int = 30,
        comprehend_types: Mapping[str, str] = COMPREHEND_KINDS,
    ) -> None:
        self._siv = AESSIV(_check_key(key))
        self.kinds = _check_kinds(kinds)
        self.vault = vault
        self.comprehend = comprehend
        self.comprehend_min_score = comprehend_min_score
        self.comprehend_min_length = comprehend_min_length
        self.comprehend_types = dict(comprehend_types)
        for kind in self.comprehend_types.values():
            _check_kind(kind)
        # A public, non-secret key id (an encryption of a constant), to tell keys apart in logs.
        self.key_id = hashlib.sha256(self._siv.encrypt(b"key-id", [_DOMAIN, b"#"])).hexdigest()[:12]
        self._registered: set[str] = set()  # tokens this instance already put into the vault
        self._whole_order = _by_priority(self.kinds)
        self._pattern_tries: dict[tuple[str, ...], dict[Any, Any] | None] = {}
        self._associated: dict[str, list[bytes]] = {}  # kind -> AES-SIV associated data
        # Comprehend answers by SHA-256 of the text (offsets only): repeated texts cost no call.
        self._comprehend_cache: OrderedDict[bytes, list[PiiFinding]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_reference(
        cls, ref: str, *, resolver: SecretResolver | None = None, **options: Any
    ) -> PiiTokenizer:
        """A tokenizer whose key is behind ``${env:NAME}`` or ``${aws-sm:ID#key}``."""
        return cls(key_from_reference(ref, resolver), **options)

    def __repr__(self) -> str:
        return (
            f"PiiTokenizer(key_id={self.key_id}, kinds={list(self.kinds)}, vault={self.vault!r}, "
            f"comprehend={'on' if self.comprehend is not None else 'off'})"
        )

    # -- tokens ------------------------------------------------------------------------------

    def token_for(self, value: str, kind: str) -> str:
        """The token for ``value`` as ``kind``: the same for the same key, value and kind.

        In vault mode the token is also registered in the vault.
        """
        _check_kind(kind)
        if not isinstance(value, str) or not value:
            raise PiiError("only non-empty strings can be tokenized")
        return self._mint(value, kind)

    def _mint(self, value: str, kind: str) -> str:
        """`token_for` without the argument checks: ``kind`` is one of ours, ``value`` a
        non-empty string."""
        associated = self._associated.get(kind)
        if associated is None:
            associated = self._associated[kind] = [_DOMAIN, kind.encode("ascii")]
        token = f"<pii:{kind}:{_b64(self._siv.encrypt(value.encode('utf-8'), associated))}>"
        if self.vault is not None and token not in self._registered:
            self.vault.put(token, value, kind)
            with self._lock:
                if len(self._registered) > 100_000:  # bounded: a re-put is merely redundant
                    self._registered.clear()
                self._registered.add(token)
        return token

    def reveal(self, token: str) -> str:
        """The value behind one token; `PiiError` if it cannot be detokenized."""
        parts = _TOKEN_PARTS.fullmatch(token)
        if parts is None:
            raise PiiError(f"malformed PII token {_label(token)} cannot be detokenized")
        kind, body = parts.groups()
        try:
            sealed = _unb64(body)
            if _b64(sealed) != body:  # one spelling per token: no spare bits in the last char
                raise ValueError("non-canonical base64")
            plain = self._siv.decrypt(sealed, [_DOMAIN, kind.encode("ascii")])
            value = plain.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            # Tampered, relabeled (the kind is associated data) or made under another key.
            raise PiiError(
                f"PII token {_label(token)} was not issued by this key for kind {kind!r} "
                "and cannot be detokenized"
            ) from None
        if self.vault is not None:
            stored = self.vault.get(token)
            if stored is None:
                raise PiiError(
                    f"PII token {_label(token)} is revoked or unknown to the vault "
                    "and cannot be detokenized"
                )
            if not hmac.compare_digest(stored.encode("utf-8"), plain):
                raise PiiError(
                    f"PII token {_label(token)} does not match its vault entry "
                    "and cannot be detokenized"
                )
        return value

    def revoke(self, token: str) -> None:
        """Revoke a token in the vault (vault mode only)."""
        if self.vault is None:
            raise PiiError("tokens can only be revoked in vault mode")
        self.vault.revoke(token)

    # -- documents ---------------------------------------------------------------------------

    def tokenize(
        self, data: Any, *, fields: Sequence[str] = (), recognize: bool = True
    ) -> tuple[Any, int]:
        """A copy of ``data`` with PII replaced by tokens, and how many values were replaced.

        ``fields``: JSONPath expressions whose nodes are tokenized whole (see the module
        docstring); ``recognize``: also scan every other string and dict key. ``data`` is
        JSON-like (dicts, lists, tuples, scalars) and is not mutated.
        """
        walk = _TokenizingWalk(self, recognize)
        return walk.tokenize(data, fields), walk.count

    def for_result(self) -> _TokenizingWalk:
        """A tokenizer for the parts of one result, tokenized one at a time (its records as they
        are shaped) with one memory: each distinct string is examined once across all of them.
        ``.tokenize(data, fields=...)`` gives a part's copy; ``.count``, values replaced so far."""
        return _TokenizingWalk(self, True)

    def _trie(self, data: Any, fields: Sequence[str] | str) -> dict[Any, Any] | None:
        if isinstance(fields, str):
            fields = (fields,)
        trie = self._patterns(tuple(fields)) if fields else None
        if trie is None and fields:
            trie = self._marked(data, fields)
        return trie or None

    def _patterns(self, fields: tuple[str, ...]) -> dict[Any, Any] | None:
        """The fields' trie if every one is a simple path (a tool's fields usually are), made
        once; None if one is richer (filters, ``..``): those are matched per document."""
        trie = self._pattern_tries.get(fields, _UNMADE)
        if trie is _UNMADE:
            steps = [_simple_steps(expression.strip()) for expression in fields]
            trie = None if None in steps else _pattern_trie(steps)  # type: ignore[arg-type]
            with self._lock:
                if len(self._pattern_tries) >= 1024:  # fields come from code and policy
                    self._pattern_tries.clear()
                self._pattern_tries[fields] = trie
        return trie  # never looked up again: another thread may clear the dict meanwhile

    def _marked(self, data: Any, fields: Sequence[str]) -> dict[Any, Any]:
        marked: set[NodePath] = set()
        for expression in fields:
            try:
                marked.update(paths(expression, data))
            except JsonPathError as exc:  # fail closed: an unaddressable field could leak
                raise PiiError(f"PII field path {expression!r}: {exc}") from None
        return _concrete_trie(data, marked)

    def detokenize(self, data: Any, restored: dict[str, str] | None = None) -> tuple[Any, int]:
        """A copy of ``data`` with every token (whole or inside a string or dict key) replaced
        by its real value, and how many tokens were replaced.

        Raises `PiiError` on any token that cannot be detokenized (tampered, relabeled, another
        key, revoked). Values tokenized from numbers come back as strings. ``restored``, when
        given, receives each token and the value it stood for (to protect what echoes them).
        """
        counter = [0]
        cache: dict[str, str] = {} if restored is None else restored
        return self._detokenize_node(data, cache, counter), counter[0]

    def protect_text(self, text: str, restored: Mapping[str, str] | None = None) -> tuple[str, int]:
        """Free text (an error message, a note) fit to leave the server: every value restored
        from a token in this call put back as that token, then every recognized value tokenized.
        """
        count = 0
        for token, value in sorted((restored or {}).items(), key=lambda kv: -len(kv[1])):
            if len(value) >= 4 and value in text:
                count += text.count(value)
                text = text.replace(value, token)
        text, found = self.tokenize(text)
        return text, count + found

    # -- internals ---------------------------------------------------------------------------

    def _scan(self, text: str) -> tuple[str, int]:
        """``text`` with each finding replaced by its token, and how many were replaced."""
        if self.comprehend is None and _MAYBE_PII.search(text) is None:
            return text, 0  # no "@" and no digit: nothing any recognizer could match
        candidates = _find(text, self.kinds)
        if self.comprehend is not None and len(text) >= self.comprehend_min_length:
            candidates = _resolve([*candidates, *self._comprehend_findings(text)])
        if not candidates:
            return text, 0
        existing = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
        findings = [f for f in candidates if all(f.end <= s or f.start >= e for s, e in existing)]
        pieces: list[str] = []
        position = 0
        for finding in findings:
            pieces.append(text[position : finding.start])
            pieces.append(self._mint(text[finding.start : finding.end], finding.kind))
            position = finding.end
        pieces.append(text[position:])
        return "".join(pieces), len(findings)

    def _comprehend_findings(self, text: str) -> list[PiiFinding]:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        with self._lock:
            cached = self._comprehend_cache.get(digest)
            if cached is not None:
                self._comprehend_cache.move_to_end(digest)
                return cached
        findings: list[PiiFinding] = []
        for offset, chunk in _chunks(text, _COMPREHEND_CHUNK):
            try:
                with quiet_aws():  # botocore DEBUG would log the request text
                    answer = self.comprehend.detect_pii_entities(Text=chunk, LanguageCode="en")
            except Exception as exc:  # noqa: BLE001 - any failure: refuse, never pass PII on
                response = getattr(exc, "response", None)
                code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
                raise PiiError(
                    f"Amazon Comprehend DetectPiiEntities failed: {code or type(exc).__name__}"
                ) from None
            for entity in answer.get("Entities") or []:
                kind = self.comprehend_types.get(str(entity.get("Type")))
                if kind is None or float(entity.get("Score", 0)) < self.comprehend_min_score:
                    continue
                start = max(0, int(entity.get("BeginOffset", 0)))
                end = min(len(chunk), int(entity.get("EndOffset", 0)))
                # Offsets are in code points (Python indexes); trim spaces so words stay apart.
                while start < end and chunk[start].isspace():
                    start += 1
                while end > start and chunk[end - 1].isspace():
                    end -= 1
                if end > start:
                    findings.append(PiiFinding(kind, offset + start, offset + end))
        with self._lock:
            self._comprehend_cache[digest] = findings
            if len(self._comprehend_cache) > _COMPREHEND_CACHE:
                self._comprehend_cache.popitem(last=False)
        return findings

    def _detokenize_node(self, node: Any, cache: dict[str, str], counter: list[int]) -> Any:
        if isinstance(node, Mapping):
            return {
                (
                    self._restore(k, cache, counter, 0) if isinstance(k, str) else k
                ): self._detokenize_node(v, cache, counter)
                for k, v in node.items()
            }
        if isinstance(node, list | tuple):
            items = [self._detokenize_node(v, cache, counter) for v in node]
            return items if isinstance(node, list) else tuple(items)
        if isinstance(node, str):
            return self._restore(node, cache, counter, 0)
        return node

    def _restore(self, text: str, cache: dict[str, str], counter: list[int], depth: int) -> str:
        if "<pii:" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            token = match.group()
            if token not in cache:
                value = self.reveal(token)
                # A marked field may have held text with tokens in it: restore those too.
                if "<pii:" in value and depth < 3:
                    value = self._restore(value, cache, counter, depth + 1)
                cache[token] = value
            counter[0] += 1
            return cache[token]

        return TOKEN_PATTERN.sub(replace, text)


class _TokenizingWalk:
    """One `PiiTokenizer.tokenize` call: a copy of the document with PII replaced by tokens.

    The marked-path trie is followed as the walk goes, so a large result builds no path tuples
    and tests no set membership per node. Each distinct string is examined once per call:
    values repeated across records (a company phone, an owner's email, a date) cost a dict
    lookup the second time. Tokens are deterministic, so the remembered answer is exactly what
    the work would give again; ``count`` still counts every replaced occurrence.
    """

    __slots__ = ("count", "_plain", "_recognize", "_scanned", "_tokenizer", "_tokens")

    def __init__(self, tokenizer: PiiTokenizer, recognize: bool) -> None:
        self._tokenizer = tokenizer
        self._recognize = recognize
        # Without Comprehend a string with no "@" and no digit is kept without a call.
        self._plain = recognize and tokenizer.comprehend is None
        self._scanned: dict[str, tuple[str, int]] = {}  # text -> (tokenized text, findings)
        self._tokens: dict[str, str] = {}  # marked value as text -> its token
        self.count = 0

    def tokenize(self, data: Any, fields: Sequence[str] = ()) -> Any:
        """A copy of ``data`` with PII replaced by tokens (``fields``: as `PiiTokenizer.tokenize`);
        what this walk has examined before is remembered, as the tokens are deterministic."""
        return self.node(data, self._tokenizer._trie(data, fields), False)

    def node(self, node: Any, trie: dict[Any, Any] | None, whole: bool) -> Any:
        """``node`` tokenized; ``trie``: the marked paths below it; ``whole``: inside a marked
        field (every scalar leaf is tokenized whole)."""
        whole = whole or (trie is not None and _MARKED in trie)
        if isinstance(node, dict) or (
            not isinstance(node, list | str) and isinstance(node, Mapping)
        ):
            return self._mapping(node, trie, whole)
        if isinstance(node, list | tuple):
            if trie is None or not isinstance(node, list):
                items = [self.node(v, None, whole) for v in node]
            elif _INDEXES not in trie:
                every = trie.get(_ANY)
                items = [self.node(v, every, whole) for v in node]
            else:
                indexes, every = trie[_INDEXES], trie.get(_ANY)
                items = [self.node(v, indexes.get(i, every), whole) for i, v in enumerate(node)]
            return items if isinstance(node, list) else tuple(items)
        if whole:
            return self._whole(node)
        if self._recognize and isinstance(node, str):
            return self._scan(node)
        return node

    def _mapping(self, node: Mapping[Any, Any], trie: dict[Any, Any] | None, whole: bool) -> Any:
        out: dict[Any, Any] = {}
        recognize = self._recognize
        plain = self._plain and not whole
        maybe = _MAYBE_PII.search
        if trie is not None and not isinstance(node, dict):
            trie = None  # only dicts are descended (a Mapping holds no marked field)
        every = trie.get(_ANY) if trie is not None else None
        for key, value in node.items():
            if recognize and isinstance(key, str) and maybe(key) is not None:
                new_key = self._scan(key)
            else:
                new_key = key
            child = trie.get(key, every) if trie is not None else None
            if child is None:
                # The common leaves inline: a string no recognizer can match, or a number.
                if plain:
                    if isinstance(value, str) and maybe(value) is None:
                        out[new_key] = value
                        continue
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        out[new_key] = value
                        continue
            elif _MARKED in child and isinstance(value, str):
                out[new_key] = self._whole(value)  # the usual marked field: a string
                continue
            out[new_key] = self.node(value, child, whole)
        return out

    def _whole(self, value: Any) -> Any:
        if value is None or isinstance(value, bool) or value == "":
            return value
        text = value if isinstance(value, str) else str(value)
        if text.startswith("<pii:") and _TOKEN_PARTS.fullmatch(text):
            return text  # already a token: tokenizing twice would break detokenization
        if not text:
            raise PiiError("only non-empty strings can be tokenized")
        self.count += 1
        token = self._tokens.get(text)
        if token is None:
            tokenizer = self._tokenizer
            kind = _whole_kind(text, tokenizer._whole_order) or FIELD_KIND
            token = self._tokens[text] = tokenizer._mint(text, kind)
        return token

    def _scan(self, text: str) -> str:
        done = self._scanned.get(text)
        if done is None:
            done = self._scanned[text] = self._tokenizer._scan(text)
        self.count += done[1]
        return done[0]


_UNMADE: Any = object()


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise PiiError("a PII kind is 1-32 characters of [a-z0-9_], starting with a letter")


def _chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` of at most ``size`` characters, cut at whitespace where possible."""
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut + 1 if cut > 0 else end
        yield start, text[start:end]
        start = end
