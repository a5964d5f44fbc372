"""Agent mode's loop and its two model clients against the real CRM server and sandbox.

The model is a TEST DOUBLE here: a scripted OpenAI-compatible server on 127.0.0.1, and botocore's
Stubber for Bedrock Converse. Their replies are fixed by the test, so the scores below measure the
loop and the scorer, never a model's accuracy.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from conftest import ROOT
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adaptgen.cli import main
from adaptgen.evaluation.agent import Bounds, play
from adaptgen.evaluation.models import BedrockConverse
from adaptgen.evaluation.replay import serving
from adaptgen.evaluation.scenarios import read_scenarios
from adaptgen.evaluation.scoring import score
from adaptgen.sandbox import serve_app

PHONE = "(303) 555-0111"


def scenario_file(folder: Path) -> Path:
    path = folder / "phone.scenarios.yaml"
    path.write_text(
        f"""server: {ROOT / "generated" / "crm"}
policy: {ROOT / "specs" / "eval.policy.yaml"}
upstream: {{sandbox: crm}}
scenarios:
  - id: phone-by-name
    prompt: What is Lisa Patel's phone number?
    calls:
      - tool: search_records
        arguments: {{q: {{$regex: "(?i)patel", $replay: Patel}}, type: contact}}
      - tool: get_contact
        arguments: {{contact_id: 1001}}
    facts: [{{text: "{PHONE}"}}]
