"""Strict models for files people write (hints, policies): unknown keys are errors that say
which key was meant.

Shared by the build (`adaptgen.hints`) and the runtime (`governance.policy`, which ships in
the Lambda package without the build), so it lives in the runtime.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from adaptgen.words import did_you_mean

__all__ = ["StrictModel", "unknown_key_message"]


class StrictModel(BaseModel):
    """A model that refuses keys it does not declare."""

    model_config = ConfigDict(extra="forbid")


def unknown_key_message(model: type[BaseModel], loc: Sequence[str | int]) -> str:
    """`unknown key 'x' (did you mean 'y'?)` for pydantic's extra-forbidden error at `loc`."""
    owner = _model_at(model, [str(p) for p in loc[:-1]])
    key = str(loc[-1])
    return f"unknown key {key!r}{did_you_mean(key, list(owner.model_fields))}"


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel]:
    """The model that owns the key after `loc`, through fields, list items and mapping values."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                break
            current = field.annotation
        else:  # a list index or a mapping key: its item's or value's type
            current = _contained(current)
        current = _unwrapped(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else model


def _unwrapped(annotation: Any) -> Any:
    """`X` for `X | None`: the one model, list or mapping among a union's members."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        nested = [a for a in members if _is_container(a)]
        return nested[0] if nested else members[0]
    return annotation


def _is_container(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return get_origin(annotation) in (list, dict, tuple)


def _contained(annotation: Any) -> Any:
    """The item type of `list[X]` or the value type of `dict[K, X]`."""
    args = get_args(annotation)
    return _unwrapped(args[-1]) if args else None
