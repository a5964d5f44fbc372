"""`adaptgen eval FILE...` (search scoring, replay, agent mode), `eval score`, `eval convert`.

One command over one file format: per file, `adaptgen eval` runs every mode the file can run
without a model (search scoring when it names a `spec`, replay when it has an `upstream`);
`--mode` picks modes (a file that cannot run one is an error at its file:line) and `--agent`
lets a model play the scenarios.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adaptgen.errors import InputError

FORMATS = ("text", "markdown", "json")
MODES = ("search", "replay", "agent")
SUBCOMMANDS = {
    "score": "score saved agent transcripts again, without a model",
    "convert": "rewrite search task files of earlier versions (`tasks:`) as scenario files",
}
Render = Callable[[str, list], str]


def score_parser() -> argparse.ArgumentParser:
    """`adaptgen eval score TRANSCRIPTS...`: score saved transcripts again, without a model."""
    parser = argparse.ArgumentParser(
        prog="adaptgen eval score", description="Score saved agent transcripts (no model)."
    )
    parser.add_argument("transcripts", nargs="+", type=Path, help="transcript JSON files")
    _add_output(parser)
    parser.set_defaults(func=_cmd_score)
    return parser


def add_eval_parser(commands: Any) -> None:
    """`adaptgen eval` in `adaptgen --help` (the arguments are parsed by `parse`)."""
    parser = commands.add_parser(
        "eval",
        help="score search, replay scenarios, let a model play them (see `adaptgen eval -h`)",
        add_help=False,
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER)


def scenario_parser() -> argparse.ArgumentParser:
    """`adaptgen eval FILE... [options]`: every mode's options, the subcommands in the epilog."""
    subcommands = "\n".join(f"  adaptgen eval {k} ...  {v}" for k, v in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="adaptgen eval",
        description=(
            "Evaluate tool calling on scenario files (schema: `adaptgen schema eval`):\n"
            "  search  does search_tools rank each scenario's first expected tool first, or in\n"
            "          the top 3 (needs the file's `spec`)\n"
            "  replay  the expected calls made for real, no model, beside FastMCP's plain\n"
            "          conversion (needs an `upstream`)\n"
            "  agent   a model plays each prompt (--agent, --model; needs an `upstream`)\n"
            "By default each file runs what it can without a model."
        ),
        epilog=f"subcommands:\n{subcommands}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", type=Path, help="scenario files (YAML)")
    parser.add_argument(
        "--mode",
        action="append",
        choices=MODES,
        help="run this mode (repeat for several; default: what each file can run without a "
        "model, or agent with --agent)",
    )
    search = parser.add_argument_group("search scoring")
    search.add_argument("--vs", choices=["fastmcp"], help="also score FastMCP's BM25 search")
    search.add_argument(
        "--min-top3", type=float, help="exit 1 when a file's top-3 share is below this (0-1)"
    )
    search.add_argument(
        "--suggest-keywords",
        action="store_true",
        help="find hinted keywords (words of the missed requests), else the requests as "
        "examples, that would put each missed tool first without ranking any task lower, and "
        "print them as hints",
    )
    search.add_argument(
        "--write-hints",
        action="store_true",
        help="with --suggest-keywords (implied): add what it finds to the hints file the build "
        "reads (the file's `hints`, else <spec stem>.hints.yaml beside the spec), keeping its "
        "comments; review the diff",
    )
    replay = parser.add_argument_group("replay")
    replay.add_argument(
        "--no-baseline", action="store_true", help="skip FastMCP's plain conversion"
    )
    agent = parser.add_argument_group("agent mode")
    agent.add_argument(
        "--agent",
        choices=("openai", "bedrock"),
        help="the model API: an OpenAI-compatible endpoint "
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
    parser.set_defaults(func=_cmd_eval)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_output(parser: argparse.ArgumentParser) -> None:
    output = parser.add_argument_group("reports")
    output.add_argument("--format", choices=FORMATS, default="text", help="printed report")
    output.add_argument(
        "--html", type=Path, help="also write the self-contained HTML report (replay, agent)"
    )
    output.add_argument("--markdown", type=Path, help="also write the markdown report")
    output.add_argument("--json", type=Path, help="also write the JSON report")
    output.add_argument(
        "--min-success",
        type=float,
        help="exit 1 when the share of passing scenarios (replay, agent) is below (0-1)",
    )


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse `adaptgen eval ...` (argv without `eval`)."""
    if argv and argv[0] == "score":
        return score_parser().parse_args(argv[1:])
    if argv and argv[0] == "convert":
        from adaptgen.evaluation.convert import parser

        return parser().parse_args(argv[1:])
    return scenario_parser().parse_args(argv)


@dataclass
class Section:
    """One mode's part of the report: its title, results and how each format renders them."""

    mode: str
    title: str
    results: list
    render: dict[str, Render]


def _cmd_eval(args: argparse.Namespace) -> int:
    from adaptgen.evaluation.scenarios import read_scenarios

    if args.agent is None and args.mode and "agent" in args.mode:
        raise InputError("agent mode needs a model API: --agent openai|bedrock (and --model)")
    files = [read_scenarios(path) for path in args.files]  # every file checked before a run
    plans = [(f, _modes(f, args)) for f in files]
    runs = {mode: [f for f, modes in plans if mode in modes] for mode in MODES}
    if args.html is not None and not (runs["replay"] or runs["agent"]):
        raise InputError("the HTML report is of replay and agent mode; this run scores search only")
    sections = []
    if runs["search"]:
        sections.append(_search(runs["search"], args))
    if runs["replay"]:
        sections.append(_replay(runs["replay"], args))
    if runs["agent"]:
        from adaptgen.evaluation.agent_commands import run_agent

        sections.append(run_agent(runs["agent"], args))
    write(args, sections)
    return max(_search_verdict(sections, args), verdict_of(sections, args))


def _modes(scenarios: Any, args: argparse.Namespace) -> set[str]:
    """The modes a file runs: those asked (each must be possible), or those it can run."""
    possible = {"search"} if scenarios.spec is not None else set()
    if scenarios.model.upstream is not None:
        possible |= {"replay", "agent"}
    asked = set(args.mode or (["agent"] if args.agent else []))
    for mode in sorted(asked - possible):
        needs = "a `spec`" if mode == "search" else "an `upstream`"
        raise InputError(f"--mode {mode} needs {needs} in the file", scenarios.location())
    return asked or possible - {"agent"}


def _search(files: list, args: argparse.Namespace) -> Section:
    from adaptgen.evaluation import search

    results = []
    for scenarios in files:
        tasks = search.search_tasks(scenarios)
        suggest = args.suggest_keywords or args.write_hints
        result = search.evaluate(tasks, args.vs == "fastmcp", suggest)
        if args.write_hints and result.advice is not None:
            result.advice.write(search.hints_file(tasks))
        results.append(result)
    title = "Search: " + ", ".join(f.path.name for f in files)
    render = {"text": search.as_text, "markdown": search.as_markdown}
    render["json"] = lambda title, results: json.dumps(search.as_dict(title, results))
    return Section("search", title, results, render)


def _replay(files: list, args: argparse.Namespace) -> Section:
    from adaptgen.evaluation import reports
    from adaptgen.evaluation.replay import replay

    results = []
    for scenarios in files:
        results += replay(scenarios, baseline=not args.no_baseline)
    render = {
        "text": reports.as_text,
        "markdown": reports.as_markdown,
        "json": reports.as_json,
        "html": reports.as_html,
    }
    return Section("replay", "Replay: " + ", ".join(f.path.name for f in files), results, render)


def write(args: argparse.Namespace, sections: list[Section]) -> None:
    """Print the report in `--format`; write the `--html`/`--markdown`/`--json` files asked for."""
    sys.stdout.write(_rendered(args.format, sections))
    for kind in ("html", "markdown", "json"):
        target = getattr(args, kind, None)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_rendered(kind, sections), encoding="utf-8")


