"""`adaptgen lint` and `adaptgen suggest` on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adaptgen.errors import InputError


def add_readiness_parsers(commands: Any) -> None:
    """Register `adaptgen lint` and `adaptgen suggest` on the CLI's subcommands."""
    lint = commands.add_parser(
        "lint", help="score a spec's agent readiness (0-100) with located findings"
    )
    lint.add_argument("spec", type=Path, help="OpenAPI 3.x or Swagger 2.0 file (YAML or JSON)")
    lint.add_argument(
        "--hints",
        type=Path,
        help="hints file (default: <spec stem>.hints.yaml beside the spec, if it exists)",
    )
    lint.add_argument("--no-hints", action="store_true", help="ignore the hints file beside it")
    lint.add_argument(
        "--overlay",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="OpenAPI Overlay 1.0/1.1 to apply first (repeatable)",
    )
    lint.add_argument(
        "--format",
        choices=("text", "markdown", "json", "sarif"),
        default="text",
        help="text for terminals, markdown for PR comments, json for machines, sarif for "
        "GitHub code scanning",
    )
    lint.add_argument(
        "--fail-under", type=int, metavar="N", help="exit 1 when the API's score is below N"
    )
    lint.add_argument("--out", type=Path, help="write the report here (default: stdout)")
    lint.set_defaults(func=run_lint)

    suggest = commands.add_parser(
        "suggest", help="write the hints (or an Overlay) that make a spec agent-ready, for review"
    )
    suggest.add_argument("spec", type=Path, help="OpenAPI 3.x or Swagger 2.0 file (YAML or JSON)")
    suggest.add_argument(
        "--samples",
        type=Path,
        metavar="DIR",
        help="recorded responses (JSON files named by operationId or tool name, or vcrpy "
        "cassettes) to learn which fields are filled and how big they are",
    )
    suggest.add_argument(
        "--format",
        choices=("hints", "overlay"),
        default="hints",
        help="a hints file (default) or an OpenAPI Overlay 1.0 adding x-agent blocks",
    )
    suggest.add_argument("--out", type=Path, help="write here (default: stdout)")
    suggest.set_defaults(func=run_suggest)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def run_lint(args: argparse.Namespace) -> int:
    """0, or 1 when the score is under `--fail-under`; bad input raises (exit 2)."""
    from adaptgen.readiness.formats import as_json, markdown, text
    from adaptgen.readiness.lint import lint
    from adaptgen.readiness.sarif import as_sarif

    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise InputError(f"--fail-under takes 0-100, not {args.fail_under}")
    report = lint(args.spec, args.hints, tuple(args.overlay), use_default_hints=not args.no_hints)
    render = {"text": text, "markdown": markdown, "json": as_json, "sarif": as_sarif}
    _write(render[args.format](report), args.out)
    if args.fail_under is not None and report.score < args.fail_under:
        print(
            f"adaptgen: agent readiness {report.score}/100 is under --fail-under {args.fail_under}",
            file=sys.stderr,
        )
        return 1
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    """Write the suggested hints (or overlay); bad input raises (exit 2)."""
    from adaptgen.readiness.suggest import suggest

    _write(suggest(args.spec, samples=args.samples, format=args.format), args.out)
    return 0
