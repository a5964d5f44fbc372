"""The generated code type-checks (mypy --strict) against the runtime it imports.

Generated servers call `adaptgen.runtime` with the catalog's parameter types; a runtime change
that breaks a call's types (a renamed keyword, a narrowed parameter) or a template change that
writes an ill-typed signature fails here. Imported modules are read for their types only
(`--follow-imports=silent`): this checks the generated files, not adaptgen's own code.
One mypy run per folder, since every folder holds a module named `server`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytest.importorskip("mypy", reason="mypy is a dev extra: pip install -e '.[dev]'")

FOLDERS = [
    ROOT / "generated" / "crm",
    ROOT / "tests" / "golden" / "petstore_arazzo" / "generated",
    ROOT / "tests" / "golden" / "hubspot_search" / "generated",
]


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: the first run reads FastMCP's types, the others reuse them."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_generated_code_type_checks(folder: Path, mypy_cache: Path):
    files = [folder / "server.py", folder / "handler.py"]
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"]
    command += ["--cache-dir", str(mypy_cache), "--no-color-output", *map(str, files)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
