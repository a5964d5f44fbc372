"""The SAM template.yaml stays valid CloudFormation whatever the spec holds (issue 12, item 13).

A NUL in the title made template.yaml unparsable, a U+2028 ended its comment early (a line
break to YAML 1.1), a security scheme name over 1,024 chars made parameter names CloudFormation
refuses, and a hints `${env:...}` name went into the template as a YAML key unchecked.
"""

from __future__ import annotations

import json

import yaml
from sec_build import assert_input_error, run_adaptgen, write
from test_sam_template import CfnLoader, lint

HOSTILE_TITLE = (
    "Odd\x00API\u2028Resources: {Evil: {Type: 'AWS::S3::Bucket'}}\x85\x1b[31m" + "é" * 900
)
CFN_NAME_LIMIT = 255
CFN_DESCRIPTION_BYTES = 1024
CFN_VALUE_BYTES = 4096


def hostile_spec() -> dict:
    scheme = "K" * 1100
    return {
        "openapi": "3.0.3",
        "info": {"title": HOSTILE_TITLE, "version": "1\x00"},
        "servers": [{"url": "https://odd.example/" + "p" * 5000 + "\x00"}],
        "components": {
            "securitySchemes": {
                scheme: {"type": "apiKey", "in": "header", "name": "X-Key"},
                "basic\x00auth": {"type": "http", "scheme": "basic"},
            }
        },
        "security": [{scheme: []}],
        "paths": {
            "/ping": {
                "get": {
                    "operationId": "ping",
                    "summary": "Ping\x00 | pong",
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }


def test_the_template_of_a_hostile_spec_lints(tmp_path):
    spec = write(tmp_path / "odd.json", json.dumps(hostile_spec()))
    done = run_adaptgen("build", "-q", spec.name, "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    template = tmp_path / "out/odd/template.yaml"
    lint(template)
    text = template.read_text(encoding="utf-8")
    document = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - safe subclass
    assert set(document["Resources"]) == {"McpFunction"}  # the title stayed in its comment
    assert len(document["Description"].encode()) <= CFN_DESCRIPTION_BYTES
    assert document["Description"].startswith("MCP server for Odd API ")
    assert len(document["Parameters"]["BaseUrl"]["Default"].encode()) <= CFN_VALUE_BYTES
    for name in document["Parameters"]:
        assert name.isalnum() and len(name) <= CFN_NAME_LIMIT, name
    variables = document["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert sum(len(name) for name in variables) < 4096  # Lambda's limit for all env vars
    for path in (tmp_path / "out/odd").iterdir():
        assert "\x00" not in path.read_text(encoding="utf-8"), path.name  # git: "binary file"
    for name in ("template.yaml", "README.md"):
        assert "\u2028" not in (tmp_path / "out/odd" / name).read_text(encoding="utf-8")


def test_an_env_reference_that_is_not_a_name_is_refused(tmp_path):
    document = {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "x-agent": {
            "auth": {
                "oauth": {
                    "oauth2_client_credentials": {
                        "client_id": "${env:ID}",
                        "client_secret": "${env:SECRET: x\n          Evil: y}",
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "https://t.example/token", "scopes": {}}
                    },
                }
            }
        },
        "security": [{"oauth": []}],
        "paths": {"/p": {"get": {"operationId": "p", "responses": {"200": {"description": "ok"}}}}},
    }
    spec = write(tmp_path / "env.yaml", yaml.safe_dump(document, sort_keys=False))
    done = run_adaptgen("build", "-q", spec.name, "--out", "out", cwd=tmp_path)
    assert_input_error(done, "env.yaml:7:", "does not name an environment variable")
