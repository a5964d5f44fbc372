"""Replay reports: markdown for PR comments, JSON for machines, one self-contained HTML page.

The HTML page has no external asset (inline CSS, inline SVG bars): it opens from a CI artifact
or a mail attachment as it is.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from adaptgen.evaluation.replay import ScenarioResult, SideResult


def summary(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    """Totals per surface over the scenarios both surfaces ran."""
    passed = sum(r.ok for r in results)
    out: dict[str, Any] = {
        "scenarios": len(results),
        "passed": passed,
        "success": round(passed / max(len(results), 1), 4),
    }
    for name in ("adaptgen", "fastmcp"):
        sides = [_side(r, name) for r in results]
        done = [s for s in sides if s is not None]
        out[name] = {
            "scenarios": len(done),
            "passed": sum(s.ok for s in done),
            "calls": sum(len(s.calls) for s in done),
            "upstream_calls": sum(s.upstream_calls for s in done),
            "bytes": sum(s.bytes for s in done),
            "tokens": sum(s.tokens for s in done),
        }
    return out


def _side(result: ScenarioResult, name: str) -> SideResult | None:
    if name == "adaptgen":
        return result.ours
    if result.theirs is None or (result.theirs.problems and not result.theirs.calls):
        return None
    return result.theirs


def as_json(title: str, results: Sequence[ScenarioResult]) -> str:
    payload = {
        "title": title,
        "summary": summary(results),
        "scenarios": [r.as_dict() for r in results],
    }
    return json.dumps(payload, indent=2) + "\n"


def _cell(side: SideResult | None) -> tuple[str, str, str, str, str]:
    if side is None:
        return ("–",) * 5
    if side.problems and not side.calls:
        return ("n/a",) * 5
    mark = "pass" if side.ok else "FAIL"
    return (
        mark,
        str(len(side.calls)),
        str(side.upstream_calls),
        f"{side.bytes:,}",
        f"{side.tokens:,}",
    )


def as_markdown(title: str, results: Sequence[ScenarioResult]) -> str:
    total = summary(results)
    lines = [
        f"## {title}",
        "",
        f"**{total['passed']}/{total['scenarios']} scenarios pass** on the generated server.",
        "",
        "| scenario | expected calls | adaptgen | calls | upstream | bytes | tokens "
        "| FastMCP | calls | upstream | bytes | tokens |",
        "|---|--:|---|--:|--:|--:|--:|---|--:|--:|--:|--:|",
    ]
    for r in results:
        cells = [r.scenario.id, str(len(r.scenario.calls)), *_cell(r.ours), *_cell(r.theirs)]
        lines.append(f"| {' | '.join(cells)} |")
    a, f = total["adaptgen"], total["fastmcp"]
    lines.append(
        f"| **total** | | {a['passed']}/{a['scenarios']} | {a['calls']} | {a['upstream_calls']} | "
        f"{a['bytes']:,} | {a['tokens']:,} | {f['passed']}/{f['scenarios']} | {f['calls']} | "
        f"{f['upstream_calls']} | {f['bytes']:,} | {f['tokens']:,} |"
    )
    failed = [r for r in results if not r.ok]
    if failed:
        lines += ["", "### Failures", ""]
        for r in failed:
            for problem in r.ours.problems:
                lines.append(f"- `{r.scenario.id}` ({r.where}): {problem}")
    return "\n".join(lines) + "\n"


def as_text(title: str, results: Sequence[ScenarioResult]) -> str:
    """The terminal's view: one line per scenario, problems under it."""
    lines = [title]
    for r in results:
        ours, theirs = r.ours, _side(r, "fastmcp")
        beside = ""
        if theirs is not None:
            # Their bytes are an error's when their side failed: said, so no one compares them.
            verdict = "" if theirs.ok else "FAIL, "
            beside = f"  | fastmcp {verdict}{len(theirs.calls)} calls, {theirs.bytes:,} B"
        lines.append(
            f"  {'PASS' if r.ok else 'FAIL'} {r.scenario.id}: {len(ours.calls)} calls, "
            f"{ours.upstream_calls} upstream, {ours.bytes:,} B, {ours.tokens:,} tokens{beside}"
        )
        lines += [f"       {r.where}: {p}" for p in ours.problems]
        if theirs is not None and theirs.problems:
            lines.append(f"       fastmcp: {_clip(theirs.problems[0])}")
    total = summary(results)
    line = f"{total['passed']}/{total['scenarios']} scenarios pass"
    if (theirs_total := total["fastmcp"])["scenarios"]:
        line += f" (FastMCP.from_openapi: {theirs_total['passed']}/{theirs_total['scenarios']})"
    lines.append(line)
    return "\n".join(lines) + "\n"


