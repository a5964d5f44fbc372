"""`PiiTokenizer`: values to tokens and back, on documents and free text (see the package)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from adaptgen.runtime.governance.pii.errors import PiiError
from adaptgen.runtime.governance.pii.fields import ANY, INDEXES, MARKED, concrete_trie, pattern_trie
from adaptgen.runtime.governance.pii.keys import check_key, key_from_reference
from adaptgen.runtime.governance.pii.recognizers import (
    MAYBE_PII,
    RECOGNIZERS,
    PiiFinding,
    by_priority,
    check_kinds,
    find_all,
    resolve_overlaps,
    whole_kind,
)
from adaptgen.runtime.governance.pii.vaults import TokenVault
from adaptgen.runtime.jsonpath import JsonPathError, NodePath, _simple_steps, paths
from adaptgen.runtime.secrets import SecretResolver, quiet_debug

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
        self._siv = AESSIV(check_key(key))
        self.kinds = check_kinds(kinds)
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
        self._whole_order = by_priority(self.kinds)
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
            trie = None if None in steps else pattern_trie(steps)  # type: ignore[arg-type]
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
        return concrete_trie(data, marked)

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
        if self.comprehend is None and MAYBE_PII.search(text) is None:
            return text, 0  # no "@" and no digit: nothing any recognizer could match
        candidates = find_all(text, self.kinds)
        if self.comprehend is not None and len(text) >= self.comprehend_min_length:
            candidates = resolve_overlaps([*candidates, *self._comprehend_findings(text)])
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
                with quiet_debug():  # botocore DEBUG would log the request text
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
        whole = whole or (trie is not None and MARKED in trie)
        if isinstance(node, dict) or (
            not isinstance(node, list | str) and isinstance(node, Mapping)
        ):
            return self._mapping(node, trie, whole)
        if isinstance(node, list | tuple):
            if trie is None or not isinstance(node, list):
                items = [self.node(v, None, whole) for v in node]
            elif INDEXES not in trie:
                every = trie.get(ANY)
                items = [self.node(v, every, whole) for v in node]
            else:
                indexes, every = trie[INDEXES], trie.get(ANY)
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
        maybe = MAYBE_PII.search
        if trie is not None and not isinstance(node, dict):
            trie = None  # only dicts are descended (a Mapping holds no marked field)
        every = trie.get(ANY) if trie is not None else None
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
            elif MARKED in child and isinstance(value, str):
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
            kind = whole_kind(text, tokenizer._whole_order) or FIELD_KIND
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
