"""Reading YAML in one pass over libyaml's events: the data, its limits and every position.

PyYAML's own load composes a node tree (a Python object and two marks per value) and then
constructs the data from it in Python; positions for messages and the limit pre-scan needed two
more passes over the text. Here one loop over the parser's events checks the limits (see
`limits`), builds the data and keeps each value's line and column in flat arrays, so a 3 MB spec
is parsed once and a message about any pointer costs a short walk. What this loop does not
construct itself (explicit tags such as `!!binary`, merge keys, keys that are collections, more
than one document) is left to PyYAML's constructor, which then reads the text a second time.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import yaml

from adaptgen.load.limits import MAX_ALIAS_NODES, MAX_DEPTH, LimitExceeded, too_deep

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_MAPPING_TAGS = {None, "!", "tag:yaml.org,2002:map"}
_SEQUENCE_TAGS = {None, "!", "tag:yaml.org,2002:seq"}


class _Unusual(Exception):
    """A construct the event loop leaves to PyYAML's constructor."""


@dataclass
class YamlMarks:
    """Where each value of a YAML document starts, indexed in document order.

    Value `i` (keys are not values) has its position in `lines[i]`/`cols[i]` (for a mapping's
    value: its key's, where a reader looks), the number of values in its subtree in `sizes[i]`
    and, for a mapping's value, its key as written in `keys[i]`. An alias points at its anchor.
    """

    lines: array = field(default_factory=lambda: array("I"))
    cols: array = field(default_factory=lambda: array("I"))
    sizes: array = field(default_factory=lambda: array("I"))
    keys: list[str | None] = field(default_factory=list)
    aliases: dict[int, int] = field(default_factory=dict)
    _children: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)

    def find(self, tokens: list[str]) -> tuple[int, int] | None:
        """Line and column (1-based) of the value at pointer `tokens`, or None if absent."""
        if not self.lines:
            return None
        node = 0
        for token in tokens:
            node = self.aliases.get(node, node)
            child = self._child(node, token)
            if child is None:
                return None
            node = child
        return self.lines[node], self.cols[node]

    def _child(self, node: int, token: str) -> int | None:
        children = self._children.get(node)
        if children is None:
            children = self._children[node] = self._index(node)
        return children.get(token)

    def _index(self, node: int) -> dict[str, int]:
        """A collection's children by key (a sequence's by position): messages about many
        members of one big mapping (`/components/schemas`) then cost one walk of it, not one
        each. The first of duplicate keys wins, as the walk found it before."""
        end = node + self.sizes[node]
        children: dict[str, int] = {}
        child, n = node + 1, 0
        while child < end:
            key = self.keys[child]
            children.setdefault(str(n) if key is None else key, child)
            child += self.sizes[child]
            n += 1
        return children


@dataclass
class _Open:
    """A collection being read: its data, its value index and what the limits need."""

    value: dict[str, Any] | list[Any]
    index: int
    anchor: str | None
    started: int  # the node count when it started
    levels: int = 1
    key: str | None = None  # a mapping's key waiting for its value
    raw_key: str | None = None
    key_mark: yaml.Mark | None = None


