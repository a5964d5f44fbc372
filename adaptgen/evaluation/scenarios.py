"""Scenario files: what a user asks, which calls answer it, what the answer must contain.

One format for every mode of `adaptgen eval`: search scoring (does `search_tools` rank the
first expected tool first, or in the top 3), replay (the calls made for real, no model) and
agent mode (a model plays the prompt). A scenario file is YAML (schema: `adaptgen schema eval`),
every problem an InputError at its file:line (exit 2)::

    server: ../generated/crm          # a generated server folder, relative to this file
    spec: crm.yaml                    # or only the spec: the server is built into a temp folder
    policy: eval.policy.yaml          # governance policy the server runs under (optional)
    upstream: {sandbox: crm}          # or {prism: spec.json} or {url: ...}; none: search only
    baseline:                         # FastMCP.from_openapi on the same upstream (optional)
      login: {call: {tool: login, arguments: {...}}, token: $.session.token,
              header: X-Session-Token}
    scenarios:
      - id: phone-of-contact          # optional: the scenario's number by default
        prompt: What is Ada Lovelace's phone number?
        calls:                        # the expected calls; `ordered: false` for any order
          - tool: search_records      # or `operation: searchRecords`; a list: any one of them
            arguments: {q: {$regex: "(?i)lovelace", $replay: Lovelace}, type: contact}
            capture: {contact: "$.items[0].id"}   # a value of this call's result, named
          - tool: get_contact
            arguments: {contact_id: {$from: contact}}   # the value captured above
        facts: [{text: "+1-555"}, {jsonpath: "$.data.phone"}]
        limits: {calls: 2, bytes: 4000, tokens: 1000}

Argument values are matched exactly unless they are a matcher: `{$regex: ...}`,
`{$one_of: [...]}`, `{$any: true}`; `$replay` gives the value replay mode sends for a regex or
"any", `{$env: NAME}` a value read from the environment at replay time (credentials),
`{$from: NAME}` the value an earlier call's `capture` took from its result. A file without an
`upstream` holds search-only scenarios: a prompt and its first call's name are all they need.
The search task files of earlier versions (`spec` + `tasks: [{query, expect}]`) are refused
with the command that converts them (`adaptgen eval convert`, adaptgen/evaluation/convert.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from adaptgen.errors import InputError, Location
from adaptgen.load.source import SourceFile, join_pointer, read_source
from adaptgen.runtime.strict import unknown_key_message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


Names = str | list[Annotated[str, Field(min_length=1)]]
CAPTURE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Call(_Strict):
    """One tool call: by tool name or by the operationId it was made from.

    A list of names means any one of them is right (search scoring and agent mode accept each;
    replay makes the first): several operations often answer one request.
    """

    tool: Names | None = Field(None, description="tool name(s) on the generated server")
    operation: Names | None = Field(None, description="operationId(s) (mapped to their tools)")
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description="argument -> exact value, or a matcher "
        "{$regex|$one_of|$any|$env|$from, $replay}",
    )
    capture: dict[Annotated[str, Field(pattern=CAPTURE_NAME)], str] = Field(
        default_factory=dict,
        description="name -> JSONPath in this call's result; a later argument {$from: name} "
        "is the value found there",
    )

    @model_validator(mode="after")
    def _one_name(self) -> Call:
        if (self.tool is None) == (self.operation is None):
            raise ValueError("a call names exactly one of `tool` or `operation`")
        if isinstance(self.tool or self.operation, list) and not (self.tool or self.operation):
            raise ValueError("a list of names holds at least one")
        return self

    @property
    def tools(self) -> tuple[str, ...]:
        """The tool names given (any one of them is right); empty when named by operationId."""
        return _names(self.tool)

    @property
    def operations(self) -> tuple[str, ...]:
        """The operationIds given (any one of them is right); empty when named by tool."""
        return _names(self.operation)


def _names(value: Names | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class Fact(_Strict):
    """Something the answer must contain: text in a tool result, or a JSONPath that matches."""

    text: str | None = Field(None, description="a substring of some tool result (or the answer)")
    jsonpath: str | None = Field(None, description="a JSONPath matching in some tool result")
    equals: Any = Field(None, description="with jsonpath: a matched value must equal this")

    @model_validator(mode="after")
    def _one_kind(self) -> Fact:
        if (self.text is None) == (self.jsonpath is None):
            raise ValueError("a fact is exactly one of `text` or `jsonpath`")
        return self


class Limits(_Strict):
    """What the scenario may cost on the generated server (checked in both modes)."""

    calls: int | None = Field(None, ge=1)
    bytes: int | None = Field(None, ge=1)
    tokens: int | None = Field(None, ge=1)


class Scenario(_Strict):
    """One task: a prompt, the calls that do it, the facts its answer holds, its limits."""

    id: str = Field(
        "",
        pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]*)?$",
        description="unique in the file (default: the scenario's number, from 1)",
    )
    prompt: str = Field(min_length=1)
    calls: list[Call] = Field(min_length=1)
    ordered: bool = True
    facts: list[Fact] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    baseline: list[Call] | None = Field(
        None, description="the calls on FastMCP's plain conversion (default: derived)"
    )


class Upstream(_Strict):
    """Where the generated server's calls go: the sandbox CRM, Prism mocking a spec, a URL."""

    sandbox: Literal["crm"] | None = None
    prism: str | None = Field(None, description="spec Prism mocks, relative to this file")
    dynamic: bool = Field(False, description="with prism: bodies generated from schemas")
    url: str | None = None
    env: dict[str, Any] = Field(
        default_factory=dict, description="extra env of the server (values or {$env: NAME})"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Upstream:
        if sum(x is not None for x in (self.sandbox, self.prism, self.url)) != 1:
            raise ValueError("an upstream is exactly one of `sandbox`, `prism` or `url`")
        return self


class Login(_Strict):
    """How FastMCP's side logs in: a call, the token in its answer, the header it goes in."""

    call: Call
    token: str = Field(description="JSONPath of the token in the login call's answer")
    header: str
    format: str = "{token}"


class Baseline(_Strict):
    """FastMCP.from_openapi on the same spec and upstream."""

    login: Login | None = None
    headers: dict[str, Any] = Field(
        default_factory=dict,
        description="headers FastMCP's HTTP client sends (values or {$env: NAME}): credentials",
    )


class ScenarioFileModel(_Strict):
    """The published schema of scenario files (`adaptgen schema eval`)."""

    server: str | None = Field(None, description="generated server folder, relative")
    spec: str | None = Field(
        None, description="the spec, relative (FastMCP side; built if no server)"
    )
    hints: str | None = None
    policy: str | None = None
    upstream: Upstream | None = Field(
        None, description="where calls go (replay, agent mode); none: search scoring only"
    )
    baseline: Baseline = Field(default_factory=Baseline)
    scenarios: list[Scenario] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered(self) -> ScenarioFileModel:
        for number, scenario in enumerate(self.scenarios, 1):
            scenario.id = scenario.id or str(number)
        return self


@dataclass(frozen=True)
class ScenarioFile:
    """A checked scenario file: its model, paths resolved, and where each scenario is."""

    path: Path
    model: ScenarioFileModel
    server: Path | None
    spec: Path | None
    hints: Path | None
    policy: Path | None
    prism_spec: Path | None
    source: SourceFile

    @property
    def scenarios(self) -> list[Scenario]:
        return self.model.scenarios

    def location(self, *tokens: str | int) -> Location:
        """The file:line of a value of this file."""
        return self.source.location(join_pointer(*tokens))

    def where(self, scenario: Scenario) -> Location:
        return self.location("scenarios", self.model.scenarios.index(scenario))


def eval_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    return ScenarioFileModel.model_json_schema()


def read_scenarios(path: Path) -> ScenarioFile:
    """Parse and check a scenario file; every problem is an InputError at its file:line."""
    source = read_source(path)
    if not isinstance(source.data, dict):
        raise InputError("a scenario file is a mapping with `scenarios`", source.location(""))
    if "tasks" in source.data and "scenarios" not in source.data:
        raise InputError(
            "this is the search task format of earlier versions (`tasks:`); convert it to "
            f"scenarios with `adaptgen eval convert {path}` (rewrites the file in place)",
            source.location("/tasks"),
        )
    try:
        model = ScenarioFileModel.model_validate(source.data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [str(p) for p in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = unknown_key_message(ScenarioFileModel, loc)
        elif error["type"] == "missing":  # pydantic's words name no field; the pointer is its
            message = f"`{loc[-1]}` is required"
            loc = loc[:-1]
        raise InputError(
            f"invalid scenario file: {message}", source.location(join_pointer(*loc))
        ) from None
    _check_ids(model, source)
    _check_matchers(model, source)
    _check_jsonpaths(model, source)
    _check_captures(model, source)
    if model.server is None and model.spec is None:
        raise InputError("a scenario file names a `server` folder or a `spec`", source.location(""))

    def relative(key: str, value: str | None, *, folder: bool = False) -> Path | None:
        if value is None:
            return None
        resolved = (path.parent / value).resolve()
        if not (resolved.is_dir() if folder else resolved.is_file()):
            raise InputError(f"{key} not found: {resolved}", source.location(f"/{key}"))
        return resolved

    prism = None if model.upstream is None else model.upstream.prism
    return ScenarioFile(
        path=path,
        model=model,
        server=relative("server", model.server, folder=True),
        spec=relative("spec", model.spec),
        hints=relative("hints", model.hints),
        policy=relative("policy", model.policy),
        prism_spec=None if prism is None else _prism_spec(path, prism, source),
        source=source,
    )


def _prism_spec(path: Path, value: str, source: SourceFile) -> Path:
    resolved = (path.parent / value).resolve()
    if not resolved.is_file():
        raise InputError(f"prism spec not found: {resolved}", source.location("/upstream/prism"))
    return resolved


def _check_ids(model: ScenarioFileModel, source: SourceFile) -> None:
    seen: set[str] = set()
    for index, scenario in enumerate(model.scenarios):
        if scenario.id in seen:
            raise InputError(
                f"duplicate scenario id {scenario.id!r}", source.location(f"/scenarios/{index}/id")
            )
        seen.add(scenario.id)


def _check_jsonpaths(model: ScenarioFileModel, source: SourceFile) -> None:
    """Every fact's JSONPath parses: a typo must not pass as a fact not found."""
    from adaptgen.runtime.jsonpath import JsonPathError, compile_path

    for index, scenario in enumerate(model.scenarios):
        for number, fact in enumerate(scenario.facts):
            if fact.jsonpath is None:
                continue
            try:
                compile_path(fact.jsonpath)
            except JsonPathError as exc:
                at = join_pointer("scenarios", index, "facts", number, "jsonpath")
                raise InputError(str(exc), source.location(at)) from None


def _check_captures(model: ScenarioFileModel, source: SourceFile) -> None:
    """Captures' JSONPaths parse, and every `$from` names a capture of an earlier call."""
    from adaptgen.evaluation.matchers import from_names
    from adaptgen.runtime.jsonpath import JsonPathError, compile_path

    for index, scenario in enumerate(model.scenarios):
        for kind, calls in (("calls", scenario.calls), ("baseline", scenario.baseline or [])):
            captured: list[str] = []
            for number, call in enumerate(calls):
                at = ("scenarios", index, kind, number)
                for name in call.arguments:
                    for used in from_names(call.arguments[name]):
                        if used not in captured:
                            known = f" (captured before: {', '.join(captured)})" if captured else ""
                            raise InputError(
                                f"argument {name!r}: $from {used!r} is no capture of an earlier "
                                f"call{known}",
                                source.location(join_pointer(*at, "arguments", name)),
                            )
                for name, expression in call.capture.items():
                    try:
                        compile_path(expression)
                    except JsonPathError as exc:
                        at_capture = join_pointer(*at, "capture", name)
                        raise InputError(str(exc), source.location(at_capture)) from None
                    captured.append(name)


def _check_matchers(model: ScenarioFileModel, source: SourceFile) -> None:
    """Every `$` mapping is a known matcher with well-typed operands (regexes compile)."""
    from adaptgen.evaluation.matchers import MatcherError, check_matcher

    for index, scenario in enumerate(model.scenarios):
        for kind, calls in (("calls", scenario.calls), ("baseline", scenario.baseline or [])):
            for number, call in enumerate(calls):
                for name, value in call.arguments.items():
                    try:
                        check_matcher(value)
                    except MatcherError as exc:
                        at = join_pointer("scenarios", index, kind, number, "arguments", name)
                        raise InputError(f"argument {name!r}: {exc}", source.location(at)) from None
