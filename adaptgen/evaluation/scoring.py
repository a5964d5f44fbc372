"""Scores of agent transcripts, computed from the transcript alone (deterministic, no model).

Per transcript:
- tool-selection precision: expected calls matched / task calls made (discovery calls of search
  mode, `search_tools` and `list_toolsets`, are not task calls; `call_tool` counts as the tool
  it calls);
- recall: expected calls matched / expected calls. An expected call matches a call of the same
  tool (any of its tools when it names several; in order when the scenario is ordered), the one
  whose arguments match best;
- argument accuracy: expected arguments matched / expected arguments, over the matched calls.
  A `{$from: name}` argument must equal what the matched earlier call's result held at its
  capture's JSONPath (the value the model read, not the one replay read);
- task success: every fact found in the tool results or the final answer (no facts: recall 1);
- calls, result bytes and tokens, and the model's own tokens.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adaptgen.errors import InputError
from adaptgen.evaluation.captures import CaptureError, capture
from adaptgen.evaluation.facts import describe, found
from adaptgen.evaluation.matchers import matches
from adaptgen.evaluation.scenarios import Scenario
from adaptgen.evaluation.surfaces import CALL_TOOL, ToolCall

TRANSCRIPT_KEYS = ("scenario", "expected", "calls", "answer", "tokens", "model", "stopped")
DISCOVERY = frozenset({"search_tools", "list_toolsets"})


@dataclass
class Score:
    """One transcript's scores."""

    scenario: str
    model: str
    precision: float
    recall: float
    argument_accuracy: float | None
    success: bool
    calls: int
    task_calls: int
    result_bytes: int
    result_tokens: int
    model_tokens: int
    stopped: str
    missing_facts: list[str] = field(default_factory=list)
    over_limits: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_calls(calls: Sequence[ToolCall]) -> list[ToolCall]:
    """The calls that do the task: `call_tool` unwrapped, discovery left out."""
    out = []
    for call in calls:
        if call.tool in DISCOVERY:
            continue
        if call.tool == CALL_TOOL:
            inner = call.arguments.get("arguments")
            call = ToolCall(
                str(call.arguments.get("name")),
                inner if isinstance(inner, dict) else {},
                call.ok,
                call.text,
                call.data,
                call.bytes,
                CALL_TOOL,
            )
        out.append(call)
    return out


def _hits(expected: dict[str, Any], call: ToolCall, captured: dict[str, Any]) -> int:
    return sum(
        matches(v, call.arguments.get(k), captured) for k, v in expected["arguments"].items()
    )


@dataclass
class Matching:
    """Expected calls paired with made ones, and the argument hits of each pair."""

    pairs: list[tuple[int, int]] = field(default_factory=list)  # (expected, made)
    hits: list[int] = field(default_factory=list)


def match(expected: Sequence[dict[str, Any]], made: Sequence[ToolCall], ordered: bool) -> Matching:
    """Each expected call to its best unused made call, in the expected calls' order; a matched
    call's captures are read from its own result, for the `$from` arguments after it."""
    found = Matching()
    used: set[int] = set()
    captured: dict[str, Any] = {}
    start = 0
    for i, want in enumerate(expected):
        tools = want.get("tools") or [want["tool"]]
        candidates = [
            j
            for j, call in enumerate(made)
            if j not in used and call.tool in tools and (not ordered or j >= start)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda j: (_hits(want, made[j], captured), -j))
        used.add(best)
        found.pairs.append((i, best))
        found.hits.append(_hits(want, made[best], captured))
        with contextlib.suppress(CaptureError, ValueError):  # not captured: its $from misses
            captured |= capture(want.get("capture") or {}, made[best].data)
        if ordered:
            start = best + 1
    return found


def score(transcript: dict[str, Any]) -> Score:
    """The scores of one transcript (see the module docstring)."""
    scenario = Scenario.model_validate(transcript["scenario"])
    expected = transcript["expected"]
    calls = [ToolCall.from_dict(c) for c in transcript["calls"]]
    made = task_calls(calls)
    matching = match(expected, made, scenario.ordered)
    pairs = matching.pairs
    wanted_args = sum(len(expected[i]["arguments"]) for i, _ in pairs)
    hit_args = sum(matching.hits)
    missing = [describe(f) for f in scenario.facts if not found(f, calls, transcript["answer"])]
    recall = len(pairs) / len(expected)
    success = not missing if scenario.facts else recall == 1
    result_bytes = sum(c.bytes for c in calls)
    result_tokens = sum(c.tokens for c in calls)
    return Score(
        scenario=scenario.id,
        model=transcript["model"],
        precision=len(pairs) / len(made) if made else 0.0,
        recall=recall,
        argument_accuracy=hit_args / wanted_args if wanted_args else None,
        success=success,
        calls=len(calls),
        task_calls=len(made),
        result_bytes=result_bytes,
        result_tokens=result_tokens,
        model_tokens=sum(transcript["tokens"].values()),
        stopped=transcript["stopped"],
        missing_facts=missing,
        over_limits=_over(scenario, len(calls), result_bytes, result_tokens),
    )


def _over(scenario: Scenario, calls: int, size: int, tokens: int) -> list[str]:
    limits = scenario.limits
    return [
        f"{name}: {used:,} over {limit:,}"
        for name, limit, used in (
            ("calls", limits.calls, calls),
            ("bytes", limits.bytes, size),
            ("tokens", limits.tokens, tokens),
        )
        if limit is not None and used > limit
    ]


def summarize(scores: Sequence[Score]) -> dict[str, Any]:
    """Means over all plays, and per scenario (success rate and its spread over repeats)."""
    by_scenario: dict[str, list[Score]] = {}
    for s in scores:
        by_scenario.setdefault(s.scenario, []).append(s)
    return {
        "plays": len(scores),
        "models": sorted({s.model for s in scores}),
        **_means(scores),
        "scenarios": {
            name: {"plays": len(group), **_means(group)} for name, group in by_scenario.items()
        },
    }


def _means(scores: Sequence[Score]) -> dict[str, Any]:
    n = max(len(scores), 1)
    accuracies = [s.argument_accuracy for s in scores if s.argument_accuracy is not None]
    return {
        "success": round(sum(s.success for s in scores) / n, 4),
        "precision": round(sum(s.precision for s in scores) / n, 4),
        "recall": round(sum(s.recall for s in scores) / n, 4),
        "argument_accuracy": round(sum(accuracies) / len(accuracies), 4) if accuracies else None,
        "calls_per_task": round(sum(s.calls for s in scores) / n, 2),
        "model_tokens_per_task": round(sum(s.model_tokens for s in scores) / n, 1),
        "result_tokens_per_task": round(sum(s.result_tokens for s in scores) / n, 1),
    }


def read_transcripts(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Transcript files, and every *.json under folders given; a broken one is an InputError."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    transcripts = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            absent = [k for k in TRANSCRIPT_KEYS if k not in data]
            if absent:
                raise ValueError(f"no {absent[0]!r}")
            Scenario.model_validate(data["scenario"])
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(f"{file}: not an adaptgen eval transcript ({exc})") from None
        transcripts.append(data)
    if not transcripts:
        raise InputError("no transcripts found")
    return transcripts
