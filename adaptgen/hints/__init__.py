"""Hints: what the API's owner tells adaptgen beyond the spec. Three ways in, one model.

1. A hints file beside the spec (`specs/crm.hints.yaml`, picked up automatically, or `--hints`),
   keyed by operationId;
2. `x-agent` extensions in the spec: at the top level (everything but `tools`) and on each
   operation (that operation's tool hints);
3. OpenAPI Overlays (`--overlay`), applied to the spec before anything reads it, so they can
   add or change `x-agent` blocks as well as the spec itself.

The hints file wins over `x-agent`, field by field. Every problem is an `InputError` pointing at
the line that has it, with a "did you mean" for unknown keys and operationIds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from adaptgen.errors import InputError, Location
from adaptgen.hints.chains import ChainSpec
from adaptgen.load.source import SourceFile, join_pointer, read_source
from adaptgen.runtime.flows import KINDS as FLOW_KINDS
from adaptgen.runtime.jsonpath import JsonPathError, compile_path
from adaptgen.runtime.merge import deep_merge
from adaptgen.runtime.paging import STYLES as PAGING_STYLES
from adaptgen.runtime.strict import StrictModel as _Strict
from adaptgen.runtime.strict import unknown_key_message
from adaptgen.words import did_you_mean

TOOL_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
X_AGENT = "x-agent"


class ShapeHints(_Strict):
    """How results are trimmed (in `defaults`, or per tool)."""

    keep: list[str] | None = Field(
        default=None, description="JSONPaths to keep; everything else goes."
    )
    drop: list[str] | None = Field(default=None, description="JSONPaths to remove.")
    denoise: bool | None = Field(
        default=None,
        description="Drop nulls/empties/hypermedia, HTML to text, cut long strings (default on).",
    )
    max_response_tokens: int | None = Field(
        default=None, ge=100, description="Token budget of one result (default 4000)."
    )
    max_string_chars: int | None = Field(default=None, ge=16, description="Longer strings are cut.")
    list_cap: int | None = Field(default=None, ge=1, description="Longer nested lists are cut.")
    output_schema: bool | None = Field(
        default=None,
        description="Declare an output schema of the shaped result and send structured content.",
    )
    compact: bool | None = Field(
        default=None,
        description="Text results in the lean form: records as columns and rows, latest history "
        "entry, short timestamps (default on).",
    )


def _paginate_hints() -> Any:
    """One `paginate` model per paging style (`adaptgen.runtime.paging`), told apart by style."""
    models = [
        create_model(
            f"Paginate{name.title().replace('_', '')}Hints",
            __base__=style.hints,
            style=(Literal[name], ...),  # type: ignore[valid-type]
        )
        for name, style in PAGING_STYLES.items()
    ]
    none = create_model("PaginateNoneHints", __base__=_Strict, style=(Literal["none"], ...))
    return Annotated[Union[(*models, none)], Field(discriminator="style")]  # noqa: UP007


# How an operation pages, when detection from the spec is not enough (style "none": it does not).
PaginateHints: Any = _paginate_hints()


class ToolSearchHints(_Strict):
    """How a tool is found in search mode."""

    keywords: list[str] = Field(
        default_factory=list,
        description="Words users say for this tool that its spec does not (indexed for search).",
    )
    examples: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="Requests users make of this tool, as they type them: a request like one "
        "lifts the tool (needs the sentence encoder, search mode's default).",
    )


class ToolHints(ShapeHints):
    """What to change about the tool of one operation."""

    name: str | None = Field(default=None, pattern=TOOL_NAME_PATTERN, description="Tool name.")
    description: str | None = Field(default=None, description="What the agent reads.")
    exclude: bool = Field(default=False, description="Leave this operation out.")
    hide: list[str] | None = Field(
        default=None, description="Parameters the agent never sees (upstream or argument names)."
    )
    fix: dict[str, Any] | None = Field(
        default=None, description="Parameters always sent with this value, hidden from the agent."
    )
    pii: list[str] | None = Field(
        default=None, description="JSONPaths of personal data in results (for the PII layer)."
    )
    paginate: PaginateHints | None = None
    pin: bool = Field(default=False, description="Stay listed in search mode.")
    search: ToolSearchHints | None = None

    @field_validator("description")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("description must not be blank")
        return value


class _AuthHintsBase(_Strict):
    """How one security scheme is satisfied; exactly one kind."""

    @model_validator(mode="after")
    def _exactly_one(self) -> _AuthHintsBase:
        given = [k for k in FLOW_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(FLOW_KINDS)}")
        return self

    @property
    def kind(self) -> str:
        """Which kind of flow this is."""
        return next(k for k in FLOW_KINDS if getattr(self, k) is not None)

    @property
    def block(self) -> BaseModel:
        """The hints block of that kind."""
        return getattr(self, self.kind)


# One optional block per flow kind (`adaptgen.runtime.flows`): a new kind needs no edit here.
AuthHints: type[_AuthHintsBase] = create_model(
    "AuthHints",
    __base__=_AuthHintsBase,
    __doc__=_AuthHintsBase.__doc__,
    **{kind: (flow.hints | None, None) for kind, flow in FLOW_KINDS.items()},  # type: ignore[call-overload]
)


class Selector(_Strict):
    """Operations chosen by tag, path glob or operationId."""

    tags: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list, description="Globs, e.g. /admin/*")
    operations: list[str] = Field(default_factory=list)


class SearchHints(_Strict):
    """What a server with many tools offers instead of listing them all."""

    mode: Literal["auto", "search", "toolsets", "off"] = Field(
        default="auto", description="auto: search above `threshold` tools."
    )
    threshold: int = Field(default=40, ge=1)
    toolsets: list[str] = Field(
        default_factory=list, description="toolsets mode: the tags whose tools are built."
    )
    max_results: int = Field(
        default=5, ge=1, le=20, description="Tools one search_tools call returns by default."
    )
    meaning: bool = Field(
        default=True,
        description="When `semantic` is false: rank by word meaning from the static English "
        "word table adaptgen ships (adaptgen/search/meaning.bin, pure Python, no numpy), fused "
        "with the word match. false (with `semantic: false`): words only.",
    )
    semantic: bool = Field(
        default=True,
        description="Also rank by meaning with the sentence encoder adaptgen ships (a small "
        "three-layer student of all-MiniLM-L6-v2, numpy, nothing downloaded): each tool's "
        "vector in the index, the request encoded at query time and fused with the word match, "
        "so a request finds a tool in words its text does not use. false: the word table "
        "(`meaning`) instead.",
    )


class Hints(_Strict):
    """All hints for one spec."""

    defaults: ShapeHints = Field(default_factory=ShapeHints)
    include: Selector | None = None
    exclude: Selector | None = None
    search: SearchHints = Field(default_factory=SearchHints)
    auth: dict[str, AuthHints] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="By security scheme name ('*': every operation, e.g. SigV4 on a spec that "
        "declares no security).",
    )
    chains: dict[str, ChainSpec] = Field(
        default_factory=dict, description="Composite tools, by tool name."
    )
    tools: dict[str, ToolHints] = Field(default_factory=dict, description="By operationId.")


class LoadedHints:
    """Validated hints plus where each part came from, for located errors later."""

    def __init__(
        self,
        hints: Hints,
        source: SourceFile | None = None,
        spec_source: SourceFile | None = None,
        tool_pointers: dict[str, tuple[SourceFile, str]] | None = None,
    ) -> None:
        self.hints = hints
        self.source = source
        self.spec_source = spec_source
        self._tool_pointers = tool_pointers or {}

    def location(self, op_id: str, *keys: str) -> Location | None:
        """Where the hint for `op_id` (and a key inside it) was written."""
        where = self._tool_pointers.get(op_id)
        if where is None:
            return None
        source, pointer = where
        return source.location(pointer + join_pointer(*keys))

    def check_operations(self, operation_ids: list[str]) -> None:
        """Every hinted operationId must exist in the spec: a typo must not pass silently."""
        for op_id in self.hints.tools:
            if op_id not in operation_ids and op_id in self._tool_pointers:
                raise InputError(
                    f"unknown operationId {op_id!r}{did_you_mean(op_id, operation_ids)}",
                    self.location(op_id),
                )


def hints_schema() -> dict[str, Any]:
    """The published JSON Schema of hints files (and of `x-agent` blocks)."""
    return Hints.model_json_schema()


def default_hints_path(spec: Path) -> Path:
    """`specs/crm.yaml` -> `specs/crm.hints.yaml` (the file picked up automatically)."""
    stem = spec.name.split(".")[0]
    return spec.with_name(f"{stem}.hints.yaml")


def load_hints(path: Path | None, spec_source: SourceFile | None = None) -> LoadedHints:
    """Hints from the spec's `x-agent` blocks and the hints file at `path` (file wins)."""
    merged: dict[str, Any] = {}
    pointers: dict[str, tuple[SourceFile, str]] = {}
    if spec_source is not None:
        merged, pointers = _from_spec(spec_source)
    source = None
    if path is not None:
        source = read_source(path)
        data = source.data if source.data is not None else {}
        if not isinstance(data, dict):
            raise InputError("hints must be a mapping", source.location(""))
        _validate(Hints, data, source, "")
        deep_merge(merged, data)
        for op_id in data.get("tools") or {}:
            pointers[op_id] = (source, join_pointer("tools", op_id))
    try:
        hints = Hints.model_validate(merged)
    except ValidationError as exc:  # pragma: no cover - each part was validated above
        raise InputError(f"invalid hints: {exc}") from None
    loaded = LoadedHints(hints, source, spec_source, pointers)
    _check_jsonpaths(loaded)
    return loaded