def _rendered(kind: str, sections: list[Section]) -> str:
    """One format of the whole report. JSON: the replay (else agent) report's object, with the
    other modes under their names; HTML: the replay (else agent) page; text and markdown: every
    section in turn."""
    if kind == "html":
        page = next(s for s in sections if "html" in s.render)
        return page.render["html"](page.title, page.results)
    if kind != "json":
        return "\n".join(s.render[kind](s.title, s.results) for s in sections)
    payload: dict[str, Any] = {}
    for section in sorted(sections, key=lambda s: s.mode == "search"):  # search last
        data = json.loads(section.render["json"](section.title, section.results))
        if section.mode == "search" or payload:
            payload[section.mode] = data
        else:
            payload.update(data)
    return json.dumps(payload, indent=2) + "\n"


def verdict_of(sections: list[Section], args: argparse.Namespace) -> int:
    """1 when the share of passing replayed or played scenarios is under `--min-success`."""
    runs = [r for s in sections if s.mode != "search" for r in s.results]
    passed = sum(bool(getattr(r, "ok", getattr(r, "success", False))) for r in runs)
    return verdict(args, passed, len(runs)) if runs else 0


def verdict(args: argparse.Namespace, passed: int, total: int) -> int:
    """The exit code: 1 when the share of passing scenarios is under `--min-success`."""
    share = passed / max(total, 1)
    if args.min_success is not None and share < args.min_success:
        print(f"success {share:.1%} is under --min-success {args.min_success:.1%}", file=sys.stderr)
        return 1
    return 0


def _search_verdict(sections: list[Section], args: argparse.Namespace) -> int:
    """1 when a file's top-3 share (our search) is under `--min-top3`."""
    failed = 0
    for section in sections:
        for result in section.results if section.mode == "search" else []:
            ours = result.scores[0]
            share = ours.top3 / max(ours.tasks, 1)
            if args.min_top3 is not None and share < args.min_top3:
                name = result.task_file.path.name
                print(
                    f"{name}: top-3 {share:.1%} is under --min-top3 {args.min_top3:.1%}",
                    file=sys.stderr,
                )
                failed = 1
    return failed


def _cmd_score(args: argparse.Namespace) -> int:
    from adaptgen.evaluation.agent_commands import run_score

    return run_score(args)
