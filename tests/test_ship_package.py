"""`adaptgen package`: real Lambda zips of the CRM server, run by a clean interpreter.

The zip is built by pip for a Lambda target (this machine's Python and architecture, and the
other architecture), unpacked into an empty folder and imported by an interpreter that sees
nothing but that folder and the standard library, as Lambda's does. Packaging takes some
seconds per zip with a warm pip cache; each zip is built once per module.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import marshal
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, result_data
from test_governance import governed_crm, mint, policy
from test_lambda_handler import INITIALIZE, function_url_event, rpc

from adaptgen.cli import main
from adaptgen.errors import BuildError
from adaptgen.ship.package import (
    LAMBDA_TASK_ROOT,
    ZIP_FILE_MODE,
    ZIP_TIMESTAMP,
    LambdaTarget,
    check_unpacked_size,
    runtime_requirements,
)

THIS = LambdaTarget.resolve(None, None)
OTHER_ARCH = "arm64" if THIS.arch == "x86_64" else "x86_64"
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine: EM_X86_64, EM_AARCH64
# Run by the unpacked zip's interpreter: events on stdin, answers on stdout.
LAMBDA_RUNNER = """
import json, logging, sys

class Context:
    function_name = "crm-mcp"
    aws_request_id = "5f3c6c1e-0c3e-4a57-9d1d-1c0a1b2c3d4e"
    def get_remaining_time_in_millis(self):
        return 30_000

class Missing:
    # Last on sys.meta_path: asked only for what no other finder found.
    names = []
    def find_spec(self, name, path=None, target=None):
        self.names.append(name)

sys.meta_path.append(Missing())
import handler

events = json.load(sys.stdin)
answers = [handler.handler(event, Context()) for event in events]
try:
    raise ValueError("logged on purpose")
except ValueError:
    logging.getLogger("fastmcp.test").exception("an exception FastMCP logs")
import adaptgen, pydantic_core
print(json.dumps({
    "sys_path": sys.path,
    "modules": {"adaptgen": adaptgen.__file__, "pydantic_core": pydantic_core.__file__},
    "loaded": sorted(name for name in sys.modules if not name.startswith("_")),
    "missing": sorted(set(Missing.names)),
    "answers": answers,
}))
"""
# Imports the code in the zip tries and survives without, that the zip leaves out on purpose
# (adaptgen.ship.contents); any other import that finds nothing is a cut too many.
# `backports` is a namespace here (backports.tarfile, for keyring) in which httpx2 looks for
# backports.zstd, which nothing installs.
CUT_ON_PURPOSE = {"pygments", "watchfiles", "yaml._yaml", "backports"}


def run_unpacked(task: Path, events: list[dict]) -> subprocess.CompletedProcess[str]:
    """The unpacked zip in `task` answers `events` through handler.py, run by an interpreter
    that sees only that folder and the standard library (LAMBDA_RUNNER); it must exit 0."""
    # Only what the function needs: the server's settings, nothing naming the venv, and no
    # CRM_POLICY: the policy packaged as policy.yaml applies.
    env = {k: v for k, v in os.environ.items() if k.startswith(("CRM_", "GOV_"))}
    env.pop("CRM_POLICY", None)
    home = task.parent
    env.update(PYTHONPATH=str(task), HOME=str(home), PATH="/usr/bin:/bin", LANG="C.UTF-8")
    python = getattr(sys, "_base_executable", sys.executable)  # not the venv's
    result = subprocess.run(
        [python, "-S", "-s", "-c", LAMBDA_RUNNER],  # -S: no site, so no site-packages
        input=json.dumps(events),
        env=env,
        cwd=task,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def package(server: Path, out: Path, *options: str) -> str:
    """`adaptgen package` through the CLI; its stdout."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["package", str(server), "--out", str(out), *options]) == 0
    return stdout.getvalue()


@pytest.fixture(scope="module")
def crm_server(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["build", str(ROOT / "specs" / "crm.yaml"), "--out", str(out), "-q"]) == 0
    return out / "crm"


@pytest.fixture(scope="module")
def shipped_policy(tmp_path_factory) -> Path:
    """The governance policy the zip ships (`--policy`); its audit file is written beside it."""
    return policy(tmp_path_factory.mktemp("policy"))


