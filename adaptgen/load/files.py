"""Reading input files safely: regular files only, bounded in size, confined to a folder.

A spec reached through a `$ref` is untrusted (CI runs `adaptgen check` on pull requests), so
nothing it names may make the build read a device (`/dev/zero`), block on a FIFO, or pull in a
file outside the folder the user gave (`/etc/passwd`, `../../secret.yaml`) and copy it into
generated code.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024  # the largest real specs are ~10 MB
_CHUNK = 1024 * 1024


class FileRefused(Exception):
    """A file that must not be read; the message says why, in words for the user."""


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at `path`, refusing devices, FIFOs, sockets and big files.

    The file is opened without blocking (a FIFO with no writer would hang `open`) and checked
    on the open descriptor, so what is checked is what is read. OSErrors propagate.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("not a regular file (devices, FIFOs and sockets are never read)")
        if info.st_size > limit:
            raise FileRefused(too_big(limit))
        chunks: list[bytes] = []
        size = 0
        # The size may grow while reading: read at most one byte past the limit to notice.
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileRefused(too_big(limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def too_big(limit: int = MAX_FILE_BYTES) -> str:
    """The message for content over `limit` bytes."""
    return f"file is larger than the {limit // (1024 * 1024)} MB limit for spec files"


def confined(path: Path, root: Path) -> Path:
    """`path` with symlinks resolved, if it is inside `root`; else `FileRefused`.

    Resolving first means a symlink inside `root` pointing outside it is refused too.
    """
    resolved = path.resolve()
    real_root = root.resolve()
    if not resolved.is_relative_to(real_root):
        raise FileRefused(
            f"outside the folder $refs may read ({_shown(real_root)}); "
            "pass --ref-root DIR to widen it"
        )
    return resolved


def _shown(folder: Path) -> str:
    try:
        return str(folder.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(folder)
