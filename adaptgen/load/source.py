"""Reading YAML/JSON files and mapping JSON pointers back to `line:col` in the text.

Parsing is done with the fast loaders. A YAML file is read in one pass that also keeps every
value's position (`yaml_events`); a JSON file's positions are only worked out when a message
needs one, so a 3 MB spec with no problems pays nothing for them.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from adaptgen.errors import InputError, Location
from adaptgen.load import limits
from adaptgen.load.files import FileRefused, read_bounded
from adaptgen.load.yaml_events import YamlMarks, read_marks, read_yaml

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader closer to YAML 1.2, as OpenAPI documents expect.

    Timestamps stay strings (an unquoted `2020-01-01` example must not become a date object)
    and only true/false are booleans (`on`, `no`, `y` stay strings).
    """


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in {"tag:yaml.org,2002:timestamp"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in list(SpecLoader.yaml_implicit_resolvers):
    SpecLoader.yaml_implicit_resolvers[_first] = [
        (tag, rx)
        for tag, rx in SpecLoader.yaml_implicit_resolvers[_first]
        if tag != "tag:yaml.org,2002:bool"
    ]
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _bool(loader: Any, node: yaml.Node) -> bool:
    return loader.construct_scalar(node).lower() == "true"


SpecLoader.add_constructor("tag:yaml.org,2002:bool", _bool)


def escape_pointer_token(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    """Undo `escape_pointer_token`."""
    return token.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer: str) -> list[str]:
    """Split `/a/b~1c` into `["a", "b/c"]`; the empty pointer is the whole document."""
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape_pointer_token(t) for t in pointer[1:].split("/")]


def join_pointer(*tokens: str | int) -> str:
    """Build a JSON pointer from reference tokens."""
    return "".join("/" + escape_pointer_token(str(t)) for t in tokens)


