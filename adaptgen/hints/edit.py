"""Adding search hints to a hints file in place (`adaptgen eval --suggest-keywords
--write-hints`), keeping everything the file says as it says it.

A hints file is reviewed and commented by people; loading and dumping it would lose its comments,
its order and its quoting. So the additions are written as text where they belong, found from
the positions of PyYAML's composed nodes:

- a key the file lacks (`tools`, an operationId, `search`, `keywords`, `examples`) is a new
  block after the last line of its mapping, indented as that mapping's keys;
- a list the file has gets new items after its last one, at its dashes' column;
- a mapping or list written in flow style (`search: {keywords: [a]}`) is written again whole,
  as JSON (which YAML reads), with the additions in: a flow collection rarely holds comments;
- an empty value (`search:`) becomes the block.

The edited text is then read again and must give exactly the data of the old text plus the
additions, and pass the hints schema; else nothing is written (`HintsEditError`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from adaptgen.errors import InputError, Location

__all__ = ["HintsEditError", "add_search_hints", "write_search_hints"]

INDENT = 2  # of a new block below its key, unless the file's `tools` says another
_PLAIN = re.compile(r"\w[\w .'/-]*")  # written without quotes, when YAML reads it back as itself
_NULLS = {"", "~", "null", "Null", "NULL"}


class HintsEditError(InputError):
    """The hints file cannot take the additions as text (its data would not come out as
    meant); it is left as it was."""


Additions = Mapping[str, Mapping[str, Sequence[str]]]  # operationId -> kind -> values


def write_search_hints(path: Path, additions: Additions) -> str:
    """Add `additions` (`{operationId: {"keywords": [...], "examples": [...]}}`) to the hints
    file at `path` (made when missing), atomically; the new text."""
    old = ""
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as file:  # its line ends as they are
            old = file.read()
    new = add_search_hints(old, additions, str(path))
    if new != old:
        handle, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(new)
            if path.is_file():
                os.chmod(staged, path.stat().st_mode & 0o7777)
            os.replace(staged, path)
        except BaseException:
            Path(staged).unlink(missing_ok=True)
            raise
    return new


def add_search_hints(text: str, additions: Additions, where: str = "<hints>") -> str:
    """`text` (a hints file) with `additions` under `tools.<operationId>.search`: values it
    has already are not repeated."""
    try:
        data = yaml.safe_load(text) if text.strip() else None
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = Location(where, mark.line + 1, mark.column + 1) if mark is not None else None
        raise HintsEditError(f"the hints file is not YAML: {error}", at) from None
    if data is None:
        data, root = {}, None
    if not isinstance(data, dict):
        raise HintsEditError("hints must be a mapping", Location(where, 1, 1))
    new_tools = _only_new(data, additions)
    if not new_tools:
        return text
    wanted = _deep(data, {"tools": new_tools})
    if text and not text.endswith("\n"):
        text += "\r\n" if "\r\n" in text else "\n"
    edit = _Editor(text, _step(root), where)
    if root is None:
        edit.append(_block({"tools": new_tools}, 0))
    else:
        edit.merge(root, data, {"tools": new_tools}, key_indent=None)
    new = edit.text
    _check(new, wanted, where)
    return new


def _only_new(data: dict[str, Any], additions: Additions) -> dict[str, Any]:
    """The additions less what the file has, as a `tools` mapping."""
    tools = _mapping(data.get("tools"))
    new: dict[str, Any] = {}
    for operation, kinds in additions.items():
        search = _mapping(_mapping(tools.get(operation)).get("search"))
        for kind, values in kinds.items():
            had = search.get(kind) or []
            fresh = [v for v in dict.fromkeys(values) if v not in had]
            if fresh:
                new.setdefault(operation, {}).setdefault("search", {})[kind] = fresh
    return new


def _step(root: yaml.Node | None) -> int:
    """How far the file indents a level: its `tools` keys' column less `tools`' own."""
    if isinstance(root, yaml.MappingNode) and not root.flow_style:
        for key, value in root.value:
            block = isinstance(value, yaml.MappingNode) and not value.flow_style
            if key.value == "tools" and block and value.value:
                step = value.value[0][0].start_mark.column - key.start_mark.column
                return step if 1 <= step <= 8 else INDENT
    return INDENT


def _mapping(value: Any) -> dict[str, Any]:
    """`value` when a mapping, else empty (the edit then finds the wrong kind and refuses)."""
    return value if isinstance(value, dict) else {}


def _check(text: str, wanted: dict[str, Any], where: str) -> None:
    from adaptgen.hints import Hints

    try:
        got = yaml.safe_load(text)
    except yaml.YAMLError as error:  # pragma: no cover - a defect of the editor
        raise HintsEditError(f"adding the hints would break the file ({error})") from None
    if got != wanted:
        raise HintsEditError(
            "the hints could not be added as text without changing what the file says; add "
            "them by hand (`--suggest-keywords` prints them)",
            Location(where, 1, 1),
        )
    try:
        Hints.model_validate(got)
    except ValidationError as error:
        raise HintsEditError(
            f"the hints would not be valid with the additions ({error.errors()[0]['msg']})",
            Location(where, 1, 1),
        ) from None


def _scalar(value: Any) -> str:
    """A value as a YAML scalar: JSON's (double-quoted strings), with the two Unicode line
    breaks YAML would read as breaks escaped."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _key(key: str) -> str:
    plain = key[:1].isalpha() and all(c.isalnum() or c in "_-." for c in key)
    return (
        key
        if plain and key.lower() not in {"yes", "no", "on", "off", "true", "false", "null"}
        else _scalar(key)
    )


