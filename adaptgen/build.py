"""The build: load -> plan -> render -> write, and the report users read afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptgen.errors import BuildError, BuildWarning, InputError
from adaptgen.hints import (
    LoadedHints,
    default_hints_path,
    load_hints,
    search_examples,
    search_keywords,
)
from adaptgen.load import load_spec
from adaptgen.load.source import SourceFile
from adaptgen.plan import PlanOptions, PlanResult, plan
from adaptgen.plan.names import file_name_server, snake_case
from adaptgen.plan.pagination import unknown_paging_warnings
from adaptgen.render import format_python, render, write_atomic
from adaptgen.runtime.catalog import Catalog
from adaptgen.search import INDEX_FILE, SURFACE_TOOLS
from adaptgen.search.index import build_index, index_json
from adaptgen.search.prose import spec_answers, spec_definitions, spec_prose


@dataclass
class BuildOptions:
    """What `adaptgen build` was asked to do."""

    spec: Path
    out: Path = Path("generated")
    hints: Path | None = None  # None: `<spec stem>.hints.yaml` beside the spec, if present
    no_hints: bool = False  # ignore the hints file beside the spec (x-agent still counts)
    overlays: tuple[Path, ...] = ()  # OpenAPI Overlays, applied in order before anything else
    arazzo: tuple[Path, ...] = ()  # Arazzo 1.0 documents; `<stem>.arazzo.yaml` is picked up too
    name: str | None = None
    allow_remote_refs: bool = False
    ref_root: Path | None = None  # where file $refs may read; None: the spec's folder
    include_deprecated: bool = False
    strict: bool = False  # fail (exit 1, nothing written) on list operations of unknown paging
    progress: Callable[[int, int], None] | None = None  # tools planned, of all
    step: Callable[[str], None] | None = None  # told the name of each long step as it starts

    def say(self, message: str) -> None:
        """Tell `step` (a display on a terminal) that a long step starts."""
        if self.step is not None:
            self.step(message)

    @property
    def api_name(self) -> str:
        """The package name: `--name`, snake_cased, else the spec's file stem's
        (`file_name_server`)."""
        if self.name is None:
            return file_name_server(self.spec.name.split(".")[0])
        name = snake_case(self.name)
        if not name or not name[0].isalpha():
            raise InputError(
                f"--name {self.name!r} makes no server name: it must start with a letter"
            )
        return name


@dataclass
class BuildReport:
    """What a build produced, for the CLI report and for tests."""

    api: Catalog
    out_dir: Path
    files: dict[str, str]
    warnings: list[BuildWarning] = field(default_factory=list)

    @property
    def tools_list_bytes(self) -> int:
        """Size of the tools/list result the generated server sends, in bytes (UTF-8 JSON)."""
        entries = self.listed_entries()
        if self.api.info.surface.mode == "search":
            return _json_size(
                {"tools": [_listed(e) for e in entries if e.get("pinned")] + _search_tools()}
            )
        return _json_size({"tools": [_listed(e) for e in entries]})

    @property
    def catalog_bytes(self) -> int:
        """Size of every tool's listing: what tools/list would be without search mode."""
        return _json_size({"tools": [_listed(e) for e in self.listed_entries()]})

    def listed_entries(self) -> list[dict[str, Any]]:
        """The catalog entries of the MCP tools (hidden operations left out), as in the file."""
        return [t.model_dump(mode="json", by_alias=True) for t in self.api.listed]


def _listed(entry: dict) -> dict:
    tool = {"name": entry["name"], "description": entry["description"]}
    tool["inputSchema"] = entry["input_schema"]
    if "output_schema" in entry:
        tool["outputSchema"] = entry["output_schema"]
    if entry["annotations"]:
        tool["annotations"] = entry["annotations"]
    return tool


def _search_tools() -> list[dict]:
    # The tools the search surface lists, as the runtime serializes them: read from the file a
    # test keeps equal to FastMCP's serialization (`search.SURFACE_TOOLS`), so that a build's
    # report does not import FastMCP (a second of a search-mode build, most of a small one's).
    return json.loads(SURFACE_TOOLS.read_text(encoding="utf-8"))


