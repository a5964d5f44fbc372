"""Progress of long commands: drawn on a terminal's stderr, never into pipes or CI logs."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "crm.yaml"


def build_on(tmp_path: Path, *, terminal: bool, ci: bool = False) -> tuple[int, str, str]:
    """Run `adaptgen build` with stderr on a pseudo-terminal (or a pipe); (rc, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "120"
    if ci:
        env["CI"] = "true"
    command = [sys.executable, "-m", "adaptgen", "build", str(SPEC), "--out", str(tmp_path)]
    if not terminal:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    stdout = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=300)
    return process.returncode, stdout, seen.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_sees_each_step_of_the_build(tmp_path):
    rc, stdout, stderr = build_on(tmp_path, terminal=True)
    assert rc == 0, stderr
    for step in ("reading crm.yaml", "planning tools", "rendering the server", "formatting it"):
        assert step in stderr
    assert "planning tools" not in stdout  # the report stays clean
    assert "tools" in stdout


@pytest.mark.parametrize(("terminal", "ci"), [(False, False), (True, True)])
def test_pipes_and_ci_logs_get_no_progress(tmp_path, terminal, ci):
    rc, _, stderr = build_on(tmp_path, terminal=terminal, ci=ci)
    assert rc == 0, stderr
    assert "reading crm.yaml" not in stderr
    assert "planning tools" not in stderr
    assert "\x1b[" not in stderr  # no terminal control codes either


def test_packaging_steps_stay_out_of_pipes_and_ci_logs(capsys, monkeypatch):
    from adaptgen.ship.package import show_progress

    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

        def flush(self) -> None:
            pass

    show_progress("installing adaptgen")  # stderr captured: a pipe
    assert capsys.readouterr().err == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    show_progress("installing adaptgen")
    assert "installing adaptgen" in terminal.text
    monkeypatch.setenv("CI", "true")
    show_progress("writing the zip")
    assert "writing the zip" not in terminal.text
