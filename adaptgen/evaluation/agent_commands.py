"""`adaptgen eval FILE --agent openai|bedrock --model M` and `adaptgen eval score TRANSCRIPTS`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from adaptgen.evaluation import score_reports
from adaptgen.evaluation.agent import Bounds, play, save
from adaptgen.evaluation.cassettes import taped
from adaptgen.evaluation.models import ModelClient, model_client
from adaptgen.evaluation.replay import serving, tool_name
from adaptgen.evaluation.scenarios import ScenarioFile, read_scenarios
from adaptgen.evaluation.scoring import Score, read_transcripts, score

RENDER = {
    "text": score_reports.as_text,
    "markdown": score_reports.as_markdown,
    "json": score_reports.as_json,
    "html": score_reports.as_html,
}


def run_agent(args: argparse.Namespace) -> int:
    """Play every scenario `--repeat` times, save each transcript, score and report them."""
    from adaptgen.evaluation.commands import verdict, write

    model = model_client(args.agent, args.model)
    bounds = Bounds(max_turns=args.max_turns, max_tokens=args.max_tokens)
    scores: list[Score] = []
    with taped(args.cassette, model.host):  # one tape for the whole run
        played = [
            (path, play_file(read_scenarios(path), model, bounds, args.repeat))
            for path in args.files
        ]
    for path, transcripts in played:
        for transcript in transcripts:
            name = f"{transcript['scenario']['id']}-{transcript['repeat']}.json"
            save(transcript, args.transcripts / path.name.split(".")[0] / name)
            scores.append(score(transcript))
    write(args, f"Agent mode: {model.name}", RENDER, scores)
    return verdict(args, sum(s.success for s in scores), len(scores))


def play_file(
    scenarios: ScenarioFile, model: ModelClient, bounds: Bounds, repeat: int
) -> list[dict[str, Any]]:
    """Transcripts of every scenario of the file, `repeat` plays each, on its served server."""
    with serving(scenarios) as running:

        async def all_plays() -> list[dict[str, Any]]:
            out = []
            for scenario in scenarios.scenarios:
                expected = [
                    {"tool": tool_name(c, running.catalog), "arguments": c.arguments}
                    for c in scenario.calls
                ]
                for number in range(1, repeat + 1):
                    transcript = await play(scenario, expected, running.url, model, bounds)
                    out.append({**transcript, "repeat": number, "file": str(scenarios.path)})
            return out

        return asyncio.run(all_plays())


def run_score(args: argparse.Namespace) -> int:
    """Score saved transcripts again: no model, no server."""
    from adaptgen.evaluation.commands import verdict, write

    transcripts = read_transcripts(args.transcripts)
    scores = [score(t) for t in transcripts]
    models = ", ".join(sorted({t["model"] for t in transcripts}))
    write(args, f"Scores of {len(scores)} transcripts ({models})", RENDER, scores)
    return verdict(args, sum(s.success for s in scores), len(scores))
