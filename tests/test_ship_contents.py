"""What goes into a Lambda zip (adaptgen/ship/contents.py), on a `pip install --target` folder
made here: distributions with METADATA and RECORD, and an adaptgen package of a few modules."""

from __future__ import annotations

from pathlib import Path

import yaml

from adaptgen.runtime.governance.policy import load_policy
from adaptgen.ship.contents import needed_features, select

LINUX = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
}


def dist(staging: Path, name: str, *requires: str, files: dict[str, str] | None = None) -> None:
    """An installed distribution: its files, METADATA with `requires`, and a RECORD."""
    files = files or {f"{name.replace('-', '_')}/__init__.py": "x = 1\n"}
    info = staging / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    for relative, text in files.items():
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).write_text(text)
    record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in record))


def staging_with_adaptgen(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    adaptgen = {
        "adaptgen/__init__.py": "",
        "adaptgen/runtime/__init__.py": "from adaptgen.runtime.server import serve\n",
        "adaptgen/runtime/server.py": (
            "from typing import TYPE_CHECKING\nfrom adaptgen.words import did_you_mean\n"
            "if TYPE_CHECKING:\n    from adaptgen.plan import Plan\n"
            "def serve():\n    from adaptgen.search.rank import SearchEngine\n"
        ),
        "adaptgen/words.py": "",
        "adaptgen/search/__init__.py": "",
        "adaptgen/search/rank.py": "import json\n",
        "adaptgen/search/index.py": "from adaptgen.plan import Plan\n",
        "adaptgen/plan/__init__.py": "from adaptgen.load import load\n",
        "adaptgen/load/__init__.py": "",
        "adaptgen/cli.py": "from adaptgen.build import build\n",
        "adaptgen/build.py": "",
    }
    dist(staging, "adaptgen", "fastmcp==4.1.2", "jinja2>=3", "boto3>=1", files=adaptgen)
    dist(staging, "fastmcp", "fastmcp-slim[server]==4.1.2")
    dist(
        staging,
        "fastmcp-slim",
        "rich",
        'cyclopts>=4; extra == "server"',
        'httpx2; extra == "server"',
    )
    dist(staging, "rich", "typing-extensions")
    dist(staging, "typing-extensions")
    dist(staging, "httpx2", 'uvloop; sys_platform == "win32"')
    dist(staging, "cyclopts", "rich-rst", "rich")
    dist(staging, "rich-rst", "docstring-parser")
    dist(staging, "docstring-parser")
    dist(staging, "jinja2", "markupsafe")
    dist(staging, "markupsafe")
    dist(staging, "boto3", "botocore", "s3transfer")
    dist(staging, "botocore", "urllib3")
    dist(staging, "s3transfer", "botocore")
    dist(staging, "urllib3")
    dist(staging, "cedarpy")
    return staging


ROOTS = ["fastmcp==4.1.2", "jinja2>=3", "boto3>=1", "cedarpy>=4"]


def installed(staging: Path) -> set[str]:
    return {info.name.split("-")[0] for info in staging.glob("*.dist-info")}


def test_the_runtime_closure_stays_and_the_rest_goes(tmp_path):
    staging = staging_with_adaptgen(tmp_path)
    contents = select(staging, ROOTS, LINUX)
    assert installed(staging) == {
        "adaptgen",
        "fastmcp",
        "fastmcp_slim",
        "rich",
        "typing_extensions",
        "httpx2",
    }
    # The dropped ones are gone from disk, and each says why.
    assert not (staging / "cyclopts").exists() and not (staging / "botocore").exists()
    assert "FastMCP's command line" in contents.dropped["cyclopts"][1]
    assert "only needed by what is left out (cyclopts)" in contents.dropped["rich-rst"][1]
    assert "Lambda runtime" in contents.dropped["boto3"][1]
    assert "Cedar" in contents.dropped["cedarpy"][1]
    assert contents.kept["typing-extensions"][1] == "required by rich"
    # A marker for another platform (uvloop on win32) is not followed; nothing installed it.
    assert "uvloop" not in contents.kept
    # adaptgen: what the runtime imports (in functions too), not TYPE_CHECKING-only imports.
    left = sorted(str(p.relative_to(staging)) for p in (staging / "adaptgen").rglob("*.py"))
    assert left == [
        "adaptgen/__init__.py",
        "adaptgen/runtime/__init__.py",
        "adaptgen/runtime/server.py",
        "adaptgen/search/__init__.py",
        "adaptgen/search/rank.py",
        "adaptgen/words.py",
    ]
    assert contents.modules_dropped == ["build", "cli", "load", "plan"]
    assert "adaptgen modules left out" in contents.explain()


def test_bundle_boto3_and_a_policys_features_bring_theirs_back(tmp_path):
    staging = staging_with_adaptgen(tmp_path)
    select(staging, ROOTS, LINUX, features={"cedar"}, bundle_boto3=True)
    assert {"boto3", "botocore", "s3transfer", "urllib3", "cedarpy"} <= installed(staging)
    assert "cyclopts" not in installed(staging)


def test_a_policy_names_the_features_it_uses(tmp_path):
    (tmp_path / "rules.cedar").write_text("permit(principal, action, resource);\n")
    document = {
        "identity": {"allow_anonymous": True},
        "access": {"rules": [{"allow": ["*"]}], "cedar": {"policies": "rules.cedar"}},
        "rate_limits": {"backend": "redis", "redis_url": "redis://127.0.0.1:6379/0"},
        "tracing": {"exporter": "otlp", "endpoint": "http://127.0.0.1:4318/v1/traces"},
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    assert needed_features(load_policy(path)) == {"cedar", "redis", "otel"}
    assert needed_features(None) == set()


def test_parts_a_server_never_imports_leave_kept_distributions(tmp_path):
    staging = staging_with_adaptgen(tmp_path)
    yaml_files = {
        "yaml/__init__.py": "",
        "yaml/cyaml.py": "from yaml._yaml import CParser\n",
        "yaml/_yaml.cpython-312-x86_64-linux-gnu.so": "ELF",
        "_yaml/__init__.py": "",
    }
    dist(staging, "PyYAML", files=yaml_files)
    contents = select(staging, [*ROOTS, "pyyaml>=6"], LINUX)
    assert (staging / "yaml" / "cyaml.py").is_file()  # yaml itself stays, its C loader goes
    assert not list((staging / "yaml").glob("_yaml.*")) and not (staging / "_yaml").exists()
    size, why = contents.parts_dropped["pyyaml: yaml/_yaml.*, _yaml"]
    assert size == 3 and "yaml.safe_load" in why
    assert "pyyaml: yaml/_yaml.*, _yaml: PyYAML's C loader" in contents.explain()


def test_the_proxys_upstream_client_ships_only_with_the_proxy(tmp_path):
    for features, shipped in (((), False), (("proxy",), True)):
        staging = staging_with_adaptgen(tmp_path / str(shipped))
        dist(staging, "httptools")
        contents = select(staging, [*ROOTS, "httptools>=0.6"], LINUX, features=features)
        assert ("httptools" in installed(staging)) is shipped
        assert shipped or "adaptgen proxy" in contents.dropped["httptools"][1]


def test_the_word_table_ships_only_with_a_server_whose_index_uses_it(tmp_path):
    from adaptgen.ship.contents import Contents, drop_search_models

    def shipped(index: str | None, server: bool = True) -> tuple[bool, Contents]:
        staging = tmp_path / "staging"
        table = staging / "adaptgen" / "search" / "meaning.bin"
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_bytes(b"x" * 1000)
        folder = tmp_path / "server"
        folder.mkdir(exist_ok=True)
        (folder / "search_index.json").unlink(missing_ok=True)
        if index is not None:
            (folder / "search_index.json").write_text(index)
        contents = Contents(kept={"adaptgen": (5000, "the server's runtime")})
        drop_search_models(staging, folder if server else None, contents)
        return table.is_file(), contents

    with_meaning = '{"format": 1, "tools": [\n  {"name": "a", "meaning": "QH8="}\n]}\n'
    words_only = '{"format": 1, "tools": [\n  {"name": "a"}\n]}\n'
    assert shipped(with_meaning)[0]
    for index, server in ((words_only, True), (None, True), (with_meaning, False)):
        kept, contents = shipped(index, server)
        assert not kept
        assert contents.parts_dropped["adaptgen: search/meaning.bin"][0] == 1000
        assert contents.kept["adaptgen"][0] == 4000
        assert "search/meaning.bin" in contents.explain()