def _item(value: str) -> str:
    """A string of a block list: plain when YAML reads it back as the same string (`close`,
    `direct message`), else `_scalar`."""
    plain = _PLAIN.fullmatch(value) and not value.endswith(" ")
    return value if plain and yaml.safe_load(value) == value else _scalar(value)


def _block(value: Mapping[str, Any], indent: int, step: int = INDENT) -> list[str]:
    """A mapping of mappings and lists of strings as block YAML lines at `indent`, each level
    `step` further in."""
    lines: list[str] = []
    pad = " " * indent
    for key, inner in value.items():
        lines.append(f"{pad}{_key(key)}:")
        if isinstance(inner, Mapping):
            lines += _block(inner, indent + step, step)
        else:
            lines += [f"{pad}{' ' * step}- {_item(v)}" for v in inner]
    return lines


class _Editor:
    """The text and the edits made to it. Edits are made from the end of the file towards its
    start, so the positions of nodes not yet edited stay true: `merge` visits keys in reverse
    order of their place."""

    def __init__(self, text: str, step: int = INDENT, where: str = "<hints>") -> None:
        self.text = text
        self.step = step
        self.where = where

    def append(self, lines: list[str]) -> None:
        self.text += self._lines(lines)

    def insert(self, at: int, lines: list[str]) -> None:
        self.text = self.text[:at] + self._lines(lines) + self.text[at:]

    def _lines(self, lines: list[str]) -> str:
        """`lines` with the file's own line ends (CRLF when it has them)."""
        end = "\r\n" if "\r\n" in self.text else "\n"
        return end.join(lines) + end

    def replace(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def line_after(self, node: yaml.Node) -> int:
        """Where the line after `node`'s last line starts (past a comment on that line)."""
        end = _last(node).end_mark.index
        if end > 0 and self.text[end - 1] == "\n":  # a block scalar ends at the next line
            return end
        newline = self.text.find("\n", end)
        return len(self.text) if newline < 0 else newline + 1

    def merge(
        self, node: yaml.Node, data: Any, new: dict[str, Any], key_indent: int | None
    ) -> None:
        """Add the `new` mapping into the mapping `node` (whose data is `data`)."""
        if node.flow_style:
            merged = _deep(data, new)
            self.replace(node.start_mark.index, node.end_mark.index, _scalar(merged))
            return
        pairs = {
            key.value: (key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)
        }
        indent = node.value[0][0].start_mark.column if node.value else (key_indent or 0)
        missing = {k: v for k, v in new.items() if k not in pairs}
        if missing:  # new keys go after the mapping's last line
            self.insert(self.line_after(node), _block(missing, indent, self.step))
        present = sorted((pairs[k][1].start_mark.index, k) for k in new if k in pairs)
        for _, key in reversed(present):  # from the end, so earlier positions hold
            key_node, value = pairs[key]
            self._into(key_node, value, data[key], new[key])

    def _into(self, key: yaml.Node, value: yaml.Node, data: Any, new: Any) -> None:
        if (
            isinstance(value, yaml.ScalarNode)
            and value.value in _NULLS
            and value.tag.endswith(":null")
        ):
            start, end = value.start_mark.index, value.end_mark.index
            after = self.text.find("\n", end)
            after = len(self.text) if after < 0 else after + 1
            lines = (
                _block(new, key.start_mark.column + self.step, self.step)
                if isinstance(new, Mapping)
                else [f"{' ' * (key.start_mark.column + self.step)}- {_item(v)}" for v in new]
            )
            self.insert(after, lines)
            while start > 0 and self.text[start - 1] == " ":
                start -= 1
            self.replace(start, end, "")  # `key: ~` -> `key:`
            return
        if isinstance(value, yaml.MappingNode) and isinstance(new, Mapping):
            self.merge(value, data, dict(new), key.start_mark.column + self.step)
        elif isinstance(value, yaml.SequenceNode) and not isinstance(new, Mapping):
            if value.flow_style or not value.value:
                self.replace(value.start_mark.index, value.end_mark.index, _scalar([*data, *new]))
            else:
                first = value.value[0].start_mark
                line = self.text.rfind("\n", 0, first.index) + 1
                dash = self.text.rfind("-", line, first.index) - line
                self.insert(self.line_after(value), [f"{' ' * dash}- {_item(v)}" for v in new])
        else:
            at = Location(self.where, key.start_mark.line + 1, key.start_mark.column + 1)
            raise HintsEditError(f"`{key.value}` is not what hints allow there", at)


def _last(node: yaml.Node) -> yaml.Node:
    """The last node written inside a block collection (itself for anything else)."""
    while (
        isinstance(node, (yaml.MappingNode, yaml.SequenceNode))
        and not node.flow_style
        and node.value
    ):
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _deep(data: Any, new: Any) -> Any:
    """`data` with `new` merged in: mappings key by key, lists extended."""
    if isinstance(data, dict) and isinstance(new, Mapping):
        out = dict(data)
        for key, value in new.items():
            out[key] = _deep(out[key], value) if out.get(key) is not None else value
        return out
    if isinstance(data, list) and isinstance(new, list):
        return [*data, *(v for v in new if v not in data)]
    return new
