"""The scorer on hand-written transcripts whose scores are known (no model, no server)."""

from __future__ import annotations

import json

import pytest

from adaptgen.cli import main
from adaptgen.evaluation.scoring import score, summarize

SCENARIO = {
    "id": "phone",
    "prompt": "What is Lisa Patel's phone number?",
    "calls": [
        {"tool": "search_records", "arguments": {"q": {"$regex": "(?i)patel"}, "type": "contact"}},
        {"tool": "get_contact", "arguments": {"contact_id": 1001}},
    ],
    "facts": [{"text": "(303) 555-0111"}],
    "limits": {"calls": 3},
}
EXPECTED = [
    {"tool": "search_records", "arguments": {"q": {"$regex": "(?i)patel"}, "type": "contact"}},
    {"tool": "get_contact", "arguments": {"contact_id": 1001}},
]


def call(tool, arguments, text="{}", ok=True, size=10):
    return {
        "tool": tool,
        "arguments": arguments,
        "ok": ok,
        "text": text,
        "data": None,
        "bytes": size,
    }


def transcript(calls, answer="", scenario=SCENARIO, expected=EXPECTED):
    return {
        "version": 1,
        "scenario": scenario,
        "expected": expected,
        "model": "hand-written",
        "stopped": "answered",
        "answer": answer,
        "tokens": {"input": 100, "output": 20},
        "calls": calls,
    }


def test_a_perfect_transcript():
    s = score(
        transcript(
            [
                call("search_records", {"q": "Patel", "type": "contact"}, '{"ids":[1001]}'),
                call("get_contact", {"contact_id": "1001"}, '{"phone":"(303) 555-0111"}'),
            ],
            answer="Her number is (303) 555-0111.",
        )
    )
    assert (s.precision, s.recall, s.argument_accuracy, s.success) == (1.0, 1.0, 1.0, True)
    assert (s.calls, s.task_calls, s.result_bytes, s.model_tokens) == (2, 2, 20, 120)


def test_a_wrong_tool_a_wrong_argument_and_a_missing_fact():
    s = score(
        transcript(
            [
                call("list_contacts", {"q": "Patel"}),
                call("search_records", {"q": "Lisa", "type": "contact"}),
                call("get_contact", {"contact_id": 1002}, '{"phone":"804.555.0170"}'),
                call("get_company", {"company_id": 201}),
            ],
            answer="I could not find it.",
        )
    )
    assert s.precision == 0.5  # 2 of 4 calls were expected ones
    assert s.recall == 1.0
    assert s.argument_accuracy == pytest.approx(1 / 3)  # q misses, type hits, contact_id misses
    assert s.success is False and s.missing_facts == ["text '(303) 555-0111'"]
    assert s.over_limits == ["calls: 4 over 3"]


def test_order_counts_when_the_scenario_is_ordered():
    backwards = [
        call("get_contact", {"contact_id": 1001}, "(303) 555-0111"),
        call("search_records", {"q": "Patel", "type": "contact"}),
    ]
    assert score(transcript(backwards)).recall == 0.5
    unordered = {**SCENARIO, "ordered": False}
    assert score(transcript(backwards, scenario=unordered)).recall == 1.0


def test_search_mode_calls_count_as_the_tool_they_call():
    s = score(
        transcript(
            [
                call("search_tools", {"query": "find a contact"}),
                call(
                    "call_tool",
                    {"name": "search_records", "arguments": {"q": "patel", "type": "contact"}},
                ),
                call(
                    "call_tool",
                    {"name": "get_contact", "arguments": {"contact_id": 1001}},
                    "(303) 555-0111",
                ),
            ]
        )
    )
    assert (s.precision, s.recall, s.argument_accuracy, s.success) == (1.0, 1.0, 1.0, True)
    assert (s.calls, s.task_calls) == (3, 2)


def test_a_failed_call_does_not_supply_facts_and_no_calls_score_zero():
    failed = score(
        transcript([call("get_contact", {"contact_id": 1001}, "(303) 555-0111", ok=False)])
    )
    assert failed.success is False and failed.recall == 0.5
    nothing = score(transcript([], answer="I don't know."))
    assert (nothing.precision, nothing.recall, nothing.argument_accuracy) == (0.0, 0.0, None)


def test_summary_and_eval_score_from_files(tmp_path, capsys):
    good = transcript(
        [
            call("search_records", {"q": "Patel", "type": "contact"}),
            call("get_contact", {"contact_id": 1001}, "(303) 555-0111"),
        ]
    )
    bad = transcript([call("get_contact", {"contact_id": 1002})])
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "phone-1.json").write_text(json.dumps(good))
    (folder / "phone-2.json").write_text(json.dumps(bad))
    total = summarize([score(good), score(bad)])
    assert total["success"] == 0.5 and total["scenarios"]["phone"]["plays"] == 2
    out = tmp_path / "s.json"
    assert main(["eval", "score", str(folder), "--json", str(out), "--min-success", "0.9"]) == 1
    data = json.loads(out.read_text())
    assert data["summary"]["success"] == 0.5 and data["summary"]["models"] == ["hand-written"]
    assert "under --min-success" in capsys.readouterr().err


def test_eval_score_refuses_what_is_not_a_transcript(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"scenario": {}}')
    assert main(["eval", "score", str(bad)]) == 2
    assert "not an adaptgen eval transcript" in capsys.readouterr().err


PASSED = {
    "id": "deals",
    "prompt": "Which deals does Lisa Patel have open?",
    "calls": [
        {
            "tool": "search_records",
            "arguments": {"q": "Lisa Patel"},
            "capture": {"contact": "$.ids[0]"},
        },
        {"tool": "list_contact_deals", "arguments": {"contact_id": {"$from": "contact"}}},
    ],
}
PASSED_EXPECTED = [
    {**call, "tools": [call["tool"]], "capture": call.get("capture", {})}
    for call in PASSED["calls"]
]


def with_data(tool, arguments, data):
    return {**call(tool, arguments, json.dumps(data)), "data": data}


@pytest.mark.parametrize(("sent", "accuracy"), [(1007, 1.0), ("1007", 1.0), (1001, 0.5)])
def test_a_passed_value_is_compared_with_what_the_earlier_result_held(sent, accuracy):
    """The search answered 1007 to the model (not the 1001 of replay's sandbox): the model's
    contact_id is right when it is the value it read."""
    calls = [
        with_data("search_records", {"q": "Lisa Patel"}, {"ids": [1007, 1001], "total": 2}),
        with_data("list_contact_deals", {"contact_id": sent}, {"items": []}),
    ]
    s = score(transcript(calls, scenario=PASSED, expected=PASSED_EXPECTED))
    assert (s.recall, s.argument_accuracy) == (1.0, accuracy)


def test_a_passed_value_whose_capture_found_nothing_matches_nothing():
    calls = [
        with_data("search_records", {"q": "Lisa Patel"}, {"total": 0}),
        with_data("list_contact_deals", {"contact_id": 1007}, {"items": []}),
    ]
    s = score(transcript(calls, scenario=PASSED, expected=PASSED_EXPECTED))
    assert (s.recall, s.argument_accuracy) == (1.0, 0.5)


def test_any_tool_of_a_list_is_the_expected_call():
    scenario = {"id": "a", "prompt": "p", "calls": [{"tool": ["get_contact", "list_contacts"]}]}
    expected = [{"tool": "get_contact", "tools": ["get_contact", "list_contacts"], "arguments": {}}]
    s = score(transcript([call("list_contacts", {})], scenario=scenario, expected=expected))
    assert (s.precision, s.recall) == (1.0, 1.0)
