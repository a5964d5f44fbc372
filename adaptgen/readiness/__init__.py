"""Agent readiness: `adaptgen lint` scores a spec, `adaptgen suggest` writes the hints it needs."""

from adaptgen.readiness.findings import RULES, Finding, LintReport, Rule
from adaptgen.readiness.lint import lint

__all__ = ["RULES", "Finding", "LintReport", "Rule", "lint"]