@pytest.fixture(scope="module")
def crm_zip(crm_server, shipped_policy, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist") / "crm.zip"
    return out, package(crm_server, out, "--policy", str(shipped_policy), "--explain")


def test_report_names_the_zip_sizes_and_target(crm_zip):
    path, stdout = crm_zip
    # --explain: each distribution in or out, with its size and why.
    assert "  in the zip:" in stdout and "  left out:" in stdout
    assert "fastmcp: adaptgen's requirement" in stdout
    assert "botocore: provided by the Lambda runtime" in stdout
    assert "cedarpy: only for Cedar access policies" in stdout
    assert stdout.splitlines()[0] == str(path)
    assert f"runtime {THIS.runtime}, arch {THIS.arch}" in stdout
    assert " MB zipped, " in stdout and " MB unpacked (Lambda allows 250 MB)" in stdout
    assert f"sha256: {hashlib.sha256(path.read_bytes()).hexdigest()}" in stdout


def test_zip_serves_mcp_from_a_clean_interpreter(crm_zip, shipped_policy, tmp_path):
    """Function URL events through the real handler.py, with only the zip on sys.path."""
    path, _ = crm_zip
    task = tmp_path / "task"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(task)
    with governed_crm(tmp_path) as sandbox:
        token = mint(["sales"])
        headers = {"authorization": f"Bearer {token}", "mcp-protocol-version": "2025-06-18"}
        calls = [
            INITIALIZE,
            rpc("tools/list", ident=2),
            rpc("tools/call", {"name": "list_contacts", "arguments": {"limit": 2}}, 3),
        ]
        result = run_unpacked(task, [function_url_event(body, headers) for body in calls])
        logins = [r for r in sandbox.request_log if r["path"].endswith("/auth/login")]
    report = json.loads(result.stdout)

    stdlib = Path(sys.base_prefix).resolve()
    for entry in report["sys_path"]:
        where = Path(entry or task).resolve()
        assert where == task.resolve() or where.is_relative_to(stdlib), entry
        assert "site-packages" not in entry and ".venv" not in entry, entry
    for module in report["modules"].values():
        assert Path(module).resolve().is_relative_to(task.resolve()), module

    # Serving imports nothing of the builder (the import graph the zip was cut by), and nothing
    # it looks for is missing from the zip that this (complete) environment has.
    loaded = report["loaded"]
    print("LOADED-TOPS", sorted({name.split(".")[0] for name in loaded}))
    print("MISSING", report["missing"])
    cut = {name for name in report["missing"] if importlib.util.find_spec(name) is not None}
    assert cut <= CUT_ON_PURPOSE, cut - CUT_ON_PURPOSE
    # FastMCP logs exceptions as plain tracebacks there (rich's need pygments).
    assert "ValueError: logged on purpose" in result.stderr
    assert "Logging error" not in result.stderr, result.stderr[-3000:]
    for builder in ("adaptgen.plan", "adaptgen.load", "adaptgen.render", "jinja2", "cyclopts"):
        assert builder not in loaded, builder
    statuses = [answer["statusCode"] for answer in report["answers"]]
    assert statuses == [200, 200, 200], report["answers"]
    initialize, listed, called = (json.loads(answer["body"]) for answer in report["answers"])
    assert initialize["result"]["serverInfo"]["name"] == "Acme Legacy CRM API"
    names = {tool["name"] for tool in listed["result"]["tools"]}
    assert {"list_contacts", "get_contact"} <= names
    assert not called["result"].get("isError"), called
    assert len(result_data(called["result"]["content"][0]["text"])["items"]) == 2
    assert len(logins) == 1  # the zip's code logged in to the upstream CRM itself
    audited = (shipped_policy.parent / "audit.jsonl").read_text().splitlines()
    assert json.loads(audited[-1])["tool"] == "list_contacts"  # the packaged policy's sink


def test_a_broken_policy_fails_before_packaging(crm_server, tmp_path, capsys):
    broken = tmp_path / "policy.yaml"
    broken.write_text("identity:\n  jwt: {issuer: x}\naccess: [\n")
    out = tmp_path / "never.zip"
    assert main(["package", str(crm_server), "--out", str(out), "--policy", str(broken)]) == 2
    assert f"{broken}:" in capsys.readouterr().err and not out.exists()


def test_zip_holds_the_server_and_runtime_and_no_build_tools(crm_zip):
    path, _ = crm_zip
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {"server.py", "catalog.json", "handler.py", "policy.yaml"} <= set(names)
    assert {"adaptgen", "fastmcp", "mangum", "pydantic_core"} <= tops
    assert "adaptgen/runtime/aws_lambda.py" in names
    # Runtime only: what the Lambda runtime has (boto3), what this policy does not use (Cedar,
    # Redis, trace export) and what only builds or serves locally stay out.
    for absent in ("boto3", "botocore", "cedarpy", "redis", "jinja2", "cyclopts", "uvloop"):
        assert absent not in tops, absent
    for builder in ("cli.py", "render/", "ship/", "sandbox/", "readiness/"):
        assert not [name for name in names if name.startswith(f"adaptgen/{builder}")], builder
    # The CRM lists its tools (no search index): the search models and numpy stay out.
    assert "adaptgen/search/rank.py" in names and "adaptgen/search/meaning.bin" not in names
    assert "adaptgen/search/sentence-encoder.safetensors" not in names and "numpy" not in tops
    assert "adaptgen/search/request-memory.safetensors" not in names
    for tool in ("pip", "setuptools", "wheel", "ruff", "_distutils_hack", "bin"):
        assert tool not in tops, tool
    assert not [name for name in tops if name.startswith(("ruff-", "pip-", "setuptools-"))]
    assert not [name for name in names if name.endswith("/direct_url.json")]
    # Bytecode for the target Python only, named for /var/task (not this machine's folders):
    # adaptgen and the server beside their sources, the dependencies sourceless.
    tag = f"cpython-{THIS.python_version.replace('.', '')}"
    cached = [name for name in names if "__pycache__/" in name]
    assert cached and all(f".{tag}." in name for name in cached)
    assert {name.split("/", 1)[0] for name in cached} == {"adaptgen", "__pycache__"}
    assert {"handler.py", f"__pycache__/handler.{tag}.pyc", "fastmcp/__init__.pyc"} <= set(names)
    sources = [n for n in names if n.endswith(".py") and "/" in n and n[:9] != "adaptgen/"]
    assert not sources, sources[:5]
    with zipfile.ZipFile(path) as archive:
        compiled = archive.read(f"adaptgen/__pycache__/__init__.{tag}.pyc")
        sourceless = archive.read("mangum/adapter.pyc")
        record = archive.read("adaptgen-0.1.0.dist-info/RECORD").decode()
    assert f"{LAMBDA_TASK_ROOT}/adaptgen/__init__.py".encode() in compiled
    assert f"{LAMBDA_TASK_ROOT}/mangum/adapter.py".encode() in sourceless
    # No column tables (-X no_debug_ranges): they were a fifth of the zip.
    code = marshal.loads(sourceless[16:])
    assert all(column is None for _, _, column, _ in code.co_positions())
    assert all(line.split(",")[0] in names for line in record.splitlines())


def test_build_tools_among_adaptgens_requirements_stay_out(tmp_path):
    wheel = tmp_path / "adaptgen-0.1.0-py3-none-any.whl"
    metadata = "\n".join(
        [
            "Metadata-Version: 2.4",
            "Name: adaptgen",
            "Requires-Dist: fastmcp==4.1.2",
            "Requires-Dist: ruff==0.17.6",
            'Requires-Dist: pytest>=8; extra == "dev"',
            'Requires-Dist: tomli>=2; python_version < "3.11"',
        ]
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("adaptgen-0.1.0.dist-info/METADATA", metadata)
    assert runtime_requirements(wheel) == ["fastmcp==4.1.2", 'tomli>=2; python_version < "3.11"']


def test_zip_is_deterministic(crm_server, crm_zip, shipped_policy, tmp_path):
    path, _ = crm_zip
    again = tmp_path / "again.zip"
    package(crm_server, again, "--policy", str(shipped_policy))
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest()
    with zipfile.ZipFile(again) as archive:
        entries = archive.infolist()
    assert [e.filename for e in entries] == sorted(e.filename for e in entries)
    assert {e.date_time for e in entries} == {ZIP_TIMESTAMP}
    assert {e.external_attr >> 16 for e in entries} == {ZIP_FILE_MODE}


def test_other_architecture_gets_its_own_wheels(crm_server, tmp_path):
    out = tmp_path / "other.zip"
    stdout = package(crm_server, out, "--arch", OTHER_ARCH)
    assert f"arch {OTHER_ARCH}" in stdout
    machine = "aarch64" if OTHER_ARCH == "arm64" else "x86_64"
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        (core,) = [n for n in names if n.startswith("pydantic_core/_pydantic_core.")]
        assert f"-{machine}-linux-gnu.so" in core
        rust = archive.read("cryptography/hazmat/bindings/_rust.abi3.so")
    assert rust[:4] == b"\x7fELF"
    assert int.from_bytes(rust[18:20], "little") == ELF_MACHINE[OTHER_ARCH]


@pytest.mark.parametrize("missing", ["server.py", "catalog.json", "handler.py"])
def test_a_folder_that_is_not_a_generated_server_exits_2(crm_server, tmp_path, capsys, missing):
    folder = tmp_path / "crm"
    folder.mkdir()
    for name in ("server.py", "catalog.json", "handler.py"):
        if name != missing:
            (folder / name).write_bytes((crm_server / name).read_bytes())
    assert main(["package", str(folder), "--out", str(tmp_path / "x.zip")]) == 2
    assert f"no {missing}" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
    assert main(["package", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_over_lambdas_unpacked_limit_fails_naming_the_largest(tmp_path):
    (tmp_path / "botocore").mkdir()
    (tmp_path / "botocore" / "data.json").write_bytes(b"x" * 3 * 1024 * 1024)
    (tmp_path / "handler.py").write_text("handler = None\n")
    assert check_unpacked_size(tmp_path, limit=4 * 1024 * 1024)[1] == 2
    with pytest.raises(BuildError, match=r"3\.0 MB unpacked, over Lambda's 2 MB limit"):
        check_unpacked_size(tmp_path, limit=2 * 1024 * 1024)
    with pytest.raises(BuildError, match=r"largest: botocore 3\.0 MB, handler\.py 0\.0 MB"):
        check_unpacked_size(tmp_path, limit=2 * 1024 * 1024)


def test_a_search_mode_zip_ships_the_encoder_and_numpy_and_searches_by_meaning(
    shipped_policy, tmp_path
):
    """A server in search mode (its index holds the sentence encoder's vectors, the default)
    ships numpy, the encoder and the word table (its English words correct typos), and its
    `search_tools` runs the encoder from the unpacked zip in a clean interpreter."""
    hints = tmp_path / "crm.hints.yaml"
    hints.write_text("search: {mode: search}\n")
    built = tmp_path / "build"
    spec = str(ROOT / "specs" / "crm.yaml")
    assert main(["build", spec, "--hints", str(hints), "--out", str(built), "-q"]) == 0
    assert '"semantic": ' in (built / "crm" / "search_index.json").read_text()
    out = tmp_path / "crm-search.zip"
    stdout = package(built / "crm", out, "--policy", str(shipped_policy), "--explain")
    assert "numpy: adaptgen's requirement" in stdout
    task = tmp_path / "task"
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        archive.extractall(task)
    assert {"adaptgen/search/sentence-encoder.safetensors", "adaptgen/search/meaning.bin"} <= names
    assert "adaptgen/search/request-memory.safetensors" not in names  # read by builds only
    assert "search_index.json" in names
    with governed_crm(tmp_path) as _:
        token = mint(["sales"])
        headers = {"authorization": f"Bearer {token}", "mcp-protocol-version": "2025-06-18"}
        query = {"query": "push the Acme deal forward to the next stage of the pipeline"}
        calls = [INITIALIZE, rpc("tools/call", {"name": "search_tools", "arguments": query}, 2)]
        result = run_unpacked(task, [function_url_event(body, headers) for body in calls])
    report = json.loads(result.stdout)
    assert "numpy" in report["loaded"] and "adaptgen.search.sentence_model" in report["loaded"]
    assert "searching by words only" not in result.stderr
    _, found = (json.loads(answer["body"]) for answer in report["answers"])
    hits = result_data(found["result"]["content"][0]["text"])
    assert hits[0]["name"] == "update_deal_stage"
