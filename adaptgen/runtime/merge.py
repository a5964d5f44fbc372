"""Deep merge of JSON-like mappings, the one used everywhere (hints layered over a spec's
`x-agent`, a lean row's other fields put back into the objects its path columns made)."""

from __future__ import annotations

from typing import Any

__all__ = ["deep_merge"]


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    """`override` into `base`, in place, field by field: mappings merge, anything else is
    replaced."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
