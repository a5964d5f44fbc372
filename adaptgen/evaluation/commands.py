"""`adaptgen eval SCENARIOS.yaml ...` (replay or agent mode) and `adaptgen eval score ...`.

`adaptgen eval` on a search task file stays the search evaluation (adaptgen/evaluate.py); the
CLI hands the arguments here when the first file is a scenario file or the verb is `score`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from adaptgen.evaluation.scenarios import is_scenario_file

FORMATS = ("text", "markdown", "json")


def wants_scenarios(argv: Sequence[str]) -> bool:
    """Whether `adaptgen ARGV` is a scenario evaluation (not the search one)."""
    if len(argv) < 2 or argv[0] != "eval":
        return False
    first = next((a for a in argv[1:] if not a.startswith("-")), None)
    return first == "score" or (first is not None and is_scenario_file(Path(first)))


def score_parser() -> argparse.ArgumentParser:
    """`adaptgen eval score TRANSCRIPTS...`: score saved transcripts again, without a model."""
    parser = argparse.ArgumentParser(
        prog="adaptgen eval score", description="Score saved agent transcripts (no model)."
    )
    parser.add_argument("transcripts", nargs="+", type=Path, help="transcript JSON files")
    _add_output(parser)
    parser.set_defaults(func=_cmd_score)
    return parser


def scenario_parser() -> argparse.ArgumentParser:
    """`adaptgen eval SCENARIOS.yaml... [options]`."""
    parser = argparse.ArgumentParser(
        prog="adaptgen eval",
        description="Replay scenario files (no model) or let a model play them (--agent).",
    )
    parser.add_argument("files", nargs="+", type=Path, help="scenario files (YAML)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip FastMCP's plain conversion"
    )
    agent = parser.add_argument_group("agent mode")
    agent.add_argument(
        "--agent",
        choices=("openai", "bedrock"),
        help="a model plays each scenario: an OpenAI-compatible endpoint "
        "(ADAPTGEN_EVAL_BASE_URL, ADAPTGEN_EVAL_API_KEY) or Amazon Bedrock Converse",
    )
    agent.add_argument("--model", help="the model id (agent mode)")
    agent.add_argument(
        "--repeat", type=_positive, default=1, help="plays per scenario, for the spread (default 1)"
    )
    agent.add_argument("--max-turns", type=int, default=8, help="model turns per play (default 8)")
    agent.add_argument(
        "--max-tokens", type=int, default=20000, help="tokens per play, in and out (default 20000)"
    )
    agent.add_argument(
        "--cassette",
        type=Path,
        help="record the model's HTTP traffic here (vcrpy), or replay it when the file exists",
    )
    agent.add_argument(
        "--transcripts", type=Path, default=Path("eval-transcripts"), help="where transcripts go"
    )
    _add_output(parser)
    parser.set_defaults(func=_cmd_scenarios)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="printed report")
    parser.add_argument("--html", type=Path, help="also write the self-contained HTML report")
    parser.add_argument("--markdown", type=Path, help="also write the markdown report")
    parser.add_argument("--json", type=Path, help="also write the JSON report")
    parser.add_argument(
        "--min-success",
        type=float,
        help="exit 1 when the share of passing scenarios is below (0-1)",
    )


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse `adaptgen eval ...` (argv without `eval`)."""
    if argv and argv[0] == "score":
        return score_parser().parse_args(argv[1:])
    return scenario_parser().parse_args(argv)


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from adaptgen.evaluation import reports
    from adaptgen.evaluation.replay import replay
    from adaptgen.evaluation.scenarios import read_scenarios

    if args.agent:
        from adaptgen.evaluation.agent_commands import run_agent

        return run_agent(args)
    results = []
    for path in args.files:
        results += replay(read_scenarios(path), baseline=not args.no_baseline)
    title = "Replay: " + ", ".join(p.name for p in args.files)
    write(
        args,
        title,
        {
            "text": reports.as_text,
            "markdown": reports.as_markdown,
            "json": reports.as_json,
            "html": reports.as_html,
        },
        results,
    )
    return verdict(args, sum(r.ok for r in results), len(results))


def write(args: argparse.Namespace, title: str, render: dict, results: list) -> None:
    """Print the report in `--format`; write the `--html`/`--markdown`/`--json` files asked for."""
    sys.stdout.write(render[args.format](title, results))
    for kind in ("html", "markdown", "json"):
        target = getattr(args, kind, None)
        if target is not None and kind in render:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render[kind](title, results), encoding="utf-8")


def verdict(args: argparse.Namespace, passed: int, total: int) -> int:
    """The exit code: 1 when the share of passing scenarios is under `--min-success`."""
    share = passed / max(total, 1)
    if args.min_success is not None and share < args.min_success:
        print(f"success {share:.1%} is under --min-success {args.min_success:.1%}", file=sys.stderr)
        return 1
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from adaptgen.evaluation.agent_commands import run_score

    return run_score(args)
