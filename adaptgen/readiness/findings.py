"""Findings, the rules they break, and the score they add up to.

A finding is a value with a rule, a message and a `file:line:col` (the spec's line, or the
hints file's for what a hint resolved); rules carry their own weight and help text, so every
renderer (text, markdown, JSON, SARIF) explains the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from adaptgen.errors import Location

Level = Literal["error", "warning", "note"]
Scope = Literal["operation", "api"]
API_PENALTY_CAP = 40  # API-wide findings together take at most this much off the API's score


@dataclass(frozen=True)
class Rule:
    """One thing that makes an API hard for agents, and what fixes it."""

    id: str
    name: str
    weight: int  # points off the operation's score (or the API's, for API-wide rules)
    level: Level
    summary: str
    help: str  # what to do about it, including which hint fixes it
    scope: Scope = "operation"


_RULES = (
    Rule(
        "AR001",
        "missing-description",
        15,
        "warning",
        "The operation has neither a summary nor a description.",
        "Agents choose tools by their description. Add a summary to the spec, or a "
        "`description` hint for the operation.",
    ),
    Rule(
        "AR002",
        "useless-description",
        8,
        "warning",
        "The summary only repeats the operationId or the path.",
        "Say what the operation does and returns in words an agent would search for: a "
        "better summary in the spec, or a `description` hint.",
    ),
    Rule(
        "AR010",
        "wide-response",
        15,
        "warning",
        "One record of the response has more fields than an agent needs.",
        "Keep the fields agents use (ids, names, status, owner, amounts, key dates) with a "
        "`keep` hint; `adaptgen suggest` writes one.",
    ),
    Rule(
        "AR011",
        "deep-response",
        5,
        "note",
        "The response nests objects deeper than an agent reads.",
        "Keep the shallow fields agents use with a `keep` hint, or flatten the response.",
    ),
    Rule(
        "AR012",
        "hypermedia",
        8,
        "warning",
        "The response carries hypermedia links (`_links`, `*_url` templates).",
        "Links are for browsers and HATEOAS clients: `drop` them (e.g. `$.._links` in "
        "`defaults.drop`) or leave them out of `keep`.",
    ),
    Rule(
        "AR013",
        "history-in-response",
        8,
        "warning",
        "The response carries audit, history or version blocks.",
        "Past states of a record are rarely what an agent asked for: `drop` them.",
    ),
    Rule(
        "AR014",
        "html-in-response",
        5,
        "note",
        "The response carries HTML meant for a browser.",
        "adaptgen turns HTML into text, but a plain-text twin is usually already there: "
        "`drop` the HTML field.",
    ),
    Rule(
        "AR015",
        "blob-in-response",
        5,
        "warning",
        "The response carries base64 or binary content inside JSON.",
        "An agent cannot read a blob: `drop` it, and offer a download link or a separate "
        "operation instead.",
    ),
    Rule(
        "AR016",
        "huge-enum",
        3,
        "note",
        "An enum lists more values than an agent can weigh.",
        "Describe the values' pattern instead of listing them, or `hide`/`fix` the "
        "parameter, or `drop` the field.",
    ),
    Rule(
        "AR017",
        "internal-fields",
        5,
        "note",
        "The response carries the upstream's bookkeeping (sync state, legacy ids, etags, "
        "soft-delete flags).",
        "`drop` internal fields (in `defaults.drop` when every record has them).",
    ),
    Rule(
        "AR020",
        "auth-hop",
        15,
        "warning",
        "Every call needs a token from another operation called first.",
        "Add an `auth` hint with a `login` flow: the server logs in itself and the agent "
        "never sees the hop.",
        scope="api",
    ),
    Rule(
        "AR030",
        "unknown-paging",
        15,
        "warning",
        "A list operation pages in a way adaptgen cannot detect: agents see the first page only.",
        "Add a `paginate` hint (style, items, cursor or page, next, has_more).",
    ),
    Rule(
        "AR040",
        "pii-unmarked",
        12,
        "warning",
        "Fields that look like personal data are not marked `pii`.",
        "Mark them with a `pii` hint so the governance layer tokenizes them, or drop them.",
    ),
    Rule(
        "AR050",
        "long-name",
        5,
        "note",
        "The operationId is longer than the 64 characters MCP clients accept for a tool name.",
        "adaptgen shortens it; choose the name yourself with a `name` hint.",
    ),
    Rule(
        "AR051",
        "name-collision",
        5,
        "warning",
        "Two operations would get the same tool name.",
        "adaptgen adds a suffix; give each a clear `name` hint.",
    ),
    Rule(
        "AR052",
        "unclear-name",
        3,
        "note",
        "The tool name does not start with a verb, or carries a number or version.",
        "A name is a verb and its resource (`list_contacts`): set one with a `name` hint.",
    ),
    Rule(
        "AR060",
        "write-without-idempotency",
        3,
        "note",
        "A create operation takes no idempotency key: a retried call may create twice.",
        "Accept an `Idempotency-Key` header in the API; adaptgen never retries such writes.",
    ),
    Rule(
        "AR070",
        "too-many-tools",
        10,
        "warning",
        "More tools than an agent can choose from in one list.",
        "adaptgen serves them through search; curate with `include`/`exclude` or "
        "`search: {mode: toolsets}`.",
        scope="api",
    ),
    Rule(
        "AR080",
        "relaxed-construct",
        3,
        "note",
        "adaptgen had to relax or leave out part of the spec.",
        "Fix the spec where the message points (or patch it with an overlay).",
    ),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULES}


@dataclass(frozen=True)
class Finding:
    """One broken rule, where it is."""

    rule: str
    message: str
    location: Location
    operation: str = ""  # operationId (or "METHOD /path"); empty for API-wide findings

    @property
    def key(self) -> tuple[str, str]:
        """Identity across two lints of one spec (with and without hints)."""
        return self.rule, self.operation

    @property
    def level(self) -> Level:
        """The rule's level."""
        return RULES[self.rule].level


@dataclass(frozen=True)
class Resolved:
    """A finding the hints fixed, and where the hint that fixed it is written."""

    finding: Finding
    hint: Location | None


@dataclass(frozen=True)
class OperationScore:
    """One operation's readiness."""

    operation: str
    tool: str
    method: str
    path: str
    score: int
    location: Location


@dataclass
class LintReport:
    """The whole readiness report of one spec."""

    spec: str
    hints: str | None
    score: int
    operations: list[OperationScore] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)
    baseline_score: int | None = None  # the score without any hints, when hints were given


def operation_score(findings: list[Finding]) -> int:
    """100 less the weights of the operation's findings (one rule counts once per operation)."""
    rules = {f.rule for f in findings}
    return max(0, 100 - sum(RULES[r].weight for r in rules))


def api_score(operations: list[int], api_findings: list[Finding]) -> int:
    """The operations' mean, less the API-wide findings (each rule once, capped)."""
    mean = sum(operations) / len(operations) if operations else 100
    rules = {f.rule for f in api_findings}
    penalty = min(API_PENALTY_CAP, sum(RULES[r].weight for r in rules))
    return max(0, min(100, round(mean - penalty)))