def _from_spec(spec: SourceFile) -> tuple[dict[str, Any], dict[str, tuple[SourceFile, str]]]:
    doc = spec.data if isinstance(spec.data, dict) else {}
    merged: dict[str, Any] = {}
    pointers: dict[str, tuple[SourceFile, str]] = {}
    top = doc.get(X_AGENT)
    if top is not None:
        if not isinstance(top, dict):
            raise InputError("x-agent must be a mapping", spec.location(f"/{X_AGENT}"))
        if "tools" in top:
            raise InputError(
                "x-agent at the top level takes defaults/include/exclude/search; put tool "
                "hints in an x-agent block on the operation",
                spec.location(f"/{X_AGENT}/tools"),
            )
        _validate(Hints, top, spec, f"/{X_AGENT}")
        merged = dict(top)
    tools: dict[str, Any] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if not isinstance(op, dict) or X_AGENT not in op:
                continue
            pointer = join_pointer("paths", path, method, X_AGENT)
            op_id = op.get("operationId")
            if not isinstance(op_id, str):
                raise InputError(
                    "x-agent needs the operation to have an operationId", spec.location(pointer)
                )
            block = op[X_AGENT]
            if not isinstance(block, dict):
                raise InputError("x-agent must be a mapping", spec.location(pointer))
            _validate(ToolHints, block, spec, pointer)
            tools[op_id] = block
            pointers[op_id] = (spec, pointer)
    if tools:
        merged["tools"] = tools
    return merged, pointers


