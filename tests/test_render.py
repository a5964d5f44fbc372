"""Rendering: deterministic, formatted, atomic, and no spec string can become code."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module, main
from adaptgen.render import write_atomic

PWNED = "adaptgen-pwned-marker"
# Every way a string could break out of a Python literal, a docstring, a comment or a template.
EVIL = (
    'it\'s "quoted" \'\'\' """ \\ \\n \\" {{ api }} {% raw %}{% endraw %} {# c #} '
    f"__import__('os').system('touch {PWNED}') ü 日本 🙂 \u200b"
)
EVIL_LINES = f'first line\nsecond """ line\n\t"""); import os; os.system("touch {PWNED}") #'


def hostile_spec() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": EVIL, "version": '1"""', "description": EVIL},
        "servers": [{"url": "http://127.0.0.1:9/api"}],
        "paths": {
            "/items/{it'em\"id}": {
                "post": {
                    "operationId": "do\"\"\"Evil'''{{x}}{%y%}\nimport os",
                    "summary": EVIL,
                    "description": EVIL,
                    "parameters": [
                        {
                            "name": "it'em\"id",
                            "in": "path",
                            "required": True,
                            "description": EVIL,
                            "schema": {"type": "string", "enum": [EVIL, EVIL_LINES, "\\"]},
                        },
                        {
                            "name": 'q"""{{x}}',
                            "in": "query",
                            "schema": {"type": "string", "default": EVIL_LINES},
                        },
                        {"name": "class", "in": "query", "schema": {"type": "integer"}},
                        {"name": "api", "in": "header", "schema": {"type": "string"}},
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "from": {"type": "string", "enum": ["a", EVIL_LINES]},
                                        'x"): pass\nimport os #': {"type": "boolean"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": EVIL}},
                }
            }
        },
    }


@pytest.fixture
def hostile_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "evil.json"
    spec.write_text(json.dumps(hostile_spec(), ensure_ascii=False), encoding="utf-8")
    report = build(BuildOptions(spec=spec, out=tmp_path / "generated"))
    return report, tmp_path


def test_hostile_strings_stay_data(hostile_build):
    report, tmp_path = hostile_build
    module = load_server_module(report.out_dir)

    async def listing():
        async with Client(module.mcp) as client:
            return await client.list_tools()

    (tool,) = asyncio.run(listing())
    assert not (tmp_path / PWNED).exists()
    assert not Path(PWNED).exists()
    props = tool.input_schema["properties"]
    item = props["it_em_id"]
    assert item["enum"] == [EVIL, EVIL_LINES, "\\"]
    assert props["q_x"]["default"] == EVIL_LINES
    assert props["from"]["enum"] == ["a", EVIL_LINES]
    assert set(props) == {"it_em_id", "q_x", "class", "api", "from", "x_pass_import_os"}
    # Descriptions are prose: whitespace is normalized, every character is kept.
    assert tool.description == " ".join(EVIL.split())
    # Argument descriptions are cut at a word boundary (ARGUMENT_DESCRIPTION_CHARS).
    assert item["description"].endswith("…")
    assert " ".join(EVIL.split()).startswith(item["description"][:-1])
    catalog = json.loads((report.out_dir / "catalog.json").read_text(encoding="utf-8"))
    upstream = catalog["tools"][0]["upstream"]
    assert upstream["operation_id"] == "do\"\"\"Evil'''{{x}}{%y%}\nimport os"
    assert [p["api_name"] for p in upstream["params"]][:2] == ["it'em\"id", 'q"""{{x}}']
    assert catalog["api"]["title"] == EVIL
    source = (report.out_dir / "server.py").read_text(encoding="utf-8")
    compile(source, "server.py", "exec")
    # Keyword and reserved argument names become safe Python names with aliases.
    assert 'class_: Annotated[int | None, Field(alias="class")] = None' in source
    assert 'api_: Annotated[str | None, Field(alias="api")] = None' in source


def test_hostile_server_calls_with_aliased_arguments(hostile_build):
    report, _ = hostile_build
    module = load_server_module(report.out_dir)
    api = module.api
    request = api.upstream.build_request(
        api.catalog.tools[0],
        {"it_em_id": EVIL_LINES, "class_": 3, "api_": "h", "from_": "a"},
    )
    assert request.url.path.startswith("/api/items/")
    assert request.url.params["class"] == "3"
    assert request.headers["api"] == "h"
    assert json.loads(request.content) == {"from": "a"}


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_output_is_identical_across_hash_seeds_and_machines(tmp_path):
    """Two builds as if on two machines: hash seed, locale, time zone, umask, working directory
    and spelling of the spec path differ; the bytes (and the committed generated/crm) do not."""
    machines = [
        ({"PYTHONHASHSEED": "0", "LC_ALL": "C", "TZ": "UTC"}, ROOT, "specs/crm.yaml", 0o022),
        (
            {"PYTHONHASHSEED": "12345", "LC_ALL": "C.UTF-8", "TZ": "Asia/Kolkata"},
            tmp_path,
            str(ROOT / "specs" / ".." / "specs" / "crm.yaml"),
            0o077,
        ),
    ]
    digests = []
    for index, (extra, cwd, spec, umask) in enumerate(machines):
        out = tmp_path / f"out{index}"
        subprocess.run(
            [sys.executable, "-m", "adaptgen", "build", spec, "--out", str(out), "-q"],
            cwd=cwd,
            env={**os.environ, **extra},
            check=True,
            preexec_fn=lambda umask=umask: os.umask(umask),  # noqa: PLW1509 - test only
        )
        digests.append(_tree_digest(out / "crm"))
    assert digests[0] == digests[1] == _tree_digest(ROOT / "generated" / "crm")


def test_generated_code_is_ruff_formatted_and_lint_clean(hostile_build):
    report, _ = hostile_build
    from ruff.__main__ import find_ruff_bin

    # E501 is left to the formatter: a long enum string literal cannot be split.
    for args in (["format", "--check"], ["check", "--select", "E,F,W", "--ignore", "E501"]):
        result = subprocess.run(
            [find_ruff_bin(), *args, "--isolated", "--line-length", "100", str(report.out_dir)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_failed_swap_leaves_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "gen" / "api"
    write_atomic(target, {"server.py": "old\n", "README.md": "old\n"})
    before = _tree_digest(target)
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(src).startswith(str(tmp_path / "gen" / ".api.new")):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomic(target, {"server.py": "new\n"})
    assert _tree_digest(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["api"]  # no debris


BAD_INPUTS = {
    "malformed.yaml": ("openapi: 3.0.3\ninfo: [unclosed\n", 2, "malformed.yaml:3:1"),
    "version.yaml": (
        "openapi: 9.9.9\ninfo: {title: x, version: '1'}\npaths: {}\n",
        2,
        "version.yaml:1:1 (#/openapi)",
    ),
    "missing_ref.yaml": (
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      operationId: a\n      parameters: [{$ref: '#/components/parameters/nope'}]\n"
        "      responses: {'200': {description: ok}}\n",
        2,
        "missing_ref.yaml:7:",
    ),
    "duplicate.yaml": (
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      operationId: same\n      responses: {'200': {description: ok}}\n"
        "  /b:\n    get:\n      operationId: same\n      responses: {'200': {description: ok}}\n",
        2,
        "duplicate operationId 'same'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exit_code_message_and_previous_output_intact(
    tmp_path, monkeypatch, capsys, case
):
    monkeypatch.chdir(tmp_path)
    text, code, needle = BAD_INPUTS[case]
    good = tmp_path / "api.yaml"
    good.write_text(
        yaml.safe_dump(
            {
                "openapi": "3.0.3",
                "info": {"title": "Good", "version": "1"},
                "paths": {
                    "/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}
                },
            }
        )
    )
    assert main(["build", str(good), "-q"]) == 0
    before = _tree_digest(tmp_path / "generated" / "api")
    bad = tmp_path / case
    bad.write_text(text)
    capsys.readouterr()
    assert main(["build", str(bad), "--name", "api", "-q"]) == code
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert _tree_digest(tmp_path / "generated" / "api") == before


def test_missing_spec_file_is_exit_2(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_bad_usage_is_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "adaptgen", "build"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "usage:" in result.stderr
