"""`adaptgen check`: is the committed `generated/<name>/` what the spec builds to today?

CI runs it after a spec (or its hints, overlays, Arazzo workflows, or adaptgen itself) changes:
exit 0 when the folder is fresh, exit 1 with a unified diff of every stale, missing or extra
file when it is not, exit 2 for bad input. Nothing is written: the build happens in memory, the
same pure function of its inputs `adaptgen build` writes to disk.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from adaptgen.build import BuildOptions, generate
from adaptgen.search import INDEX_FILE

__all__ = ["Drift", "find_drift", "run_check"]

IGNORED_DIRS = {"__pycache__"}  # written by Python when the server is imported, never by us


class Drift:
    """One file whose committed text differs from what the build makes now."""

    def __init__(self, name: str, committed: str | None, built: str | None) -> None:
        self.name = name
        self.committed = committed  # None: the file is missing from the folder
        self.built = built  # None: the build no longer makes this file

    @property
    def status(self) -> str:
        if self.committed is None:
            return "missing"
        if self.built is None:
            return "extra"
        return "stale"

    def unified_diff(self, folder: Path) -> Iterator[str]:
        """The change `adaptgen build` would make to this file, as `git diff` shows it."""
        path = (folder / self.name).as_posix()
        yield from difflib.unified_diff(
            (self.committed or "").splitlines(keepends=True),
            (self.built or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if self.committed is not None else "/dev/null",
            tofile=f"b/{path}" if self.built is not None else "/dev/null",
        )


def find_drift(folder: Path, files: dict[str, str]) -> list[Drift]:
    """Every difference between `folder` on disk and the freshly built `files`, by file name."""
    committed: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not IGNORED_DIRS.intersection(relative.parts[:-1]):
                committed[relative.as_posix()] = _read(path)
    drift = []
    for name in sorted(set(committed) | set(files)):
        old, new = committed.get(name), files.get(name)
        if old != new and not _same_search_index(name, old, new):
            drift.append(Drift(name, old, new))
    return drift


def _same_search_index(name: str, old: str | None, new: str | None) -> bool:
    """A search index built on another machine is fresh when only its opt-in sentence-model
    vectors moved by a rounding step (`search.index.same_index`)."""
    if name != INDEX_FILE or old is None or new is None:
        return False
    from adaptgen.search.index import same_index

    return same_index(old, new)


def _read(path: Path) -> str:
    try:
        # newline="" keeps CRLF as CRLF: a checkout that rewrote line endings is drift too.
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError:
        return f"<binary file, {path.stat().st_size} bytes>\n"


def run_check(
    options: BuildOptions, *, rebuild: str, quiet: bool = False, out: TextIO | None = None
) -> int:
    """The `adaptgen check` verdict: 0 fresh, 1 stale (diff printed), 2 bad input (raised).

    `rebuild` is the command that would regenerate the folder, for the message.
    """
    out = out or sys.stdout
    report = generate(options)
    folder = report.out_dir
    drift = find_drift(folder, report.files)
    if not drift:
        print(f"{folder.as_posix()} is up to date with {options.spec}", file=out)
        return 0
    if not quiet:
        for item in drift:
            out.writelines(_terminated(item.unified_diff(folder)))
    summary = ", ".join(f"{item.name} ({item.status})" for item in drift)
    print(
        f"adaptgen: {folder.as_posix()} is stale: {summary}\n"
        f"Regenerate it with `{rebuild}` and commit the result.",
        file=sys.stderr,
    )
    return 1


def _terminated(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
