"""Requests that name their tool: by its name, its operationId, or its method and path.

An agent or a developer often knows what they want by the API's own name for it: the API's
docs say `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`, a runbook says `issues/create`
or `chat.postMessage`, an earlier session returned `create_issue`, a log line holds
`GET https://api.example.com/v2/invoices/INV-0744?expand=lines`. Ranked by words, such a
request is a bag of path nouns and finds the parent resource or a sibling as often as the tool
(on GitHub, a tool's `METHOD /path` found it first for 276 of 572 tools, its operationId for
465). A tool a request names is what it asks for, so `Identifiers.named` finds those tools and
the search puts them first, in the order of how exactly they are named, then as ranked.

What counts as naming a tool, never a word of plain prose:
- A token equal to a tool's name or operationId, compared without case or separators
  (`createIssue`, `issues/create`, `create_issue` and `Create-Issue` are one identifier), when
  it looks like an identifier (two words glued by `_ / . -` or camelCase) or is the whole
  request: "pages" alone may name a tool `pages`; "list the pages of a book" names none. Where
  two tools fit, the one spelt exactly as the token comes first (Square's v1 operationId
  `RetrieveEmployee` before the v2 tool named `retrieve_employee`).
- A path (`/repos/{owner}/{repo}/issues`, or one with values in it, `/repos/acme/api/issues/42`,
  or a URL): the operations whose path template it fits, the most literal segments first.
  Leading versions and prefixes (`/v3`, `/api`, `/2010-04-01`) and format suffixes (`.json`)
  are left out on both sides, a query string or fragment is dropped, and a path under a base
  the spec leaves out (`/api/crm/contacts/7`) still fits by its last segments. A method just
  before the path (`POST /issues`, `delete /users/42`) puts that method's operations first.
- Not in prose, where both are as often values or context (an event `order.add`, a permission
  `dns.changes.create`, a file `/projects/specs.docx`, a webhook's URL on another host): in a
  request of more than `SHORT_REQUEST` words an identifier counts only quoted as code
  (a backtick), a path only as an endpoint (a method before it, in capitals, or placeholders
  in it) or fitting whole by two literal segments or more.

Pure Python (a server without numpy searches by names as well), and cheap: a dictionary
look-up per token, and the templates of one path length compared for a path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from adaptgen.words import FORMAT_SUFFIX

__all__ = [
    "FORMAT_SUFFIX",
    "HTTP_METHODS",
    "VERSION_SEGMENT",
    "Identifiers",
    "fold",
    "operation_of",
]

HTTP_METHODS = frozenset(["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"])
# Characters around a token that are quoting or punctuation, not part of the identifier.
_AROUND = "`'\"“”‘’()[]<>,;:!?*"
_GLUED = re.compile(r"[a-z0-9][_./-]+[a-z0-9]", re.IGNORECASE)  # snake, kebab, dotted, slashed
_CAMEL = re.compile(r"[a-z][A-Z]")
_FOLD = re.compile(r"[^0-9a-z]+")
# A path segment that is only a version or a common prefix (`v3`, `api`, `2010-04-01`; the index
# leaves them out of a tool's words too), and a format suffix.
VERSION_SEGMENT = re.compile(r"^(?:v\d+(?:\.\d+)*|api|rest|\d[\d.-]*)$", re.IGNORECASE)
# A placeholder as docs write one: `{id}`, `:id`, `<id>`.
_PLACEHOLDER = re.compile(r"^(?:\{[^}]*\}|:\w+|<[^>]*>)$")
# A request of at most this many words that holds an identifier names a tool by it ("call
# issues/create", "use `createIssue` please"); in a longer one, an identifier is as often a
# value or context (an event `order.add`, a permission `dns.changes.create`), unless quoted as
# code (`issues/create`).
SHORT_REQUEST = 4
_NAMES_SAID = 8  # a path's fit, then up to 7 of its parameters called by their names
# A resource name as Google's APIs write one, two collection-and-id pairs or more
# (`projects/acme/locations/us-central1/clusters/web`): no leading slash, no scheme.
_RESOURCE_NAME = re.compile(r"^[a-z][A-Za-z]*/[^/\s]+(?:/[a-z][A-Za-z]*/[^/\s]+)+/?$")
_NAME_QUALITY = 1_000_000  # a name or operationId names a tool more exactly than any path


def fold(identifier: str) -> str:
    """An identifier without case or separators: `issues/create-in-org` -> issuescreateinorg."""
    return _FOLD.sub("", identifier.lower())


def operation_of(method: str, path: str) -> str:
    """How the index writes an operation: `GET /repos/{owner}/{repo}`."""
    return f"{method.upper()} {path}"


class Identifiers:
    """The names, operationIds and method-path templates of an index's tools."""

    def __init__(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """`entries`: the index's, in order (`name`; `id`, the operationId when it is not the
        name; `operation`, `METHOD /path` for a tool of an operation)."""
        self._by_identifier: dict[str, list[int]] = {}
        self._spelt: dict[str, set[int]] = {}  # as written, case and separators and all
        self._templates: dict[int, list[tuple[int, str, tuple[str, ...]]]] = {}
        for index, entry in enumerate(entries):
            for identifier in (entry.get("name"), entry.get("id")):
                folded = fold(identifier or "")
                if folded and index not in self._by_identifier.get(folded, ()):
                    self._by_identifier.setdefault(folded, []).append(index)
                if folded:
                    self._spelt.setdefault(str(identifier), set()).add(index)
            method, _, path = str(entry.get("operation") or "").partition(" ")
            if path.startswith("/"):
                segments = _template(path)
                self._templates.setdefault(len(segments), []).append(
                    (index, method.upper(), segments)
                )

    def named(self, query: str) -> dict[int, int]:
        """The tools `query` names, each with how exactly (higher: a name or operationId, then
        a path fitting more literal segments, then the method said), the most exactly named
        first; empty for prose."""
        tokens = query.split()
        short = len(tokens) <= SHORT_REQUEST
        quality: dict[int, int] = {}
        for position, raw in enumerate(tokens):
            token = raw.strip(_AROUND).rstrip(".")
            if not token:
                continue
            if token.startswith("/") or token.lower().startswith(("http://", "https://")):
                said = tokens[position - 1].strip(_AROUND) if position else ""
                # "GET /x", or "get /x" as a whole short request: in prose, "get" is English.
                method = said.upper() if said.upper() in HTTP_METHODS else ""
                method = method if short or said.isupper() else ""
                # Said as an endpoint (a method before it, alone, with placeholders), or a path
                # in prose, which is as often a value: a file, a webhook's URL on another host.
                endpoint = bool(method) or len(tokens) == 1 or _has_placeholder(token)
                for index, fit in self._fitting(token, method, endpoint):
                    quality[index] = max(quality.get(index, 0), fit)
            elif len(tokens) == 1 or (
                _looks_like_identifier(token) and (short or raw.startswith("`"))
            ):
                spelt = self._spelt.get(token, set())
                for index in self._by_identifier.get(fold(token), ()):
                    # spelt as written first: `RetrieveEmployee` is that operationId, before
                    # another tool named `retrieve_employee` (Square's v1 and v2)
                    quality[index] = _NAME_QUALITY + (index in spelt)
        return {i: quality[i] for i in sorted(quality, key=lambda i: (-quality[i], i))}

    def elsewhere(self, query: str) -> set[int]:
        """The tools whose path spells out another resource than a resource name the request
        gives: for `projects/acme/locations/us-central1/clusters/web`, GKE's
        `/projects/{projectId}/zones/{zone}/clusters/...` (zones, not locations), while its
        `/{name}:setMasterAuth`, which takes the name whole, and paths of other collections
        (`/operations/{id}`) are not. Empty when the request gives none."""
        given = [
            [segment.lower() for segment in token.strip("/").split("/")]
            for token in (raw.strip(_AROUND).rstrip(".") for raw in query.split())
            if _RESOURCE_NAME.match(token)
        ]
        if not given:
            return set()
        found: set[int] = set()
        for templates in self._templates.values():
            for index, _, template in templates:
                if any(_spells_other(name, template) for name in given):
                    found.add(index)
        return found

    def _fitting(self, token: str, method: str, endpoint: bool) -> Iterable[tuple[int, int]]:
        """(tool, how well) for each template the path in `token` fits: its literal segments
        matched, times two, plus one when the method is the one said; then, between paths that
        differ only in a parameter's name (`/attachments/{AttachmentID}` and `{FileName}`), the
        one whose names the request says. A path in prose (not `endpoint`) must fit whole, by
        two literal segments or more."""
        segments = _asked(token)
        for skip in range(len(segments) if endpoint else min(len(segments), 1)):
            tail = segments[skip:]  # a base path the spec leaves out: fit the tail
            found = []
            for index, operation, template in self._templates.get(len(tail), ()):
                literal, names = _fit(tail, template)
                if literal >= (1 if endpoint else 2):
                    fit = 2 * literal + (operation == method)
                    found.append((index, _NAMES_SAID * fit + min(names, _NAMES_SAID - 1)))
            if found:
                return found
        return []


def _spells_other(name: Sequence[str], template: Sequence[str]) -> bool:
    """Whether `template`, from where it spells the first collection of a resource `name`
    (collections at the even places, ids at the odd), spells another collection at a place
    where the name has one."""
    if name[0] not in template:
        return False
    start = template.index(name[0])
    return any(
        not template[start + at].startswith("{") and template[start + at] != collection
        for at, collection in list(enumerate(name))[2::2]
        if start + at < len(template)
    )


def _has_placeholder(token: str) -> bool:
    return any(_PLACEHOLDER.match(s) for s in token.split("?")[0].split("/"))


def _looks_like_identifier(token: str) -> bool:
    """Words glued as identifiers glue them (`create_issue`, `chat.postMessage`, `getUser`)."""
    return bool(_GLUED.search(token) or _CAMEL.search(token))


def _template(path: str) -> tuple[str, ...]:
    """A spec's path as segments to fit: a parameter as `{name}` (folded), which fits any
    segment; leading versions left out."""
    return tuple(
        "{" + fold(s) + "}" if "{" in s else s.lower() for s in _segments(path.split("?")[0])
    )


def _asked(token: str) -> tuple[str, ...]:
    """A request's path as segments: a URL's path, no query string nor fragment, leading
    versions left out, a placeholder as `{name}` (folded), which fits only a parameter."""
    path = urlsplit(token).path if "://" in token else token.split("?")[0].split("#")[0]
    return tuple(
        "{" + fold(s) + "}" if _PLACEHOLDER.match(s) else s.lower() for s in _segments(path)
    )


def _segments(path: str) -> list[str]:
    """A path's segments without format suffixes, those before the first that is no version
    or prefix (`/api/v2/...`, `/2010-04-01/...`) left out: a repository named `api` further on
    is a segment like any other."""
    segments = [FORMAT_SUFFIX.sub("", s) for s in path.split("/")]
    segments = [s for s in segments if s]
    while segments and VERSION_SEGMENT.match(segments[0]):
        segments.pop(0)
    return segments


def _fit(asked: Sequence[str], template: Sequence[str]) -> tuple[int, int]:
    """How many literal segments of `template` the request's path matches, and how many of its
    parameters the request calls by their names ((0, 0) when it does not fit: a literal
    differs, or the template has no literal segment to match)."""
    literal = names = 0
    for said, expected in zip(asked, template, strict=True):
        if expected.startswith("{"):
            names += said == expected
        elif said != expected:
            return 0, 0
        else:
            literal += 1
    return literal, names if literal else 0
