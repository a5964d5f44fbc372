"""The one compact JSON spelling the runtime sends: no spaces, non-ASCII kept as is.

`json.dumps` with options builds a new encoder on every call; the proxy and the servers encode
several documents per call, so the encoder is made once here.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["compact_json"]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """`value` as compact JSON text (`json.dumps(value, ensure_ascii=False, separators=(",",
    ":"))`, with the encoder made once)."""
    return _ENCODER.encode(value)
