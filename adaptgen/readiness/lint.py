"""`adaptgen lint`: score a spec's agent readiness, and show what its hints fixed.

With hints, the spec is linted twice: bare, then with the hints. A finding of the bare lint that
the hinted one no longer has is *resolved*, and is reported at the hint that resolved it, so a
reviewer sees each hint's effect; the score is the hinted one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adaptgen.errors import Location
from adaptgen.hints import LoadedHints, load_hints
from adaptgen.readiness.context import Context, analyse, api_name, hints_for, load
from adaptgen.readiness.findings import (
    Finding,
    LintReport,
    OperationScore,
    Resolved,
    api_score,
    operation_score,
)
from adaptgen.readiness.rules import run

_TOOL_KEYS = {
    "AR001": "description",
    "AR002": "description",
    "AR030": "paginate",
    "AR040": "pii",
    "AR050": "name",
    "AR051": "name",
    "AR052": "name",
}
_NOISE_RULES = {"AR010", "AR011", "AR012", "AR013", "AR014", "AR015", "AR016", "AR017"}


def lint(
    spec_path: Path,
    hints_path: Path | None = None,
    overlays: Sequence[Path] = (),
    *,
    use_default_hints: bool = True,
) -> LintReport:
    """Lint `spec_path` with its hints (the file beside it unless told otherwise)."""
    spec = load(spec_path, overlays)
    name = api_name(spec_path)
    hints = hints_for(spec, spec_path, hints_path, use_default=use_default_hints)
    ctx = analyse(spec, hints, name)
    report = lint_context(ctx, str(spec_path), hints.source.display if hints.source else None)
    if _has_hints(hints):
        bare = analyse(spec, load_hints(None), name)
        baseline = lint_context(bare, str(spec_path), None)
        report.baseline_score = baseline.score
        open_keys = {f.key for f in report.findings}
        report.resolved = [
            Resolved(f, _hint_for(ctx, f)) for f in baseline.findings if f.key not in open_keys
        ]
    return report


def _has_hints(hints: LoadedHints) -> bool:
    return hints.source is not None or bool(hints.hints.model_dump(exclude_defaults=True))


def lint_context(ctx: Context, spec: str, hints: str | None) -> LintReport:
    """The rules and scores of one analysed spec (`lint` runs it once per hints variant)."""
    per_operation, api_findings = run(ctx)
    scores = []
    findings: list[Finding] = list(api_findings)
    for op in ctx.operations:
        own = per_operation[op.label]
        findings.extend(own)
        scores.append(
            OperationScore(
                op.label,
                op.tool.name,
                op.method.upper(),
                op.path,
                operation_score(own),
                ctx.location(op.pointer),
            )
        )
    score = api_score([s.score for s in scores], api_findings)
    return LintReport(spec, hints, score, scores, findings)


def _hint_for(ctx: Context, finding: Finding) -> Location | None:
    """Where the hint that resolved `finding` is written (best guess by rule and operation)."""
    hints = ctx.hints
    op_id = finding.operation
    if finding.rule == "AR020":
        return ctx.hint_location("auth")
    if finding.rule == "AR070":
        for key in ("include", "exclude", "search"):
            if getattr(hints.hints, key) is not None and key in _written(ctx):
                return ctx.hint_location(key)
    tool_hint = hints.hints.tools.get(op_id)
    if op_id and op_id not in {op.label for op in ctx.operations}:  # no longer a tool
        if tool_hint is not None and tool_hint.exclude:
            return hints.location(op_id, "exclude")
        return ctx.hint_location("exclude") if "exclude" in _written(ctx) else None
    if tool_hint is not None:
        key = _TOOL_KEYS.get(finding.rule)
        if finding.rule in _NOISE_RULES or finding.rule == "AR040" and not tool_hint.pii:
            key = next((k for k in ("keep", "drop") if getattr(tool_hint, k)), key)
        if key and getattr(tool_hint, key, None):
            return hints.location(op_id, key)
    if finding.rule in _NOISE_RULES and hints.hints.defaults.drop:
        return ctx.hint_location("defaults", "drop")
    return hints.location(op_id)


def _written(ctx: Context) -> set[str]:
    source = ctx.hints.source
    return set(source.data) if source is not None and isinstance(source.data, dict) else set()