def _json_size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def planned(options: BuildOptions) -> tuple[PlanResult, LoadedHints]:
    """Load and plan: the IR and the hints it was planned with (no files rendered)."""
    options.say(f"reading {options.spec.name}")
    spec = load_spec(
        options.spec,
        allow_remote_refs=options.allow_remote_refs,
        overlays=options.overlays,
        ref_root=options.ref_root,
    )
    hints_path = options.hints
    if hints_path is None and not options.no_hints and default_hints_path(options.spec).is_file():
        hints_path = default_hints_path(options.spec)
    hints = load_hints(hints_path, spec.source)
    chains, arazzo_warnings = _arazzo_chains(options, spec)
    options.say("planning tools")
    result = plan(
        spec,
        options.api_name,
        PlanOptions(include_deprecated=options.include_deprecated, hints=hints, chains=chains),
        progress=options.progress,
    )
    result.warnings.extend(arazzo_warnings)
    return result, hints


def generate(options: BuildOptions) -> BuildReport:
    """Everything but the write: the files a build would produce."""
    result, hints = planned(options)
    options.say("rendering the server")
    rendered = render(result.api)
    options.say("formatting it (ruff)")
    files = format_python(rendered)
    if result.api.info.surface.mode == "search":
        options.say("indexing tools for search")
        search = hints.hints.search
        if search.semantic:
            options.say("encoding tools with the sentence encoder (hints: search.semantic)")
        index = search_index(
            result,
            hints,
            semantic=search.semantic,
            meaning=search.meaning and not search.semantic,
        )
        files[INDEX_FILE] = index_json(index)
    return BuildReport(
        result.api, options.out / options.api_name, files, sorted(set(result.warnings))
    )


def search_index(
    result: PlanResult,
    hints: LoadedHints,
    *,
    semantic: bool = False,
    meaning: bool = False,
) -> dict[str, Any]:
    """The search index of a planned API: its catalog, hinted keywords and example requests
    and the spec's prose (`semantic`, `meaning`: see `build_index`; `semantic` without numpy or
    the encoder is a BuildError saying what is missing)."""
    from adaptgen.search.sentence_model import Unavailable

    prose = spec_prose(result.document, result.api.tools)
    source = _planned_source(result, hints)
    try:
        return build_index(
            result.api,
            search_keywords(hints),
            prose=prose,
            answers=spec_answers(source, result.api.tools),
            semantic=semantic,
            meaning=meaning,
            examples=search_examples(hints),
            definitions=spec_definitions(source, result.api.tools),
        )
    except Unavailable as error:
        raise BuildError(f"hints ask for semantic search (search.semantic): {error}") from None


def _planned_source(result: PlanResult, hints: LoadedHints) -> SourceFile:
    """The file the planned document was read from (its other files are read beside it); a
    document planned from no file stands alone."""
    source = hints.spec_source
    if source is not None and source.data is result.document:
        return source
    return SourceFile(Path("openapi.json"), "", result.document, "json")


def _arazzo_chains(options: BuildOptions, spec: Any) -> tuple[dict, list[BuildWarning]]:
    """Workflows of the Arazzo documents, as composite tools named after their workflowIds."""
    paths = list(options.arazzo)
    beside = options.spec.with_name(f"{options.spec.name.split('.')[0]}.arazzo.yaml")
    if not paths and not options.no_hints and beside.is_file():
        paths.append(beside)
    if not paths:
        return {}, []
    from adaptgen.load.arazzo import load_arazzo

    operation_ids = {
        op["operationId"]
        for item in (spec.document.get("paths") or {}).values()
        if isinstance(item, dict)
        for op in item.values()
        if isinstance(op, dict) and isinstance(op.get("operationId"), str)
    }
    chains: dict[str, Any] = {}
    warnings: list[BuildWarning] = []
    for path in paths:
        workflows = load_arazzo(path, spec_operation_ids=operation_ids)
        warnings.extend(workflows.warnings)
        for workflow_id, chain in workflows.chains.items():
            where = workflows.source.location("/workflows")
            chains[snake_case(workflow_id)] = (chain, where)
    return chains, warnings


def build(options: BuildOptions) -> BuildReport:
    """Build and write `out/<name>/` atomically (`strict`: not at all while paging is unknown)."""
    report = generate(options)
    if options.strict:
        unknown = unknown_paging_warnings(report.warnings)
        if unknown:
            lines = "".join(f"\n  {w}" for w in unknown)
            raise BuildError(
                f"--strict: {len(unknown)} list operation(s) page in a way adaptgen does not "
                f"recognise; add paginate hints (nothing was written):{lines}"
            )
    options.say(f"writing {report.out_dir}")
    write_atomic(report.out_dir, report.files)
    return report
