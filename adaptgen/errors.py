"""Errors and warnings that carry a place in the user's files.

Users see `file:line:col: message` (and the JSON pointer where it helps), never a traceback.
Exit codes: 2 for bad usage or bad input, 1 for a build that failed for another reason.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """Where something is in a spec or hints file: a file, maybe a line/column, maybe a pointer."""

    file: str
    line: int | None = None
    col: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        if self.pointer is not None:
            text += f" (#{self.pointer})"
        return text


class AdaptgenError(Exception):
    """Base of errors the CLI reports as a message with an exit code."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InputError(AdaptgenError):
    """The user's input (spec, hints, arguments) is wrong: exit code 2."""

    exit_code = 2


class BuildError(AdaptgenError):
    """The build could not finish for a reason other than bad input: exit code 1."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class BuildWarning:
    """A problem the build worked around; collected and shown in the build report."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
