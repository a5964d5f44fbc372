"""`adaptgen deploy --target agentcore`: the AgentCore requests, in order, through a Stubber.

moto has no AgentCore Runtime, so its control-plane client is stubbed: every request is checked
against botocore's service model (names, shapes, patterns) and against the parameters the test
expects, and an unexpected request fails the test. S3 and STS are moto's. Zips are tiny ones with
`main.py` at the root (`--zip`); building real ones is tests/test_agentcore_package.py's part.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from conftest import ROOT
from moto import mock_aws

import adaptgen.ship.agentcore as agentcore
from adaptgen.cli import main
from adaptgen.ship.package import LambdaTarget

ROLE = "arn:aws:iam::123456789012:role/agentcore-mcp"
NAME = "crm_mcp"
RUNTIME_ID = "crm_mcp-a1b2c3d4e5"
ARN = f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{RUNTIME_ID}"
BUCKET = "adaptgen-deploy-123456789012-us-east-1"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-AbCdEf"
SECRET_VALUE = "p4ss-w0rd-never-shown"
PYTHON = "PYTHON_" + LambdaTarget.resolve(None, None).python_version.replace(".", "_")
NOW = datetime(2026, 11, 23, tzinfo=UTC)


class StubbedSession:
    """A boto3 session whose AgentCore control client is `control` (stubbed), the rest moto's."""

    def __init__(self, control: Any) -> None:
        self.session = boto3.session.Session(region_name="us-east-1")
        self.region_name = "us-east-1"
        self.control = control

    def client(self, name: str, **options: Any) -> Any:
        if name == "bedrock-agentcore-control":
            return self.control
        return self.session.client(name, **options)


@pytest.fixture
def stub(monkeypatch):
    """The Stubber of the AgentCore control client every deploy in the test uses."""
    for key in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(agentcore, "POLL_SECONDS", 0)
    with mock_aws():
        control = boto3.client("bedrock-agentcore-control", region_name="us-east-1")
        with Stubber(control) as stubber:
            monkeypatch.setattr(agentcore, "session", lambda region: StubbedSession(control))
            yield stubber
            stubber.assert_no_pending_responses()


