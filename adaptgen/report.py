"""The build report and the progress display users see on a terminal."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

from adaptgen.build import BuildReport, _json_size, _listed
from adaptgen.errors import BuildWarning
from adaptgen.plan.pagination import unknown_paging_warnings
from adaptgen.runtime.catalog import ApiInfo, SecurityScheme
from adaptgen.search import INDEX_FILE


def watched(stream: TextIO) -> bool:
    """Whether a person watches `stream`: a terminal, and not a CI job's log."""
    return stream.isatty() and not os.environ.get("CI")


class ProgressDisplay:
    """What a long command is doing, on stderr: its steps with a spinner, and a bar while it
    plans the tools of a spec large enough to make the user wait.

    Drawn only when `enabled` (the CLI passes `watched(sys.stderr)`): pipes and CI logs get
    nothing, and the display is transient, so the terminal keeps only the report.
    """

    def __init__(self, enabled: bool, threshold: int = 50, file: TextIO | None = None) -> None:
        self.enabled = enabled
        self.threshold = threshold
        self._file = file
        self._progress = None
        self._task = None
        self._total: int | None = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def step(self, message: str) -> None:
        """Say which step runs now (the spinner turns until the next one)."""
        if not self.enabled:
            return
        self._show(message, total=None)

    def update(self, done: int, total: int) -> None:
        """`done` of `total` tools planned."""
        if not self.enabled or total < self.threshold:
            return
        if self._total != total:
            self._show("planning tools", total=total)
        self._progress.update(self._task, completed=done)

    def _show(self, message: str, total: int | None) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn

            console = Console(file=self._file or sys.stderr, force_terminal=True)
            self._progress = Progress(
                SpinnerColumn(),
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                transient=True,
                console=console,
            )
            self._progress.start()
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(message, total=total)
        self._total = total

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_report(report: BuildReport, *, quiet: bool = False, out: TextIO | None = None) -> None:
    """Print what was built: tools, skipped operations, warnings, env vars, tools/list size."""
    out = out or sys.stdout
    catalog = report.api
    api = catalog.info
    if quiet:
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return
    print(f"built {report.out_dir}/ from {api.spec_file} (OpenAPI {api.spec_version})", file=out)
    visible = [t for t in catalog.tools if not t.hidden]
    print(f"  tools: {len(visible) + len(catalog.chains)}", file=out)
    for tool in visible[:40]:
        print(f"    {tool.name:<40} {tool.method} {tool.path}", file=out)
    if len(visible) > 40:
        print(f"    ... and {len(visible) - 40} more (see {report.out_dir}/README.md)", file=out)
    for tool in catalog.chains:
        chain = tool.chain
        path = " -> ".join(f"{s.operation}{'[foreach]' if s.foreach else ''}" for s in chain.steps)
        extra = ", idempotent" if chain.idempotent else ""
        print(f"    {tool.name:<40} chain ({chain.source}{extra}): {path}", file=out)
    hidden = [t for t in catalog.tools if t.hidden]
    if hidden:
        names = ", ".join(t.name for t in hidden)
        print(f"  hidden operations (called by chains or auth flows only): {names}", file=out)
    for flow in api.auth:
        print(f"  auth flow for {flow.scheme}: {flow.describe()}", file=out)
    skipped = catalog.skipped
    if skipped:
        print(f"  skipped operations: {len(skipped)}", file=out)
        for op in skipped[:20]:
            print(f"    {op.operation_id} ({op.method} {op.path}): {op.reason}", file=out)
        if len(skipped) > 20:
            print(f"    ... and {len(skipped) - 20} more", file=out)
    paged = [t for t in catalog.tools if t.pagination is not None]
    if paged:
        print(f"  paginated tools: {len(paged)}", file=out)
        for tool in paged[:20]:
            print(f"    {tool.name:<40} {tool.pagination.describe()}", file=out)
    unknown = unknown_paging_warnings(report.warnings)
    if unknown:
        print(
            f"  list operations whose paging is unknown: {len(unknown)} (first page only; "
            "see the warnings; `build --strict` fails on them)",
            file=out,
        )
    print(f"  env vars the server reads: {', '.join(api.env)}", file=out)
    _print_credentials(api, out)
    if api.surface.mode == "search":
        pinned = [t.name for t in catalog.tools if t.pinned]
        print(
            f"  surface: search mode ({api.surface.reason}): tools/list shows search_tools and "
            f"call_tool{' plus ' + ', '.join(pinned) if pinned else ''}",
            file=out,
        )
        # What an agent reads first, then the catalog it never sees whole.
        median, searches = search_result_bytes(report)
        print(f"  tools/list size: {report.tools_list_bytes:,} bytes", file=out)
        print(
            f"  search_tools result: {median:,} bytes (median of {searches} searches, a "
            f"tool's own name as the query, {api.surface.max_results} hits)",
            file=out,
        )
        print(
            f"  full catalog: {report.catalog_bytes:,} bytes (every tool's listing, never sent "
            "whole: reached through search)",
            file=out,
        )
    else:
        surface = f" ({api.surface.reason})" if api.surface.reason else ""
        print(f"  surface: every tool listed{surface}", file=out)
        print(f"  tools/list size: {report.tools_list_bytes:,} bytes", file=out)
    if report.warnings:
        print(f"  warnings: {len(report.warnings)}", file=out)
        for warning, alike in grouped_warnings(report.warnings):
            print(f"    {warning}", file=out)
            if alike:
                names = ", ".join(alike[:ALIKE_NAMED])
                more = f" and {len(alike) - ALIKE_NAMED} more" if len(alike) > ALIKE_NAMED else ""
                print(
                    f"      the same for {len(alike)} more: {names}{more} "
                    "(`build --quiet` prints each with its place)",
                    file=out,
                )


