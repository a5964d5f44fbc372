"""The search task files (bench/tasks/search/*.yaml) are sound: real ids, user phrasing.

They are search-only scenario files (`adaptgen eval`'s one format): each scenario's prompt is a
task's query, the operationId(s) of its one call what the query must find. A task file says
which operations a user's request should find on one shared spec. A task
whose expected operationId is not in the spec can never be a hit, so every id is checked
against the spec, read in place (skipped when ../shared/specs is absent). A query that repeats
the expected operation's summary measures nothing (any word-matching search finds it), so a
query sharing more than 60% of its words with the summary of an operation it expects fails
(the summary, or where a spec has none the first sentence of the description).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

TASKS = ROOT / "bench" / "tasks" / "search"
TASK_FILES = sorted(TASKS.glob("*.yaml"))
# How many tasks each file holds at least (issue 15: the five big APIs and two small CRMs).
MINIMUM = {
    "github": 30,
    "asana": 30,
    "box": 30,
    "twilio": 30,
    "slack": 30,
    "hubspot": 12,
    "zoho": 12,
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Words too common to make a query a copy of a summary.
STOPWORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "by", "with", "from", "at"}
    | {"as", "is", "it", "this", "that", "my", "our"}
)
MAX_SHARED = 0.6


def read_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def summary(operation: dict[str, Any]) -> str:
    """What the spec says the operation does in one line: its summary, else the first sentence
    of its description (Slack has no summaries), else its operationId (Zoho has neither)."""
    if operation.get("summary"):
        return str(operation["summary"])
    description = str(operation.get("description") or "").strip()
    if description:
        return re.split(r"(?<=\.)\s|\n", description, maxsplit=1)[0]
    return str(operation["operationId"])


@cache
def summaries(spec: Path) -> dict[str, str]:
    """operationId -> one-line summary, for every operation of the spec."""
    document = json.loads(spec.read_text("utf-8")) if spec.suffix == ".json" else read_yaml(spec)
    return {
        operation["operationId"]: summary(operation)
        for item in document.get("paths", {}).values()
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, dict) and "operationId" in operation
    }


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def shared_share(query: str, summary: str) -> float:
    """The share of the query's words that are words of the summary."""
    asked = words(query)
    return len(asked & words(summary)) / len(asked) if asked else 0.0


def tasks_of(path: Path) -> list[dict[str, Any]]:
    """The file's tasks as {query, expect}: each scenario's prompt and its call's operationIds."""
    tasks = []
    for scenario in read_yaml(path)["scenarios"]:
        operation = scenario["calls"][0]["operation"]
        expect = [operation] if isinstance(operation, str) else operation
        tasks.append({"query": scenario["prompt"], "expect": expect})
    return tasks


def task_file(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The spec a task file names (resolved beside the file) and its tasks; skip if absent."""
    spec = (path.parent / read_yaml(path)["spec"]).resolve()
    if not spec.is_file():
        pytest.skip(f"{spec} not found: the shared specs live in ../shared/specs beside the repo")
    return spec, tasks_of(path)


def test_every_api_has_its_task_file():
    assert sorted(p.stem for p in TASK_FILES) == sorted(MINIMUM)


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_task_file_is_well_formed(path: Path):
    data = read_yaml(path)
    assert set(data) == {"spec", "scenarios"}, f"{path.name}: keys are spec and scenarios"
    for scenario in data["scenarios"]:  # search only: a prompt and the operation(s) it finds
        assert set(scenario) == {"prompt", "calls"}, scenario
        assert len(scenario["calls"]) == 1 and set(scenario["calls"][0]) == {"operation"}, scenario
    tasks = tasks_of(path)
    assert len(tasks) >= MINIMUM[path.stem], f"{path.name}: too few tasks"
    for task in tasks:
        assert isinstance(task["query"], str) and task["query"].strip(), task
        assert task["expect"] and all(isinstance(i, str) for i in task["expect"]), task
    queries = [t["query"].lower() for t in tasks]
    assert len(set(queries)) == len(queries), f"{path.name}: a query is there twice"


@pytest.mark.shared
@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_expected_operations_exist_in_the_spec(path: Path):
    spec, tasks = task_file(path)
    known = summaries(spec)
    unknown = [(t["query"], i) for t in tasks for i in t["expect"] if i not in known]
    assert not unknown, f"{path.name}: operationIds not in {spec.name}: {unknown}"


@pytest.mark.shared
@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_queries_are_not_copied_from_summaries(path: Path):
    spec, tasks = task_file(path)
    known = summaries(spec)
    copied = [
        (t["query"], known[i])
        for t in tasks
        for i in t["expect"]
        if shared_share(t["query"], known.get(i, "")) > MAX_SHARED
    ]
    assert not copied, f"{path.name}: queries that repeat the summary: {copied}"


def test_the_copy_check_flags_a_summary_and_passes_a_paraphrase():
    summary = "Create an issue"
    assert shared_share("create an issue", summary) > MAX_SHARED
    assert shared_share("open a bug report about the broken build", summary) <= MAX_SHARED
