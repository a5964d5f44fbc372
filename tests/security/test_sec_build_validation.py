"""Tools that could never be called are not built (issue 12, item 14, the build half).

A header named `X-Café` or `X Key`, a path with CR/LF in it, a path parameter the path has no
`{name}` for: the old build made tools that crashed on every call (httpx refuses such a
header or target) or silently dropped an argument. Now each is a located warning and the
unusable parameter or operation is left out.
"""

from __future__ import annotations

import json

import yaml
from sec_build import run_adaptgen, write

from adaptgen.build import BuildOptions, generate


def spec(paths: dict, schemes: dict | None = None) -> dict:
    document = {"openapi": "3.0.3", "info": {"title": "V", "version": "1"}, "paths": paths}
    if schemes:
        document["components"] = {"securitySchemes": schemes}
        document["security"] = [{name: []} for name in schemes]
    return document


def operation(op_id: str, *parameters: dict) -> dict:
    return {
        "get": {
            "operationId": op_id,
            "parameters": list(parameters),
            "responses": {"200": {"description": "ok"}},
        }
    }


def header(name: str) -> dict:
    return {"name": name, "in": "header", "schema": {"type": "string"}}


def built(tmp_path, document: dict):
    path = write(tmp_path / "v.yaml", yaml.safe_dump(document, sort_keys=False, width=1000))
    report = generate(BuildOptions(spec=path, out=tmp_path / "out"))
    catalog = json.loads(report.files["catalog.json"])
    return report, {tool["name"]: tool for tool in catalog["tools"]}


def warned(report, *words: str) -> str:
    for warning in report.warnings:
        if all(word in warning.message for word in words):
            assert warning.location.line is not None, warning
            return str(warning)
    raise AssertionError(f"no warning with {words}: {[str(w) for w in report.warnings]}")


def test_header_names_that_are_not_tokens_are_skipped_with_a_warning(tmp_path):
    document = spec(
        {"/a": operation("a", header("X-Café"), header("X Key"), header("X-Fine"), header("a:b"))}
    )
    report, tools = built(tmp_path, document)
    names = [p["api_name"] for p in tools["get_a"]["upstream"]["params"]]
    assert names == ["X-Fine"]
    assert "v.yaml:10:9" in warned(report, "'X-Café'", "RFC 9110 token")
    warned(report, "'X Key'", "RFC 9110 token")
    warned(report, "'a:b'", "RFC 9110 token")


def test_an_api_key_header_that_is_not_a_token_is_ignored(tmp_path):
    schemes = {"key": {"type": "apiKey", "in": "header", "name": "X-Key\r\nX-Injected: 1"}}
    report, _ = built(tmp_path, spec({"/a": operation("a")}, schemes))
    warned(report, "apiKey header name is not an RFC 9110 token")
    assert report.api.info.security_schemes == ()


def test_a_path_with_control_characters_skips_its_operation(tmp_path):
    paths = {"/a\r\nHost: evil.example": operation("bad"), "/ok": operation("ok")}
    report, tools = built(tmp_path, spec(paths))
    assert set(tools) == {"get_ok"}
    warned(report, "operation skipped", "the path holds '\\r'")
    assert [s.operation_id for s in report.api.skipped] == ["bad"]


def test_a_path_parameter_not_in_the_path_is_skipped(tmp_path):
    param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    report, tools = built(tmp_path, spec({"/things": operation("a", param)}))
    assert tools["get_a"]["upstream"]["params"] == []
    warned(report, "not in the path '/things'", "['id']")


def test_the_cli_reports_these_warnings_located_and_builds(tmp_path):
    document = spec({"/a": operation("a", header("X-Café")), "/b\n": operation("b")})
    write(tmp_path / "v.yaml", yaml.safe_dump(document, width=1000))
    done = run_adaptgen("build", "v.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "RFC 9110 token" in done.stdout and "the path holds" in done.stdout
    server = (tmp_path / "out/v/server.py").read_text(encoding="utf-8")
    assert "Café" not in server
