"""Rate limits shared by two server instances: through a real Redis server and DynamoDB (moto)."""

from __future__ import annotations

import asyncio
import json
import os

import boto3
import pytest
import yaml
from fastmcp import Client
from moto import mock_aws
from redis_server import redis_server
from test_governance import load_generated

from adaptgen.runtime.governance.ratelimit import DynamoDbBackend
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running

BURST = 6


def write_policy(tmp, backend: dict) -> str:
    document = {
        "identity": {"local": {"subject": "agent-7", "groups": ["support"]}},
        "access": {"rules": [{"groups": ["support"], "allow": ["*"]}]},
        # A group limit per minute with a burst: both instances draw from the same bucket.
        "rate_limits": {**backend, "groups": {"support": {"per_minute": 1, "burst": BURST}}},
        "pii": {"enabled": False},
        "audit": {"sink": "none"},
    }
    path = tmp / "limits.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


@pytest.fixture
def crm_env(monkeypatch):
    with running(require_session=True) as sandbox:
        for key in [k for k in os.environ if k.startswith("CRM_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("CRM_BASE_URL", sandbox.url)
        monkeypatch.setenv("CRM_USERNAME", SANDBOX_USERNAME)
        monkeypatch.setenv("CRM_PASSWORD", SANDBOX_PASSWORD)
        yield sandbox


def two_instances_share_one_limit(monkeypatch, policy: str) -> list[str]:
    monkeypatch.setenv("CRM_POLICY", policy)
    first, second = load_generated("a"), load_generated("b")

    async def burst():
        outcomes = []
        async with Client(first.mcp) as one, Client(second.mcp) as two:
            for index in range(BURST * 2):
                client = one if index % 2 == 0 else two
                result = await client.call_tool(
                    "get_company", {"company_id": 201}, raise_on_error=False
                )
                outcomes.append(result.content[0].text if result.is_error else "ok")
        return outcomes

    return asyncio.run(burst())


def test_redis_limit_holds_across_two_instances(tmp_path, monkeypatch, crm_env):
    with redis_server() as url:
        outcomes = two_instances_share_one_limit(
            monkeypatch, write_policy(tmp_path, {"backend": "redis", "redis_url": url})
        )
    assert outcomes.count("ok") == BURST
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == BURST
    assert all(o.startswith("rate limit exceeded (group:support); retry after") for o in refused)


def test_dynamodb_limit_holds_across_two_instances(tmp_path, monkeypatch, crm_env):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        DynamoDbBackend("adaptgen-limits", client=boto3.client("dynamodb")).create_table()
        outcomes = two_instances_share_one_limit(
            monkeypatch,
            write_policy(tmp_path, {"backend": "dynamodb", "dynamodb_table": "adaptgen-limits"}),
        )
    assert outcomes.count("ok") == BURST
    assert all("rate limit exceeded" in o for o in outcomes if o != "ok")


def test_rate_limiter_down_fails_closed(tmp_path, monkeypatch, crm_env):
    policy = write_policy(tmp_path, {"backend": "redis", "redis_url": "redis://127.0.0.1:1/0"})
    monkeypatch.setenv("CRM_POLICY", policy)
    module = load_generated("down")

    async def call():
        async with Client(module.mcp) as client:
            return await client.call_tool("get_company", {"company_id": 201}, raise_on_error=False)

    result = asyncio.run(call())
    assert result.is_error and "rate limiter unavailable" in result.content[0].text
    assert json.dumps(result.content[0].text)
