"""The lint report as SARIF 2.1.0, the shape GitHub code scanning shows on a PR's lines.

GitHub wants: rules with ids and help, results with a ruleId, a message and a physical location
whose artifact URI is relative to the repository root (so relative to where lint runs) and whose
region has a 1-based startLine/startColumn; `partialFingerprints` keep a finding's alert stable
across pushes that move lines.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from adaptgen import __version__
from adaptgen.errors import Location
from adaptgen.readiness.findings import RULES, Finding, LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_sarif(report: LintReport, root: Path | None = None) -> str:
    """One SARIF run: every rule, every open finding (resolved ones are fixed: not results)."""
    root = root or Path.cwd()
    rule_ids = list(RULES)
    results = [_result(f, rule_ids.index(f.rule), root) for f in report.findings]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "adaptgen",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "results": results,
        "properties": {"score": report.score, "baselineScore": report.baseline_score},
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _rule(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} {rule.help}"},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": ["agent-readiness"], "weight": rule.weight},
    }


def _result(finding: Finding, index: int, root: Path) -> dict[str, Any]:
    fingerprint = hashlib.sha256(
        f"{finding.rule}\0{finding.operation}\0{finding.location.pointer}".encode()
    ).hexdigest()
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": finding.level,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.location, root)}],
        "partialFingerprints": {"adaptgenFinding/v1": fingerprint},
    }


def _physical(location: Location, root: Path) -> dict[str, Any]:
    uri = Path(os.path.relpath(Path(location.file).resolve(), root.resolve())).as_posix()
    return {
        "artifactLocation": {"uri": uri},
        "region": {"startLine": location.line or 1, "startColumn": location.col or 1},
    }
