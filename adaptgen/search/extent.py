"""How much of a thing a change request changes: a part of it, or all of it.

An API with both PUT and PATCH on one path replaces the whole resource with the first and
changes only the fields sent with the second. A request that says the rest stays ("leave
everything else as is", "don't touch the other headers", "change the room and nothing else")
wants the PATCH. Ranked by meaning, the PUT (often named plainly `update_x`, the PATCH
`patch_x`) came first about as often, and a PUT sent with the one field a request names can
wipe the others. A request that says it replaces it all ("replace all the headers",
"overwrite the whole config", "from scratch") wants the PUT. `extent` reads which one, and the
search puts that sibling above the other when both are found (`SearchEngine.search`); nothing
else moves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PART", "WHOLE", "Siblings", "extent"]

PART = "PATCH"  # the method that changes a part
WHOLE = "PUT"  # the method that replaces the whole

_KEPT = r"(?:as\s+(?:it\s+)?is|alone|unchanged|untouched|intact|the\s+same)"
_CHANGE = r"(?:touch|change|modify|affect|overwrite|replace|alter)(?:e?s|e?d|ing)?"
_NOT = r"(?:don'?t|do\s+not|without|never)"
_OTHERS = r"(?:else|other|others|rest)"
_PART = re.compile(
    rf"""\b(?:leave|leaving|keep|keeping)\b(?:\W+[\w'-]+){{0,6}}?\W+{_KEPT}\b
    | \b{_NOT}\s+{_CHANGE}\b(?:\W+[\w'-]+){{0,3}}?\W+{_OTHERS}\b
    | \bnothing\s+else\b
    | \b(?:only|just)\s+(?:change|update|set|edit|modify|patch)\b
    | \bpartial(?:ly)?\b""",
    re.IGNORECASE | re.VERBOSE,
)
_WHOLE = re.compile(
    r"""\b(?:replace|replacing|overwrite|overwriting)\s+
        (?:all|the\s+whole|the\s+entire|everything|the\s+full)\b
    | \bfrom\s+scratch\b | \bfull\s+replacement\b""",
    re.IGNORECASE | re.VERBOSE,
)


def extent(query: str) -> str | None:
    """`PART` when the request says the rest stays, `WHOLE` when it replaces everything, None
    when it says neither (or both)."""
    part, whole = bool(_PART.search(query)), bool(_WHOLE.search(query))
    return PART if part and not whole else WHOLE if whole and not part else None


class Siblings:
    """The PUT and the PATCH of each path that has both, among an index's entries (by their
    `operation`, `METHOD /path`)."""

    def __init__(self, entries: Sequence[Mapping[str, Any]]) -> None:
        self.method: dict[str, str] = {}
        on_path: dict[str, dict[str, str]] = {}
        for entry in entries:
            verb, _, path = str(entry.get("operation") or "").partition(" ")
            if verb in (PART, WHOLE):
                self.method[entry["name"]] = verb
                on_path.setdefault(path, {})[verb] = entry["name"]
        self.sibling = {  # each by the other's name
            name: methods[WHOLE if verb == PART else PART]
            for methods in on_path.values()
            if len(methods) == 2
            for verb, name in methods.items()
        }

    def __bool__(self) -> bool:
        return bool(self.sibling)

    def ordered(self, names: Sequence[str], method: str | None) -> list[str]:
        """`names` with each pair in the order `method` (`extent`) wants: the one of that
        method first, in the place of whichever came first; unchanged without a method."""
        names = list(names)
        if method is None:
            return names
        for i, name in enumerate(names):
            other = self.sibling.get(name)
            if other in names[i + 1 :] and self.method[name] != method:
                j = names.index(other)
                names[i], names[j] = other, name
        return names
