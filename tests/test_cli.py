"""The build report and the progress display."""

from __future__ import annotations

import io

from conftest import ROOT, shared_spec, wire_tools_list_bytes

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module, main
from adaptgen.report import ProgressDisplay


def test_build_report_names_everything_a_reviewer_needs(tmp_path, capsys):
    assert main(["build", str(ROOT / "specs" / "crm.yaml"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"built {tmp_path}/crm/ from crm.yaml (OpenAPI 3.0.3)" in out
    assert "tools: 23" in out and "get_contact" in out and "GET /contacts/{contactId}" in out
    assert "skipped operations: 3" in out
    assert "login (POST /auth/login): called by the session-login flow, never by the agent" in out
    assert (
        "auth flow for sessionToken: session login via login, token -> header X-Session-Token"
        in out
    )
    assert "open_deals_for_email" in out and "chain (hints): search_records -> get_contact" in out
    assert "log_call_for_email" in out and "idempotent" in out
    assert "exportContacts (GET /contacts/export): deprecated" in out
    assert "logout (POST /auth/logout): excluded by hints" in out
    assert "page, items $.data, page size 25, up to 300 per call" in out
    assert (
        "env vars the server reads: CRM_BASE_URL, CRM_TIMEOUT, CRM_API_KEY, CRM_USERNAME, "
        "CRM_PASSWORD" in out
    )
    assert "tools/list size:" in out


def test_build_report_warnings_have_locations(tmp_path, capsys):
    spec = shared_spec("zoho_crm_record_v8.json")
    assert main(["build", str(spec), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if "remote $ref" in line)
    assert "zoho_crm_record_v8.json:" in warning and "(#/components/" in warning


def test_a_warning_said_of_many_operations_is_printed_once_with_their_names(tmp_path, capsys):
    """gsmtasks' 50 lists page by `cursor` and its spec never says where the next one is: the
    report printed 50 lines of one warning. It prints the first in its place and the others'
    names; `--quiet` still prints each, with its place."""
    import json

    def listed(operation_id):
        cursor = {"name": "cursor", "in": "query", "schema": {"type": "integer"}}
        answer = {"type": "array", "items": {"type": "object"}}
        ok = {"description": "ok", "content": {"application/json": {"schema": answer}}}
        return {
            "get": {"operationId": operation_id, "parameters": [cursor], "responses": {"200": ok}}
        }

    things = ["orders", "tasks", "users", "webhooks"]
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Tasks", "version": "1"},
        "paths": {f"/{thing}/": listed(f"{thing}_list") for thing in things},
    }
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(spec))
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "  warnings: 4\n" in out
    said = [line for line in out.splitlines() if "never says where the next one is" in line]
    assert len(said) == 1 and f"{path}:1:" in said[0] and "orders_list: " in said[0]
    assert "      the same for 3 more: tasks_list, users_list, webhooks_list (" in out
    assert main(["build", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    quiet = capsys.readouterr().err
    assert quiet.count("never says where the next one is") == 4


def test_a_spec_file_named_with_a_leading_digit_still_builds(tmp_path, capsys):
    """`6-dot-authentiqio.appspot.com.json` (APIs.guru's name for Authentiq's spec): the build
    refused it ("pass --name"), though nothing in the name is wrong but its first character.
    Its name is the stem's with `api_` before it, for its folder and every env var; a name
    the user gives with `--name` is still theirs to fix."""
    spec = tmp_path / "6-dot-authentiqio.appspot.com.yaml"
    spec.write_text((ROOT / "specs" / "crm.yaml").read_text())
    out = tmp_path / "out"
    assert main(["build", str(spec), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert (out / "api_6_dot_authentiqio" / "server.py").is_file()
    assert "API_6_DOT_AUTHENTIQIO_BASE_URL" in said
    assert main(["build", str(spec), "--out", str(out), "--name", "2fa"]) == 2
    assert "--name '2fa' makes no server name: it must start with a letter" in (
        capsys.readouterr().err
    )
    assert BuildOptions(spec=tmp_path / "2.0.json").api_name == "api_2"
    assert BuildOptions(spec=tmp_path / "中文.json").api_name == "api"


def test_reported_tools_list_size_matches_the_wire(tmp_path):
    report = build(BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=tmp_path))
    module = load_server_module(report.out_dir)
    assert report.tools_list_bytes == wire_tools_list_bytes(module.mcp)


def test_progress_display_draws_only_for_large_specs():
    quiet = ProgressDisplay(enabled=True, threshold=50)
    with quiet:
        quiet.update(1, 10)
    assert quiet._progress is None
    shown = ProgressDisplay(enabled=True, threshold=50, file=io.StringIO())
    with shown:
        for done in range(1, 61):
            shown.update(done, 60)
        assert shown._progress is not None
    assert "planning tools" in shown._file.getvalue()


def test_building_does_not_import_the_serving_stack():
    """`adaptgen build` and `check` load only build-time code: the runtime's FastMCP, OTel,
    crypto and AWS stack would add ~0.7 s and ~50 MB to every build (CI runs one per spec)."""
    import json
    import subprocess
    import sys

    heavy = ["fastmcp", "cryptography", "opentelemetry", "boto3", "redis", "cedarpy", "mangum"]
    code = (
        "import json, sys; import adaptgen.cli, adaptgen.build, adaptgen.check; "
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_a_search_mode_build_and_its_report_do_not_import_fastmcp(tmp_path):
    """The report of a search-mode build says its tools/list size, the search surface's own
    tools included, from `search.SURFACE_TOOLS`: importing FastMCP to make them was 1.4-2.5 s
    of every such `adaptgen build`."""
    import json
    import subprocess
    import sys

    hints = tmp_path / "search.hints.yaml"
    hints.write_text("search: {mode: search}\n")
    command = ["build", "specs/crm.yaml", "--out", str(tmp_path / "out"), "--hints", str(hints)]
    code = (
        "import json, sys; from adaptgen.cli import main; "
        f"code = main({command!r}); "
        "print(json.dumps([code, 'fastmcp' in sys.modules, 'mcp' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "search_tools result" in out.stdout  # the report of a search-mode server
    assert json.loads(out.stdout.splitlines()[-1]) == [0, False, False]


def test_the_cli_imports_what_its_command_needs():
    """Parsing the command line loads no spec machinery (lint's `adaptgen.readiness` package is
    imported for its parsers) and no governance policy models, and loading a spec without
    remote `$ref`s imports no HTTP client: each costs every `adaptgen` run 50 ms to 0.8 s."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys; import adaptgen.cli; before = set(sys.modules); "
        "from adaptgen.load import load_spec; load_spec('specs/crm.yaml'); "
        "print(json.dumps([sorted(m for m in ('openapi_pydantic', 'adaptgen.load', "
        "'adaptgen.readiness.lint', 'adaptgen.hints', 'adaptgen.runtime.governance.policy') "
        "if m in before), "
        "'adaptgen.load.remote' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout) == [[], False]
