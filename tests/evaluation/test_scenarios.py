"""Scenario files: schema-checked, every problem at its file:line with exit code 2; matchers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

from adaptgen.cli import main
from adaptgen.evaluation.matchers import MatcherError, matches, replay_value
from adaptgen.evaluation.scenarios import read_scenarios
from adaptgen.runtime.catalog import Catalog

CRM = ROOT / "generated" / "crm"

HEAD = f"""server: {CRM}
upstream: {{sandbox: crm}}
scenarios:
"""


def scenario_file(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "x.scenarios.yaml"
    path.write_text(head + body)
    return path


def error_of(capsys, path: Path) -> str:
    assert main(["eval", str(path)]) == 2
    return capsys.readouterr().err


def test_the_crm_scenario_file_reads_and_covers_every_tool():
    scenarios = read_scenarios(ROOT / "specs" / "crm.scenarios.yaml")
    tools = {t.name for t in Catalog.read(CRM / "catalog.json").listed}
    called = {c.tool for s in scenarios.scenarios for c in s.calls}
    assert len(tools) == 23 and tools - called == set()
    assert {"company_overview", "deal_context", "open_deals_for_email"} <= called


def test_an_unknown_key_is_located_with_a_suggestion(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - id: a
    prompt: p
    calls: [{tool: get_contact, arguments: {contact_id: 1}}]
    fatcs: []
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:7:5" in err and "unknown key 'fatcs'" in err and "'facts'" in err


def test_a_regex_that_does_not_compile_is_located(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - id: a
    prompt: p
    calls:
      - tool: search_records
        arguments: {q: {$regex: "(unclosed"}}
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:8:21" in err and "argument 'q': $regex does not compile" in err


def test_a_call_names_a_tool_or_an_operation_not_both(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - id: a
    prompt: p
    calls: [{tool: get_contact, operation: getContact}]
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:6:13" in err and "exactly one of `tool` or `operation`" in err


def test_duplicate_ids_and_missing_folders_are_located(tmp_path, capsys):
    body = """  - {id: a, prompt: p, calls: [{tool: get_contact}]}
  - {id: a, prompt: q, calls: [{tool: get_contact}]}
