"""The lint report as text (terminals), Markdown (PR comments) and JSON (machines)."""

from __future__ import annotations

import json
from typing import Any

from adaptgen.errors import Location
from adaptgen.readiness.findings import RULES, LintReport

WORST_SHOWN = 15  # operations listed by score, lowest first


def _where(location: Location | None) -> str:
    if location is None:
        return "(x-agent)"
    text = location.file
    if location.line is not None:
        text += f":{location.line}"
        if location.col is not None:
            text += f":{location.col}"
    return text


def _headline(report: LintReport) -> str:
    ops = len(report.operations)
    line = f"agent readiness {report.score}/100 ({ops} operations, {len(report.findings)} findings"
    if report.baseline_score is not None:
        line += f"; {report.baseline_score}/100 without hints, {len(report.resolved)} resolved"
    return line + ")"


def text(report: LintReport) -> str:
    """`file:line:col: level RULE name: message` lines, then the lowest-scoring operations."""
    lines = [f"{report.spec}: {_headline(report)}"]
    for f in report.findings:
        rule = RULES[f.rule]
        lines.append(f"{_where(f.location)}: {rule.level} {rule.id} {rule.name}: {f.message}")
    for r in report.resolved:
        rule = RULES[r.finding.rule]
        lines.append(f"{_where(r.hint)}: resolved {rule.id} {rule.name}: {r.finding.message}")
    worst = sorted(report.operations, key=lambda s: (s.score, s.operation))[:WORST_SHOWN]
    if worst:
        lines.append("lowest-scoring operations:")
        lines.extend(f"  {s.score:>3}  {s.tool:<40} {s.method} {s.path}" for s in worst)
    return "\n".join(lines) + "\n"


def markdown(report: LintReport) -> str:
    """A PR comment: the score, findings grouped by rule with their places, worst operations."""
    out = [f"## Agent readiness: {report.score}/100", "", f"`{report.spec}`: {_headline(report)}"]
    by_rule: dict[str, list[str]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f"`{_where(f.location)}` {f.message}")
    if by_rule:
        out += ["", "| rule | findings | what to do |", "| --- | --- | --- |"]
        for rule_id in sorted(by_rule):
            rule = RULES[rule_id]
            out.append(f"| {rule.id} {rule.name} | {len(by_rule[rule_id])} | {rule.help} |")
        for rule_id in sorted(by_rule):
            out += ["", f"<details><summary>{rule_id} {RULES[rule_id].summary}</summary>", ""]
            out += [f"- {item}" for item in by_rule[rule_id]]
            out += ["", "</details>"]
    if report.resolved:
        out += ["", f"### Resolved by hints ({len(report.resolved)})", ""]
        out += [
            f"- {r.finding.rule} {r.finding.message} (hint at `{_where(r.hint)}`)"
            for r in report.resolved
        ]
    worst = sorted(report.operations, key=lambda s: (s.score, s.operation))[:WORST_SHOWN]
    if worst:
        out += ["", "| score | tool | operation |", "| ---: | --- | --- |"]
        out += [f"| {s.score} | `{s.tool}` | {s.method} `{s.path}` |" for s in worst]
    return "\n".join(out) + "\n"


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "column": location.col}


def as_json(report: LintReport) -> str:
    """Everything in the report, for machines."""
    data = {
        "spec": report.spec,
        "hints": report.hints,
        "score": report.score,
        "baseline_score": report.baseline_score,
        "operations": [
            {
                "operation": s.operation,
                "tool": s.tool,
                "method": s.method,
                "path": s.path,
                "score": s.score,
                "location": _location(s.location),
            }
            for s in report.operations
        ],
        "findings": [
            {
                "rule": f.rule,
                "name": RULES[f.rule].name,
                "level": f.level,
                "operation": f.operation or None,
                "message": f.message,
                "location": _location(f.location),
            }
            for f in report.findings
        ],
        "resolved": [
            {
                "rule": r.finding.rule,
                "operation": r.finding.operation or None,
                "message": r.finding.message,
                "location": _location(r.finding.location),
                "hint": _location(r.hint),
            }
            for r in report.resolved
        ],
    }
    return json.dumps(data, indent=2) + "\n"