def agentcore_zip(path: Path, answer: str = "v1", policy: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("main.py", f"print({answer!r})\n")
        if policy is not None:
            archive.writestr("policy.yaml", yaml.safe_dump(policy))
    return path


def deploy(capsys, *options: str, expect: int = 0) -> str:
    argv = ["deploy", "--target", "agentcore", "--runtime-name", NAME, "--role", ROLE, *options]
    assert main(argv) == expect, capsys.readouterr()
    out = capsys.readouterr()
    return out.out if expect == 0 else out.err


def key_of(path: Path) -> str:
    return f"agentcore/{NAME}/{hashlib.sha256(path.read_bytes()).hexdigest()}.zip"


def wanted(key: str, environment: dict | None = None, **extra: Any) -> dict[str, Any]:
    """The runtime's fields as deploy sends them."""
    return {
        "agentRuntimeArtifact": {
            "codeConfiguration": {
                "code": {"s3": {"bucket": BUCKET, "prefix": key}},
                "runtime": PYTHON,
                "entryPoint": ["main.py"],
            }
        },
        "roleArn": ROLE,
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "protocolConfiguration": {"serverProtocol": "MCP"},
        "environmentVariables": environment or {},
        "description": "MCP server proxy (adaptgen)",
        **extra,
    }


def described(fields: dict[str, Any], status: str = "READY", version: str = "1") -> dict:
    """A GetAgentRuntime answer for a runtime with `fields`."""
    return {
        "agentRuntimeArn": ARN,
        "agentRuntimeName": NAME,
        "agentRuntimeId": RUNTIME_ID,
        "agentRuntimeVersion": version,
        "createdAt": NOW,
        "lastUpdatedAt": NOW,
        "status": status,
        "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800},
        **fields,
    }


def listed(stub: Stubber, present: bool) -> None:
    runtimes = []
    if present:
        runtimes = [
            {
                "agentRuntimeArn": ARN,
                "agentRuntimeId": RUNTIME_ID,
                "agentRuntimeVersion": "1",
                "agentRuntimeName": NAME,
                "description": "x",
                "lastUpdatedAt": NOW,
                "status": "READY",
            }
        ]
    stub.add_response("list_agent_runtimes", {"agentRuntimes": runtimes}, {})


def created(stub: Stubber, request: dict) -> None:
    """CreateAgentRuntime with `request`, answered as AgentCore does (version 1, CREATING)."""
    answer = {
        "agentRuntimeArn": ARN,
        "agentRuntimeId": RUNTIME_ID,
        "agentRuntimeVersion": "1",
        "createdAt": NOW,
        "status": "CREATING",
    }
    stub.add_response("create_agent_runtime", answer, {"agentRuntimeName": NAME, **request})


def expect_create(stub: Stubber, request: dict, *, polls: int = 1) -> None:
    listed(stub, present=False)
    created(stub, request)
    for _ in range(polls):
        get = {"agentRuntimeId": RUNTIME_ID}
        stub.add_response("get_agent_runtime", described(request, "CREATING"), get)
    stub.add_response("get_agent_runtime", described(request), {"agentRuntimeId": RUNTIME_ID})


def test_create_then_update_on_new_code_then_unchanged(stub, capsys, tmp_path):
    first = agentcore_zip(tmp_path / "v1.zip")
    env = {"CRM_PASSWORD": f"${{aws-sm:{SECRET_ARN}}}", "ADAPTGEN_ALLOW_ANONYMOUS": "1"}
    request = wanted(key_of(first), env)
    expect_create(stub, request, polls=2)
    options = ["--zip", str(first), "--secret", f"CRM_PASSWORD={SECRET_ARN}"]
    out = deploy(capsys, *options, "--authorizer", "iam", "--env", "ADAPTGEN_ALLOW_ANONYMOUS=1")
    assert f"agent runtime {NAME}: created ({PYTHON}, arm64, MCP, entry point main.py" in out
    assert f"s3://{BUCKET}/{key_of(first)}" in out
    assert "CRM_PASSWORD (Secrets Manager reference)" in out
    assert "inbound auth: IAM (SigV4)" in out
    encoded = ARN.replace(":", "%3A").replace("/", "%2F")
    assert (
        f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{encoded}/invocations"
        "?qualifier=DEFAULT" in out
    )
    s3 = boto3.client("s3", region_name="us-east-1")
    stored = s3.get_object(Bucket=BUCKET, Key=key_of(first))["Body"].read()
    assert stored == first.read_bytes()  # kept: each runtime version is made from it

    # New code: the runtime is found by name and updated, not created again.
    second = agentcore_zip(tmp_path / "v2.zip", "v2")
    listed(stub, present=True)
    before = wanted(key_of(first), env)
    stub.add_response("get_agent_runtime", described(before), {"agentRuntimeId": RUNTIME_ID})
    after = wanted(key_of(second), env)
    update = {**after, "agentRuntimeId": RUNTIME_ID}
    answer = {
        "agentRuntimeArn": ARN,
        "agentRuntimeId": RUNTIME_ID,
        "agentRuntimeVersion": "2",
        "createdAt": NOW,
        "lastUpdatedAt": NOW,
        "status": "UPDATING",
    }
    stub.add_response("update_agent_runtime", answer, update)
    ready = described(after, version="2")
    stub.add_response("get_agent_runtime", ready, {"agentRuntimeId": RUNTIME_ID})
    options = ["--zip", str(second), "--secret", f"CRM_PASSWORD={SECRET_ARN}"]
    out = deploy(capsys, *options, "--env", "ADAPTGEN_ALLOW_ANONYMOUS=1")
    assert f"agent runtime {NAME}: updated (code; version 2)" in out
    assert f"code: uploaded {second}" in out

    # The same inputs again: found, compared, nothing sent.
    listed(stub, present=True)
    stub.add_response("get_agent_runtime", ready, {"agentRuntimeId": RUNTIME_ID})
    out = deploy(capsys, *options, "--env", "ADAPTGEN_ALLOW_ANONYMOUS=1")
    assert f"agent runtime {NAME}: unchanged (version 2)" in out
    assert "code: unchanged" in out


def test_dry_run_prints_the_requests_and_sends_nothing(stub, capsys, tmp_path):
    code = agentcore_zip(tmp_path / "code.zip")
    out = deploy(
        capsys,
        "--zip",
        str(code),
        "--dry-run",
        "--env",
        "ADAPTGEN_ALLOW_ANONYMOUS=1",
        "--env",
        f"NOT_A_SECRET_BUT_NOT_SHOWN={SECRET_VALUE}",
        "--secret",
        f"CRM_PASSWORD={SECRET_ARN}",
        "--gateway-target",
        "crm-gateway-abcdef1234",
    )
    assert out.startswith("dry run: nothing was sent to AWS")
    body = out[out.index("{") : out.index("}\nwould register") + 1]
    request = json.loads(body)
    assert request["agentRuntimeName"] == NAME
    assert request["agentRuntimeArtifact"]["codeConfiguration"]["code"]["s3"]["prefix"] == (
        key_of(code)
    )
    assert request["environmentVariables"] == {
        "ADAPTGEN_ALLOW_ANONYMOUS": "<value given>",
        "CRM_PASSWORD": f"${{aws-sm:{SECRET_ARN}}}",
        "NOT_A_SECRET_BUT_NOT_SHOWN": "<value given>",
    }
    assert SECRET_VALUE not in out
    assert '"credentialProviderType": "GATEWAY_IAM_ROLE"' in out
    # Nothing reached AWS: no bucket was made (the stub had no answers queued, and fails on
    # any request it did not expect).
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


JWT_POLICY = {
    "identity": {
        "jwt": {
            "issuer": "${env:CRM_JWT_ISSUER}",
            "audience": "crm-mcp",
            "jwks_url": "https://idp.example.com/.well-known/jwks.json",
        }
    }
}


def test_authorizer_from_the_policy(stub, capsys, tmp_path):
    code = agentcore_zip(tmp_path / "code.zip", policy=JWT_POLICY)
    environment = {"CRM_JWT_ISSUER": "https://idp.example.com/"}
    authorizer = {
        "customJWTAuthorizer": {
            "discoveryUrl": "https://idp.example.com/.well-known/openid-configuration",
            "allowedAudience": ["crm-mcp"],
            "allowedClients": ["app-client-1"],
        }
    }
    request = wanted(
        key_of(code),
        environment,
        authorizerConfiguration=authorizer,
        requestHeaderConfiguration={"requestHeaderAllowlist": ["Authorization"]},
    )
    expect_create(stub, request)
    out = deploy(
        capsys,
        "--zip",
        str(code),
        "--authorizer",
        "policy",
        "--allowed-client",
        "app-client-1",
        "--env",
        "CRM_JWT_ISSUER=https://idp.example.com/",
    )
    assert "inbound auth: JWT (https://idp.example.com/.well-known/openid-configuration" in out
    assert "audience crm-mcp; clients app-client-1" in out


@pytest.mark.parametrize(
    ("options", "policy", "message"),
    [
        (["--authorizer", "policy"], JWT_POLICY, "pass --env CRM_JWT_ISSUER=..."),
        (["--authorizer", "policy"], None, "no policy with identity.jwt"),
        (["--authorizer", "iam"], JWT_POLICY, "refuses anonymous callers"),
        (["--authorizer", "iam"], None, "--env ADAPTGEN_ALLOW_ANONYMOUS=1"),
        (["--runtime-name", "has-dash"], None, "--runtime-name 'has-dash'"),
        (["--arch", "x86_64"], None, "AgentCore Runtime runs arm64 only"),
        (["--env", f"AWS_REGION={SECRET_VALUE}"], None, "reserved by AgentCore Runtime"),
        (
            ["--authorizer", "policy", "--secret", f"CRM_JWT_ISSUER={SECRET_ARN}"],
            JWT_POLICY,
            "needs its value at deploy time",
        ),
        (
            ["--env", "ADAPTGEN_ALLOW_ANONYMOUS=1", "--gateway-target", "Not A Gateway"],
            None,
            "expected a gateway id",
        ),
        (["--memory", "1024"], None, "--memory: AgentCore Runtime sizes its sessions itself"),
        (["--timeout", "60"], None, "--timeout: AgentCore Runtime takes no per-call timeout"),
        (["--endpoint", "function-url"], None, "--endpoint: AgentCore Runtime serves MCP at"),
    ],
)
def test_bad_input_exits_2_before_any_aws_call(stub, capsys, tmp_path, options, policy, message):
    code = agentcore_zip(tmp_path / "code.zip", policy=policy)
    err = deploy(capsys, "--zip", str(code), *options, expect=2)
    assert message in err
    assert SECRET_VALUE not in err and "Traceback" not in err


def test_aws_refusals_are_one_line_without_secrets(stub, capsys, tmp_path):
    code = agentcore_zip(tmp_path / "code.zip")
    listed(stub, present=False)
    stub.add_client_error(
        "create_agent_runtime",
        service_error_code="AccessDeniedException",
        service_message="not allowed to pass the role",
        http_status_code=403,
    )
    options = ["--zip", str(code), "--env", "ADAPTGEN_ALLOW_ANONYMOUS=1"]
    secret = ["--secret", f"CRM_PASSWORD={SECRET_ARN}", "--env", f"X={SECRET_VALUE}"]
    err = deploy(capsys, *options, *secret, expect=1)
    assert err.startswith("adaptgen: error: AWS CreateAgentRuntime: AccessDeniedException")
    assert len(err.strip().splitlines()) == 1 and SECRET_VALUE not in err

    # A version that fails to start names AgentCore's reason.
    request = wanted(key_of(code), {"ADAPTGEN_ALLOW_ANONYMOUS": "1"})
    listed(stub, present=False)
    created(stub, request)
    failed = described(request, "CREATE_FAILED")
    failed["failureReason"] = "entry point main.py exited with code 1"
    stub.add_response("get_agent_runtime", failed, {"agentRuntimeId": RUNTIME_ID})
    err = deploy(capsys, *options, expect=1)
    assert f"agent runtime {NAME}: CREATE_FAILED: entry point main.py exited with code 1" in err


def test_gateway_target_is_made_once(stub, capsys, tmp_path):
    code = agentcore_zip(tmp_path / "code.zip")
    request = wanted(key_of(code), {"ADAPTGEN_ALLOW_ANONYMOUS": "1"})
    gateway = "crm-gateway-abcdef1234"
    options = ["--zip", str(code), "--env", "ADAPTGEN_ALLOW_ANONYMOUS=1"]
    endpoint = agentcore.invoke_url(ARN, "us-east-1")
    target = {
        "gatewayIdentifier": gateway,
        "name": "crm-mcp",
        "description": "MCP server on AgentCore Runtime (adaptgen)",
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": endpoint}}},
        "credentialProviderConfigurations": [
            {
                "credentialProviderType": "GATEWAY_IAM_ROLE",
                "credentialProvider": {
                    "iamCredentialProvider": {"service": "bedrock-agentcore", "region": "us-east-1"}
                },
            }
        ],
    }
    made = {
        "gatewayArn": f"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/{gateway}",
        "targetId": "TARGET0001",
        "createdAt": NOW,
        "updatedAt": NOW,
        "status": "CREATING",
        "name": "crm-mcp",
        "targetConfiguration": target["targetConfiguration"],
        "credentialProviderConfigurations": target["credentialProviderConfigurations"],
    }
    expect_create(stub, request)
    stub.add_response("list_gateway_targets", {"items": []}, {"gatewayIdentifier": gateway})
    stub.add_response("create_gateway_target", made, target)
    out = deploy(capsys, *options, "--gateway-target", gateway)
    assert f"gateway {gateway}: target crm-mcp created (TARGET0001)" in out

    listed(stub, present=True)
    stub.add_response("get_agent_runtime", described(request), {"agentRuntimeId": RUNTIME_ID})
    item = {k: made[k] for k in ("targetId", "name", "createdAt", "updatedAt")}
    stub.add_response(
        "list_gateway_targets", {"items": [{**item, "status": "READY"}]}, {"gatewayIdentifier": ANY}
    )
    current = {**made, "status": "READY", "description": target["description"]}
    stub.add_response(
        "get_gateway_target", current, {"gatewayIdentifier": gateway, "targetId": "TARGET0001"}
    )
    out = deploy(capsys, *options, "--gateway-target", gateway)
    assert f"gateway {gateway}: target crm-mcp unchanged" in out

    # A JWT runtime needs the gateway to get tokens from an OAuth provider.
    policy = {"identity": {"jwt": {**JWT_POLICY["identity"]["jwt"], "issuer": "https://i.test/"}}}
    jwt_zip = agentcore_zip(tmp_path / "jwt.zip", policy=policy)
    err = deploy(
        capsys,
        "--zip",
        str(jwt_zip),
        "--authorizer",
        "policy",
        "--gateway-target",
        gateway,
        expect=2,
    )
    assert "needs --gateway-oauth-provider ARN" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["package", "--target", "agentcore"], "or --upstream URL for the proxy"),
        (
            ["package", "--target", "agentcore", "--upstream", f"https://u:{SECRET_VALUE}@h/mcp"],
            "no user, password or query in the URL",
        ),
        (
            ["package", "--target", "agentcore", "--upstream", f"https://h/mcp?key={SECRET_VALUE}"],
            "no user, password or query in the URL",
        ),
        (["package", "--target", "agentcore", "--upstream", "npx server"], "http(s) URL"),
        (["package", "--upstream", "https://h/mcp"], "--target agentcore only"),
        (["deploy", "generated/crm", "--role", ROLE], "needs --function-name"),
        (
            [
                "deploy",
                "generated/crm",
                "--role",
                ROLE,
                "--function-name",
                "f",
                "--runtime-name",
                "r",
            ],
            "--runtime-name: for --target agentcore",
        ),
    ],
)
def test_what_to_ship_is_checked_first(capsys, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and SECRET_VALUE not in err
    assert not (tmp_path / "dist").exists()


def test_generated_server_dry_run_packages_and_takes_the_authorizer_from_policy(
    stub, capsys, tmp_path, monkeypatch
):
    """No --zip: the CRM server is packaged for AgentCore, and the authorizer comes from the
    policy file given (its issuer from the runtime's --env), checked before packaging."""
    monkeypatch.chdir(tmp_path)
    crm = str(ROOT / "generated" / "crm")
    options = ["--policy", str(ROOT / "specs" / "crm.governance.yaml"), "--authorizer", "policy"]
    err = deploy(capsys, crm, *options, "--dry-run", expect=2)
    assert "pass --env CRM_JWT_ISSUER=..." in err and not (tmp_path / "dist").exists()

    issuer = ["--env", "CRM_JWT_ISSUER=https://cognito-idp.us-east-1.amazonaws.com/pool1"]
    out = deploy(capsys, crm, *options, *issuer, "--dry-run")
    request = json.loads(out[out.index("{\n") : out.rindex("}") + 1])
    assert request["authorizerConfiguration"]["customJWTAuthorizer"] == {
        "discoveryUrl": "https://cognito-idp.us-east-1.amazonaws.com/pool1/.well-known/"
        "openid-configuration",
        "allowedAudience": ["crm-mcp"],
    }
    assert request["description"] == "MCP server crm (adaptgen)"
    (built,) = (tmp_path / "dist").glob("crm-agentcore-*-arm64.zip")
    with zipfile.ZipFile(built) as archive:
        entry = archive.read("main.py").decode()
        assert archive.read("policy.yaml") == (ROOT / "specs" / "crm.governance.yaml").read_bytes()
    assert 'serve_generated(Path(__file__).parent, env_prefix="CRM")' in entry
    assert request["agentRuntimeArtifact"]["codeConfiguration"]["code"]["s3"]["prefix"] == (
        key_of(built)
    )


def test_a_botocore_without_direct_code_deployment_is_named(stub):
    control = boto3.client("bedrock-agentcore-control", region_name="us-east-1")
    assert agentcore.supports_code_deployment(control)
    # A model without AgentCore's code artifact, as an older botocore's is, says so.
    assert not agentcore.supports_code_deployment(boto3.client("lambda", region_name="us-east-1"))
