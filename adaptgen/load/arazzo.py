"""Arazzo 1.0 documents read into the composite-tool model (`adaptgen.hints.chains`).

Each workflow becomes one `ChainSpec`: its steps call operations of the ONE OpenAPI description
being built, in order, and the first failure ends the chain. What that model cannot express is
refused with a located `InputError` ("not supported: ...") when ignoring it would change what
the chain does (operationPath, sub-workflows, other sources, XPath, templated payloads), and
reported as a located `BuildWarning` when the chain still does the right thing without it
(goto and retry actions, dependsOn, unusual content types).

Runtime expressions stay strings (the runtime evaluates them), but they are checked here so a
typo fails the build, not the first call: `$steps.<id>.outputs.<name>` must name an earlier
step and one of its outputs, `$inputs.<name>` a declared input, and only the expressions the
chain runtime understands (see `adaptgen.hints.chains`) are accepted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from pydantic import ValidationError

from adaptgen.errors import BuildWarning, InputError
from adaptgen.hints import did_you_mean
from adaptgen.hints.chains import ChainSpec, ChainStep, StepParameter, SuccessCriterion
from adaptgen.load.source import SourceFile, join_pointer, read_source, split_pointer
from adaptgen.runtime.jsonpath import JsonPathError, compile_path

__all__ = ["ArazzoWorkflows", "load_arazzo"]

_VERSION = re.compile(r"^1\.0\.\d+$")
# workflowId/stepId: the spec's recommended pattern, which ChainStep.id requires (and tool
# names are derived from workflowIds).
_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
# Output names and component keys (spec: `^[a-zA-Z0-9\.\-_]+$`).
_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")
_PARAM_IN = ("path", "query", "header", "cookie")
_JSONPATH_VERSIONS = ("draft-goessner-dispatch-jsonpath-00",)
_XPATH_VERSIONS = ("xpath-30", "xpath-20", "xpath-10")

# Runtime expressions.
_EMBEDDED = re.compile(r"\{(\$[^{}]+)\}")  # `text {$inputs.x} text`
_TOKEN = re.compile(r"\$[A-Za-z][A-Za-z0-9_]*")  # an expression inside a condition
_QUOTED = re.compile(r"'(?:[^']|'')*'")  # string literals of conditions
# What the runtime compares: one expression, an operator, a literal.
_COMPARISON = re.compile(r"^\s*(\$\S+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
_ROOT = re.compile(r"^\$([A-Za-z][A-Za-z0-9_]*)")
# Names end at a dot: further dotted parts are fields inside the value.
_INPUT_REF = re.compile(r"^\$inputs\.([^.\s#]+)(?:\.[^\s#]+)?$")
_STEP_REF = re.compile(r"^\$steps\.([^.\s#]+)(?:\.outputs\.([^.\s#]+)(?:\.[^\s#]+)?)?$")
_SOURCE_REF = re.compile(r"^\$sourceDescriptions\.([^.]+)\.(.+)$")
_COMPONENT_REF = re.compile(r"^\$components\.([A-Za-z]+)\.(.+)$")
_JSON_REF = re.compile(r"^#/components/([A-Za-z]+)/(.+)$")
_KNOWN_ROOTS = "$inputs, $steps, $response.body, $response.header and $statusCode"

# (required, optional) fields of each object; `x-` extensions are allowed everywhere.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Arazzo document": (("arazzo", "info", "sourceDescriptions", "workflows"), ("components",)),
    "info": (("title", "version"), ("summary", "description")),
    "source description": (("name", "url"), ("type",)),
    "workflow": (
        ("workflowId", "steps"),
        (
            "summary",
            "description",
            "inputs",
            "dependsOn",
            "successActions",
            "failureActions",
            "outputs",
            "parameters",
        ),
    ),
    "step": (
        ("stepId",),
        (
            "description",
            "operationId",
            "operationPath",
            "workflowId",
            "parameters",
            "requestBody",
            "successCriteria",
            "onSuccess",
            "onFailure",
            "outputs",
        ),
    ),
    "parameter": (("name", "value"), ("in",)),
    "success action": (("name", "type"), ("workflowId", "stepId", "criteria")),
    "failure action": (
        ("name", "type"),
        ("workflowId", "stepId", "retryAfter", "retryLimit", "criteria"),
    ),
    "components": ((), ("inputs", "parameters", "successActions", "failureActions")),
    "criterion": (("condition",), ("context", "type")),
    "criterion expression type": (("type", "version"), ()),
    "requestBody": ((), ("contentType", "payload", "replacements")),
    "payload replacement": (("target", "value"), ()),
}
_COMPONENT_KINDS = {
    "parameters": "parameter",
    "successActions": "success action",
    "failureActions": "failure action",
}


@dataclass(frozen=True)
class ArazzoWorkflows:
    """The workflows of one Arazzo document, as composite tools."""

    chains: dict[str, ChainSpec]  # by workflowId, in document order
    warnings: list[BuildWarning]  # located in the Arazzo file
    source: SourceFile  # the Arazzo document


def load_arazzo(path: Path, *, spec_operation_ids: set[str] | None = None) -> ArazzoWorkflows:
    """Read an Arazzo 1.0.x document: one `ChainSpec` per workflow.

    Steps must call operations (by operationId) of the single OpenAPI source description; when
    `spec_operation_ids` is given, every operationId must be one of them. Any problem is an
    `InputError` located at the offending value of the Arazzo file.
    """
    source = read_source(Path(path))
    reader = _Reader(source, spec_operation_ids)
    chains = reader.read()
    return ArazzoWorkflows(chains=chains, warnings=reader.warnings, source=source)


@dataclass
class _Scope:
    """What the runtime expressions of one value may refer to."""

    workflow_id: str
    inputs: set[str]  # declared input properties
    step_ids: list[str]  # every step of the workflow, in order
    visible: dict[str, set[str]]  # steps whose outputs exist here -> their output names
    current: str | None = None  # the step being read (None: workflow level)
    response: bool = False  # $response / $statusCode mean something here
    jsonpath: bool = False  # a whole value may be a JSONPath on the response body
    loose: bool = False  # action criteria: never evaluated, any existing step may be named


@dataclass
class _Param:
    name: str
    in_: str | None
    value: Any
    pointer: str  # where the parameter (or its reference) is
    value_pointer: str  # where its value is written


class _Reader:
    def __init__(self, source: SourceFile, spec_operation_ids: set[str] | None) -> None:
        self.source = source
        self.operation_ids = spec_operation_ids
        self.warnings: list[BuildWarning] = []
        self.components: dict[str, dict[str, Any]] = {}
        self.openapi_source = ""
        self.source_types: dict[str, str] = {}
        self.workflow_ids: list[str] = []

    # ---------------------------------------------------------------- helpers

    def fail(self, message: str, pointer: str) -> NoReturn:
        raise InputError(message, self.source.location(pointer))

    def warn(self, message: str, pointer: str) -> None:
        self.warnings.append(BuildWarning(self.source.location(pointer), message))

    def obj(self, value: Any, pointer: str, kind: str) -> dict[str, Any]:
        """`value` as an object of `kind`: a mapping with its required and no unknown keys."""
        if not isinstance(value, dict):
            self.fail(f"{kind} must be a mapping, not {_type_name(value)}", pointer)
        required, optional = _FIELDS[kind]
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed and not key.startswith("x-"):
                hint = did_you_mean(key, allowed)
                self.fail(f"unknown key {key!r} in {kind}{hint}", pointer + join_pointer(key))
        for key in required:
            if key not in value:
                self.fail(f"{kind} needs {key!r}", pointer)
        return value

    def string(self, obj: dict[str, Any], key: str, pointer: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            hint = " (quote it)" if isinstance(value, int | float) else ""
            self.fail(f"{key} must be a string, not {_type_name(value)}{hint}", pointer)
        return value

    def seq(self, obj: dict[str, Any], key: str, pointer: str) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{key} must be a list, not {_type_name(value)}", pointer)
        return value

    def mapping(self, obj: dict[str, Any], key: str, pointer: str) -> dict[str, Any]:
        value = obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{key} must be a mapping, not {_type_name(value)}", pointer)
        return value

    def at(self, pointer: str) -> Any:
        """The value at `pointer` of the document (None if absent)."""
        node = self.source.data
        for token in split_pointer(pointer):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node

    # ---------------------------------------------------------------- document

    def read(self) -> dict[str, ChainSpec]:
        doc = self.obj(self.source.data, "", "Arazzo document")
        version = doc["arazzo"]
        if not isinstance(version, str):
            self.fail(
                f"arazzo must be a string such as '1.0.1', not {_type_name(version)} "
                f"{version!r} (quote it)",
                "/arazzo",
            )
        if not _VERSION.match(version):
            self.fail(f"not supported: Arazzo {version!r}; adaptgen reads Arazzo 1.0.x", "/arazzo")
        info = self.obj(doc["info"], "/info", "info")
        for key in ("title", "version", "summary", "description"):
            self.string(info, key, f"/info/{key}")
        self._sources(doc["sourceDescriptions"])
        self._components(self.mapping(doc, "components", "/components"))

        workflows = doc["workflows"]
        if not isinstance(workflows, list) or not workflows:
            self.fail("workflows must be a non-empty list", "/workflows")
        # All ids first: dependsOn and goto may name a workflow defined further down.
        for i, wf in enumerate(workflows):
            wp = f"/workflows/{i}"
            wf = self.obj(wf, wp, "workflow")
            wid = self.string(wf, "workflowId", f"{wp}/workflowId") or ""
            if not _ID.match(wid):
                self.fail(
                    f"workflowId {wid!r} must match [A-Za-z0-9_-]+ (adaptgen names the tool "
                    "after it)",
                    f"{wp}/workflowId",
                )
            if wid in self.workflow_ids:
                self.fail(f"duplicate workflowId {wid!r}", f"{wp}/workflowId")
            self.workflow_ids.append(wid)
        return {
            wf["workflowId"]: self._workflow(wf, f"/workflows/{i}")
            for i, wf in enumerate(workflows)
        }

    def _sources(self, sources: Any) -> None:
        if not isinstance(sources, list) or not sources:
            self.fail("sourceDescriptions must be a non-empty list", "/sourceDescriptions")
        openapi: list[str] = []
        for i, sd in enumerate(sources):
            sp = f"/sourceDescriptions/{i}"
            sd = self.obj(sd, sp, "source description")
            name = self.string(sd, "name", f"{sp}/name") or ""
            self.string(sd, "url", f"{sp}/url")
            # `type` is optional in the spec text; an untyped source is taken as OpenAPI.
            kind = self.string(sd, "type", f"{sp}/type") or "openapi"
            if kind not in ("openapi", "arazzo"):
                self.fail(
                    f"source description type must be 'openapi' or 'arazzo', not {kind!r}"
                    f"{did_you_mean(kind, ['openapi', 'arazzo'])}",
                    f"{sp}/type",
                )
            if name in self.source_types:
                self.fail(f"duplicate source description name {name!r}", f"{sp}/name")
            self.source_types[name] = kind
            if kind == "openapi":
                openapi.append(name)
        if len(openapi) != 1:
            found = ", ".join(repr(n) for n in openapi) or "none"
            self.fail(
                "not supported: adaptgen builds the API of exactly one OpenAPI description, so "
                f"the document must list one source description of type openapi (found {found})",
                "/sourceDescriptions",
            )
        self.openapi_source = openapi[0]

    def _components(self, components: dict[str, Any]) -> None:
        if not components:
            return
        self.obj(components, "/components", "components")
        for section in ("inputs", "parameters", "successActions", "failureActions"):
            entries = self.mapping(components, section, f"/components/{section}")
            for key, value in entries.items():
                cp = join_pointer("components", section, key)
                if not _KEY.match(key):
                    self.fail(f"component name {key!r} must match [a-zA-Z0-9.-_]+", cp)
                if section == "inputs":
                    if not isinstance(value, dict):
                        self.fail(f"input schema must be a mapping, not {_type_name(value)}", cp)
                else:
                    self.obj(value, cp, _COMPONENT_KINDS[section])
            self.components[section] = entries

    # ---------------------------------------------------------------- workflow

    def _workflow(self, wf: dict[str, Any], wp: str) -> ChainSpec:
        wid: str = wf["workflowId"]
        summary = self.string(wf, "summary", f"{wp}/summary")
        text = self.string(wf, "description", f"{wp}/description")
        description = "\n\n".join(p.strip() for p in (summary, text) if p and p.strip())
        inputs, input_names = self._inputs(wf, wp)

        for i, dep in enumerate(self.seq(wf, "dependsOn", f"{wp}/dependsOn")):
            dp = f"{wp}/dependsOn/{i}"
            if not isinstance(dep, str):
                self.fail(f"dependsOn entries must be workflowIds, not {_type_name(dep)}", dp)
            if not dep.startswith("$sourceDescriptions.") and dep not in self.workflow_ids:
                self.fail(
                    f"dependsOn names no workflow {dep!r}{did_you_mean(dep, self.workflow_ids)}",
                    dp,
                )
            self.warn(
                f"dependsOn {dep!r} is ignored: each workflow is its own tool and adaptgen does "
                "not run other workflows first (say so in the description if it matters)",
                dp,
            )

        steps = wf["steps"]
        if not isinstance(steps, list) or not steps:
            self.fail(f"workflow {wid!r} needs at least one step", f"{wp}/steps")
        step_ids: list[str] = []
        for i, step in enumerate(steps):
            sp = f"{wp}/steps/{i}"
            step = self.obj(step, sp, "step")
            sid = self.string(step, "stepId", f"{sp}/stepId") or ""
            if not _ID.match(sid):
                self.fail(f"stepId {sid!r} must match [A-Za-z0-9_-]+", f"{sp}/stepId")
            if sid in step_ids:
                self.fail(f"duplicate stepId {sid!r} in workflow {wid!r}", f"{sp}/stepId")
            step_ids.append(sid)

        scope = _Scope(wid, input_names, step_ids, visible={})
        shared = self._params(self.seq(wf, "parameters", f"{wp}/parameters"), f"{wp}/parameters")
        for kind, key in (("success", "successActions"), ("failure", "failureActions")):
            self._actions(kind, self.seq(wf, key, f"{wp}/{key}"), f"{wp}/{key}", scope, None)

        chain_steps: list[ChainStep] = []
        for i, step in enumerate(steps):
            chain_steps.append(self._step(step, f"{wp}/steps/{i}", i, shared, scope))

        output: dict[str, str] | None = None
        if "outputs" in wf:
            # Evaluated once the chain is done: every step's outputs exist.
            end = _Scope(wid, input_names, step_ids, visible=scope.visible)
            output = self._outputs(
                self.mapping(wf, "outputs", f"{wp}/outputs"), f"{wp}/outputs", end
            )
        try:
            return ChainSpec(
                description=description or f"Run the {wid} workflow.",
                inputs=inputs,
                steps=chain_steps,
                output=output or None,
                source=f"arazzo:{self.source.path.name}#{wid}",
            )
        except ValidationError as exc:  # pragma: no cover - everything was checked above
            self.fail(f"invalid workflow {wid!r}: {exc}", wp)

    def _inputs(self, wf: dict[str, Any], wp: str) -> tuple[dict[str, Any], set[str]]:
        """The workflow's inputs as one object schema (refs inlined) and its property names."""
        if wf.get("inputs") is None:
            return {}, set()
        raw = wf["inputs"]
        ip = f"{wp}/inputs"
        schema = self._schema(raw, ip, ())
        if isinstance(raw, dict) and list(raw) == ["$ref"]:
            ip = raw["$ref"][1:]  # a valid local ref by now: point messages at its schema
        if not isinstance(schema, dict):
            self.fail(f"inputs must be a JSON Schema object, not {_type_name(schema)}", ip)
        if schema.get("type", "object") != "object":
            self.fail(
                f"inputs must be an object schema (type: object), not type {schema['type']!r}: "
                "its properties are the tool's arguments",
                ip,
            )
        for combinator in ("allOf", "anyOf", "oneOf"):
            if combinator in schema:
                self.fail(
                    f"not supported: {combinator} in workflow inputs; list the inputs as "
                    "properties of one object schema",
                    f"{ip}/{combinator}",
                )
        properties = schema.get("properties") or {}
        if not isinstance(properties, dict):
            self.fail("inputs properties must be a mapping", f"{ip}/properties")
        required = schema.get("required") or []
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            self.fail("inputs required must be a list of property names", f"{ip}/required")
        for i, name in enumerate(required):
            if name not in properties:
                self.fail(
                    f"required input {name!r} is not a property"
                    f"{did_you_mean(name, list(properties))}",
                    f"{ip}/required/{i}",
                )
        # Always a whole object schema with `properties`: ChainSpec.inputs also takes a
        # name -> schema map, and `{type: object}` alone would read as an input named "type".
        return {"type": "object", **schema, "properties": properties}, set(properties)

    def _schema(self, node: Any, pointer: str, trail: tuple[str, ...]) -> Any:
        """A copy of a JSON Schema with its `$ref`s into this document inlined."""
        if isinstance(node, list):
            return [self._schema(v, f"{pointer}/{i}", trail) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if "$ref" not in node:
            return {k: self._schema(v, pointer + join_pointer(k), trail) for k, v in node.items()}
        ref = node["$ref"]
        rp = f"{pointer}/$ref"
        if not isinstance(ref, str) or not ref.startswith("#/"):
            self.fail(
                f"not supported: $ref {ref!r}; inputs may only refer into this document "
                "(#/components/inputs/<name>)",
                rp,
            )
        if ref in trail:
            self.fail(f"circular $ref {ref!r}: an input schema cannot refer to itself", rp)
        target = self.at(ref[1:])
        if target is None:
            where = self.at(ref[1:].rsplit("/", 1)[0])
            names = list(where) if isinstance(where, dict) else []
            last = ref.rsplit("/", 1)[-1]
            self.fail(f"$ref {ref!r} points at nothing{did_you_mean(last, names)}", rp)
        resolved = self._schema(target, ref[1:], (*trail, ref))
        siblings = {
            k: self._schema(v, pointer + join_pointer(k), trail)
            for k, v in node.items()
            if k != "$ref"
        }
        # JSON Schema 2020-12 allows keywords beside $ref (a description, say): they add to it.
        if siblings and isinstance(resolved, dict):
            return {**resolved, **siblings}
        return resolved

    # ---------------------------------------------------------------- step

    def _step(
        self, step: dict[str, Any], sp: str, index: int, shared: list[_Param], wf_scope: _Scope
    ) -> ChainStep:
        sid: str = step["stepId"]
        call = self._operation(step, sp)
        scope = _Scope(
            wf_scope.workflow_id,
            wf_scope.inputs,
            wf_scope.step_ids,
            visible=dict(wf_scope.visible),
            current=sid,
        )

        # Workflow-level parameters apply to every step; the step's own override by name+in.
        own = self._params(self.seq(step, "parameters", f"{sp}/parameters"), f"{sp}/parameters")
        overridden = {(p.name, p.in_) for p in own}
        params = [p for p in shared if (p.name, p.in_) not in overridden] + own
        parameters: list[StepParameter] = []
        for p in params:
            if p.in_ is None:
                self.fail(
                    f"parameter {p.name!r} needs 'in' (path, query, header or cookie): Arazzo "
                    "requires it on steps that call an operation",
                    p.pointer,
                )
            self._check_value(p.value, p.value_pointer, scope)
            parameters.append(StepParameter(name=p.name, in_=p.in_, value=p.value))  # type: ignore[arg-type]

        body = None
        if step.get("requestBody") is not None:
            body = self._body(step["requestBody"], f"{sp}/requestBody", scope)

        scope.response = True  # criteria and outputs read this step's response
        success = [
            self._criterion(c, f"{sp}/successCriteria/{i}", scope)
            for i, c in enumerate(self.seq(step, "successCriteria", f"{sp}/successCriteria"))
        ]
        for kind, key in (("success", "onSuccess"), ("failure", "onFailure")):
            self._actions(kind, self.seq(step, key, f"{sp}/{key}"), f"{sp}/{key}", scope, index)

        scope.jsonpath = True
        outputs = self._outputs(
            self.mapping(step, "outputs", f"{sp}/outputs"), f"{sp}/outputs", scope
        )
        wf_scope.visible[sid] = set(outputs)
        return ChainStep(
            id=sid,
            call=call,
            parameters=parameters,
            body=body,
            outputs=outputs,
            success=success,
        )

    def _operation(self, step: dict[str, Any], sp: str) -> str:
        """The operationId a step calls, qualifier stripped; other kinds of step are refused."""
        kinds = [k for k in ("operationId", "operationPath", "workflowId") if k in step]
        if len(kinds) != 1:
            which = " and ".join(kinds) if kinds else "none"
            self.fail(
                f"a step needs exactly one of operationId, operationPath and workflowId "
                f"(has {which})",
                sp,
            )
        if kinds[0] == "operationPath":
            self.fail(
                "not supported: operationPath; refer to the operation by its operationId",
                f"{sp}/operationPath",
            )
        if kinds[0] == "workflowId":
            self.fail(
                "not supported: a step that runs another workflow; adaptgen chains call "
                "operations only (declare the steps inline)",
                f"{sp}/workflowId",
            )
        op_pointer = f"{sp}/operationId"
        op_id = self.string(step, "operationId", op_pointer) or ""
        qualified = _SOURCE_REF.match(op_id)
        if qualified:
            name, op_id = qualified.groups()
            if name not in self.source_types:
                self.fail(
                    f"no source description {name!r}{did_you_mean(name, list(self.source_types))}",
                    op_pointer,
                )
            if name != self.openapi_source:
                self.fail(
                    f"not supported: operations of source description {name!r}; adaptgen builds "
                    f"the API of {self.openapi_source!r}",
                    op_pointer,
                )
        if not op_id:
            self.fail("operationId must not be empty", op_pointer)
        if self.operation_ids is not None and op_id not in self.operation_ids:
            self.fail(
                f"unknown operationId {op_id!r}{did_you_mean(op_id, sorted(self.operation_ids))}",
                op_pointer,
            )
        return op_id

    def _params(self, entries: list[Any], lp: str) -> list[_Param]:
        """Parameter Objects and Reusable Objects (references to components) of one list."""
        params: list[_Param] = []
        for i, entry in enumerate(entries):
            pp = f"{lp}/{i}"
            resolved = self._reusable(entry, pp, "parameters")
            if resolved is None:
                param, at = self.obj(entry, pp, "parameter"), pp
                value_at = f"{pp}/value"
            else:
                param, at = resolved
                # A reference may set the value; the component's is the default.
                value_at = f"{pp}/value" if "value" in entry else f"{at}/value"
                if "value" in entry:
                    param = {**param, "value": entry["value"]}
            name = self.string(param, "name", f"{at}/name") or ""
            where = self.string(param, "in", f"{at}/in")
            if where is not None and where not in _PARAM_IN:
                self.fail(
                    f"parameter 'in' must be path, query, header or cookie, not {where!r}"
                    f"{did_you_mean(where, list(_PARAM_IN))}",
                    f"{at}/in",
                )
            if any((p.name, p.in_) == (name, where) for p in params):
                self.fail(f"duplicate parameter {name!r} (in: {where or 'none'})", pp)
            params.append(_Param(name, where, param["value"], pp, value_at))
        return params

    def _reusable(
        self, entry: Any, pointer: str, section: str
    ) -> tuple[dict[str, Any], str] | None:
        """The component a Reusable Object (or a `$ref`) names, with its pointer; else None."""
        if not isinstance(entry, dict):
            return None
        if "reference" in entry:
            key, ref = "reference", entry["reference"]
            match = _COMPONENT_REF.match(ref) if isinstance(ref, str) else None
            expected = f"$components.{section}.<name>"
        elif "$ref" in entry:
            key, ref = "$ref", entry["$ref"]
            match = _JSON_REF.match(ref) if isinstance(ref, str) else None
            expected = f"#/components/{section}/<name>"
        else:
            return None
        rp = pointer + join_pointer(key)
        if match is None or match.group(1) != section:
            self.fail(f"{key} must be {expected}, not {ref!r}", rp)
        name = match.group(2)
        entries = self.components.get(section, {})
        if name not in entries:
            self.fail(f"no component {section}.{name}{did_you_mean(name, list(entries))}", rp)
        # Extra fields of a Reusable Object MUST be ignored (spec); say so, they are likely
        # meant to change something.
        allowed = ("reference", "$ref", "value") if section == "parameters" else ("reference",)
        for extra in entry:
            if extra not in allowed:
                self.warn(
                    f"{extra!r} beside a reference is ignored (a reference takes only "
                    f"{' and '.join(repr(a) for a in allowed if a != '$ref')})",
                    pointer + join_pointer(extra),
                )
        return entries[name], join_pointer("components", section, name)

    def _body(self, raw: Any, bp: str, scope: _Scope) -> Any:
        request = self.obj(raw, bp, "requestBody")
        content_type = self.string(request, "contentType", f"{bp}/contentType")
        media = (content_type or "").split(";")[0].strip().lower()
        is_json = not media or media == "application/json" or media.endswith("+json")
        is_form = media == "application/x-www-form-urlencoded"
        if not (is_json or is_form):
            # ChainStep has no content type: the runtime encodes the body as the operation
            # declares it (JSON or form).
            self.warn(
                f"contentType {content_type!r} is ignored: adaptgen sends chain bodies as JSON "
                "or form data, as the operation declares",
                f"{bp}/contentType",
            )
        payload = request.get("payload")
        pp = f"{bp}/payload"
        if isinstance(payload, str) and not payload.startswith("$"):
            payload = self._text_payload(payload, pp, is_json=is_json, is_form=is_form)
        self._check_value(payload, pp, scope)
        replacements = self.seq(request, "replacements", f"{bp}/replacements")
        if replacements:
            payload = self._replace(payload, replacements, f"{bp}/replacements", scope)
        return payload

    def _text_payload(self, text: str, pp: str, *, is_json: bool, is_form: bool) -> Any:
        """A payload written as text, as the structure the runtime sends (JSON or form)."""
        if is_form:
            # `a={$inputs.a}&b=2`: the runtime form-encodes a mapping.
            return dict(parse_qsl(text.strip(), keep_blank_values=True))
        if is_json and text.lstrip().startswith(("{", "[")):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                self.fail(
                    f"not supported: a templated JSON payload that is not valid JSON "
                    f"({exc.msg}); write the payload as a YAML/JSON mapping with expressions "
                    "as values",
                    pp,
                )
        return text

    def _replace(self, payload: Any, replacements: list[Any], lp: str, scope: _Scope) -> Any:
        """Apply Payload Replacement Objects now: targets are JSON pointers into a literal."""
        result = json.loads(json.dumps(payload)) if payload is not None else {}
        for i, raw in enumerate(replacements):
            rp = f"{lp}/{i}"
            rep = self.obj(raw, rp, "payload replacement")
            target = self.string(rep, "target", f"{rp}/target") or ""
            self._check_value(rep["value"], f"{rp}/value", scope)
            if not target.startswith("/"):
                self.fail(
                    f"not supported: replacement target {target!r}; only JSON pointers "
                    "(/a/b) into a JSON payload",
                    f"{rp}/target",
                )
            tokens = split_pointer(target)
            parent: Any = result
            for token in tokens[:-1]:
                parent = _child(parent, token)
                if parent is None:
                    self.fail(
                        f"replacement target {target!r} is not in the payload", f"{rp}/target"
                    )
            last = tokens[-1]
            if isinstance(parent, dict):
                parent[last] = rep["value"]
            elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
                parent[int(last)] = rep["value"]
            elif isinstance(parent, list) and last == "-":
                parent.append(rep["value"])
            else:
                self.fail(f"replacement target {target!r} is not in the payload", f"{rp}/target")
        return result

    def _outputs(self, outputs: dict[str, Any], op: str, scope: _Scope) -> dict[str, str]:
        for name, expr in outputs.items():
            at = op + join_pointer(name)
            if not _KEY.match(name):
                self.fail(f"output name {name!r} must match [a-zA-Z0-9.-_]+", at)
            if not isinstance(expr, str):
                self.fail(
                    f"output {name!r} must be a runtime expression, not {_type_name(expr)}", at
                )
            if not expr.startswith("$") and not _EMBEDDED.search(expr):
                self.fail(
                    f"output {name!r} must be a runtime expression such as "
                    f"$response.body#/id, not {expr!r}",
                    at,
                )
            self._check_value(expr, at, scope)
        return dict(outputs)

    # ---------------------------------------------------------------- criteria and actions

    def _criterion(self, raw: Any, cp: str, scope: _Scope) -> SuccessCriterion:
        crit = self.obj(raw, cp, "criterion")
        condition = self.string(crit, "condition", f"{cp}/condition") or ""
        context = self.string(crit, "context", f"{cp}/context")
        kind = crit.get("type") or "simple"
        tp = f"{cp}/type"
        if isinstance(kind, dict):
            typed = self.obj(kind, tp, "criterion expression type")
            kind = self.string(typed, "type", f"{tp}/type")
            version = self.string(typed, "version", f"{tp}/version") or ""
            versions = _XPATH_VERSIONS if kind == "xpath" else _JSONPATH_VERSIONS
            if kind in ("jsonpath", "xpath") and version not in versions:
                self.fail(
                    f"{kind} version must be {' or '.join(versions)}, not {version!r}",
                    f"{tp}/version",
                )
            if kind not in ("jsonpath", "xpath"):
                self.fail(f"criterion expression type must be jsonpath or xpath, not {kind!r}", tp)
        if kind == "xpath":
            self.fail("not supported: xpath criteria (adaptgen chains read JSON)", tp)
        if kind not in ("simple", "regex", "jsonpath"):
            self.fail(
                f"criterion type must be simple, regex, jsonpath or xpath, not {kind!r}"
                f"{did_you_mean(str(kind), ['simple', 'regex', 'jsonpath'])}",
                tp,
            )
        if kind != "simple" and context is None:
            self.fail(f"a {kind} criterion needs a context (e.g. $response.body)", cp)
        if context is not None:
            self._check_expression(context, f"{cp}/context", scope)
        if kind == "simple":
            self._check_condition(condition, f"{cp}/condition", scope)
        elif kind == "regex":
            try:
                re.compile(condition)
            except re.error as exc:
                self.fail(f"invalid regex {condition!r}: {exc}", f"{cp}/condition")
        else:
            try:
                compile_path(condition)
            except JsonPathError as exc:
                self.fail(str(exc), f"{cp}/condition")
        return SuccessCriterion(condition=condition, context=context, type=kind)

    def _actions(
        self, kind: str, entries: list[Any], lp: str, scope: _Scope, index: int | None
    ) -> None:
        """Check onSuccess/onFailure (or workflow-level) actions; warn about what is ignored.

        The chain runs its steps in order and stops at the first failure: that is Arazzo's
        default, a failure `end`, a success `end` on the last step and a `goto` to the next
        step. Anything else cannot be honoured and is reported.
        """
        section = "successActions" if kind == "success" else "failureActions"
        names: set[str] = set()
        for i, entry in enumerate(entries):
            ap = f"{lp}/{i}"
            resolved = self._reusable(entry, ap, section)
            action, at = resolved if resolved else (self.obj(entry, ap, f"{kind} action"), ap)
            name = self.string(action, "name", f"{at}/name") or ""
            if name in names:
                self.fail(f"duplicate {kind} action {name!r}", ap)
            names.add(name)
            types = ("end", "goto") if kind == "success" else ("end", "retry", "goto")
            atype = self.string(action, "type", f"{at}/type")
            if atype not in types:
                self.fail(
                    f"{kind} action type must be {', '.join(types)}, not {atype!r}"
                    f"{did_you_mean(str(atype), list(types))}",
                    f"{at}/type",
                )
            target = self._action_target(action, at, scope, needed=atype == "goto")
            for j, crit in enumerate(self.seq(action, "criteria", f"{at}/criteria")):
                self._criterion(crit, f"{at}/criteria/{j}", _loose(scope))
            ignored = self._ignored(kind, atype or "", action, at, target, scope, index)
            if ignored:
                label = lp.rsplit("/", 1)[-1]  # onSuccess, onFailure or the workflow's lists
                what, why = ignored
                self.warn(f"{label} action {name!r} ({what}) is ignored: {why}", ap)

    def _action_target(
        self, action: dict[str, Any], at: str, scope: _Scope, *, needed: bool
    ) -> str | None:
        """`step X` / `workflow X` an action transfers to (checked to exist), or None."""
        step_id = self.string(action, "stepId", f"{at}/stepId")
        workflow_id = self.string(action, "workflowId", f"{at}/workflowId")
        if step_id is not None and workflow_id is not None:
            self.fail("an action takes stepId or workflowId, not both", at)
        if step_id is not None:
            if step_id not in scope.step_ids:
                self.fail(
                    f"no step {step_id!r} in workflow {scope.workflow_id!r}"
                    f"{did_you_mean(step_id, scope.step_ids)}",
                    f"{at}/stepId",
                )
            return f"step {step_id!r}"
        if workflow_id is not None:
            local = not workflow_id.startswith("$sourceDescriptions.")
            if local and workflow_id not in self.workflow_ids:
                self.fail(
                    f"no workflow {workflow_id!r}{did_you_mean(workflow_id, self.workflow_ids)}",
                    f"{at}/workflowId",
                )
            return f"workflow {workflow_id!r}"
        if needed:
            self.fail("a goto action needs a stepId or a workflowId", at)
        return None

    def _ignored(
        self,
        kind: str,
        atype: str,
        action: dict[str, Any],
        at: str,
        target: str | None,
        scope: _Scope,
        index: int | None,
    ) -> tuple[str, str] | None:
        """(what, why) of an action the chain cannot honour, or None if it does the same."""
        last = index is not None and index == len(scope.step_ids) - 1
        if kind == "failure" and atype == "end":
            return None
        if kind == "success" and atype == "end":
            if last or len(scope.step_ids) == 1:
                return None
            return "end", "adaptgen runs every step of the chain, in order"
        if atype == "goto":
            following = None if index is None or last else scope.step_ids[index + 1]
            if kind == "success" and target == f"step {following!r}":
                return None  # the default anyway
            then = "the next step runs" if kind == "success" else "the chain fails"
            return f"goto {target}", f"chains have no jumps, {then}"
        # retry
        retry_after = action.get("retryAfter")
        retry_limit = action.get("retryLimit")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or retry_after < 0
        ):
            self.fail("retryAfter must be a non-negative number of seconds", f"{at}/retryAfter")
        if retry_limit is not None and (
            isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0
        ):
            self.fail("retryLimit must be a non-negative integer", f"{at}/retryLimit")
        if target is not None:
            return f"retry after {target}", "not supported, a failed step ends the chain"
        times = retry_limit if retry_limit is not None else 1  # spec: one retry by default
        after = f" after {retry_after}s" if retry_after is not None else ""
        return (
            f"retry up to {times} time{'s' if times != 1 else ''}{after}",
            "the chain runtime does not retry steps yet, a failed step ends the chain",
        )

    # ---------------------------------------------------------------- runtime expressions
    # Checked as adaptgen.runtime.expressions evaluates them: a string starting with `$` is one
    # whole expression, `{$...}` embeds one in text, and `$inputs`/`$steps` paths continue
    # with dots (`$steps.find.outputs.contact.email`).

    def _check_value(self, value: Any, pointer: str, scope: _Scope) -> None:
        """Check the expressions in a value: a whole-string one, or `{$...}` inside text."""
        if isinstance(value, dict):
            for key, item in value.items():
                self._check_value(item, pointer + join_pointer(key), scope)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._check_value(item, f"{pointer}/{i}", scope)
        elif isinstance(value, str):
            if value.startswith("$"):
                self._check_expression(value, pointer, scope)
            else:
                for match in _EMBEDDED.finditer(value):
                    self._check_expression(match.group(1), pointer, scope)

    def _check_condition(self, condition: str, pointer: str, scope: _Scope) -> None:
        """A simple condition: `<expression> <op> <literal>`, or a bare expression (truthy)."""
        if scope.loose:
            # Action criteria are never evaluated: only their references must exist.
            text = _QUOTED.sub("''", condition)
            for match in _TOKEN.finditer(text):
                self._check_reference(text[match.start() :].split()[0], pointer, scope)
            return
        text = condition.strip()
        unquoted = _QUOTED.sub("''", text)
        if "&&" in unquoted or "||" in unquoted:
            self.fail(
                f"not supported: compound condition {condition!r}; write one successCriteria "
                "entry per comparison (all must hold)",
                pointer,
            )
        match = _COMPARISON.match(text)
        if match is None:
            if not text.startswith("$") or re.search(r"\s", text):
                self.fail(
                    f"not supported: condition {condition!r}; adaptgen evaluates "
                    "`<expression> <op> <literal>` (op: == != < <= > >=) or a bare expression",
                    pointer,
                )
            self._check_expression(text, pointer, scope)
            return
        if match.group(3).startswith("$"):
            self.fail(
                f"not supported: condition {condition!r}; compare an expression with a literal "
                "(number, true/false/null or 'text')",
                pointer,
            )
        self._check_expression(match.group(1), pointer, scope)

    def _check_expression(self, expr: str, pointer: str, scope: _Scope) -> None:
        """One whole runtime expression, against its scope."""
        if expr.startswith(("$.", "$[")):
            if not scope.jsonpath:
                self.fail(
                    f"a JSONPath ({expr!r}) can only be a step output; use a runtime "
                    "expression here",
                    pointer,
                )
            try:
                compile_path(expr)
            except JsonPathError as exc:
                self.fail(str(exc), pointer)
            return
        if _ROOT.match(expr) is None:
            self.fail(
                f"{expr!r} is not a runtime expression (a value starting with $ is read as one)",
                pointer,
            )
        if re.search(r"\s", expr.split("#", 1)[0]):
            self.fail(
                f"{expr!r} is not one runtime expression; to mix text and expressions write "
                "'text {$inputs.name} text'",
                pointer,
            )
        self._check_reference(expr, pointer, scope)

    def _check_reference(self, expr: str, pointer: str, scope: _Scope) -> None:
        """What an expression starting with `$<root>` names must exist, here."""
        root = _ROOT.match(expr)
        name = root.group(1) if root else ""
        if name in ("inputs", "steps"):
            if "#" in expr:
                head, tail = expr.split("#", 1)
                dotted = ".".join(t for t in tail.split("/") if t)
                self.fail(
                    f"not supported: a JSON pointer after ${name} ({expr!r}); the chain runtime "
                    f"reads fields with dots: {head}.{dotted}",
                    pointer,
                )
            if name == "inputs":
                self._check_input(expr, pointer, scope)
            else:
                self._check_step_ref(expr, pointer, scope)
        elif name in ("response", "statusCode"):
            if not scope.response:
                self.fail(f"${name} only means something in a step's outputs and criteria", pointer)
            if name == "response":
                self._check_response(expr, pointer)
            elif expr != "$statusCode":
                self.fail(f"expected $statusCode, not {expr!r}", pointer)
        else:
            self.fail(
                f"not supported: runtime expression ${name}; adaptgen chains evaluate "
                f"{_KNOWN_ROOTS}",
                pointer,
            )

    def _check_input(self, expr: str, pointer: str, scope: _Scope) -> None:
        match = _INPUT_REF.match(expr)
        if match is None:
            self.fail(f"expected $inputs.<name>, not {expr!r}", pointer)
        name = match.group(1)
        if name in scope.inputs:
            return
        if not scope.inputs:
            self.fail(f"$inputs.{name}: workflow {scope.workflow_id!r} declares no inputs", pointer)
        self.fail(
            f"$inputs.{name} is not an input of workflow {scope.workflow_id!r}"
            f"{did_you_mean(name, sorted(scope.inputs))}",
            pointer,
        )

    def _check_step_ref(self, expr: str, pointer: str, scope: _Scope) -> None:
        match = _STEP_REF.match(expr)
        if match is None:
            self.fail(f"expected $steps.<stepId>.outputs.<name>, not {expr!r}", pointer)
        step_id, output = match.group(1), match.group(2)
        if step_id not in scope.step_ids:
            self.fail(
                f"$steps.{step_id}: no step {step_id!r} in workflow {scope.workflow_id!r}"
                f"{did_you_mean(step_id, scope.step_ids)}",
                pointer,
            )
        if output is None:
            self.fail(f"expected $steps.{step_id}.outputs.<name>, not {expr!r}", pointer)
        if scope.loose:
            return
        if step_id == scope.current:
            self.fail(
                f"$steps.{step_id} is this step; use $response here (a step can only read "
                "the outputs of earlier steps)",
                pointer,
            )
        if step_id not in scope.visible:
            self.fail(
                f"$steps.{step_id} refers to a later step: steps run in order, so only the "
                "outputs of earlier steps exist here",
                pointer,
            )
        declared = scope.visible[step_id]
        if output in declared:
            return
        if not declared:
            self.fail(f"step {step_id!r} declares no outputs (to read {output!r})", pointer)
        self.fail(
            f"step {step_id!r} has no output {output!r}{did_you_mean(output, sorted(declared))}",
            pointer,
        )

    def _check_response(self, expr: str, pointer: str) -> None:
        rest = expr[len("$response") :]
        if rest == ".body" or rest.startswith(".body#"):
            return
        if rest.startswith(".body."):
            hint = "/".join(rest[len(".body.") :].split("#")[0].split("."))
            self.fail(
                f"use a JSON pointer into the body: $response.body#/{hint}, not {expr!r}",
                pointer,
            )
        if re.match(r"^\.header\.[!#$%&'*+\-.^_`|~0-9A-Za-z]+$", rest):
            return
        self.fail(
            "expected $response.body, $response.body#/<json pointer> or "
            f"$response.header.<name>, not {expr!r}",
            pointer,
        )


def _loose(scope: _Scope) -> _Scope:
    """Scope of action criteria: the chain runtime never evaluates them (actions are not run),
    so their references are only checked to exist."""
    return _Scope(
        scope.workflow_id, scope.inputs, scope.step_ids, visible={}, response=True, loose=True
    )


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)
