"""Agent-mode reports: the scores of model transcripts as text, markdown, JSON or HTML.

Every figure here comes from transcripts a model produced; the model's name heads the report.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from adaptgen.evaluation.scoring import Score, summarize


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _rows(scores: Sequence[Score]) -> list[list[str]]:
    return [
        [
            s.scenario,
            "pass" if s.success else "FAIL",
            _pct(s.precision),
            _pct(s.recall),
            _pct(s.argument_accuracy),
            str(s.calls),
            f"{s.result_bytes:,}",
            f"{s.model_tokens:,}",
            s.stopped,
        ]
        for s in scores
    ]


HEADER = [
    "scenario",
    "task",
    "precision",
    "recall",
    "arguments",
    "calls",
    "bytes read",
    "model tokens",
    "stopped",
]


def _headline(title: str, scores: Sequence[Score]) -> str:
    total = summarize(scores)
    return (
        f"{title}: {', '.join(total['models'])}, {total['plays']} plays: success "
        f"{_pct(total['success'])}, precision {_pct(total['precision'])}, recall "
        f"{_pct(total['recall'])}, argument accuracy {_pct(total['argument_accuracy'])}, "
        f"{total['calls_per_task']} calls and {total['model_tokens_per_task']:,} model tokens "
        "per task"
    )


def as_text(title: str, scores: Sequence[Score]) -> str:
    lines = [_headline(title, scores)]
    for s, row in zip(scores, _rows(scores), strict=True):
        lines.append("  " + "  ".join(row))
        lines += [f"      missing: {fact}" for fact in s.missing_facts]
        lines += [f"      over limit: {over}" for over in s.over_limits]
    return "\n".join(lines) + "\n"


def as_markdown(title: str, scores: Sequence[Score]) -> str:
    lines = [f"## {title}", "", _headline("Agent mode", scores), ""]
    lines += ["| " + " | ".join(HEADER) + " |", "|---|---|--:|--:|--:|--:|--:|--:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(scores)]
    return "\n".join(lines) + "\n"


def as_json(title: str, scores: Sequence[Score]) -> str:
    payload = {"title": title, "summary": summarize(scores), "plays": [s.as_dict() for s in scores]}
    return json.dumps(payload, indent=2) + "\n"


def as_html(title: str, scores: Sequence[Score]) -> str:
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in _rows(scores)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        "</title><style>body{font:14px system-ui,sans-serif;margin:2rem}td,th{border:1px solid "
        "#ccc;padding:.3rem .6rem}table{border-collapse:collapse}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p id="verdict">'
        f"{html.escape(_headline('Agent mode', scores))}"
        f'</p><table id="plays"><tr>{head}</tr>{body}</table></body></html>\n'
    )
