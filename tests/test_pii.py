"""PII tokenization: recognizers, round trips on the sandbox CRM's records, tampering, vaults,
Amazon Comprehend, and no raw value in errors, reprs or logs."""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
import re
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from adaptgen.runtime.governance.pii import (
    RECOGNIZERS,
    DynamoDbVault,
    MemoryVault,
    PiiError,
    PiiFinding,
    PiiTokenizer,
    ephemeral_key,
    find_pii,
    key_from_reference,
    key_from_text,
)
from adaptgen.runtime.jsonpath import JsonPathError, paths
from adaptgen.runtime.secrets import SecretResolver, quiet_debug
from adaptgen.sandbox import create_app
from adaptgen.sandbox.data import TEST_CARDS

REGION = "us-east-1"
KEY = bytes(range(64))  # fixed test key: tokens are comparable across test runs

# --------------------------------------------------------------------------------------------
# Recognizer tables: (text, [(kind, value), ...]); negatives expect no finding of any kind.
# --------------------------------------------------------------------------------------------

POSITIVES: list[tuple[str, list[tuple[str, str]]]] = [
    # email
    ("jsmith@northwind-logistics.test", [("email", "jsmith@northwind-logistics.test")]),
    (
        "<p>Prefers email. <a href='mailto:daniel23@example.com'>daniel23@example.com</a></p>",
        [("email", "daniel23@example.com"), ("email", "daniel23@example.com")],
    ),
    ("Write to o'brien.k+crm@mail.example.co.uk.", [("email", "o'brien.k+crm@mail.example.co.uk")]),
    ("Contact: First.Last@Sub.Example.ORG, thanks", [("email", "First.Last@Sub.Example.ORG")]),
    ("https://crm.example/users?email=ana@example.com", [("email", "ana@example.com")]),
    # phone: the sandbox's four legacy formats, then E.164 and international
    ("(303) 555-0111", [("phone", "(303) 555-0111")]),
    ("303.555.0186", [("phone", "303.555.0186")]),
    ("+1 602 555 0147", [("phone", "+1 602 555 0147")]),
    ("+1-303-555-0100", [("phone", "+1-303-555-0100")]),
    ("Call me at (303) 555-0111 today", [("phone", "(303) 555-0111")]),
    ("desk 303-555-0111 x204, cell 1-720-555-0123.", [
        ("phone", "303-555-0111 x204"), ("phone", "1-720-555-0123")]),
    ("+13035550111", [("phone", "+13035550111")]),
    ("London office: +44 20 7946 0958", [("phone", "+44 20 7946 0958")]),
    ("+442079460958", [("phone", "+442079460958")]),
    ("Berlin +49 (0)30 1234 5678", [("phone", "+49 (0)30 1234 5678")]),
    ("Paris +33 1 23 45 67 89.", [("phone", "+33 1 23 45 67 89")]),
    ("0044 20 7946 0958", [("phone", "0044 20 7946 0958")]),
    # card: every sandbox test card, and grouped forms
    *[(number, [("card", number)]) for _, number in TEST_CARDS],
    ("card 4111 1111 1111 1111 exp 12/27", [("card", "4111 1111 1111 1111")]),
    ("4111-1111-1111-1111", [("card", "4111-1111-1111-1111")]),
    ("Amex 3782 822463 10005 on file", [("card", "3782 822463 10005")]),
    ("4111 1111 1111 1111 2024", [("card", "4111 1111 1111 1111")]),
    # iban
    ("DE89 3704 0044 0532 0130 00", [("iban", "DE89 3704 0044 0532 0130 00")]),
    ("IBAN: GB82 WEST 1234 5698 7654 32.", [("iban", "GB82 WEST 1234 5698 7654 32")]),
    ("pay to FR1420041010050500013M02606 by Friday", [("iban", "FR1420041010050500013M02606")]),
    ("NO9386011117947", [("iban", "NO9386011117947")]),
    # ssn
    ("SSN 536-22-1234 on file", [("ssn", "536-22-1234")]),
    ("123-45-6789", [("ssn", "123-45-6789")]),
    # ip
    ("192.168.1.10", [("ip", "192.168.1.10")]),
    ("login from 203.0.113.7:443.", [("ip", "203.0.113.7")]),
    ("10.0.0.0/8", [("ip", "10.0.0.0")]),
    ("2001:db8::1", [("ip", "2001:db8::1")]),
    ("peer fe80::1ff:fe23:4567:890a up", [("ip", "fe80::1ff:fe23:4567:890a")]),
    ("[2001:db8:85a3::8a2e:370:7334]:443", [("ip", "2001:db8:85a3::8a2e:370:7334")]),
    ("::ffff:192.0.2.128", [("ip", "::ffff:192.0.2.128")]),
]  # fmt: skip

