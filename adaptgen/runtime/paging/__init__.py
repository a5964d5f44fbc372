"""Paging styles, one module each; the registry that finds them.

A new style is a new module here with one `PagingStyle` subclass (its `style` literal, runtime
behaviour, planning and report line) plus its tests: the catalog, hints and planner pick it up
from `STYLES`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Any, Union

from pydantic import Field

from adaptgen.runtime.paging.base import PageState, PagingHints, PagingStyle, is_link

__all__ = [
    "STYLES",
    "PageState",
    "PagingHints",
    "PagingStyle",
    "Pagination",
    "is_link",
    "style_class",
]


def _discover() -> dict[str, type[PagingStyle]]:
    """Every style module of this package, imported once, by style name, in detection order."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module != "base":
            importlib.import_module(f"{__name__}.{module}")
    found = [cls for cls in _subclasses(PagingStyle) if "style" in cls.model_fields]
    found.sort(key=lambda cls: (cls.priority, cls.__name__))
    return {cls.model_fields["style"].default: cls for cls in found}


def _subclasses(cls: type) -> list[type]:
    direct = cls.__subclasses__()
    return direct + [sub for child in direct for sub in _subclasses(child)]


STYLES: dict[str, type[PagingStyle]] = _discover()

# The catalog's `pagination` entry: one of the styles, told apart by `style`.
Pagination: Any = Annotated[Union[tuple(STYLES.values())], Field(discriminator="style")]  # noqa: UP007


def style_class(style: str) -> type[PagingStyle]:
    """The class of paging style `style` (KeyError for an unknown one)."""
    return STYLES[style]
