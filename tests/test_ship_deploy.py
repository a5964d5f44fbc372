"""`adaptgen deploy` against moto: create, update, idempotent re-runs, secrets, endpoints.

Most tests deploy a tiny zip (`--zip`) for speed; one deploys what `adaptgen package` builds for
this machine, which is over Lambda's 50 MB direct-upload limit and so goes through S3.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from conftest import ROOT
from moto import mock_aws

from adaptgen.cli import main
from adaptgen.ship.package import LambdaTarget

SERVER = ROOT / "generated" / "crm"
FUNCTION = "crm-mcp"
THIS = LambdaTarget.resolve(None, None)
SECRET_VALUE = "p4ss-w0rd-never-shown"


@pytest.fixture
def aws(monkeypatch):
    """moto for every AWS service, with fake credentials and us-east-1."""
    for key in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def role(aws) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = boto3.client("iam")
    created = iam.create_role(RoleName="crm-mcp", AssumeRolePolicyDocument=json.dumps(trust))
    return created["Role"]["Arn"]


def tiny_zip(path: Path, answer: str = "v1") -> Path:
    """A Lambda zip with a handler.py at its root (what deploy checks), in a few hundred bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "handler.py", f"def handler(event, context):\n    return {{'body': {answer!r}}}\n"
        )
    return path


def deploy(capsys, role: str, *options: str, expect: int = 0) -> str:
    """`adaptgen deploy generated/crm --function-name crm-mcp --role ROLE [options]`; stdout."""
    argv = ["deploy", str(SERVER), "--function-name", FUNCTION, "--role", role, *options]
    assert main(argv) == expect, capsys.readouterr()
    out = capsys.readouterr()
    return out.out if expect == 0 else out.err