NEGATIVES: list[str] = [
    # ids, order numbers, SKUs
    "Order #5512093", "OPP-482913", "CNT-100200", "SO-2024-000123", "PO 4500012345",
    "ACM-CRM-SEAT", "ACM-STOR-1T", "fil_00a1b2c3d4e5", "SF-003aB9xYz12Qw0", "SEG-07",
    "tax id 00-1234567", "DUNS 123456789", "routing 110000000", "naics 518210",
    "account 000123456789", "RE: RE: Invoice 48213", "Quote #99812",
    # amounts
    "33300.00", "$1,234,567.89", "27972.0", "EUR 2.500,00", "+2,500.00", "480.00 x 12",
    # dates and timestamps
    "04/13/1992", "2024-06-28", "07-MAR-2015", "12/31", "2024-06-28T16:30:00Z",
    "2024-03-01T09:30:00.000+0000", "20240301T093000", "2024-06-28 16:30:00", "16:30:00",
    "1719592200", "+05:30",
    # versions, uuids, etags, hashes
    "1.0.7", "v1.2.3", "10.0.19041.1", "1.0.7+20130313144700",
    "123e4567-e89b-12d3-a456-426614174000", "550e8400-e29b-41d4-a716-446655440000",
    'W/"3769667a0011091d"', "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    # SSN-shaped but never issued
    "000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000",
    # card/IBAN shapes failing their checksums or issuer prefix
    "4111111111111112", "1234 5678 9012 3456", "0000000000000000",
    "DE89 3704 0044 0532 0130 01", "GB00WEST12345698765432",
    # not emails / not phones / not IPs
    "<1a2b3c4d5e6f7a8b@mail.example.com>", "https://www.linkedin.example/in/jamessmith",
    "http://northwind-logistics.test/", "icon@2x.png", "@james42", "user@localhost",
    "555-0111", "123-456-7890", "ext 204", "+0000", "Qty 1 x 250",
    "999.1.1.1", "1.2.3", "256.256.256.256", "00:1A:2B:3C:4D:5E", "12:30:45", "std::vector",
]  # fmt: skip


def spans(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text)]


