"""Running `adaptgen` on hostile input in a child process, under a memory and time guard.

A hostile spec must end in exit 0 or 2; on the code before the fixes some hung (a FIFO),
grew without bound (an alias bomb, /dev/zero) or crashed the interpreter (deep YAML), so the
tests run the build where those outcomes are observed rather than suffered.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the child: enough for any sane build
TIME_LIMIT = 60  # seconds; a safety guard, not a speed assertion


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_adaptgen(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`adaptgen ARGS` in `cwd` with bounded memory; TimeoutExpired when it hangs."""
    return subprocess.run(
        [sys.executable, "-m", "adaptgen", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limit_memory,  # noqa: PLW1509 - no threads are started before the fork
        check=False,
    )


def assert_input_error(done: subprocess.CompletedProcess[str], where: str, *words: str) -> str:
    """Exit 2, one located `adaptgen: error:` line naming `where` and `words`, no traceback."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"adaptgen: error: {where}"), done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    return done.stderr


def spec_text(**operation: object) -> str:
    """A minimal OAS 3.0 spec in YAML with one `GET /things` operation made of `operation`."""
    op = {"operationId": "listThings", "responses": {"200": {"description": "ok"}}, **operation}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": "https://things.example/v1"}],
        "paths": {"/things": {"get": op}},
    }
    return yaml.safe_dump(document, sort_keys=False)


def write(path: Path, text: str) -> Path:
    """Write dedented `text` to `path` (parents made) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
