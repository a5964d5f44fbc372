"""Values a call's result hands to later calls: `capture: {name: JSONPath}`, read by `$from`.

Replay sends the captured value as the later call's argument; agent mode captures from the
result the model actually got and checks its later argument against that value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adaptgen.runtime import jsonpath


class CaptureError(ValueError):
    """A capture's JSONPath found nothing in the result it was read from."""


def capture(paths: Mapping[str, str], data: Any) -> dict[str, Any]:
    """name -> the first value each JSONPath finds in `data`; CaptureError when one finds none."""
    values: dict[str, Any] = {}
    for name, expression in paths.items():
        found = [v for v in jsonpath.find(expression, data) if v is not None]
        if not found:
            raise CaptureError(
                f"capture {name!r}: {expression} found nothing in the result{_glimpse(data)}"
            )
        values[name] = found[0]
    return values


def _glimpse(data: Any) -> str:
    """What the result does hold at its top, so the path can be fixed without a debugger."""
    if isinstance(data, Mapping):
        keys = ", ".join(list(map(str, data))[:8])
        return f" (its keys: {keys})" if keys else " (an empty object)"
    if isinstance(data, list):
        return f" (a list of {len(data)})"
    return " (no JSON)" if data is None else f" ({type(data).__name__})"