class _Reader:
    """The state of one pass; `read` runs it."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.marks = YamlMarks()
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, levels), for limits
        self.anchored: dict[str, tuple[Any, int]] = {}  # anchor -> (data, value index)
        self.count = 0
        self.added = 0
        self.building = True
        self.root: Any = None
        self.documents = 0
        self._tags: dict[str, str] = {}

    def read(self) -> tuple[Any, bool]:
        """Run the pass; (data, True) or (None, False) when PyYAML must construct the data."""
        get = self.loader.get_event
        while (event := get()) is not None:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._scalar(event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._start(event, kind is yaml.MappingStartEvent)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.building = False  # PyYAML's load says what is wrong with it
            elif kind is yaml.StreamEndEvent:
                break
        return self.root, self.building

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        self.count += 1
        if event.anchor is not None:
            self.anchors[event.anchor] = (1, 0)
        self._reach(0, event)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key_mark is None:
            self._key(top, event)
            return
        value = self._construct(event) if self.building else None
        index = self._place(value, event.start_mark, 1)
        if event.anchor is not None:
            self.anchored[event.anchor] = (value, index)

    def _key(self, top: _Open, event: yaml.ScalarEvent) -> None:
        top.raw_key = event.value
        top.key_mark = event.start_mark
        if self.building:
            tag = self._tag(event)
            if tag == "tag:yaml.org,2002:merge" or event.anchor is not None:
                self.building = False
            else:
                top.key = str(self._construct(event, tag))

    def _start(self, event: yaml.CollectionStartEvent, mapping: bool) -> None:
        self.count += 1
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key_mark is None:
            # A collection as a key: no pointer names it and PyYAML refuses it anyway.
            self.building = False
            top.key_mark = event.start_mark
        if event.tag not in (_MAPPING_TAGS if mapping else _SEQUENCE_TAGS):
            self.building = False
        value: dict[str, Any] | list[Any] = {} if mapping else []
        index = self._place(value, event.start_mark, 0)
        self.stack.append(_Open(value, index, event.anchor, self.count))
        self._reach(0, event)

    def _end(self) -> None:
        done = self.stack.pop()
        self.marks.sizes[done.index] = len(self.marks.lines) - done.index
        if done.anchor is not None:
            self.anchors[done.anchor] = (self.count - done.started + 1, done.levels)
            self.anchored[done.anchor] = (done.value, done.index)
        if self.stack:
            parent = self.stack[-1]
            parent.levels = max(parent.levels, done.levels + 1)

    def _alias(self, event: yaml.AliasEvent) -> None:
        nodes, levels = self.anchors.get(event.anchor, (1, 0))
        self.added += nodes
        if self.added > MAX_ALIAS_NODES:
            raise LimitExceeded(
                f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                "(an alias bomb?); write the repeated parts out or use $ref",
                *_position(event),
            )
        self.count += nodes
        self._reach(levels, event)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key_mark is None:
            self.building = False  # an alias as a key
            top.key_mark = event.start_mark
            return
        if any(open_.anchor == event.anchor for open_ in self.stack):
            raise yaml.composer.ComposerError(
                None, None, "found an alias inside the value it names (a loop)", event.start_mark
            )
        found = self.anchored.get(event.anchor)
        if found is None:  # undefined: PyYAML's load says so
            self.building = False
            self._place(None, event.start_mark, 1)
            return
        value, target = found
        index = self._place(_copy(value) if self.building else None, event.start_mark, 1)
        self.marks.aliases[index] = target

    def _place(self, value: Any, mark: yaml.Mark, size: int) -> int:
        """Record a new value (its position, its key) and put it in its parent."""
        marks = self.marks
        index = len(marks.lines)
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict):
            mark = top.key_mark or mark
            marks.keys.append(top.raw_key)
            if self.building:
                top.value[top.key] = value  # type: ignore[index]
            top.key = top.raw_key = top.key_mark = None
        else:
            marks.keys.append(None)
            if top is not None:
                top.value.append(value)  # type: ignore[union-attr]
            elif self.documents <= 1:
                self.root = value
        marks.lines.append(mark.line + 1)
        marks.cols.append(mark.column + 1)
        marks.sizes.append(size)
        return index

    def _reach(self, levels: int, event: yaml.Event) -> None:
        """The innermost open collection holds a node `levels` deep: check the depth limit."""
        stack = self.stack
        if stack and levels:
            stack[-1].levels = max(stack[-1].levels, levels + 1)
        if len(stack) + levels > MAX_DEPTH:
            raise LimitExceeded(too_deep(MAX_DEPTH), *_position(event))

    def _tag(self, event: yaml.ScalarEvent) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        if not event.implicit[0]:
            return _STR
        value = event.value
        found = self._tags.get(value)
        if found is None:
            found = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
            self._tags[value] = found
        return found

    def _construct(self, event: yaml.ScalarEvent, tag: str | None = None) -> Any:
        tag = tag or self._tag(event)
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            self.building = False
            return None
        return self.loader.yaml_constructors[tag](self.loader, yaml.ScalarNode(tag, event.value))


def _copy(value: Any) -> Any:
    """A fresh copy of an anchored value: every alias is its own data, as a JSON document's is."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _position(event: yaml.Event) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def read_yaml(text: str, loader: type) -> tuple[Any, YamlMarks]:
    """The data of a one-document YAML text and where its values are.

    Limits raise `LimitExceeded`; syntax errors raise PyYAML's errors, as its `load` would.
    """
    parser = loader(text)
    try:
        reader = _Reader(parser)
        data, built = reader.read()
    finally:
        parser.dispose()
    if not built:
        data = string_keys(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
    return data, reader.marks


def read_marks(text: str, loader: type) -> YamlMarks:
    """Only the positions, for a document whose data came from elsewhere."""
    parser = loader(text)
    try:
        reader = _Reader(parser)
        reader.building = False
        reader.read()
    finally:
        parser.dispose()
    return reader.marks


def string_keys(value: Any) -> Any:
    """`value` with every mapping key a string: YAML reads `200:` as an int, OpenAPI means "200"."""
    if isinstance(value, dict):
        return {str(k): string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [string_keys(v) for v in value]
    return value
