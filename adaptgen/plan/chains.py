"""Planning composite tools: chains from hints and Arazzo, checked against the operations.

Steps address operations by operationId; every argument is resolved to the operation's
parameters here, so a typo is a build error, not a failed call.
"""

from __future__ import annotations

from typing import Any

from adaptgen.errors import InputError, Location
from adaptgen.hints import ToolHints, did_you_mean
from adaptgen.hints.chains import ChainSpec
from adaptgen.plan.names import snake_case
from adaptgen.plan.schemas import clean_text
from adaptgen.plan.state import PlannerState
from adaptgen.runtime.catalog import Chain, ChainStep, ChainTool, SuccessCriterion, Tool
from adaptgen.runtime.expressions import references


class ChainPlanning(PlannerState):
    """The chains part of the planner (a mixin of `adaptgen.plan._Planner`)."""

    def _chain_specs(self) -> dict[str, tuple[ChainSpec, Location | None]]:
        specs: dict[str, tuple[ChainSpec, Location | None]] = {}
        for name, spec in self.options.hints.hints.chains.items():
            specs[name] = (spec, self._hints_location(("chains", name)))
        for name, (spec, where) in self.options.chains.items():
            if name in specs:
                raise InputError(f"chain {name!r} is declared twice", where)
            specs[name] = (spec, where)
        return specs

    def _chain(
        self,
        name: str,
        spec: ChainSpec,
        where: Location | None,
        by_op: dict[str, Tool],
        taken: set[str],
    ) -> ChainTool:
        tool_name = snake_case(spec.name or name)
        if tool_name in taken:
            raise InputError(f"chain name {tool_name!r} is already a tool's name", where)
        taken.add(tool_name)
        inputs = _chain_inputs(spec.inputs)
        declared = set(inputs["properties"])
        steps: list[ChainStep] = []
        for index, step in enumerate(spec.steps):
            tool = by_op[step.call]
            earlier = {s.id for s in spec.steps[:index]}
            for expr in references(
                [step.with_, step.body, [p.value for p in step.parameters], step.foreach]
            ):
                _check_reference(expr, declared, earlier, step.id, where, allow_item=False)
            arguments, paging = _step_arguments(step, tool, where)
            missing = [p.name for p in tool.params if p.required and p.name not in arguments]
            if missing:
                raise InputError(
                    f"chain {tool_name}: step {step.id} ({step.call}) needs {', '.join(missing)}",
                    where,
                )
            steps.append(
                ChainStep(
                    id=step.id,
                    operation=tool.name,
                    arguments=arguments,
                    paging=paging,
                    outputs=dict(step.outputs),
                    success=tuple(SuccessCriterion(**c.model_dump()) for c in step.success),
                    foreach=step.foreach,
                    concurrency=step.concurrency,
                    write=not tool.annotations.get("readOnlyHint"),
                )
            )
        all_ids = {s.id for s in spec.steps}
        for expr in references(spec.output):
            _check_reference(expr, declared, all_ids, "output", where, allow_item=False)
        # A chain reads when every step reads: a GET that writes (`changes_on_read`) writes.
        called = [by_op[s.call].annotations for s in spec.steps]
        annotations: dict[str, bool] = {}
        if all(a.get("readOnlyHint") for a in called):
            annotations["readOnlyHint"] = True
        else:
            if any(a.get("destructiveHint") for a in called):
                annotations["destructiveHint"] = True
            if spec.idempotent:
                annotations["idempotentHint"] = True
        return ChainTool(
            name=tool_name,
            description=clean_text(spec.description),
            annotations=annotations,
            input_schema=inputs,
            chain=Chain(
                source=spec.source,
                idempotent=spec.idempotent,
                steps=tuple(steps),
                output=spec.output,
            ),
            shape=self._shape(
                ToolHints(
                    keep=spec.keep, drop=spec.drop, max_response_tokens=spec.max_response_tokens
                ),
                None,
            ),
        )


def _chain_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Chain inputs as an object schema: `{name: schema | "type"}` or a whole object schema."""
    if inputs.get("type") == "object" and isinstance(inputs.get("properties"), dict):
        schema = {"type": "object", "properties": dict(inputs["properties"])}
        if inputs.get("required"):
            schema["required"] = list(inputs["required"])
        return schema
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, value in inputs.items():
        prop = {"type": value} if isinstance(value, str) else dict(value)
        properties[name] = prop
        if "default" not in prop:
            required.append(name)
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _check_reference(
    expr: str,
    inputs: set[str],
    earlier: set[str],
    where_in_chain: str,
    where: Location | None,
    *,
    allow_item: bool,
) -> None:
    if expr.startswith("$inputs."):
        name = expr[len("$inputs.") :].split(".")[0]
        if name not in inputs:
            raise InputError(
                f"{where_in_chain}: {expr} names no input{did_you_mean(name, sorted(inputs))}",
                where,
            )
    elif expr.startswith("$steps."):
        step = expr[len("$steps.") :].split(".")[0]
        if step not in earlier:
            hint = did_you_mean(step, sorted(earlier))
            raise InputError(f"{where_in_chain}: {expr} names no earlier step{hint}", where)


def _step_arguments(step: Any, tool: Tool, where: Location | None) -> tuple[dict, dict]:
    """A step's values keyed by the tool's argument names; paging parameters apart."""
    arguments: dict[str, Any] = {}
    paging: dict[str, Any] = {}
    paging_names = set(tool.pagination.params()) if tool.pagination is not None else set()
    for key, value in step.with_.items():
        param = next((p for p in tool.params if key in (p.name, p.api_name)), None)
        if param is not None and param.location != "paging":
            arguments[param.name] = value
        elif key in paging_names:
            paging[key] = value
        else:
            names = sorted({p.api_name or p.name for p in tool.params if p.location != "paging"})
            raise InputError(
                f"step {step.id}: {step.call} has no parameter {key!r}{did_you_mean(key, names)}",
                where,
            )
    for parameter in step.parameters:
        param = next(
            (
                p
                for p in tool.params
                if p.api_name == parameter.name and parameter.in_ in (None, p.location)
            ),
            None,
        )
        if param is not None:
            arguments[param.name] = parameter.value
        elif parameter.name in paging_names:
            paging[parameter.name] = parameter.value
        else:
            raise InputError(
                f"step {step.id}: {step.call} has no {parameter.in_ or ''} parameter "
                f"{parameter.name!r}",
                where,
            )
    if step.body is not None:
        body = tool.upstream.body
        if body is not None and body.flattened and isinstance(step.body, dict):
            for key, value in step.body.items():
                param = next(
                    (p for p in tool.params if p.location == "body" and p.api_name == key), None
                )
                if param is None:
                    raise InputError(
                        f"step {step.id}: {step.call} body has no field {key!r}", where
                    )
                arguments[param.name] = value
        else:
            arguments["body"] = step.body
    return arguments, paging
