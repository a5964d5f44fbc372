"""Typos in a request, read as the word the user meant: "delte the webhook", "cancle it".

A request is typed fast. A word misspelt is a word lost to every signal: no tool has it, its act
is not read ("delte" says no delete), and the word table knows no row for it. One letter
dropped, doubled, swapped or mistyped in one longer word cost 12-13 points of top-3 on the tuned
and development tasks (`bench.search_bench --variants`).

A word is corrected only when nobody could mean it as typed: it is in neither the English word
table (`meaning.bin`'s 31,000 words) nor the API's own words (its index) nor adaptgen's verbs;
nor a form of one of those (`queued`, `ramping`, `unread`, `flaky`) nor two of them joined
(`offsite`, `backend`); it is all letters, at least five of them, outside quotes and not part of
an address, a path or an identifier; and it is lower case: a capitalised word is a name
(`Priya`, `Bayside`), unless it begins a sentence and one edit makes it one of adaptgen's verbs
(`Delte the webhook`). It becomes the one word one edit away (a
letter dropped, added, changed, or two neighbours swapped) that the API uses most, else that
adaptgen's verbs hold, else an English word; among equals, a swap before a letter left out, one
typed twice or one mistyped, the order typos are most often made in. No candidate: it stays.
Without the word table (hints `search: {meaning: false}`) nothing is corrected: which words are
English is what keeps a rare real word from being "corrected" into an API's word.

A short form people type for an API's thing ("restart the svc", "the prod DB") is read as the
whole word (`_SHORT_FORMS`), which is what APIs and the sentence encoder say, unless the API
uses the short form itself.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from adaptgen.search.query import QUOTED
from adaptgen.words import singular

MIN_LENGTH = 5
# Longer words are left as typed: no typo of a word is this long, and a word's edits number
# 54 times its length, each as long as it (a 5,000-letter "word" cost 0.7 s a search).
MAX_LENGTH = 30
MIN_PART = 4  # letters of a word a known form is made of (`ramping`, `unread`, `backend`)
# Endings and prefixes a known word takes and stays a word (`queued`, `ramping`, `unread`).
_ENDINGS = ("ing", "ed", "es", "s", "er", "ers", "ly", "y")
_PREFIXES = ("un", "re", "pre", "non", "sub", "dis", "mis", "over", "under", "out")
# Short words that make compounds. The word table's other three-letter words are mostly
# abbreviations (`ect`, `lte`), which would make a typo a compound (`proect`, `delte`).
_SHORT = "off end out web log set top pay day way add key run app bot box dev ops job"
_SHORT_PARTS = frozenset(_SHORT.split())
# Short forms people type for an API's things ("restart the svc", "rotate the prod db certs"):
# read as the whole word when the API does not use the short form itself (then it is the API's
# own word, and matches as typed). Only forms with one meaning in requests to APIs: not `sub`
# (subscription, subject, subaccount), `auth` (authentication, authorization), `inv`, `lb` ("a
# 3 lb box"), `desc` ("sort by date desc") nor `perm`; not those the synonym table matches
# already (`pr` with `pull`, `repo`, `msg`, `dm`): spelt out, "pull request" also matched every
# tool about requests (GitHub's tuned tasks: -3 top-1).
_SHORT_FORMS = {
    "svc": "service",
    "svcs": "services",
    "env": "environment",
    "envs": "environments",
    "db": "database",
    "dbs": "databases",
    "vm": "virtual machine",
    "vms": "virtual machines",
    "cert": "certificate",
    "certs": "certificates",
    "acct": "account",
    "accts": "accounts",
    "cfg": "configuration",
    "cred": "credential",
    "creds": "credentials",
    "vol": "volume",
    "vols": "volumes",
    "usr": "user",
    "grp": "group",
    "grps": "groups",
    "dept": "department",
    "depts": "departments",
    "txn": "transaction",
    "txns": "transactions",
    "ns": "namespace",
    "pw": "password",
    "pwd": "password",
    "perms": "permissions",
    "qty": "quantity",
    "addr": "address",
    "img": "image",
    "imgs": "images",
    "pkg": "package",
    "pkgs": "packages",
    "tmpl": "template",
    "vnet": "virtual network",
    "stats": "statistics",
}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_VOWELS = "aeiou"
# Letters only, not touching what makes a token a value (`a.b`, `@x`, `x_y`, `/x`, `x-1`);
# a stop after a word ends its sentence.
_WORD = re.compile(r"(?<![\w@#./\\'’-])[A-Za-z]+(?![\w@/\\'’]|[.-]\w)")
_QUOTED = re.compile(f"{QUOTED.pattern}|‘[^’]*’")  # what a query quotes, smart single quotes too
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s*|^\W+)$")


def _undoubled(base: str) -> str:
    """`stopp` (of `stopped`) -> `stop`: a final consonant doubled after one short vowel; any
    other base as it is (`waitt` of `waitting` is no form of `wait`)."""
    if (
        len(base) >= 4
        and base[-1] == base[-2]
        and base[-1] not in _VOWELS
        and base[-3] in _VOWELS
        and base[-4] not in _VOWELS
    ):
        return base[:-1]
    return base


def edits(word: str) -> list[str]:
    """Every string one edit from `word` (Damerau-Levenshtein distance 1), the likelier typo
    first: two neighbours swapped, a letter left out, a letter typed twice or extra, one
    mistyped."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    swapped = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1 and b[0] != b[1]]
    added = [a + c + b for a, b in splits for c in _LETTERS]
    dropped = [a + b[1:] for a, b in splits if b]
    changed = [a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]]
    return swapped + added + dropped + changed


