"""What lint and suggest look at: the loaded spec, the hints, the planner's IR, and per operation
its response fields and what its hints do to them.

The planner is called through its public entry point (`adaptgen.plan.plan`), so readiness sees
exactly the tools, names, paging and warnings a build would produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adaptgen.errors import BuildWarning, Location
from adaptgen.hints import LoadedHints, ToolHints, default_hints_path, load_hints
from adaptgen.load import HTTP_METHODS, Spec, load_spec
from adaptgen.load.source import join_pointer
from adaptgen.plan import PlanOptions, plan
from adaptgen.plan.names import file_name_server
from adaptgen.plan.pagination import UNKNOWN_PAGING
from adaptgen.readiness.coverage import Coverage
from adaptgen.readiness.fields import Field, FieldWalker, records, success_response
from adaptgen.readiness.vocabulary import is_version_tag
from adaptgen.runtime.catalog import Catalog, Tool


@dataclass(frozen=True)
class Operation:
    """One operation that became a tool, with its response fields."""

    op_id: str | None
    method: str  # lower case, as in the spec
    path: str
    op: dict[str, Any]
    pointer: str
    tool: Tool
    fields: list[Field]
    record: tuple[str, ...]  # path of the main record (a list's items, or the object)
    record_fields: list[Field]
    coverage: Coverage
    hint: ToolHints | None

    @property
    def label(self) -> str:
        """How findings name the operation: its operationId, else `METHOD /path`."""
        return self.op_id or f"{self.method.upper()} {self.path}"

    def takes_back(self, field: Field) -> bool:
        """A version tag this API's writes take back (`If-Match`, `_rev`): the agent's to read,
        never noise to drop (`plan.version_tags`)."""
        return self.tool.shape.version_tags and is_version_tag(field)

    def survives(self, field: Field) -> bool:
        """The field reaches the agent (hints neither drop it nor leave it out of `keep`)."""
        return not self.coverage.removes(field.path)


@dataclass
class Context:
    """A spec planned with some hints, ready for rules."""

    spec: Spec
    hints: LoadedHints
    api: Catalog
    warnings: list[BuildWarning]
    operations: list[Operation]

    def location(self, pointer: str) -> Location:
        """Where `pointer` is in the spec file."""
        return self.spec.location(pointer)

    def unknown_paging(self, op: Operation) -> BuildWarning | None:
        """The build's warning that `op` lists in pages no style explains, if there is one."""
        for warning in self.warnings:
            if UNKNOWN_PAGING in warning.message and warning.location.pointer == op.pointer:
                return warning
        return None

    def hint_location(self, *keys: str) -> Location | None:
        """Where a top-level key of the hints file is written (None without a hints file)."""
        source = self.hints.source
        return source.location(join_pointer(*keys)) if source is not None else None


def load(spec_path: Path, overlays: Sequence[Path] = ()) -> Spec:
    """The spec as a build reads it (overlays applied)."""
    return load_spec(spec_path, overlays=tuple(overlays))


def hints_for(
    spec: Spec, spec_path: Path, hints_path: Path | None, *, use_default: bool
) -> LoadedHints:
    """The hints a build would use: `hints_path`, else the file beside the spec, plus x-agent."""
    if hints_path is None and use_default and default_hints_path(spec_path).is_file():
        hints_path = default_hints_path(spec_path)
    return load_hints(hints_path, spec.source)


def analyse(spec: Spec, hints: LoadedHints, name: str) -> Context:
    """Plan `spec` with `hints` and collect every tool's response fields."""
    result = plan(spec, name, PlanOptions(hints=hints))
    by_pointer = {t.pointer: t for t in result.api.tools if not t.hidden}
    walker = FieldWalker(spec.resolver)
    defaults = hints.hints.defaults
    operations = []
    for path, method, op, pointer in _spec_operations(spec):
        tool = by_pointer.get(pointer)
        if tool is None:
            continue
        op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
        hint = hints.hints.tools.get(op_id) if op_id else None
        schema, source, at = success_response(spec.resolver, op, pointer)
        fields = walker.fields(schema, source, at) if schema is not None else []
        record, record_fields = records(fields)
        coverage = Coverage(
            keep=tuple((hint.keep if hint and hint.keep else defaults.keep) or ()),
            drop=tuple([*(defaults.drop or ()), *((hint.drop or []) if hint else [])]),
            pii=tuple((hint.pii or []) if hint else ()),
        )
        operations.append(
            Operation(
                op_id,
                method,
                path,
                op,
                pointer,
                tool,
                fields,
                record,
                record_fields,
                coverage,
                hint,
            )
        )
    return Context(spec, hints, result.api, result.warnings, operations)


def api_name(spec_path: Path) -> str:
    """The server name a build would use (`file_name_server`)."""
    return file_name_server(spec_path.name.split(".")[0])


def _spec_operations(spec: Spec) -> list[tuple[str, str, dict[str, Any], str]]:
    found = []
    for path, item in (spec.document.get("paths") or {}).items():
        if isinstance(item, dict) and isinstance(item.get("$ref"), str):
            resolved = spec.resolver.resolve(item["$ref"], spec.source, join_pointer("paths", path))
            item = resolved.value if resolved else None
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                found.append((str(path), method, op, join_pointer("paths", str(path), method)))
    return found
