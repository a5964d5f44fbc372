"""Secure by default on the network (issue 12 item 20).

With no policy, a server on loopback keeps the developer default (anonymous callers get the
read-only tools); on any other address `adaptgen serve` and `adaptgen proxy` refuse to start
unless `--allow-anonymous` (or a policy file decides), and the Lambda handler refuses anonymous
callers unless `<NAME>_ALLOW_ANONYMOUS=1`. No test sends traffic to a non-loopback address:
binding 0.0.0.0 is only checked for its exit code and message.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from conftest import ROOT, free_port, stop, wait_for_port
from fastmcp import Client
from test_lambda_handler import INITIALIZE, Context, function_url_event, invoke, rpc

from adaptgen.runtime.governance.middleware import Governance
from adaptgen.runtime.governance.policy import IdentityPolicy, Policy, load_policy, safe_default
from adaptgen.runtime.network import exposure_problem, is_loopback_host

CRM = ROOT / "generated" / "crm"
OPERATOR = ROOT / "tests" / "fixtures" / "policies" / "operator.yaml"
ADAPTGEN = [sys.executable, "-m", "adaptgen"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.0.0.5", False),
        ("192.168.1.20", False),
        ("mcp.example.com", False),
    ],
)
def test_which_bind_addresses_count_as_loopback(host, loopback):
    assert is_loopback_host(host) is loopback


def test_the_decision_to_listen():
    default = Governance(safe_default(), name="crm")
    from_file = Governance(load_policy(OPERATOR), name="crm")  # says allow_anonymous: true
    closed = Governance(Policy(identity=IdentityPolicy(allow_anonymous=False)), name="crm")
    assert exposure_problem("127.0.0.1", default, allow_anonymous=False) is None
    assert exposure_problem("0.0.0.0", default, allow_anonymous=True) is None
    assert exposure_problem("0.0.0.0", from_file, allow_anonymous=False) is None
    assert exposure_problem("0.0.0.0", closed, allow_anonymous=False) is None
    problem = exposure_problem("0.0.0.0", default, allow_anonymous=False)
    assert "--policy" in problem and "--allow-anonymous" in problem and "\n" not in problem
    # No governance at all (ADAPTGEN_GOVERNANCE=off) is refused too, with its own reason.
    assert "ADAPTGEN_GOVERNANCE" in exposure_problem("0.0.0.0", None, allow_anonymous=False)


def no_policy_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_POLICY")}
    env["CRM_BASE_URL"] = "http://127.0.0.1:9"
    return env


@pytest.mark.parametrize(
    "command",
    [
        ["serve", str(CRM), "--transport", "http", "--host", "0.0.0.0"],
        ["proxy", "--upstream", "http://127.0.0.1:9/mcp", "--transport", "http", "--host", "::"],
    ],
)
def test_binding_every_address_without_a_policy_exits_2_before_listening(command):
    port = free_port()
    result = subprocess.run(
        [*ADAPTGEN, *command, "--port", str(port)],
        env=no_policy_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("adaptgen: error: refusing to listen on")
    assert "--allow-anonymous" in lines[0] and "--policy" in lines[0]


def test_allow_anonymous_lets_the_server_start_and_serve_anonymous_callers():
    """The flag's path, on loopback (it is accepted on any address; 127.0.0.1 is what a test
    may connect to)."""
    port = free_port()
    process = subprocess.Popen(
        [
            *ADAPTGEN,
            "serve",
            str(CRM),
            "--transport",
            "http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--allow-anonymous",
        ],
        env=no_policy_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)

        async def names() -> list[str]:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                return [t.name for t in await client.list_tools()]

        listed = asyncio.run(names())
    finally:
        stop(process)
    assert "get_contact" in listed and "delete_contact" not in listed  # read-only tools only


@pytest.fixture
def no_policy(monkeypatch):
    for name in ("CRM_POLICY", "ADAPTGEN_POLICY", "CRM_ALLOW_ANONYMOUS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_BASE_URL", "http://127.0.0.1:9")


def lambda_handler():
    from test_governance import load_generated

    return load_generated("anonymous", "handler.py").handler


def test_the_lambda_handler_without_a_policy_refuses_anonymous_callers(no_policy):
    handler = lambda_handler()
    for message in (INITIALIZE, rpc("tools/list", ident=2)):
        status, headers, answer = invoke(handler, "function-url", message, None)
        assert status == 401, answer
        assert "resource_metadata=" in headers["www-authenticate"]


def test_the_lambda_handler_serves_anonymous_callers_when_told_to(no_policy, monkeypatch):
    monkeypatch.setenv("CRM_ALLOW_ANONYMOUS", "1")
    handler = lambda_handler()
    status, _, answer = invoke(handler, "function-url", rpc("tools/list", ident=2), None)
    assert status == 200, answer
    names = {tool["name"] for tool in answer["result"]["tools"]}
    assert "get_contact" in names and "delete_contact" not in names


def test_the_lambda_handler_serves_its_metadata_document(no_policy):
    event = function_url_event(INITIALIZE, {})
    event["rawPath"] = event["requestContext"]["http"]["path"] = (
        "/.well-known/oauth-protected-resource/mcp"
    )
    event["requestContext"]["http"]["method"] = "GET"
    response = lambda_handler()(event, Context())
    assert response["statusCode"] == 200
    assert (
        '"resource":"https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/mcp"'
        in (response["body"])
    )
