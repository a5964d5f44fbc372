"""Hints: what the API's owner tells adaptgen beyond the spec, validated with file:line errors.

A hints file sits beside the spec (`specs/crm.hints.yaml`, picked up automatically, or given with
`--hints`) and is keyed by operationId:

    tools:
      listContacts:
        name: search_contacts
        description: Find contacts by name, email or company.
      purgeContacts:
        exclude: true
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adaptgen.errors import InputError
from adaptgen.load.source import SourceFile, join_pointer, read_source

TOOL_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class ToolHints(BaseModel):
    """What to change about the tool of one operation."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=TOOL_NAME_PATTERN, description="Tool name.")
    description: str | None = Field(default=None, description="What the agent reads.")
    exclude: bool = Field(default=False, description="Leave this operation out.")

    @field_validator("description")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("description must not be blank")
        return value


class Hints(BaseModel):
    """All hints for one spec."""

    model_config = ConfigDict(extra="forbid")

    tools: dict[str, ToolHints] = Field(default_factory=dict, description="By operationId.")


class LoadedHints:
    """Validated hints plus their source, so later checks can point at the right line."""

    def __init__(self, hints: Hints, source: SourceFile | None) -> None:
        self.hints = hints
        self.source = source

    def check_operations(self, operation_ids: list[str]) -> None:
        """Every hinted operationId must exist in the spec: a typo must not pass silently."""
        if self.source is None:
            return
        for op_id in self.hints.tools:
            if op_id not in operation_ids:
                raise InputError(
                    f"unknown operationId {op_id!r}{_did_you_mean(op_id, operation_ids)}",
                    self.source.location(join_pointer("tools", op_id)),
                )


def hints_schema() -> dict[str, Any]:
    """The published JSON Schema of hints files (for editor completion)."""
    return Hints.model_json_schema()


def default_hints_path(spec: Path) -> Path:
    """`specs/crm.yaml` -> `specs/crm.hints.yaml` (the file picked up automatically)."""
    stem = spec.name.split(".")[0]
    return spec.with_name(f"{stem}.hints.yaml")


def load_hints(path: Path | None) -> LoadedHints:
    """Read and validate a hints file; None means no hints."""
    if path is None:
        return LoadedHints(Hints(), None)
    source = read_source(path)
    data = source.data if source.data is not None else {}
    if not isinstance(data, dict):
        raise InputError("hints must be a mapping", source.location(""))
    try:
        hints = Hints.model_validate(data)
    except ValidationError as exc:
        raise _located(exc, source, data) from None
    return LoadedHints(hints, source)


def _located(exc: ValidationError, source: SourceFile, data: Any) -> InputError:
    error = exc.errors(include_url=False)[0]
    loc = [str(p) for p in error["loc"]]
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        message = f"unknown key {loc[-1]!r}{_did_you_mean(loc[-1], list(parent.model_fields))}"
    return InputError(f"invalid hints: {message}", source.location(join_pointer(*loc)))


def _model_at(loc: list[str]) -> type[BaseModel]:
    # ["tools", "<opId>"] is a ToolHints; the top level is Hints.
    return ToolHints if len(loc) >= 2 and loc[0] == "tools" else Hints


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