"""
    )
    return path


def tool_call(id_: str, name: str, arguments: dict) -> dict:
    return {
        "id": id_,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


SCRIPT = [
    {"tool_calls": [tool_call("c1", "search_records", {"q": "Patel", "type": "contact"})]},
    {"tool_calls": [tool_call("c2", "get_contact", {"contact_id": "1001"})]},
    {"content": "Lisa Patel's phone number is on her record."},
]


class ScriptedModel:
    """An OpenAI-compatible chat-completions endpoint that answers from a fixed script."""

    def __init__(self, script: list[dict]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        self.auth: list[str | None] = []
        self.app = Starlette(
            routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])]
        )

    async def complete(self, request: Request) -> JSONResponse:
        self.requests.append(await request.json())
        self.auth.append(request.headers.get("authorization"))
        message = {"role": "assistant", "content": None, **self.script.pop(0)}
        usage = {"prompt_tokens": 50, "completion_tokens": 5}
        return JSONResponse({"choices": [{"message": message}], "usage": usage})


def test_openai_compatible_agent_run_end_to_end(tmp_path, monkeypatch, capsys):
    model = ScriptedModel(SCRIPT)
    with serve_app(model.app) as url:
        monkeypatch.setenv("ADAPTGEN_EVAL_BASE_URL", f"{url}/v1")
        monkeypatch.setenv("ADAPTGEN_EVAL_API_KEY", "test-key")
        code = main(
            [
                "eval",
                str(scenario_file(tmp_path)),
                "--agent",
                "openai",
                "--model",
                "scripted-test-double",
                "--transcripts",
                str(tmp_path / "t"),
                "--format",
                "json",
            ]
        )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["models"] == ["scripted-test-double"]
    play_ = report["plays"][0]
    assert (play_["precision"], play_["recall"], play_["argument_accuracy"]) == (1.0, 1.0, 1.0)
    assert play_["success"] and play_["stopped"] == "answered" and play_["model_tokens"] == 165
    # The model was offered the server's real tools and read the real sandbox's answer.
    first, last = model.requests[0], model.requests[-1]
    assert {t["function"]["name"] for t in first["tools"]} >= {"search_records", "get_contact"}
    assert first["model"] == "scripted-test-double" and model.auth[0] == "Bearer test-key"
    tool_messages = [m for m in last["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["c1", "c2"]
    assert PHONE in tool_messages[1]["content"] and "1001" in tool_messages[0]["content"]
    # The saved transcript scores the same again, without a model.
    saved = tmp_path / "t" / "phone" / "phone-by-name-1.json"
    assert json.loads(saved.read_text())["calls"][1]["tool"] == "get_contact"
    assert main(["eval", "score", str(saved), "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)["plays"][0]
    assert again == play_


def test_the_loop_stops_at_max_turns(tmp_path):
    looping = [
        {"tool_calls": [tool_call(f"c{i}", "get_contact", {"contact_id": 1001})]} for i in range(5)
    ]
    model = ScriptedModel(looping)
    scenarios = read_scenarios(scenario_file(tmp_path))
    from adaptgen.evaluation.models import OpenAICompatible

    with serve_app(model.app) as url, serving(scenarios) as running:
        client = OpenAICompatible("scripted-test-double", f"{url}/v1")
        expected = [
            {"tool": c.tool, "arguments": c.arguments} for c in scenarios.scenarios[0].calls
        ]
        transcript = asyncio.run(
            play(scenarios.scenarios[0], expected, running.url, client, Bounds(2))
        )
    assert transcript["stopped"] == "max_turns" and transcript["turns"] == 2
    assert len(transcript["calls"]) == 2 and len(model.requests) == 2
    s = score(transcript)
    assert s.recall == 0.5 and s.precision == 0.5 and s.success  # the phone was read twice


def converse_reply(content: list[dict], stop: str = "tool_use") -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 40, "outputTokens": 8, "totalTokens": 48},
        "metrics": {"latencyMs": 1},
    }


def test_bedrock_converse_agent_play(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    runtime = boto3.client("bedrock-runtime", region_name="us-east-1")
    sent: list[dict] = []
    runtime.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: sent.append(params)
    )
    stubber = Stubber(runtime)
    use = {"toolUseId": "t1", "name": "search_records", "input": {"q": "Patel", "type": "contact"}}
    get = {"toolUseId": "t2", "name": "get_contact", "input": {"contact_id": "1001"}}
    stubber.add_response("converse", converse_reply([{"toolUse": use}]))
    stubber.add_response("converse", converse_reply([{"text": "Looking."}, {"toolUse": get}]))
    stubber.add_response("converse", converse_reply([{"text": "Here it is."}], "end_turn"))
    scenarios = read_scenarios(scenario_file(tmp_path))
    scenario = scenarios.scenarios[0]
    expected = [{"tool": c.tool, "arguments": c.arguments} for c in scenario.calls]
    model = BedrockConverse("stubbed-test-double", client=runtime)
    with stubber, serving(scenarios) as running:
        transcript = asyncio.run(play(scenario, expected, running.url, model, Bounds()))
        stubber.assert_no_pending_responses()
    s = score(transcript)
    assert (s.precision, s.recall, s.argument_accuracy, s.success) == (1.0, 1.0, 1.0, True)
    assert s.model_tokens == 144 and transcript["answer"] == "Here it is."
    # Converse got the tools and, in one user turn, the real tool result for each toolUse.
    assert sent[0]["modelId"] == "stubbed-test-double"
    specs = {t["toolSpec"]["name"]: t["toolSpec"] for t in sent[0]["toolConfig"]["tools"]}
    assert specs["get_contact"]["inputSchema"]["json"]["required"] == ["contact_id"]
    last = sent[-1]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant", "user"]
    result = last[-1]["content"][0]["toolResult"]
    assert result["toolUseId"] == "t2" and result["status"] == "success"
    assert PHONE in result["content"][0]["text"]


@pytest.mark.parametrize("agent", ["openai", "bedrock"])
def test_agent_mode_needs_its_settings(agent, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ADAPTGEN_EVAL_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    path = scenario_file(tmp_path)
    args = ["eval", str(path), "--agent", agent] + (["--model", "m"] if agent == "openai" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert ("ADAPTGEN_EVAL_BASE_URL" if agent == "openai" else "--model") in err


def test_a_cassette_replays_a_run_without_the_model(tmp_path, monkeypatch, capsys):
    """First run: the scripted model's traffic is taped. Second run: the model is gone (its
    port closed) and the tape answers; the MCP and upstream traffic stays live both times."""
    path = scenario_file(tmp_path)
    tape = tmp_path / "model.yaml"
    model = ScriptedModel(SCRIPT)
    monkeypatch.setenv("ADAPTGEN_EVAL_API_KEY", "secret-test-key")
    args = [
        "eval",
        str(path),
        "--agent",
        "openai",
        "--model",
        "scripted-test-double",
        "--cassette",
        str(tape),
        "--format",
        "json",
    ]
    with serve_app(model.app) as url:
        monkeypatch.setenv("ADAPTGEN_EVAL_BASE_URL", f"{url}/v1")
        assert main([*args, "--transcripts", str(tmp_path / "a")]) == 0
    first = json.loads(capsys.readouterr().out)["plays"][0]
    taped = tape.read_text()
    assert taped.count("/v1/chat/completions") == 3 and "secret-test-key" not in taped
    assert "/contacts" not in taped  # the server's own upstream calls were not taped
    assert main([*args, "--transcripts", str(tmp_path / "b")]) == 0
    again = json.loads(capsys.readouterr().out)["plays"][0]
    assert len(model.requests) == 3  # the model was not asked again
    assert again == first and again["success"]
