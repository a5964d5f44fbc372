"""The held-out search tasks (bench/tasks/search-heldout/*.yaml) are sound and stay held out.

They were written blind to the ranker and are never tuned on, so a score on them says how the
search does on requests nobody fitted it to. That only holds if the files are honest: every
expected operationId exists in its spec (else a task can never be a hit), no query is a near
copy of any operation's summary (word-matching alone would find it), no query is (nearly) a
tuning task, and writes (create, update, delete, actions) are at least 40% of each file, since users
ask for actions as much as for reads. The specs are read in place from ../shared/specs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_search_tasks import (
    METHODS,
    MINIMUM,
    read_yaml,
    summaries,
    task_file,
    tasks_of,
    words,
)
from test_search_tasks import test_expected_operations_exist_in_the_spec as check_ids_exist
from test_search_tasks import test_queries_are_not_copied_from_summaries as check_no_summary_copy
from test_search_tasks import test_task_file_is_well_formed as check_well_formed

HELDOUT = ROOT / "bench" / "tasks" / "search-heldout"
HELDOUT_FILES = sorted(HELDOUT.glob("*.yaml"))
TUNING = ROOT / "bench" / "tasks" / "search"
# A query whose words overlap this much (Jaccard) with any operation's summary is a copy.
MAX_JACCARD = 0.6
MIN_WRITE_SHARE = 0.4


def jaccard(query: str, summary: str) -> float:
    """Token Jaccard similarity of a query and a summary (stopwords left out)."""
    a, b = words(query), words(summary)
    return len(a & b) / len(a | b) if a | b else 0.0


@cache
def methods(spec: Path) -> dict[str, str]:
    """operationId -> HTTP method, for every operation of the spec."""
    document = json.loads(spec.read_text("utf-8")) if spec.suffix == ".json" else read_yaml(spec)
    return {
        operation["operationId"]: method
        for item in document.get("paths", {}).values()
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, dict) and "operationId" in operation
    }


def is_write(task: dict[str, Any], spec_methods: dict[str, str]) -> bool:
    """A task asks for a change when none of the operations serving it is a plain read."""
    return all(spec_methods.get(i, "get") != "get" for i in task["expect"])


def test_every_api_has_a_heldout_file():
    assert sorted(p.stem for p in HELDOUT_FILES) == sorted(MINIMUM)


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.stem)
def test_heldout_file_is_well_formed(path: Path):
    """The tuning files' checks (keys, minimum counts, no query twice), and the header."""
    check_well_formed(path)
    assert "held out" in path.read_text("utf-8").lower(), f"{path.name}: header says held out"


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.stem)
def test_no_heldout_query_is_a_tuning_task(path: Path):
    tuning = TUNING / path.name
    if not tuning.is_file():
        pytest.skip(f"no tuning file {tuning.name} to compare with")
    tuned = [t["query"] for t in tasks_of(tuning)]
    near = [
        t["query"]
        for t in tasks_of(path)
        if any(jaccard(t["query"], q) >= MAX_JACCARD for q in tuned)
    ]
    assert not near, f"{path.name}: queries (nearly) also in the tuning set: {near}"


@pytest.mark.shared
@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.stem)
def test_heldout_tasks_fit_their_spec(path: Path):
    """The tuning files' checks (every expected operationId exists, no query shares more than
    60% of its words with an expected operation's summary), and no query is near any summary."""
    check_ids_exist(path)
    check_no_summary_copy(path)
    spec, tasks = task_file(path)
    near = sorted(
        (t["query"], line)
        for t in tasks
        for line in set(summaries(spec).values())
        if jaccard(t["query"], line) >= MAX_JACCARD
    )
    assert not near, f"{path.name}: queries that repeat a summary: {near}"


@pytest.mark.shared
@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.stem)
def test_heldout_tasks_ask_for_writes_too(path: Path):
    spec, tasks = task_file(path)
    spec_methods = methods(spec)
    writes = sum(is_write(t, spec_methods) for t in tasks)
    assert writes / len(tasks) >= MIN_WRITE_SHARE, f"{path.name}: {writes}/{len(tasks)} writes"


def test_the_jaccard_check_flags_a_summary_and_passes_a_paraphrase():
    assert jaccard("Create an issue comment", "Create an issue comment") >= MAX_JACCARD
    assert jaccard("please create the issue comment", "Create an issue comment") >= MAX_JACCARD
    assert jaccard("reply on the ticket: looks good", "Create an issue comment") < MAX_JACCARD