ALIKE = 3  # warnings saying one thing of this many operations are printed once, with the names
ALIKE_NAMED = 8  # names printed of the operations a grouped warning is also about
_SUBJECT = re.compile(r"([A-Za-z0-9_.\-/{}]+): (.+)", re.DOTALL)


def grouped_warnings(warnings: Sequence[BuildWarning]) -> list[tuple[BuildWarning, list[str]]]:
    """Each warning with the operations the same words are said of after it, when there are
    at least ALIKE such (`list_orders: pages by `cursor` and its spec never says...` of fifty
    lists is one warning and fifty names): the first in its place, the others' subjects with
    it and left out. A warning of no such subject, or of a few, stands alone."""
    said: dict[str, list[tuple[int, str]]] = {}  # the words said -> (place, subject) of each
    for at, warning in enumerate(warnings):
        if (found := _SUBJECT.fullmatch(warning.message)) is not None:
            said.setdefault(found[2], []).append((at, found[1]))
    grouped = {alike[0][0]: alike[1:] for alike in said.values() if len(alike) >= ALIKE}
    told = {at for alike in grouped.values() for at, _ in alike}
    return [
        (warning, [subject for _, subject in grouped.get(at, [])])
        for at, warning in enumerate(warnings)
        if at not in told
    ]


REPORT_SEARCHES = 100  # searches the report's median search_tools result is measured on


def search_result_bytes(report: BuildReport) -> tuple[int, int]:
    """The median size of a search_tools result, and how many searches it is the median of.

    The search is the runtime's own (`adaptgen.search` over the index the build wrote), queried
    with a tool's own name in words (a stand-in for what an agent asks), at the default number
    of hits; a result is measured as the compact JSON the runtime sends. At most
    REPORT_SEARCHES tools are asked for, evenly spread over the catalog (every tool of
    GitHub's 572 would add 1.5 s to the build's report for the same median within a few bytes).
    """
    from adaptgen.search.hits import INLINE_SCHEMA_BYTES, compact
    from adaptgen.search.rank import SearchEngine

    listed = {e["name"]: _listed(e) for e in report.listed_entries()}
    if not listed:
        return 0, 0
    engine = SearchEngine(json.loads(report.files[INDEX_FILE]))
    sizes = []
    for name in list(listed)[:: math.ceil(len(listed) / REPORT_SEARCHES)]:
        hits = engine.search(name.replace("_", " "), limit=report.api.info.surface.max_results)
        found = [
            compact(listed[h.name], INLINE_SCHEMA_BYTES if i == 0 else 0)
            for i, h in enumerate(hits)
        ]
        sizes.append(_json_size(found))
    sizes.sort()
    return sizes[len(sizes) // 2], len(sizes)


def _print_credentials(api: ApiInfo, out: TextIO) -> None:
    """How the server gets each security scheme's credential (env vars, or a hints flow)."""
    if not api.security_schemes:
        return
    flows = {flow.scheme for flow in api.auth}
    print("  credentials, per security scheme:", file=out)
    for scheme in api.security_schemes:
        how = "the hints' auth flow" if scheme.name in flows else credential_source(scheme)
        print(f"    {scheme.name}: {how}", file=out)


def credential_source(scheme: SecurityScheme) -> str:
    """Where a scheme's credential comes from, in one line."""
    if scheme.credential:
        return scheme.credential
    if scheme.kind == "basic":
        return (
            f"HTTP basic, username in {scheme.env[0]} and password in {scheme.env[1]} (set, "
            "and empty for an API key given as the user name)"
        )
    if scheme.kind == "api_key":
        return f"API key in {scheme.env[0]}, sent as {scheme.location} `{scheme.param_name}`"
    return f"bearer token in {scheme.env[0]}"
