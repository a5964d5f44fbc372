"""The generated Lambda entry point (generated/crm/handler.py) with real-shaped Lambda events.

Function URL (payload 2.0), API Gateway HTTP API (v2) and REST API (v1) events, as AWS sends
them, go through `handler(event, context)` to the generated CRM server, which calls the real
sandbox CRM on loopback. The governance layer is on: JWTs minted with the test IdP's keys.
Several invocations share one handler, as warm invocations of one execution environment do.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ROOT, result_data
from test_governance import governed_crm, load_generated, mint

from adaptgen.sandbox import running

HOST = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
ACCEPT = "application/json, text/event-stream"


def function_url_event(body: dict, headers: dict[str, str]) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0)."""
    text = json.dumps(body)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/mcp",
        "rawQueryString": "",
        "headers": {
            "host": HOST,
            "content-type": "application/json",
            "accept": ACCEPT,
            "x-forwarded-proto": "https",
            "x-forwarded-port": "443",
            "x-forwarded-for": "203.0.113.9",
            "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
            **headers,
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnop",
            "domainName": HOST,
            "domainPrefix": "abcdefghijklmnop",
            "http": {
                "method": "POST",
                "path": "/mcp",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "agent/1.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795341600000,
        },
        # Function URLs base64-encode bodies they do not recognise as text; JSON they pass as is.
        "body": text,
        "isBase64Encoded": False,
    }


def http_api_event(body: dict, headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway HTTP API request (payload 2.0), route `POST /mcp`, base64 body."""
    event = function_url_event(body, headers)
    host = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    event["headers"]["host"] = host
    event["routeKey"] = "POST /mcp"
    event["requestContext"].update(
        apiId="a1b2c3d4e5", domainName=host, domainPrefix="a1b2c3d4e5", routeKey="POST /mcp"
    )
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    return event


def rest_api_event(body: dict, headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway REST API proxy request (payload 1.0) on stage `prod`."""
    host = "z9y8x7w6v5.execute-api.us-east-1.amazonaws.com"
    all_headers = {
        "Host": host,
        "Content-Type": "application/json",
        "Accept": ACCEPT,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-For": "203.0.113.9",
        **{k.title(): v for k, v in headers.items()},
    }
    return {
        "resource": "/mcp",
        "path": "/mcp",
        "httpMethod": "POST",
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/mcp",
            "httpMethod": "POST",
            "extendedRequestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "22/Nov/2026:10:00:00 +0000",
            "path": "/prod/mcp",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": "z9y8x7w6v5",
            "requestTimeEpoch": 1795341600000,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "agent/1.0"},
            "domainName": host,
            "apiId": "z9y8x7w6v5",
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


EVENTS: dict[str, Callable[[dict, dict[str, str]], dict[str, Any]]] = {
    "function-url": function_url_event,
    "http-api-v2": http_api_event,
    "rest-api-v1": rest_api_event,
}


class Context:
    """The LambdaContext attributes Mangum and our code may read."""

    function_name = "crm-mcp"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crm-mcp"
    memory_limit_in_mb = 512
    aws_request_id = "5f3c6c1e-0c3e-4a57-9d1d-1c0a1b2c3d4e"
    log_group_name = "/aws/lambda/crm-mcp"
    log_stream_name = "2026/11/22/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture(scope="module")
def lambda_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lambda")
    with governed_crm(tmp) as sandbox:
        yield sandbox, tmp / "audit.jsonl"


def load_handler() -> Any:
    """generated/crm/handler.py as Lambda imports it: a fresh module, one execution environment."""
    return load_generated("lambda", "handler.py")


def rpc(method: str, params: dict | None = None, ident: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params or {}}


INITIALIZE = rpc(
    "initialize",
    {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "lambda-test", "version": "1"},
    },
)