def lambda_sha(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def statements() -> list[dict]:
    policy = boto3.client("lambda").get_policy(FunctionName=FUNCTION)["Policy"]
    return json.loads(policy)["Statement"]


def test_create_update_and_idempotent_redeploy(role, capsys, tmp_path):
    first = tiny_zip(tmp_path / "v1.zip")
    out = deploy(capsys, role, "--zip", str(first))
    assert f"function {FUNCTION}: created ({THIS.runtime}, {THIS.arch}, 512 MB, 30 s" in out
    assert "function URL: created https://" in out and ".lambda-url.us-east-1.on.aws/mcp" in out
    assert "auth NONE" in out
    client = boto3.client("lambda")
    config = client.get_function(FunctionName=FUNCTION)["Configuration"]
    assert config["Runtime"] == THIS.runtime and config["Architectures"] == [THIS.arch]
    assert config["Handler"] == "handler.handler" and config["Role"] == role
    assert (config["MemorySize"], config["Timeout"]) == (512, 30)
    assert config["CodeSha256"] == lambda_sha(first)
    url = client.get_function_url_config(FunctionName=FUNCTION)
    assert url["AuthType"] == "NONE"
    policy = statements()
    assert sorted(s["Sid"] for s in policy) == [
        "adaptgen-function-url",
        "adaptgen-function-url-invoke",
    ]

    # The same inputs again: nothing changes, nothing is added.
    out = deploy(capsys, role, "--zip", str(first))
    assert f"function {FUNCTION}: unchanged" in out
    assert "code: unchanged" in out and "configuration: unchanged" in out
    assert f"function URL: unchanged {url['FunctionUrl'].rstrip('/')}/mcp" in out
    assert "permission added" not in out
    assert statements() == policy
    assert (
        client.get_function_url_config(FunctionName=FUNCTION)["FunctionUrl"] == url["FunctionUrl"]
    )

    # New code: uploaded, CodeSha256 follows; configuration untouched.
    second = tiny_zip(tmp_path / "v2.zip", "v2")
    out = deploy(capsys, role, "--zip", str(second))
    assert f"function {FUNCTION}: updated" in out and "code: uploaded" in out
    assert "configuration: unchanged" in out
    assert client.get_function(FunctionName=FUNCTION)["Configuration"]["CodeSha256"] == lambda_sha(
        second
    )

    # New configuration, same code: only the configuration changes.
    out = deploy(capsys, role, "--zip", str(second), "--memory", "1024", "--timeout", "60")
    assert "code: unchanged" in out and "configuration: updated (memory, timeout)" in out
    config = client.get_function(FunctionName=FUNCTION)["Configuration"]
    assert (config["MemorySize"], config["Timeout"]) == (1024, 60)
    assert len(statements()) == 2


def test_environment_and_secret_references_never_values(role, capsys, tmp_path):
    secrets = boto3.client("secretsmanager")
    password = secrets.create_secret(Name="crm/password", SecretString=SECRET_VALUE)["ARN"]
    api = secrets.create_secret(Name="crm/api", SecretString=json.dumps({"key": SECRET_VALUE}))
    out = deploy(
        capsys,
        role,
        "--zip",
        str(tiny_zip(tmp_path / "code.zip")),
        "--env",
        "CRM_BASE_URL=https://crm.internal/api/v1",
        "--secret",
        f"CRM_PASSWORD={password}",
        "--secret",
        f"CRM_API_KEY={api['ARN']}#key",
    )
    config = boto3.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    assert config["Environment"]["Variables"] == {
        "CRM_BASE_URL": "https://crm.internal/api/v1",
        "CRM_PASSWORD": f"${{aws-sm:{password}}}",
        "CRM_API_KEY": f"${{aws-sm:{api['ARN']}#key}}",
    }
    assert SECRET_VALUE not in json.dumps(config, default=str)
    assert SECRET_VALUE not in out and "crm.internal" not in out  # names only, never values
    assert "CRM_API_KEY (Secrets Manager reference)" in out and "CRM_BASE_URL" in out
    assert f"secretsmanager:GetSecretValue on: {api['ARN']}, {password}" in out

    # Dropping a variable is a configuration change; the rest stays.
    out = deploy(
        capsys,
        role,
        "--zip",
        str(tmp_path / "code.zip"),
        "--secret",
        f"CRM_PASSWORD={password}",
    )
    assert "configuration: updated (environment)" in out
    config = boto3.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    assert config["Environment"]["Variables"] == {"CRM_PASSWORD": f"${{aws-sm:{password}}}"}


def test_dry_run_prints_the_requests_and_sends_nothing(role, capsys, tmp_path):
    code = tiny_zip(tmp_path / "code.zip")
    out = deploy(
        capsys,
        role,
        "--zip",
        str(code),
        "--dry-run",
        "--env",
        f"NOT_SHOWN={SECRET_VALUE}",
        "--secret",
        "CRM_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:crm",
    )
    assert out.startswith("dry run: nothing was sent to AWS")
    assert f"would upload {code} " in out and "in the request" in out
    request = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert request["FunctionName"] == FUNCTION and request["Handler"] == "handler.handler"
    assert request["Environment"]["Variables"] == {
        "CRM_PASSWORD": "${aws-sm:arn:aws:secretsmanager:us-east-1:123456789012:secret:crm}",
        "NOT_SHOWN": "<value given>",
    }
    assert "would make sure a function-url serves it" in out
    assert SECRET_VALUE not in out
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_http_api_endpoint_is_made_once(role, capsys, tmp_path):
    code = str(tiny_zip(tmp_path / "code.zip"))
    out = deploy(capsys, role, "--zip", code, "--endpoint", "http-api", "--timeout", "60")
    assert "HTTP API: created (API, integration, route, stage, invoke permission) https://" in out
    assert "stops waiting after 30 s" in out
    apis = boto3.client("apigatewayv2")
    (api,) = apis.get_apis()["Items"]
    assert out.count(f"{api['ApiEndpoint']}/mcp") == 1
    function_arn = boto3.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"][
        "FunctionArn"
    ]
    (integration,) = apis.get_integrations(ApiId=api["ApiId"])["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == function_arn
    assert integration["PayloadFormatVersion"] == "2.0"
    (route,) = apis.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert [s["StageName"] for s in apis.get_stages(ApiId=api["ApiId"])["Items"]] == ["$default"]
    (statement,) = statements()
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert api["ApiId"] in json.dumps(statement)
    with pytest.raises(boto3.client("lambda").exceptions.ResourceNotFoundException):
        boto3.client("lambda").get_function_url_config(FunctionName=FUNCTION)

    out = deploy(capsys, role, "--zip", code, "--endpoint", "http-api", "--timeout", "60")
    assert f"HTTP API: unchanged {api['ApiEndpoint']}/mcp" in out
    assert len(apis.get_apis()["Items"]) == 1
    assert len(apis.get_integrations(ApiId=api["ApiId"])["Items"]) == 1
    assert len(apis.get_routes(ApiId=api["ApiId"])["Items"]) == 1
    assert len(statements()) == 1

    out = deploy(capsys, role, "--zip", code, "--endpoint", "http-api", "--timeout", "20")
    assert "HTTP API: updated (integration timeout)" in out
    (integration,) = apis.get_integrations(ApiId=api["ApiId"])["Items"]
    assert integration["TimeoutInMillis"] == 20_000


def test_endpoint_none_makes_no_endpoint_and_names_leftovers(role, capsys, tmp_path):
    code = str(tiny_zip(tmp_path / "code.zip"))
    out = deploy(capsys, role, "--zip", code, "--endpoint", "none")
    assert "function URL" not in out and "HTTP API" not in out
    client = boto3.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName=FUNCTION)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName=FUNCTION)
    assert boto3.client("apigatewayv2").get_apis()["Items"] == []

    deploy(capsys, role, "--zip", code)  # a Function URL ...
    out = deploy(capsys, role, "--zip", code, "--endpoint", "none")  # ... is not deleted
    assert "note: function URL https://" in out
    assert f"aws lambda delete-function-url-config --function-name {FUNCTION}" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--env", "NOEQUALS"], "--env 'NOEQUALS': expected NAME=VALUE"),
        (["--env", "bad name=hunter2"], "--env 'bad name'=...: expected NAME=VALUE"),
        (["--env", "AWS_REGION=eu-west-1"], "reserved by Lambda"),
        (["--env", "A=1", "--secret", "A=arn:x"], "--secret A: given twice"),
        (["--secret", "CRM_PASSWORD="], "expected NAME=SECRET_ARN"),
        (["--secret", "CRM_PASSWORD=${env:X}"], "expected NAME=SECRET_ARN"),
        (["--memory", "64"], "--memory 64: Lambda allows 128 to 10240"),
        (["--timeout", "901"], "--timeout 901: Lambda allows 1 to 900"),
        (["--function-name", "no spaces"], "--function-name 'no spaces'"),
    ],
)
def test_bad_input_exits_2_before_any_aws_call(role, capsys, tmp_path, options, message):
    code = str(tiny_zip(tmp_path / "code.zip"))
    err = deploy(capsys, role, "--zip", code, *options, expect=2)
    assert message in err
    assert "hunter2" not in err
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_bad_zip_role_or_folder_exits_2(role, capsys, tmp_path):
    not_zip = tmp_path / "code.zip"
    not_zip.write_text("not a zip")
    assert "not a zip" in deploy(capsys, role, "--zip", str(not_zip), expect=2)
    no_handler = tmp_path / "empty.zip"
    with zipfile.ZipFile(no_handler, "w") as archive:
        archive.writestr("server.py", "")
    assert "no handler.py" in deploy(capsys, role, "--zip", str(no_handler), expect=2)
    other = "python3.13" if THIS.runtime != "python3.13" else "python3.12"
    built = tmp_path / "built.zip"
    with zipfile.ZipFile(built, "w") as archive:
        archive.writestr("handler.py", "")
        archive.writestr(f"__pycache__/handler.cpython-3{other[-2:].lstrip('.')}.pyc", "")
    err = deploy(capsys, role, "--zip", str(built), "--runtime", THIS.runtime, expect=2)
    assert f"built for {other}, not {THIS.runtime}" in err
    code = str(tiny_zip(tmp_path / "tiny.zip"))
    assert "expected an IAM role ARN" in deploy(capsys, "my-role", "--zip", code, expect=2)
    argv = ["deploy", str(tmp_path), "--function-name", FUNCTION, "--role", role]
    assert main(argv) == 2
    assert "no server.py, catalog.json, handler.py" in capsys.readouterr().err