@pytest.mark.parametrize(("text", "expected"), POSITIVES, ids=[p[0][:40] for p in POSITIVES])
def test_recognizer_positives(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_recognizer_negatives(text: str) -> None:
    assert spans(text) == []


def test_recognizer_tables_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    """Per kind over both tables; printed with `pytest -s`."""
    report = []
    for kind in RECOGNIZERS:
        tp = fp = fn = 0
        for text, expected in POSITIVES:
            want = [e for e in expected if e[0] == kind]
            got = [(f.kind, text[f.start : f.end]) for f in find_pii(text, [kind])]
            tp += sum(1 for g in got if g in want)
            fp += sum(1 for g in got if g not in want)
            fn += sum(1 for w in want if w not in got)
        for text in NEGATIVES:
            fp += len(find_pii(text, [kind]))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        report.append(f"{kind}: tp={tp} fp={fp} fn={fn} P={precision:.2f} R={recall:.2f}")
        assert (precision, recall) == (1.0, 1.0), report[-1]
    with capsys.disabled():
        print("\n" + "\n".join(report))


def test_find_pii_selects_kinds_and_rejects_unknown() -> None:
    text = "mail a@example.com or call (303) 555-0111"
    assert [f.kind for f in find_pii(text, ["phone"])] == ["phone"]
    assert [f.kind for f in find_pii(text, "email")] == ["email"]
    assert find_pii("", RECOGNIZERS) == []
    with pytest.raises(PiiError, match="unknown PII recognizer"):
        find_pii(text, ["name"])


# --------------------------------------------------------------------------------------------
# The sandbox CRM: real records
# --------------------------------------------------------------------------------------------

CONTACT_FIELDS = [
    "$[*].email",
    "$[*].secondary_email",
    "$[*].phone",
    "$[*].mobile",
    "$[*].address",
    "$[*].mailing_address",
    "$[*].date_of_birth",
]
COMPANY_FIELDS = ["$[*].email", "$[*].phone", "$[*].billing.instrument.number"]


@pytest.fixture(scope="module")
def tables() -> dict[str, list[dict[str, Any]]]:
    store = create_app().state.store.tables
    return {name: list(table.values()) for name, table in store.items()}


def known_pii(tables: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Every email, phone and card number the sandbox seeded, from the fields that hold them."""
    values: set[str] = {"info@example.com"}  # the notes template's fallback address
    for record in tables["contact"] + tables["company"]:
        for name in ("email", "secondary_email", "phone", "mobile", "fax"):
            if record.get(name):
                values.add(record[name])
        billing = record.get("billing") or {}
        if billing.get("billing_email"):
            values.add(billing["billing_email"])
        instrument = billing.get("instrument") or {}
        if instrument.get("number"):
            values.add(instrument["number"])
    for activity in tables["activity"]:
        values.update(activity["attendees"])
    return values


def all_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from all_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_strings(value)
    elif isinstance(node, str):
        yield node


def test_sandbox_every_finding_is_seeded_pii_and_every_seeded_pii_is_found(
    tables: dict[str, list[dict[str, Any]]],
) -> None:
    """Precision and recall over all 1,560 records (66k strings) of the four tables."""
    known = known_pii(tables)
    occurrences = re.compile("|".join(re.escape(v) for v in sorted(known, key=len, reverse=True)))
    cards = [number for _, number in TEST_CARDS]
    found: set[str] = set()
    for records in tables.values():
        for text in all_strings(records):
            hits = {(f.start, f.end) for f in find_pii(text)}
            values = {text[start:end] for start, end in hits}
            assert values <= known, f"false positives: {sorted(values - known)}"
            found |= values
            if "@" not in text and "555" not in text and not any(c in text for c in cards):
                continue  # cheap pre-check: every seeded email has an @ and every phone 555
            missed = [m.group() for m in occurrences.finditer(text) if m.span() not in hits]
            assert not missed, f"missed: {missed}"
    assert found == known


def test_sandbox_round_trip(tables: dict[str, list[dict[str, Any]]]) -> None:
    contacts, companies = tables["contact"], tables["company"]
    before = copy.deepcopy((contacts, companies))
    tokenizer = PiiTokenizer(KEY)
    tok_contacts, n_contacts = tokenizer.tokenize(contacts, fields=CONTACT_FIELDS)
    tok_companies, n_companies = tokenizer.tokenize(companies, fields=COMPANY_FIELDS)
    assert (contacts, companies) == before  # input not mutated
    assert n_contacts > 2000 and n_companies > 100

    # No seeded email, phone or card number survives anywhere, marked field or free text.
    dumped = json.dumps([tok_contacts, tok_companies])
    leaked = [value for value in known_pii(tables) if value in dumped]
    assert leaked == []

    # Marked fields are whole tokens of their recognized kind (or `field`).
    for original, tokenized in zip(contacts, tok_contacts, strict=True):
        assert tokenized["email"].startswith("<pii:email:")
        assert tokenized["phone"].startswith("<pii:phone:")
        if original["date_of_birth"]:
            assert tokenized["date_of_birth"].startswith("<pii:field:")
        assert tokenized["address"]["street1"].startswith("<pii:field:")
        assert tokenized["address"]["is_verified"] is original["address"]["is_verified"]
        if original["address"]["geo"]:
            assert tokenized["address"]["geo"]["lat"].startswith("<pii:field:")
        # Same value, same token: the email in the notes joins with the marked field.
        if original["email"] in original["notes_html"]:
            assert tokenized["email"] in tokenized["notes_html"]
        # Non-PII fields untouched.
        for name in ("id", "legacy_id", "first_name", "company_id", "company_name",
                     "lifecycle_stage", "status", "score", "owner_name", "tags", "audit",
                     "_links", "custom_fields", "social", "language", "timezone"):  # fmt: skip
            assert tokenized[name] == original[name], name
    for original, tokenized in zip(companies, tok_companies, strict=True):
        for name in ("id", "name", "legal_name", "domain", "annual_revenue", "employee_count",
                     "tier", "status", "tax_id", "duns_number", "sic_code", "naics_code",
                     "billing_address", "customer_since", "audit", "_links"):  # fmt: skip
            assert tokenized[name] == original[name], name
        instrument = (original["billing"] or {}).get("instrument") or {}
        if instrument.get("number"):
            assert tokenized["billing"]["instrument"]["number"].startswith("<pii:card:")
            assert tokenized["billing"]["instrument"]["last4"] == instrument["last4"]

    # Back to the originals; numbers under marked fields come back as strings.
    for tokenized, original in ((tok_contacts, contacts), (tok_companies, companies)):
        restored, count = tokenizer.detokenize(tokenized)
        assert count >= len(original)
        assert_restored(restored, original)
    assert tokenizer.detokenize(tok_contacts)[0][0]["email"] == contacts[0]["email"]


def assert_restored(restored: Any, original: Any) -> None:
    if isinstance(original, bool) or original is None:
        assert restored is original
    elif isinstance(original, int | float):
        assert restored == original or restored == str(original)
    elif isinstance(original, dict):
        assert list(restored) == list(original)
        for key in original:
            assert_restored(restored[key], original[key])
    elif isinstance(original, list):
        assert len(restored) == len(original)
        for a, b in zip(restored, original, strict=True):
            assert_restored(a, b)
    else:
        assert restored == original


def test_sandbox_deals_and_activities_keep_everything_but_their_emails(
    tables: dict[str, list[dict[str, Any]]],
) -> None:
    """Ids, amounts, SKUs, stages, dates, etags, message ids: never tokenized."""
    tokenizer = PiiTokenizer(KEY)
    for name, pii_field in (("deal", "notes_html"), ("activity", "attendees")):
        tokenized, _ = tokenizer.tokenize(tables[name])
        for original, after in zip(tables[name], tokenized, strict=True):
            assert {k: v for k, v in after.items() if k != pii_field} == {
                k: v for k, v in original.items() if k != pii_field
            }
            assert tokenizer.detokenize(after)[0] == original


def test_tokens_are_deterministic_per_key(tables: dict[str, list[dict[str, Any]]]) -> None:
    records = tables["contact"][:40]
    first, _ = PiiTokenizer(KEY).tokenize(records, fields=CONTACT_FIELDS)
    second, _ = PiiTokenizer(KEY).tokenize(records, fields=CONTACT_FIELDS)
    other, _ = PiiTokenizer(ephemeral_key()).tokenize(records, fields=CONTACT_FIELDS)
    assert first == second
    for a, b in zip(first, other, strict=True):
        assert a["email"] != b["email"] and a["phone"] != b["phone"]
        assert a["id"] == b["id"]


# --------------------------------------------------------------------------------------------
# Tokenize / detokenize behaviour
# --------------------------------------------------------------------------------------------


def test_free_text_keeps_its_words_and_round_trips() -> None:
    tokenizer = PiiTokenizer(KEY)
    text = "Call me at (303) 555-0111 today, or mail jo@example.com (SSN 536-22-1234)."
    tokenized, count = tokenizer.tokenize(text)
    assert count == 3
    assert tokenized.startswith("Call me at <pii:phone:")
    assert " today, or mail <pii:email:" in tokenized and tokenized.endswith(">).")
    assert tokenizer.detokenize(tokenized) == (text, 3)
    # Tokenizing again changes nothing: tokens are never tokenized twice.
    assert tokenizer.tokenize(tokenized) == (tokenized, 0)
    # A marked field holding tokenized text is tokenized whole, and restored all the way.
    wrapped, count = tokenizer.tokenize({"e": tokenized}, fields=["$.e"])
    assert count == 1 and wrapped["e"].startswith("<pii:field:")
    assert tokenizer.detokenize(wrapped)[0] == {"e": text}
    assert tokenizer.tokenize(wrapped, fields=["$.e"]) == (wrapped, 0)


def test_marked_fields_numbers_keys_and_objects() -> None:
    tokenizer = PiiTokenizer(KEY)
    data = {
        "card": 4111111111111111,
        "name": "Ana Lopez",
        "geo": {"lat": 39.78, "lng": -104.99, "verified": True, "note": None, "empty": ""},
        "by_email": {"ana@example.com": 3},
        "count": 7,
    }
    tokenized, count = tokenizer.tokenize(data, fields=["$.card", "$.name", "$.geo"])
    assert count == 5  # card, name, lat, lng, and the email dict key
    assert tokenized["card"].startswith("<pii:card:")
    assert tokenized["card"] == tokenizer.token_for("4111111111111111", "card")
    assert tokenized["name"] == tokenizer.token_for("Ana Lopez", "field")
    assert tokenized["geo"]["verified"] is True and tokenized["geo"]["note"] is None
    assert tokenized["geo"]["empty"] == "" and tokenized["count"] == 7
    assert list(tokenized["by_email"]) == [tokenizer.token_for("ana@example.com", "email")]
    restored, _ = tokenizer.detokenize(tokenized)
    assert restored["card"] == "4111111111111111"  # numbers come back as strings
    assert restored["geo"]["lat"] == "39.78"
    assert restored["by_email"] == {"ana@example.com": 3}
    assert restored["name"] == "Ana Lopez"
    # recognize=False: only the marked fields.
    plain, n = tokenizer.tokenize({"a": "x@example.com", "b": "y@example.com"}, fields=["$.a"],
                                  recognize=False)  # fmt: skip
    assert n == 1 and plain["b"] == "y@example.com"


def test_arguments_with_embedded_tokens_are_restored() -> None:
    tokenizer = PiiTokenizer(KEY)
    email = tokenizer.token_for("jo@example.com", "email")
    arguments = {"to": email, "body": f"Hi, please reply to {email}.", "ids": [1, 2]}
    restored, count = tokenizer.detokenize(arguments)
    assert restored == {
        "to": "jo@example.com",
        "body": "Hi, please reply to jo@example.com.",
        "ids": [1, 2],
    }
    assert count == 2
    assert tokenizer.detokenize({"q": "no tokens here"}) == ({"q": "no tokens here"}, 0)


def test_bad_field_paths_fail_closed() -> None:
    with pytest.raises(PiiError, match="PII field path"):
        PiiTokenizer(KEY).tokenize({"a": 1}, fields=["$[?"])


# --------------------------------------------------------------------------------------------
# The fast walk tokenizes exactly what the plain reading of the rules does
# --------------------------------------------------------------------------------------------

# The recognizers in the order a whole value's kind is decided (the longest-then-priority rule
# for a span that covers the whole text).
WHOLE_ORDER = ("email", "iban", "card", "ssn", "ip", "phone")
TOKEN = re.compile(r"<pii:[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_-]+>")


def reference_tokenize(
    tokenizer: PiiTokenizer, data: Any, fields: list[str], recognize: bool = True
) -> tuple[Any, int]:
    """The module docstring's rules, read literally: concrete marked paths, `find_pii` on every
    string and key, `token_for` for each replacement; no fast paths, no caches."""
    try:
        marked = {path for expression in fields for path in paths(expression, data)}
    except JsonPathError:  # a selected node that cannot be addressed: refused, never skipped
        raise PiiError("unaddressable field") from None
    count = 0

    def whole(value: Any) -> Any:
        nonlocal count
        if value is None or isinstance(value, bool) or value == "":
            return value
        text = value if isinstance(value, str) else str(value)
        if TOKEN.fullmatch(text):
            return text
        count += 1
        kind = next(
            (
                k
                for k in WHOLE_ORDER
                if k in tokenizer.kinds
                and any((f.start, f.end) == (0, len(text)) for f in find_pii(text, [k]))
            ),
            "field",
        )
        return tokenizer.token_for(text, kind)

    def scan(text: str) -> str:
        nonlocal count
        existing = [m.span() for m in TOKEN.finditer(text)]
        findings = [
            f
            for f in find_pii(text, tokenizer.kinds)
            if all(f.end <= start or f.start >= end for start, end in existing)
        ]
        count += len(findings)
        for f in reversed(findings):
            text = (
                text[: f.start] + tokenizer.token_for(text[f.start : f.end], f.kind) + text[f.end :]
            )
        return text

    def walk(node: Any, path: tuple[Any, ...], inside: bool) -> Any:
        inside = inside or path in marked
        if isinstance(node, Mapping):
            return {
                (scan(k) if recognize and isinstance(k, str) else k): walk(v, (*path, k), inside)
                for k, v in node.items()
            }
        if isinstance(node, list | tuple):
            items = [walk(v, (*path, i), inside) for i, v in enumerate(node)]
            return items if isinstance(node, list) else tuple(items)
        if inside:
            return whole(node)
        return scan(node) if recognize and isinstance(node, str) else node

    return walk(data, (), False), count


TEXTS = [text for text, _ in POSITIVES] + NEGATIVES + [
    "", "x", "Lisa Patel", "lead", "2024-01-05", "C-1001", "abcd::ef", "fe80::1",
    "1-800-555-0199 ext. 12", "00 44 20 7946 0958", "4111-1111-1111-1111-2024",
]  # fmt: skip


class ReadOnlyRecord(Mapping[str, Any]):
    """A Mapping that is not a dict."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def random_text(rng: random.Random, tokenizer: PiiTokenizer) -> str:
    choice = rng.random()
    if choice < 0.4:
        return rng.choice(TEXTS)
    if choice < 0.65:  # PII inside free text, glued or spaced
        glue = rng.choice([" ", ", ", "", "-", ".", "@", " x", "; call "])
        return rng.choice(TEXTS) + glue + rng.choice(TEXTS)
    if choice < 0.8:  # character soup close to the recognizers' alphabets
        return "".join(rng.choice("0123456789 -.()+@:xabcDE") for _ in range(rng.randint(0, 24)))
    if choice < 0.9:  # a piece of a positive: often just short of a match
        text = rng.choice(TEXTS)
        start = rng.randint(0, len(text))
        return text[start : rng.randint(start, len(text))]
    token = tokenizer.token_for(rng.choice(["a@example.com", "536-22-1234"]), "email")
    return rng.choice([token, f"mail {token} now", "<pii:email:bad>"])


def random_value(rng: random.Random, tokenizer: PiiTokenizer, depth: int = 0) -> Any:
    choice = rng.random()
    if depth < 3 and choice < 0.12:
        return {
            random_key(rng, tokenizer): random_value(rng, tokenizer, depth + 1)
            for _ in range(rng.randint(0, 4))
        }
    if depth < 3 and choice < 0.22:
        return [random_value(rng, tokenizer, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 3 and choice < 0.25:
        return tuple(random_value(rng, tokenizer, depth + 1) for _ in range(rng.randint(0, 3)))
    if choice < 0.35:
        return rng.choice([None, True, False, 0, 7, 3035550111, 4111111111111111, 39.78, -2.5])
    return random_text(rng, tokenizer)


def random_key(rng: random.Random, tokenizer: PiiTokenizer) -> Any:
    choice = rng.random()
    if choice < 0.7:
        return rng.choice(["email", "phone", "name", "notes", "items", "a", "b", "0"])
    if choice < 0.8:
        return rng.choice([0, 1, 2])  # not JSON, but a dict may have them
    return random_text(rng, tokenizer)[:20]


def random_document(rng: random.Random, tokenizer: PiiTokenizer) -> Any:
    """Lists of records sharing keys (with repeated values), mixed shapes, nested data."""
    shared = [random_text(rng, tokenizer) for _ in range(3)]  # values seen in many records
    records = [
        {
            "id": 1000 + i,
            "email": rng.choice([*shared, random_text(rng, tokenizer), None, 42]),
            "phone": rng.choice([*shared, random_text(rng, tokenizer), {"home": "303.555.0186"}]),
            "notes": rng.choice(shared),
            **{random_key(rng, tokenizer): random_value(rng, tokenizer, 1) for _ in range(2)},
        }
        for i in range(rng.randint(0, 6))
    ]
    return rng.choice(
        [
            {"items": records, "total": len(records), "next_cursor": "eyJwIjoyfQ"},
            records,
            random_value(rng, tokenizer),
            {
                "a": random_value(rng, tokenizer),
                "b": [random_value(rng, tokenizer)],
                "items": records,
            },
            {
                "grid": [[random_text(rng, tokenizer) for _ in range(3)] for _ in range(3)],
                "b": [{0: random_text(rng, tokenizer), "a": random_value(rng, tokenizer)}, ("a",)],
                "items": tuple(records),  # a tuple is not descended by a field path
            },
            {  # nor is a Mapping that is not a dict (its strings are still recognized)
                "items": records,
                "meta": ReadOnlyRecord({"email": random_text(rng, tokenizer), "n": 3}),
                "grid": [[random_value(rng, tokenizer) for _ in range(3)] for _ in range(2)],
            },
        ]
    )


FIELD_SETS = [
    [],
    ["$.items[*].email", "$.items[*].phone"],
    ["$[*].email", "$[*].notes"],
    ["$.a", "$.b[0]"],
    ["$.items[*]"],
    ["$"],
    # wildcards beside names and indexes: each item gets what both mark
    ["$.items[*].email", "$.items[0]", "$.items[1].phone"],
    ["$[*]", "$[0].email", "$.items[*].email"],
    ["$.grid[*][0]", "$.grid[1][*]", "$.grid[1][2]", "$.b[*].a"],
    ["$.items[*].email", "$.items[1].phone", "$.grid[0][1]", "$.grid[*][2]", "$.meta.email"],
    # richer expressions: matched per document
    ["$..email", "$.items[?(@.id > 1002)].phone"],
    ["$..phone", "$.items[*].notes"],
]


def outcome(function: Any, *args: Any, **kwargs: Any) -> Any:
    """The result, or that `PiiError` was raised (its wording aside)."""
    try:
        return function(*args, **kwargs)
    except PiiError:
        return PiiError


@pytest.mark.parametrize("seed", range(40))
def test_fast_walk_matches_the_reference_on_random_documents(seed: int) -> None:
    rng = random.Random(seed)
    tokenizer = PiiTokenizer(
        KEY, kinds=rng.choice([RECOGNIZERS, RECOGNIZERS, ("email",), ("phone", "card", "ip")])
    )
    for _ in range(15):
        document = random_document(rng, tokenizer)
        before = copy.deepcopy(document)
        for fields in FIELD_SETS:
            for recognize in (True, False):
                expected = outcome(reference_tokenize, tokenizer, document, fields, recognize)
                got = outcome(tokenizer.tokenize, document, fields=fields, recognize=recognize)
                assert got == expected
        assert document == before  # not mutated


@pytest.mark.parametrize("text", TEXTS)
def test_whole_value_kind_matches_the_reference(text: str) -> None:
    """A marked value's kind (decided with one anchored match per regex) is the kind of the
    one finding spanning it, if any; checked for every table text as it is and glued."""
    tokenizer = PiiTokenizer(KEY)
    for value in (text, text + " ", "x" + text, text + "0", text.strip(" .")):
        document = {"v": value, "w": [value, {"v": value}]}
        expected = reference_tokenize(tokenizer, document, ["$.v", "$.w[*]"])
        assert tokenizer.tokenize(document, fields=["$.v", "$.w[*]"]) == expected


# --------------------------------------------------------------------------------------------
# Tampering
# --------------------------------------------------------------------------------------------

SECRET_VALUE = "victim.person@example.com"


def test_tampered_relabeled_and_foreign_tokens_are_refused() -> None:
    tokenizer = PiiTokenizer(KEY)
    token = tokenizer.token_for(SECRET_VALUE, "email")
    assert tokenizer.reveal(token) == SECRET_VALUE
    body = token[len("<pii:email:") : -1]
    messages: list[str] = []
    for index, char in enumerate(body):  # every single-character change is caught
        flipped = body[:index] + ("A" if char != "A" else "B") + body[index + 1 :]
        with pytest.raises(PiiError, match="cannot be detokenized") as info:
            tokenizer.detokenize({"to": f"<pii:email:{flipped}>"})
        messages.append(str(info.value))
    # Other spellings of the same ciphertext (spare bits in the last base64 char): refused.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = [
        body[:-1] + c
        for c in alphabet
        if c != body[-1]
        and base64.urlsafe_b64decode(body[:-1] + c + "=" * (-len(body) % 4))
        == base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    ]
    assert twins  # 25 value bytes + 16 SIV bytes = 41: the last char has 4 spare bits
    for twin in twins:
        with pytest.raises(PiiError, match="cannot be detokenized"):
            tokenizer.reveal(f"<pii:email:{twin}>")
    for forged in (
        f"<pii:phone:{body}>",  # minted as email, relabeled
        f"<pii:field:{body}>",
        f"<pii:email:{body[:-2]}>",  # truncated
        "<pii:email>",
        f"<pii:EMAIL:{body}>",
        "<pii:email:not-a-token>",
    ):
        with pytest.raises(PiiError, match="cannot be detokenized") as info:
            tokenizer.detokenize(f"mail {forged} now")
        messages.append(str(info.value))
    with pytest.raises(PiiError, match="cannot be detokenized") as info:
        PiiTokenizer(ephemeral_key()).detokenize([token])
    messages.append(str(info.value))
    assert not [m for m in messages if SECRET_VALUE in m or "victim" in m]


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def test_key_sizes_and_text_forms() -> None:
    for size in (32, 48, 64):
        key = bytes(range(size))
        assert PiiTokenizer(key).reveal(PiiTokenizer(key).token_for("v@example.com", "email"))
        assert key_from_text(key.hex()) == key
        assert key_from_text(key.hex().upper()) == key
        assert key_from_text(base64.b64encode(key).decode()) == key
        assert key_from_text(base64.urlsafe_b64encode(key).decode().rstrip("=")) == key
        assert key_from_text("base64:" + base64.b64encode(key).decode() + "\n") == key
        assert key_from_text("hex:" + key.hex()) == key
    for bad in (b"", b"k" * 16, b"k" * 63, "k" * 64):
        with pytest.raises(PiiError, match="32, 48 or 64 bytes|must be bytes"):
            PiiTokenizer(bad)  # type: ignore[arg-type]
    secret_text = base64.b64encode(b"s" * 20).decode()
    with pytest.raises(PiiError) as info:
        key_from_text(secret_text)
    assert secret_text not in str(info.value)
    assert len(ephemeral_key()) == 64 and ephemeral_key() != ephemeral_key()
    assert PiiTokenizer(bytes(32)).token_for("x", "field") != PiiTokenizer(bytes(64)).token_for(
        "x", "field"
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_key_from_references(aws: None) -> None:
    encoded = base64.b64encode(KEY).decode()
    resolver = SecretResolver(env={"PII_KEY": encoded})
    assert key_from_reference("${env:PII_KEY}", resolver) == KEY
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="adaptgen/pii", SecretString=json.dumps({"key": KEY.hex()})
    )
    assert key_from_reference("${aws-sm:adaptgen/pii#key}") == KEY
    tokenizer = PiiTokenizer.from_reference("${env:PII_KEY}", resolver=resolver)
    assert tokenizer.token_for("a@example.com", "email") == PiiTokenizer(KEY).token_for(
        "a@example.com", "email"
    )
    with pytest.raises(PiiError, match="not a literal") as info:
        key_from_reference(encoded)
    assert encoded not in str(info.value)
    with pytest.raises(PiiError, match="MISSING_KEY"):
        key_from_reference("${env:MISSING_KEY}", resolver)


# --------------------------------------------------------------------------------------------
# Vaults
# --------------------------------------------------------------------------------------------


def test_memory_vault_revocation_is_permanent() -> None:
    vault = MemoryVault()
    tokenizer = PiiTokenizer(KEY, vault=vault)
    tokenized, _ = tokenizer.tokenize({"email": SECRET_VALUE, "phone": "(303) 555-0111"})
    assert len(vault) == 2
    email = tokenized["email"]
    assert email == PiiTokenizer(KEY).token_for(SECRET_VALUE, "email")  # still deterministic
    tokenizer.revoke(email)
    with pytest.raises(PiiError, match="revoked") as info:
        tokenizer.detokenize(tokenized)
    assert SECRET_VALUE not in str(info.value)
    assert tokenizer.detokenize(tokenized["phone"])[0] == "(303) 555-0111"
    # Seeing the value again mints the same token, and it stays revoked.
    again, _ = PiiTokenizer(KEY, vault=vault).tokenize({"email": SECRET_VALUE})
    assert again["email"] == email
    with pytest.raises(PiiError, match="revoked"):
        PiiTokenizer(KEY, vault=vault).detokenize(again)
    # A genuine token never registered in the vault is refused too.
    unregistered = PiiTokenizer(KEY).token_for("other@example.com", "email")
    with pytest.raises(PiiError, match="revoked or unknown"):
        tokenizer.detokenize(unregistered)
    with pytest.raises(PiiError, match="vault mode"):
        PiiTokenizer(KEY).revoke(email)


def test_dynamodb_vault_shared_by_two_tokenizers(
    aws: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = boto3.client("dynamodb", region_name=REGION)
    DynamoDbVault("pii-tokens", client).create_table()
    writer = PiiTokenizer(KEY, vault=DynamoDbVault("pii-tokens", client))
    reader = PiiTokenizer(KEY, vault=DynamoDbVault("pii-tokens", region=REGION))
    data = {"email": SECRET_VALUE, "note": "call (303) 555-0111 after 5"}
    tokenized, count = writer.tokenize(data, fields=["$.email"])
    assert count == 2
    assert reader.detokenize(tokenized) == (data, 2)

    with quiet_debug():  # this test's own read would otherwise log the item at DEBUG
        item = client.get_item(TableName="pii-tokens", Key={"token": {"S": tokenized["email"]}})
    assert {k: next(iter(v.values())) for k, v in item["Item"].items() if k != "created_at"} == {
        "token": tokenized["email"],
        "value": SECRET_VALUE,
        "kind": "email",
    }
    assert item["Item"]["created_at"]["S"].endswith("Z")

    reader.revoke(tokenized["email"])
    with pytest.raises(PiiError, match="revoked"):
        writer.detokenize(tokenized)
    assert PiiTokenizer(KEY, vault=DynamoDbVault("pii-tokens", client)).tokenize(data)[0] == (
        tokenized
    )
    with pytest.raises(PiiError, match="revoked"):
        reader.detokenize({"to": tokenized["email"]})
    with quiet_debug():
        item = client.get_item(TableName="pii-tokens", Key={"token": {"S": tokenized["email"]}})
    assert "value" not in item["Item"] and "revoked_at" in item["Item"]
    phone = tokenized["note"].split()[1]
    assert writer.detokenize(phone) == ("(303) 555-0111", 1)

    with pytest.raises(PiiError, match="ResourceNotFoundException") as info:
        PiiTokenizer(KEY, vault=DynamoDbVault("no-such-table", client)).tokenize(data)
    assert SECRET_VALUE not in str(info.value)
    assert not [r for r in caplog.records if SECRET_VALUE in r.getMessage()]


# --------------------------------------------------------------------------------------------
# Amazon Comprehend
# --------------------------------------------------------------------------------------------


def place(length: int, spans: dict[int, str]) -> str:
    """Filler text of ``length`` with each value at its offset, set apart by spaces."""
    chars = list(("Notes from the call follow " * 40)[:length])
    for offset, value in spans.items():
        chars[offset - 1] = " "
        chars[offset : offset + len(value)] = value
        chars[offset + len(value)] = " "
    return "".join(chars)


def test_comprehend_with_moto(aws: None) -> None:
    """moto's DetectPiiEntities answers a fixed list: NAME 50-58, EMAIL 230-259 and
    BANK_ACCOUNT_NUMBER 334-349 (all scores > 0.99), whatever the text."""
    text = place(
        400,
        {50: "Jonathan", 230: "jonathan.harker1@example.test", 334: "123456789012345",
         370: "(303) 555-0111"},
    )  # fmt: skip
    tokenizer = PiiTokenizer(KEY, comprehend=boto3.client("comprehend", region_name=REGION))
    tokenized, count = tokenizer.tokenize({"notes": text, "short": "Jonathan"})
    assert count == 4
    notes = tokenized["notes"]
    for value in ("Jonathan", "jonathan.harker1@example.test", "123456789012345", "555-0111"):
        assert value not in notes
    for kind in ("name", "email", "bank_account", "phone"):
        assert f"<pii:{kind}:" in notes
    assert tokenized["short"] == "Jonathan"  # under the length threshold: not sent
    assert tokenizer.detokenize(tokenized)[0] == {"notes": text, "short": "Jonathan"}


class FakeComprehend:
    """A client object answering DetectPiiEntities in the documented response shape."""

    def __init__(self, entities: list[tuple[str, str, float]], fail: bool = False) -> None:
        self.entities = entities  # (Type, text to find, Score)
        self.fail = fail
        self.calls: list[str] = []

    def detect_pii_entities(self, *, Text: str, LanguageCode: str) -> dict[str, Any]:  # noqa: N803
        assert LanguageCode == "en"
        self.calls.append(Text)
        if self.fail:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": f"echo {Text}"}},
                "DetectPiiEntities",
            )
        found = []
        for kind, value, score in self.entities:
            start = Text.find(value)
            if start >= 0:
                found.append(
                    {"Type": kind, "Score": score, "BeginOffset": start,
                     "EndOffset": start + len(value)}
                )  # fmt: skip
        return {"Entities": found}


def test_comprehend_score_types_thresholds_and_cache() -> None:
    fake = FakeComprehend(
        [
            ("NAME", "Maria Garcia", 0.97),
            ("ADDRESS", "12 Elm St, Denver", 0.55),  # below min_score
            ("DATE_TIME", "last Tuesday", 0.99),  # not a mapped type
            ("EMAIL", "maria@example.com", 0.99),  # also found by the regex: one token
        ]
    )
    tokenizer = PiiTokenizer(KEY, comprehend=fake, comprehend_min_score=0.9)
    text = "Spoke with Maria Garcia last Tuesday at 12 Elm St, Denver; maria@example.com."
    data = {"notes": text, "contact": {"name": "Maria Garcia, her full legal name"}}
    tokenized, count = tokenizer.tokenize(data, fields=["$.contact.name"])
    assert count == 3
    notes = tokenized["notes"]
    assert "Maria Garcia" not in notes and "maria@example.com" not in notes
    assert "last Tuesday at 12 Elm St, Denver; <pii:email:" in notes
    assert tokenizer.token_for("Maria Garcia", "name") in notes
    assert fake.calls == [text]  # the marked field is tokenized whole, not sent
    tokenizer.tokenize(data, fields=["$.contact.name"])
    assert fake.calls == [text]  # same text again: answered from the cache
    assert tokenizer.detokenize(tokenized)[0] == data


def test_comprehend_failure_fails_closed() -> None:
    tokenizer = PiiTokenizer(KEY, comprehend=FakeComprehend([], fail=True))
    text = f"A long enough note that mentions {SECRET_VALUE} in passing."
    with pytest.raises(PiiError, match="ThrottlingException") as info:
        tokenizer.tokenize({"notes": text})
    assert SECRET_VALUE not in str(info.value) and "echo" not in str(info.value)


# --------------------------------------------------------------------------------------------
# Nothing raw in reprs
# --------------------------------------------------------------------------------------------


def test_reprs_hold_no_values_or_keys() -> None:
    vault = MemoryVault()
    tokenizer = PiiTokenizer(KEY, vault=vault, comprehend=FakeComprehend([]))
    token = tokenizer.token_for(SECRET_VALUE, "email")
    texts = [
        repr(tokenizer),
        repr(vault),
        repr(DynamoDbVault("t")),
        repr(find_pii(f"x {SECRET_VALUE}")),
        repr(vars(tokenizer)),
    ]
    assert repr(find_pii(f"x {SECRET_VALUE}")) == repr([PiiFinding("email", 2, 27)])
    for text in texts:
        assert SECRET_VALUE not in text
        assert KEY.hex() not in text and base64.b64encode(KEY).decode() not in text
    assert "key_id=" in texts[0] and token not in texts[0]