def invoke(handler: Any, kind: str, body: dict, token: str | None) -> tuple[int, dict, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    headers["mcp-protocol-version"] = "2025-06-18"
    response = handler(EVENTS[kind](body, headers), Context())
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    response_headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        response_headers[key.lower()] = values[-1]
    return response["statusCode"], response_headers, json.loads(raw) if raw else None


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_handler_serves_each_event_kind_over_warm_invocations(lambda_env, kind):
    sandbox, audit = lambda_env
    module = load_handler()
    handler = module.handler
    sales = mint(["sales"])
    logins_before = sum(1 for r in sandbox.request_log if r["path"].endswith("/auth/login"))

    status, headers, answer = invoke(handler, kind, INITIALIZE, sales)
    assert status == 200, answer
    assert headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in headers  # stateless: any instance answers any request
    assert answer["result"]["serverInfo"]["name"] == "Acme Legacy CRM API"

    status, _, answer = invoke(handler, kind, rpc("tools/list", ident=2), sales)
    names = {tool["name"] for tool in answer["result"]["tools"]}
    assert status == 200 and "list_contacts" in names and "get_contact" in names
    assert "delete_contact" not in names  # not granted to sales

    for ident in range(3, 7):  # warm invocations: same loop, same upstream client and login
        status, _, answer = invoke(
            handler,
            kind,
            rpc("tools/call", {"name": "list_contacts", "arguments": {"limit": 2}}, ident),
            sales,
        )
        assert status == 200 and not answer["result"].get("isError"), answer
        listed = result_data(answer["result"]["content"][0]["text"])
        assert len(listed["items"]) == 2
    logins = sum(1 for r in sandbox.request_log if r["path"].endswith("/auth/login"))
    assert logins - logins_before == 1  # the session token was cached across invocations

    # PII is tokenized in results served through Lambda too.
    item = listed["items"][0]
    assert "@" not in json.dumps(item.get("email", "")), item

    # A caller without a token (refused in HTTP, as MCP's authorization spec says), and one
    # whose group may not call the tool (a tool error: it may call others).
    status, headers, answer = invoke(
        handler, kind, rpc("tools/call", {"name": "list_contacts", "arguments": {}}, 7), None
    )
    assert status == 401, answer
    assert headers["www-authenticate"].startswith('Bearer resource_metadata="https://')
    assert "/.well-known/oauth-protected-resource/mcp" in headers["www-authenticate"]
    support = mint(["support"])
    status, _, answer = invoke(
        handler,
        kind,
        rpc("tools/call", {"name": "delete_contact", "arguments": {"contact_id": 1}}, 8),
        support,
    )
    assert answer["result"]["isError"], answer
    assert "delete_contact" in answer["result"]["content"][0]["text"]
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert lines[-1]["tool"] == "delete_contact" and lines[-1]["result_status"] != "ok"
    assert lines[-2]["result_status"] == "unauthenticated"


def test_handler_rejects_what_is_not_mcp(lambda_env):
    handler = load_handler().handler
    event = function_url_event(INITIALIZE, {"authorization": f"Bearer {mint(['sales'])}"})
    event["requestContext"]["http"]["method"] = "GET"
    response = handler(event, Context())
    assert response["statusCode"] == 405  # stateless: no GET stream to open
    event = function_url_event(INITIALIZE, {})
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/admin"
    assert handler(event, Context())["statusCode"] == 404


def test_credentials_from_secrets_manager_references(monkeypatch):
    """On Lambda, credential env vars hold `${aws-sm:ARN}` references (deploy --secret, SAM)."""
    import asyncio

    from fastmcp import Client
    from moto import mock_aws

    from adaptgen.sandbox import SANDBOX_API_KEY

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("ADAPTGEN_GOVERNANCE", "off")
    for key in [k for k in os.environ if k.startswith("CRM_")]:
        monkeypatch.delenv(key)
    with mock_aws(), running(require_session=False) as sandbox:
        import boto3

        arn = boto3.client("secretsmanager").create_secret(
            Name="crm/api", SecretString=json.dumps({"key": SANDBOX_API_KEY})
        )["ARN"]
        monkeypatch.setenv("CRM_BASE_URL", sandbox.url)
        monkeypatch.setenv("CRM_API_KEY", f"${{aws-sm:{arn}#key}}")
        mcp = load_handler().mcp

        async def go():
            async with Client(mcp) as client:
                return await client.call_tool("list_contacts", {"limit": 1})

        result = asyncio.run(go())
        assert not result.is_error
        sent = sandbox.request_log[-1]["headers"]
        assert sent["x-api-key"] == SANDBOX_API_KEY  # the value, resolved at call time
        assert SANDBOX_API_KEY not in json.dumps([c.model_dump() for c in result.content])


def test_a_packaged_policy_applies_when_the_policy_variable_is_empty(tmp_path, monkeypatch):
    """`adaptgen package --policy` ships policy.yaml beside the handler; an empty CRM_POLICY
    (a console field left blank) must not switch it off."""
    import shutil

    folder = tmp_path / "crm"
    shutil.copytree(
        ROOT / "generated" / "crm", folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    (folder / "policy.yaml").write_text("audit: {sink: none}\n")
    monkeypatch.setenv("CRM_POLICY", "")
    monkeypatch.delenv("ADAPTGEN_POLICY", raising=False)
    monkeypatch.setenv("CRM_BASE_URL", "http://127.0.0.1:9")
    spec = importlib.util.spec_from_file_location(
        f"handler_{uuid.uuid4().hex[:6]}", folder / "handler.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert os.environ["CRM_POLICY"] == str(folder / "policy.yaml")
    assert module.mcp is not None


# Run in a fresh interpreter: the first invocations of a cold execution environment (events
# on stdin; nothing of the tests imported, so what is loaded is what serving loaded).
COLD_RUNNER = """
import importlib.util, json, sys

spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answers = [module.handler(event, None) for event in json.load(sys.stdin)]
print(json.dumps({
    "statuses": [a["statusCode"] for a in answers],
    "called": json.loads(answers[-1]["body"]),
    "loaded": sorted(sys.modules),
}))
"""


def test_a_cold_start_imports_only_what_the_first_answers_need(tmp_path):
    """initialize, tools/list and a governed call in a fresh interpreter leave py-key-value
    and beartype unimported (FastMCP's session-state store, only read and empty on a stateless
    server, is made on its first write: adaptgen.runtime.session_state), and load one HTTP
    stack: the runtime's clients are on httpx2, as FastMCP's are. Tool search is imported only
    by search-mode servers, jsonpath-ng only for paths richer than names."""
    import subprocess
    import sys

    call = {"name": "get_contact", "arguments": {"contact_id": 1001}}
    bodies = [INITIALIZE, rpc("tools/list", ident=2), rpc("tools/call", call, 3)]
    with governed_crm(tmp_path):
        headers = {"authorization": f"Bearer {mint(['sales'])}"}
        headers["mcp-protocol-version"] = "2025-06-18"
        done = subprocess.run(
            [sys.executable, "-c", COLD_RUNNER, str(ROOT / "generated/crm/handler.py")],
            input=json.dumps([function_url_event(body, headers) for body in bodies]),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["statuses"] == [200, 200, 200]
    assert not report["called"]["result"].get("isError"), report["called"]
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert {"fastmcp", "pydantic", "adaptgen"} <= loaded
    assert not loaded & {"key_value", "beartype", "httpx", "httpcore", "jsonpath_ng"}
    searching = ("adaptgen.search.", "adaptgen.runtime.search")  # not the index's file name
    assert not [name for name in report["loaded"] if name.startswith(searching)]