def _validate(model: type[BaseModel], data: Any, source: SourceFile, at: str) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [str(p) for p in error["loc"]]
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = unknown_key_message(model, loc)
        pointer = at + join_pointer(*loc)
        raise InputError(f"invalid hints: {message}", source.location(pointer)) from None


def _check_jsonpaths(loaded: LoadedHints) -> None:
    hints = loaded.hints
    checks: list[tuple[str, Location | None]] = []
    for key in ("keep", "drop"):
        for i, expr in enumerate(getattr(hints.defaults, key) or []):
            where = loaded.source.location(f"/defaults/{key}/{i}") if loaded.source else None
            checks.append((expr, where))
    for op_id, tool in hints.tools.items():
        for key in ("keep", "drop", "pii"):
            for i, expr in enumerate(getattr(tool, key) or []):
                checks.append((expr, loaded.location(op_id, key, str(i))))
        if tool.paginate:
            for key in ("items", "next", "total"):
                expr = getattr(tool.paginate, key)
                if expr:
                    checks.append((expr, loaded.location(op_id, "paginate", key)))
    for expr, where in checks:
        try:
            compile_path(expr)
        except JsonPathError as exc:
            raise InputError(str(exc), where) from None


def search_keywords(loaded: LoadedHints) -> dict[str, list[str]]:
    """The hinted search keywords, by operationId."""
    return {
        op_id: list(tool.search.keywords)
        for op_id, tool in loaded.hints.tools.items()
        if tool.search is not None and tool.search.keywords
    }


def search_examples(loaded: LoadedHints) -> dict[str, list[str]]:
    """The hinted example requests, by operationId."""
    return {
        op_id: list(tool.search.examples)
        for op_id, tool in loaded.hints.tools.items()
        if tool.search is not None and tool.search.examples
    }
