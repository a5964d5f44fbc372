"""Agent readiness: `adaptgen lint` scores a spec, `adaptgen suggest` writes the hints it needs.

The entry points live in their modules (`adaptgen.readiness.lint.lint`,
`adaptgen.readiness.suggest.suggest`) and are not imported here: the CLI imports this package
for its subcommands' parsers, and no other command should pay for the loader, the planner and
their pydantic models (about 0.8 s).
"""

from adaptgen.readiness.findings import RULES, Finding, LintReport, Rule

__all__ = ["RULES", "Finding", "LintReport", "Rule"]
