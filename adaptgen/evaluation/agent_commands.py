"""`adaptgen eval FILE --agent openai|bedrock --model M` and `adaptgen eval score TRANSCRIPTS`."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from adaptgen.evaluation import score_reports
from adaptgen.evaluation.agent import Bounds, play, save
from adaptgen.evaluation.cassettes import taped
from adaptgen.evaluation.models import ModelClient, model_client
from adaptgen.evaluation.replay import serving, tool_names
from adaptgen.evaluation.scenarios import Call, ScenarioFile
from adaptgen.evaluation.scoring import Score, read_transcripts, score
from adaptgen.evaluation.surfaces import Catalog

if TYPE_CHECKING:
    from adaptgen.evaluation.commands import Section

RENDER = {
    "text": score_reports.as_text,
    "markdown": score_reports.as_markdown,
    "json": score_reports.as_json,
    "html": score_reports.as_html,
}


def run_agent(files: list[ScenarioFile], args: argparse.Namespace) -> Section:
    """Play every scenario `--repeat` times, save each transcript; their scores, to report."""
    from adaptgen.evaluation.commands import Section

    model = model_client(args.agent, args.model)
    bounds = Bounds(max_turns=args.max_turns, max_tokens=args.max_tokens)
    scores: list[Score] = []
    with taped(args.cassette, model.host):  # one tape for the whole run
        played = [(f.path, play_file(f, model, bounds, args.repeat)) for f in files]
    for path, transcripts in played:
        for transcript in transcripts:
            name = f"{transcript['scenario']['id']}-{transcript['repeat']}.json"
            save(transcript, args.transcripts / path.name.split(".")[0] / name)
            scores.append(score(transcript))
    return Section("agent", f"Agent mode: {model.name}", scores, RENDER)


def play_file(
    scenarios: ScenarioFile, model: ModelClient, bounds: Bounds, repeat: int
) -> list[dict[str, Any]]:
    """Transcripts of every scenario of the file, `repeat` plays each, on its served server."""
    with serving(scenarios) as running:

        async def all_plays() -> list[dict[str, Any]]:
            out = []
            for scenario in scenarios.scenarios:
                expected = [expected_call(c, running.catalog) for c in scenario.calls]
                for number in range(1, repeat + 1):
                    transcript = await play(scenario, expected, running.url, model, bounds)
                    out.append({**transcript, "repeat": number, "file": str(scenarios.path)})
            return out

        return asyncio.run(all_plays())


def expected_call(call: Call, catalog: Catalog) -> dict[str, Any]:
    """An expected call as a transcript keeps it: tool names resolved, matchers, captures."""
    tools = tool_names(call, catalog)
    return {"tool": tools[0], "tools": tools, "arguments": call.arguments, "capture": call.capture}


def run_score(args: argparse.Namespace) -> int:
    """Score saved transcripts again: no model, no server."""
    from adaptgen.evaluation.commands import Section, verdict_of, write

    transcripts = read_transcripts(args.transcripts)
    scores = [score(t) for t in transcripts]
    models = ", ".join(sorted({t["model"] for t in transcripts}))
    sections = [Section("agent", f"Scores of {len(scores)} transcripts ({models})", scores, RENDER)]
    write(args, sections)
    return verdict_of(sections, args)