def test_deploys_a_real_package_through_s3(role, capsys, tmp_path, monkeypatch):
    """No --zip: deploy packages generated/crm itself; a zip over the direct-upload limit
    (Lambda's is 50 MB; the runtime-only CRM zip is about 27 MB, so the limit is lowered here)
    goes through S3."""
    import adaptgen.ship.deploy as deploy_module

    monkeypatch.setattr(deploy_module, "DIRECT_UPLOAD_LIMIT", 10 * 1000 * 1000)
    monkeypatch.chdir(tmp_path)
    out = deploy(capsys, role, "--policy", str(ROOT / "specs" / "crm.governance.yaml"))
    built = tmp_path / "dist" / f"crm-{THIS.runtime}-{THIS.arch}.zip"
    assert built.is_file() and built.stat().st_size > 10 * 1000 * 1000
    with zipfile.ZipFile(built) as archive:
        shipped = archive.read("policy.yaml")
    assert shipped == (ROOT / "specs" / "crm.governance.yaml").read_bytes()
    bucket = "adaptgen-deploy-123456789012-us-east-1"
    assert f"via s3://{bucket}/{FUNCTION}/" in out
    config = boto3.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]
    assert config["CodeSha256"] == lambda_sha(built)
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # Lambda has its copy
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())

    out = deploy(capsys, role, "--zip", str(built))
    assert "code: unchanged" in out and "s3://" not in out


def test_no_region_exits_2_before_packaging(role, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)
    assert "no AWS region: pass --region" in deploy(capsys, role, expect=2)
    assert not (tmp_path / "dist").exists()


def test_a_missing_profile_or_policy_beside_a_zip_exits_2(role, capsys, tmp_path, monkeypatch):
    code = str(tiny_zip(tmp_path / "code.zip"))
    policy = tmp_path / "policy.yaml"
    policy.write_text("audit: {sink: none}\n")
    err = deploy(capsys, role, "--zip", code, "--policy", str(policy), expect=2)
    assert "--policy" in err and "package it first" in err
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    err = deploy(capsys, role, "--zip", code, expect=2)
    assert "no-such-profile" in err and "Traceback" not in err
    monkeypatch.delenv("AWS_PROFILE")
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_an_aws_refusal_is_one_line_and_exit_1(aws, capsys, tmp_path):
    missing_role = "arn:aws:iam::123456789012:role/not-there"
    err = deploy(capsys, missing_role, "--zip", str(tiny_zip(tmp_path / "code.zip")), expect=1)
    assert err.startswith("adaptgen: error: AWS CreateFunction: InvalidParameterValueException")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