def _clip(problem: str, limit: int = 240) -> str:
    """One line of a problem: its first line, at most `limit` characters."""
    first = problem.strip().splitlines()[0] if problem.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "\u2026"


_SIDE_HEADERS = "".join(
    f"<th>{h}</th>" for h in ("result", "calls", "upstream", "bytes", "bytes/call", "tokens")
)
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #d5d9e0;padding:.3rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}.pass{color:#11703a;font-weight:600}
.fail{color:#b3261e;font-weight:600}.ours{fill:#2f6fde}.theirs{fill:#c9a227}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}
ul.problems{color:#b3261e}
"""


def as_html(title: str, results: Sequence[ScenarioResult]) -> str:
    """One self-contained page: totals, a bar chart of bytes per scenario, the table, problems."""
    total = summary(results)
    rows = []
    for r in results:
        cells = []
        for side in (r.ours, r.theirs):
            mark, calls, upstream, size, tokens = _cell(side)
            css = {"pass": "pass", "FAIL": "fail"}.get(mark, "")
            cells.append(
                f'<td class="{css}">{mark}</td><td>{calls}</td><td>{upstream}</td>'
                f"<td>{size}</td><td>{_per_call(side)}</td><td>{tokens}</td>"
            )
        rows.append(
            f"<tr><td>{html.escape(r.scenario.id)}</td><td>{len(r.scenario.calls)}</td>"
            f"{''.join(cells)}</tr>"
        )
    problems = [
        f"<li><code>{html.escape(r.scenario.id)}</code>: {html.escape(p)}</li>"
        for r in results
        for p in r.ours.problems
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p id="verdict">{total["passed"]}/{total["scenarios"]} scenarios pass on the generated server.</p>
<h2>Bytes an agent reads per scenario</h2>
<p class="legend"><span class="ours" style="background:#2f6fde"></span>adaptgen
<span style="background:#c9a227"></span>FastMCP.from_openapi</p>
{_chart(results)}
<table id="scenarios"><thead><tr><th rowspan="2">scenario</th><th rowspan="2">expected calls</th>
<th colspan="6">adaptgen</th><th colspan="6">FastMCP.from_openapi</th></tr><tr>
{_SIDE_HEADERS * 2}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{f'<h2>Failures</h2><ul class="problems">{"".join(problems)}</ul>' if problems else ""}
</body></html>
"""


def _per_call(side: SideResult | None) -> str:
    if side is None or not side.calls:
        return "–"
    return f"{side.bytes // len(side.calls):,}"


def _chart(results: Sequence[ScenarioResult]) -> str:
    """Horizontal bars, two per scenario, scaled to the largest; inline SVG."""
    bar, gap, label_w, width = 12, 10, 220, 520
    sizes = [(r.scenario.id, r.ours.bytes, _side(r, "fastmcp")) for r in results]
    largest = max([max(o, t.bytes if t else 0) for _, o, t in sizes] + [1])
    parts, y = [], 0
    for name, ours, theirs in sizes:
        parts.append(f'<text x="0" y="{y + bar + 2}" font-size="12">{html.escape(name)}</text>')
        for css, value, dy in (
            ("ours", ours, 0),
            ("theirs", theirs.bytes if theirs else None, bar),
        ):
            if value is None:
                continue
            w = max(1, round(width * value / largest))
            parts.append(
                f'<rect class="{css}" x="{label_w}" y="{y + dy}" width="{w}" height="{bar - 1}"/>'
            )
            parts.append(
                f'<text x="{label_w + w + 4}" y="{y + dy + bar - 2}" '
                f'font-size="10">{value:,} B</text>'
            )
        y += 2 * bar + gap
    return (
        f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 90}" '
        f'height="{y}" role="img" aria-label="bytes per scenario">{"".join(parts)}</svg>'
    )