"""
    err = error_of(capsys, scenario_file(tmp_path, body))
    assert "x.scenarios.yaml:5:6" in err and "duplicate scenario id 'a'" in err
    head = "server: nowhere\nupstream: {sandbox: crm}\nscenarios:\n"
    err = error_of(capsys, scenario_file(tmp_path, body.splitlines()[0] + "\n", head))
    assert "x.scenarios.yaml:1:1" in err and "server not found" in err


def test_an_unknown_tool_is_an_input_error_with_the_nearest_name(tmp_path, capsys):
    path = scenario_file(tmp_path, "  - {id: a, prompt: p, calls: [{tool: get_contacts}]}\n")
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:4:32" in err and "'get_contacts' is not on the server" in err
    assert "get_contact" in err


def test_the_old_task_format_is_refused_with_the_command_that_converts_it(tmp_path, capsys):
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text("spec: s.yaml\ntasks:\n  - {query: a, expect: [b]}\n")
    err = error_of(capsys, tasks)
    assert "tasks.yaml:2:1" in err and f"adaptgen eval convert {tasks}" in err


def test_a_from_must_name_a_capture_of_an_earlier_call(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - prompt: p
    calls:
      - tool: search_records
        arguments: {q: Patel}
        capture: {contact: "$.items[0].id"}
      - tool: get_contact
        arguments: {contact_id: {$from: contcat}}
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:10:" in err and "$from 'contcat' is no capture" in err
    assert "captured before: contact" in err


def test_a_capture_path_that_does_not_parse_is_located(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - prompt: p
    calls:
      - tool: search_records
        capture: {contact: "$.items[0"}
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:7:" in err and "invalid JSONPath" in err


def test_ids_default_to_the_scenario_number_and_names_may_be_alternatives():
    from adaptgen.evaluation.scenarios import ScenarioFileModel

    model = ScenarioFileModel.model_validate(
        {
            "spec": "s.yaml",
            "scenarios": [
                {"prompt": "a", "calls": [{"operation": ["createTask", "createSubtask"]}]},
                {"id": "b", "prompt": "b", "calls": [{"tool": "get_task"}]},
            ],
        }
    )
    assert [s.id for s in model.scenarios] == ["1", "b"]
    assert model.scenarios[0].calls[0].operations == ("createTask", "createSubtask")
    assert model.scenarios[1].calls[0].tools == ("get_task",) and model.upstream is None


def test_schema_eval_prints_the_published_schema(capsys):
    assert main(["schema", "eval"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["required"]) == {"scenarios"}  # no upstream: search scoring only
    assert "Scenario" in schema["$defs"] and "Fact" in schema["$defs"]


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (5, "5", True),
        (5, 6, False),
        ("won", "won", True),
        ({"$regex": "(?i)patel"}, "Lisa Patel", True),
        ({"$regex": "^x"}, "Lisa", False),
        ({"$one_of": ["open", "won"]}, "won", True),
        ({"$one_of": ["open", "won"]}, "lost", False),
        ({"$any": True}, "anything", True),
        ({"$any": True}, None, False),
        ({"city": "Denver"}, {"city": "Denver", "zip": "80202"}, True),
        ([1, 2], [1, 2, 3], False),
        (True, "true", True),
        (True, 1, False),
    ],
)
def test_matchers(expected, actual, ok):
    assert matches(expected, actual) is ok


def test_from_reads_what_an_earlier_call_captured():
    assert matches({"$from": "contact"}, "1001", {"contact": 1001})
    assert not matches({"$from": "contact"}, 1002, {"contact": 1001})
    assert not matches({"$from": "contact"}, 1001, {})  # not captured: nothing matches
    assert matches({"ids": [{"$from": "c"}]}, {"ids": [7]}, {"c": 7})
    assert replay_value({"body": {"id": {"$from": "c"}}}, {}, {"c": 7}) == {"body": {"id": 7}}
    with pytest.raises(MatcherError, match="no earlier call captured it"):
        replay_value({"$from": "c"}, {}, {})


def test_replay_values():
    assert replay_value({"$regex": "x", "$replay": "xy"}) == "xy"
    assert replay_value({"$one_of": ["a", "b"]}) == "a"
    assert replay_value({"$env": "USER_NAME"}, {"USER_NAME": "ada"}) == "ada"
    with pytest.raises(MatcherError, match=r"needs a `\$replay` value"):
        replay_value({"$any": True})
    with pytest.raises(MatcherError, match="MISSING_X is not set"):
        replay_value({"$env": "MISSING_X"}, {})


def test_a_broken_jsonpath_is_located(tmp_path, capsys):
    path = scenario_file(
        tmp_path,
        """  - id: a
    prompt: p
    calls: [{tool: get_contact, arguments: {contact_id: 1}}]
    facts: [{jsonpath: "$..[phone"}]
""",
    )
    err = error_of(capsys, path)
    assert "x.scenarios.yaml:7:" in err and "invalid JSONPath" in err


def test_eval_help_shows_every_mode_and_the_subcommands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["eval", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--mode", "--vs", "--min-top3", "--no-baseline", "--agent", "--repeat"):
        assert option in out, option
    for group in ("search scoring:", "replay:", "agent mode:", "reports:"):
        assert group in out, group
    assert "adaptgen eval score" in out and "adaptgen eval convert" in out


def test_agent_mode_without_a_model_api_is_exit_2(capsys):
    assert main(["eval", str(ROOT / "specs" / "crm.scenarios.yaml"), "--mode", "agent"]) == 2
    assert "--agent openai|bedrock" in capsys.readouterr().err
