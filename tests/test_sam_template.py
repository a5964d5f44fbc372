"""The generated AWS SAM template.yaml: valid for CloudFormation (cfn-lint runs the SAM transform
and checks every resource, intrinsic and reference), wired to the server's env vars, no secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, shared_spec

from adaptgen.cli import main

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !If, ...) read as {"Fn": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


def lint(template: Path) -> None:
    if not CFN_LINT.exists():
        pytest.skip("cfn-lint is not installed (it comes with the dev extra: make test)")
    done = subprocess.run([str(CFN_LINT), str(template)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_crm_template_is_valid_and_wired():
    template = ROOT / "generated/crm/template.yaml"
    lint(template)
    document = yaml.load(template.read_text(), Loader=CfnLoader)  # noqa: S506 - safe subclass
    function = document["Resources"]["McpFunction"]["Properties"]
    assert function["Handler"] == "handler.handler"
    assert function["FunctionUrlConfig"] == {"AuthType": "NONE", "InvokeMode": "BUFFERED"}
    variables = function["Environment"]["Variables"]
    catalog = json.loads((ROOT / "generated/crm/catalog.json").read_text())
    prefix = catalog["api"]["env_prefix"]
    assert variables[f"{prefix}_BASE_URL"] == {"Ref": "BaseUrl"}
    for name in ("CRM_API_KEY", "CRM_USERNAME", "CRM_PASSWORD"):  # every secret: an ARN parameter
        camel = "".join(part.capitalize() for part in name.split("_"))
        assert f"{camel}SecretArn" in document["Parameters"]
        reference = variables[name]["If"][1]["Join"][1]
        assert reference[0] == "${aws-sm:" and reference[1] == {"Ref": f"{camel}SecretArn"}
    assert len(function["Policies"]) == 3  # read access to exactly the named secrets
    text = template.read_text()
    from adaptgen.sandbox import SANDBOX_API_KEY, SANDBOX_PASSWORD

    assert SANDBOX_API_KEY not in text and SANDBOX_PASSWORD not in text


def test_template_without_secrets_and_with_a_hostile_title(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "openapi": "3.0.3",
                "info": {"title": 'Odd: "API" # not a comment\n!Ref x {{ y }}', "version": "1"},
                "servers": [{"url": "https://odd.example/v1?x=1#frag"}],
                "paths": {
                    "/ping": {
                        "get": {
                            "operationId": "ping",
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            }
        )
    )
    assert main(["build", "-q", str(spec), "--out", str(tmp_path / "out")]) == 0
    template = tmp_path / "out/odd/template.yaml"
    lint(template)
    document = yaml.load(template.read_text(), Loader=CfnLoader)  # noqa: S506
    assert (
        document["Description"]
        == 'MCP server for Odd: "API" # not a comment\n!Ref x {{ y }} (adaptgen)'
    )
    assert document["Parameters"]["BaseUrl"]["Default"] == "https://odd.example/v1?x=1#frag"
    assert "Policies" not in document["Resources"]["McpFunction"]["Properties"]


def test_shared_spec_template_lints(tmp_path):
    """A real public API with basic auth (Twilio): two secret ARNs, two read grants."""
    spec = shared_spec("twilio_api_v2010.json")
    assert main(["build", "-q", str(spec), "--out", str(tmp_path), "--name", "twilio"]) == 0
    template = tmp_path / "twilio/template.yaml"
    lint(template)
    document = yaml.load(template.read_text(), Loader=CfnLoader)  # noqa: S506
    secrets = [name for name in document["Parameters"] if name.endswith("SecretArn")]
    assert len(secrets) == len(document["Resources"]["McpFunction"]["Properties"]["Policies"]) >= 2
