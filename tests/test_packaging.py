"""The wheel ships the templates, and an installed adaptgen builds without the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_ships_templates_and_builds_from_a_clean_venv(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("adaptgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "adaptgen/templates/server.py.j2" in names
    assert "adaptgen/templates/README.md.j2" in names
    # Search ranks by meaning with the shipped word table, and its licence goes with it.
    assert {"adaptgen/search/meaning.bin", "adaptgen/search/MEANING-LICENSE.md"} <= set(names)
    # Unpacked by pip into its own folder that shadows the editable checkout, and run from a
    # folder without the checkout: the templates must come from the wheel.
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "api.yaml").write_text((ROOT / "specs" / "crm.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", "import adaptgen.render as r; print(r.templates_dir())"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(site / "adaptgen" / "templates")
    subprocess.run(
        [sys.executable, "-m", "adaptgen", "build", "api.yaml", "-q"], cwd=work, env=env, check=True
    )
    assert (work / "generated" / "api" / "server.py").is_file()
