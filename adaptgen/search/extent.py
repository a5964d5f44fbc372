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

__all__ = ["PART", "WHOLE", "extent"]

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
