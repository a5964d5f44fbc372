"""Recorded responses: which fields real traffic fills, and how big they are.

`--samples DIR` takes JSON files named after an operationId or tool name (one body each) and
vcrpy cassettes (YAML with `interactions`), matched to operations by method and path template.
Only fields the spec declares are ever suggested: samples only rank them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adaptgen.errors import InputError, Location
from adaptgen.readiness.fields import ITEMS

_PARAMETER = re.compile(r"\\\{[^}]*\\\}")


@dataclass
class FieldStats:
    """How often a field was filled across the recorded records, and its mean size."""

    seen: int = 0
    filled: int = 0
    size: int = 0

    @property
    def mean_bytes(self) -> float:
        """Mean JSON size of the value when filled."""
        return self.size / self.filled if self.filled else 0.0


@dataclass
class Samples:
    """Field statistics per operation label (operationId, tool name or `METHOD /path`)."""

    bodies: dict[str, list[Any]] = field(default_factory=dict)

    def stats(self, labels: tuple[str, ...]) -> dict[tuple[str, ...], FieldStats]:
        """Per field path (ITEMS for array elements), over every body recorded for `labels`."""
        found: dict[tuple[str, ...], FieldStats] = {}
        for label in labels:
            for body in self.bodies.get(label, []):
                _count(body, (), found)
        return found


def _count(value: Any, path: tuple[str, ...], found: dict[tuple[str, ...], FieldStats]) -> None:
    if isinstance(value, list):
        for item in value:
            _count(item, (*path, ITEMS), found)
        return
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        stats = found.setdefault((*path, str(key)), FieldStats())
        stats.seen += 1
        if child not in (None, "", [], {}):
            stats.filled += 1
            stats.size += len(json.dumps(child, separators=(",", ":"), ensure_ascii=False))
        _count(child, (*path, str(key)), found)


def read_samples(folder: Path, routes: list[tuple[str, str, str]]) -> Samples:
    """Every recorded body under `folder`; `routes` are (label, METHOD, path template)."""
    if not folder.is_dir():
        raise InputError(f"--samples: {folder} is not a folder")
    samples = Samples()
    for file in sorted(folder.rglob("*")):
        if file.suffix.lower() == ".json":
            # One recorded body per file, named by operationId or tool name (`a.json`, `a.2.json`).
            label = file.name.split(".")[0]
            samples.bodies.setdefault(label, []).append(_read_json(file))
        elif file.suffix.lower() in (".yaml", ".yml"):
            for label, body in _cassette(file, routes):
                samples.bodies.setdefault(label, []).append(body)
    return samples


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a JSON response: {exc}", Location(str(file))) from None


def _cassette(file: Path, routes: list[tuple[str, str, str]]) -> list[tuple[str, Any]]:
    """(operation label, JSON body) of each 2xx interaction of a vcrpy cassette."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"not a vcrpy cassette: {exc}", Location(str(file))) from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return []
    # Literal paths first: `/contacts/search` is not `/contacts/{id}`.
    ordered = sorted(routes, key=lambda r: (r[2].count("{"), r[2]))
    matchers = [
        (label, method, re.compile(_PARAMETER.sub("[^/]+", re.escape(template)) + "$"))
        for label, method, template in ordered
    ]
    found = []
    for interaction in data["interactions"]:
        request = interaction.get("request") or {}
        response = interaction.get("response") or {}
        status = (response.get("status") or {}).get("code")
        if not isinstance(status, int) or not 200 <= status < 300:
            continue
        path = urlsplit(str(request.get("uri", ""))).path
        body = (response.get("body") or {}).get("string")
        try:
            parsed = json.loads(body) if isinstance(body, (str, bytes)) and body else None
        except ValueError:
            continue
        for label, method, pattern in matchers:
            if str(request.get("method", "")).upper() == method and pattern.search(path):
                found.append((label, parsed))
                break
    return found
