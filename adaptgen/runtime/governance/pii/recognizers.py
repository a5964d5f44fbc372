"""Regex recognizers for PII in free text (email, phone, card, IBAN, SSN, IP), with the
checksums that tell a card or an IBAN from a number that merely looks like one."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from adaptgen.runtime.governance.pii.errors import PiiError

RECOGNIZERS = ("email", "phone", "card", "iban", "ssn", "ip")


@dataclass(frozen=True)
class PiiFinding:
    """A span ``text[start:end]`` recognized as PII of ``kind`` (offsets only, no value)."""

    kind: str
    start: int
    end: int


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
# position 0, which is the first match `finditer` sees there (see `whole_kind`).
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
MAYBE_PII = re.compile(r"[@\d]")


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    if isinstance(kinds, str):  # a lone "email" would otherwise be read as five letters
        kinds = (kinds,)
    wanted = tuple(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in _MATCHERS]
    if unknown:
        raise PiiError(f"unknown PII recognizer(s) {unknown}: choose from {list(RECOGNIZERS)}")
    return wanted


def resolve_overlaps(candidates: Iterable[PiiFinding]) -> list[PiiFinding]:
    """Non-overlapping findings in text order: longest first, then by kind priority."""
    chosen: list[PiiFinding] = []
    ordered = sorted(
        candidates, key=lambda f: (f.start - f.end, _PRIORITY.get(f.kind, 10), f.start)
    )
    for finding in ordered:
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


def by_priority(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(kinds, key=lambda k: _PRIORITY.get(k, 10)))


def whole_kind(text: str, ordered: tuple[str, ...]) -> str | None:
    """The kind of a value that is one PII value end to end, else None; ``ordered``: the
    recognizers by priority (`by_priority`).

    Same answer as `find_all` giving a single finding spanning the text (a span over the whole
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
    return find_all(text, check_kinds(kinds))


def find_all(text: str, wanted: tuple[str, ...]) -> list[PiiFinding]:
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
    return resolve_overlaps(candidates)