class Speller:
    """Corrects a query's misspelt words against the words it knows.

    `api`: the API's words and how many of its tools use each (the index's fields);
    `verbs`: adaptgen's verb words; `english`: the word table's words."""

    def __init__(
        self, api: Mapping[str, int], verbs: Collection[str], english: Collection[str]
    ) -> None:
        self._api = api
        self._verbs = frozenset(verbs)
        self._english = english

    def _listed(self, word: str) -> bool:
        return word in self._api or word in self._verbs or word in self._english

    def _part(self, word: str) -> bool:
        """A word a longer one can be made of: a listed word of four letters or more, a short
        word of the API or of adaptgen's verbs, or one of the short words compounds use."""
        if len(word) >= MIN_PART:
            return self._listed(word)
        return word in _SHORT_PARTS or word in self._api or word in self._verbs

    def known(self, word: str) -> bool:
        """A word as typed, a form of one (`queued`, `unread`) or two joined (`offsite`)."""
        if self._listed(word) or self._listed(singular(word)):
            return True
        for ending in _ENDINGS:
            base = word.removesuffix(ending)
            if base != word and len(base) >= 3:
                forms = (base, base + "e", _undoubled(base))
                if any(self._part(form) for form in forms):
                    return True
        for prefix in _PREFIXES:
            rest = word.removeprefix(prefix)
            if rest != word and self._part(rest):
                return True
        return any(self._part(word[:i]) and self._part(word[i:]) for i in range(3, len(word) - 2))

    def word(self, word: str, verbs_only: bool = False) -> str | None:
        """What a lower-case word not known was meant to be (only a verb when `verbs_only`),
        or None."""
        if not MIN_LENGTH <= len(word) <= MAX_LENGTH or self.known(word):
            return None
        best: tuple[int, int, int] | None = None
        meant = None
        for order, candidate in enumerate(edits(word)):
            if verbs_only:
                if candidate not in self._verbs:
                    continue
                key = (1, 0, order)
            elif candidate in self._api:
                key = (0, -self._api[candidate], order)
            elif candidate in self._verbs:
                key = (1, 0, order)
            elif candidate in self._english:
                key = (2, 0, order)
            else:
                continue
            if best is None or key < best:
                best, meant = key, candidate
        return meant

    def correct(self, query: str) -> str:
        """The query with its misspelt words corrected and its short forms spelt out; the same
        string when none is."""
        quoted = [m.span() for m in _QUOTED.finditer(query)]
        pieces: list[str] = []
        last = 0
        for match in _WORD.finditer(query):
            start, end = match.span()
            if any(a <= start < b for a, b in quoted):
                continue
            meant = self._meant(match[0], query[:start])
            if meant is not None:
                pieces += [query[last:start], meant]
                last = end
        if not pieces:
            return query
        return "".join(pieces) + query[last:]

    def _meant(self, typed: str, before: str) -> str | None:
        """What a word as typed after `before` stands for (a short form's whole word, a typo's
        word), or None to leave it."""
        if (short := typed.lower()) in _SHORT_FORMS and (typed.islower() or typed.isupper()):
            return None if short in self._api else _SHORT_FORMS[short]  # the API's own word
        if typed.islower():
            return self.word(typed)
        if typed[0].isupper() and typed[1:].islower() and _SENTENCE_START.search(before):
            meant = self.word(typed.lower(), verbs_only=True)
            return None if meant is None else meant[0].upper() + meant[1:]
        return None  # a name, an acronym, CamelCase: as typed