@dataclass
class SourceFile:
    """One parsed spec or hints file: its data plus a lazy pointer -> position index."""

    path: Path
    text: str
    data: Any
    kind: str  # "json" or "yaml"
    url: str | None = None  # where a remote document was fetched from
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _offsets: dict[str, int] = field(default_factory=dict, repr=False)
    # Per JSON container: where its scan stopped (offset of the next member, its index), so a
    # later sibling is found by resuming there: locating every operation of a 3 MB spec is
    # then one pass, not one pass per operation.
    _resume: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    # A YAML file's positions, kept by the pass that parsed it (read again only if missing).
    yaml_marks: YamlMarks | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The path as users should see it in messages."""
        return _display_path(self.path)

    def location(self, pointer: str | None = None) -> Location:
        """The file, line and column of the value at `pointer` (nearest ancestor if absent)."""
        if pointer is None:
            return Location(self.display)
        line_col = self._locate(pointer)
        if line_col is None:
            return Location(self.display, pointer=pointer)
        return Location(self.display, line_col[0], line_col[1], pointer)

    def _locate(self, pointer: str) -> tuple[int, int] | None:
        try:
            tokens = split_pointer(pointer)
        except ValueError:
            return None
        if len(tokens) >= 2 and tokens[0] == "paths" and self._locate_exact(tokens[:2]) is None:
            tokens = ["x-ms-paths", *tokens[1:]]  # AutoRest's, read as paths (`load_spec`)
        # Walk up until some ancestor is found: a pointer made after conversion may not exist.
        for n in range(len(tokens), -1, -1):
            found = self._locate_exact(tokens[:n])
            if found is not None:
                return found
        return None

    def _locate_exact(self, tokens: list[str]) -> tuple[int, int] | None:
        if self.kind == "yaml":
            if self.yaml_marks is None:
                self.yaml_marks = _marks_of(self.text)
            return self.yaml_marks.find(tokens)
        offset = self._json_offset(tokens)
        return None if offset is None else self._line_col(offset)

    def _line_col(self, offset: int) -> tuple[int, int]:
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _json_offset(self, tokens: list[str]) -> int | None:
        # Descend from the deepest cached ancestor, caching every sibling passed on the way.
        depth = len(tokens)
        while depth > 0 and join_pointer(*tokens[:depth]) not in self._offsets:
            depth -= 1
        if depth == 0:
            offset = _skip_ws(self.text, 0)
            self._offsets[""] = offset
        else:
            offset = self._offsets[join_pointer(*tokens[:depth])]
        for i in range(depth, len(tokens)):
            offset = _json_child_offset(
                self.text, offset, tokens[: i + 1], self._offsets, self._resume
            )
            if offset is None:
                return None
        return offset


_WS = re.compile(r"[ \t\r\n]*")
_decoder = json.JSONDecoder()


def _skip_ws(text: str, idx: int) -> int:
    return _WS.match(text, idx).end()  # type: ignore[union-attr]


def _json_child_offset(
    text: str,
    offset: int,
    tokens: list[str],
    cache: dict[str, int],
    resume: dict[str, tuple[int, int]],
) -> int | None:
    parent = join_pointer(*tokens[:-1])
    target = tokens[-1]
    if offset >= len(text) or text[offset] not in "{[":
        return None
    is_object = text[offset] == "{"
    if not is_object and not target.isdigit():
        return None
    # Members before the resume point are all in `cache` already: the target is not among them.
    idx, n = resume.get(parent, (_skip_ws(text, offset + 1), 0))
    close = "}" if is_object else "]"
    while idx < len(text) and text[idx] != close:
        if is_object:
            key, idx = json.decoder.scanstring(text, idx + 1)  # type: ignore[attr-defined]
            idx = _skip_ws(text, idx)
            idx = _skip_ws(text, idx + 1)  # the ':'
            name = escape_pointer_token(key)
        else:
            key = name = str(n)
        cache[parent + "/" + name] = idx
        _, end = _decoder.raw_decode(text, idx)
        end = _skip_ws(text, end)
        if end < len(text) and text[end] == ",":
            end = _skip_ws(text, end + 1)
        resume[parent] = (end, n + 1)
        if key == target:
            return idx
        idx, n = end, n + 1
    return None


def _marks_of(text: str) -> YamlMarks:
    try:
        return read_marks(text, SpecLoader)
    except (yaml.YAMLError, limits.LimitExceeded):
        return YamlMarks()


def _display_path(path: Path) -> str:
    return _relative_display(path, os.getcwd())


@lru_cache(maxsize=256)
def _relative_display(path: Path, cwd: str) -> str:
    """Cached: resolving both paths walks the file system, and a lint of a big spec names its
    file in hundreds of findings (a quarter of the rules' time before)."""
    try:
        return str(path.resolve().relative_to(Path(cwd).resolve()))
    except ValueError:
        return str(path)


def parse_text(text: str, path: Path, kind: str | None = None) -> SourceFile:
    """Parse YAML or JSON text; syntax errors and documents over a limit (nesting depth, YAML
    alias expansion, integer digits, text no file can hold) become `InputError`s with
    `file:line:col`."""
    if kind is None:
        suffix = path.suffix.lower()
        if suffix == ".json":
            kind = "json"
        elif suffix in (".yaml", ".yml"):
            kind = "yaml"
        else:
            kind = "json" if text.lstrip().startswith("{") else "yaml"
    display = _display_path(path)
    marks = None
    try:
        if kind == "json":
            data = _parse_json(text, path)
        else:
            data, marks = _parse_yaml(text, display)
    except limits.LimitExceeded as exc:
        raise InputError(exc.message, Location(display, exc.line, exc.col)) from None
    except ValueError as exc:  # Python's own limits, e.g. int digits
        where = limits.long_number_at(text)
        if where is None:
            raise InputError(f"cannot read a value: {exc}", Location(display)) from None
        raise InputError(
            f"a number has more than {limits.MAX_INT_DIGITS} digits (the limit Python converts)",
            Location(display, *where),
        ) from None
    return SourceFile(path=path, text=text, data=data, kind=kind, yaml_marks=marks)


def _parse_json(text: str, path: Path) -> Any:
    limits.check_json_depth(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", Location(_display_path(path), exc.lineno, exc.colno)
        ) from None
    if limits.may_hold_surrogates(text):
        where = limits.check_text(data)
        if where is not None:
            source = SourceFile(path=path, text=text, data=data, kind="json")
            raise InputError(
                "a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff): not text",
                source.location(join_pointer(*where)),
            )
    return data


_NESTING_LIMIT = "exceeded maximum nesting depth"


def _parse_yaml(text: str, display: str) -> tuple[Any, YamlMarks]:
    try:
        return read_yaml(text, SpecLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        loc = Location(display, mark.line + 1, mark.column + 1) if mark else Location(display)
        if _NESTING_LIMIT in problem:
            # PyYAML 6.0.4's scanner stops a deep flow collection before our own check sees
            # it: the same limit, said the same way.
            raise InputError(limits.too_deep(limits.MAX_DEPTH), loc) from None
        raise InputError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", Location(display)) from None


def read_source(path: Path) -> SourceFile:
    """Read and parse a file; a missing, unreadable, non-regular or too large file is an
    `InputError`."""
    display = _display_path(path)
    try:
        raw = read_bounded(path)
    except FileNotFoundError:
        raise InputError("file not found", Location(display)) from None
    except IsADirectoryError:
        raise InputError(
            "is a directory, expected a YAML or JSON file", Location(display)
        ) from None
    except FileRefused as exc:
        raise InputError(str(exc), Location(display)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", Location(display)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Location(display)) from None
    return parse_text(text, path)
