"""Composite tools: several upstream calls behind one MCP tool, declared in hints or Arazzo.

Both sources land in this one model (Arazzo 1.0 workflows are read by adaptgen.load.arazzo);
the planner resolves it against the spec's operations and the runtime (adaptgen.runtime.chain)
executes it. Values are literals or runtime expressions, Arazzo's own:

- `$inputs.<name>`                      a chain input
- `$steps.<step id>.outputs.<name>`     an output of an earlier step
- `$response.body#/json/pointer`        (in a step's outputs) the step's response body
- `$response.body`, `$response.header.<name>`, `$statusCode`
- `$.json.path`                         (in a step's outputs) JSONPath on the response body
- `$item`, `$item.<field>`              the current element of a `foreach` fan-out
- `"text {$inputs.name} text"`          expressions embedded in a string
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from adaptgen.runtime.strict import StrictModel

STEP_ID_PATTERN = r"^[A-Za-z0-9_\-]+$"


class _Strict(StrictModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StepParameter(_Strict):
    """One Arazzo-style parameter: where it goes, its upstream name, its value."""

    name: str
    in_: Literal["path", "query", "header", "cookie"] | None = Field(default=None, alias="in")
    value: Any


class SuccessCriterion(_Strict):
    """Arazzo `successCriteria` entry: a simple condition, or a JSONPath on a context."""

    condition: str
    context: str | None = None
    type: Literal["simple", "jsonpath", "regex"] = "simple"


class ChainStep(_Strict):
    """One upstream call of a chain."""

    id: str = Field(pattern=STEP_ID_PATTERN)
    call: str = Field(description="operationId of the operation to call")
    with_: dict[str, Any] = Field(
        default_factory=dict,
        alias="with",
        description="Arguments by tool argument name or upstream parameter/body field name.",
    )
    parameters: list[StepParameter] = Field(default_factory=list, description="Arazzo style.")
    body: Any = Field(default=None, description="Request body (Arazzo requestBody.payload).")
    outputs: dict[str, str] = Field(default_factory=dict, description="name -> expression")
    success: list[SuccessCriterion] = Field(
        default_factory=list, description="All must hold, else the chain fails at this step."
    )
    foreach: str | None = Field(
        default=None, description="Expression giving a list: the step runs once per item ($item)."
    )
    concurrency: int = Field(default=4, ge=1, le=32, description="Fan-out calls at once.")

    @field_validator("success", mode="before")
    @classmethod
    def _plain_conditions(cls, value: Any) -> Any:
        # Hints may write conditions as plain strings.
        if isinstance(value, list):
            return [{"condition": v} if isinstance(v, str) else v for v in value]
        return value


class ChainSpec(_Strict):
    """One composite tool."""

    description: str
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="name -> JSON Schema (or a type name such as 'string'); or a whole "
        "object schema with properties/required.",
    )
    steps: list[ChainStep] = Field(min_length=1)
    output: str | dict[str, str] | None = Field(
        default=None, description="Expression(s) building the result; default: last step's body."
    )
    idempotent: bool = Field(
        default=False,
        description="Writes are safe to retry: each write step sends an Idempotency-Key derived "
        "from the chain's inputs.",
    )
    keep: list[str] | None = Field(default=None, description="JSONPaths of the result to keep.")
    drop: list[str] | None = Field(default=None, description="JSONPaths of the result to drop.")
    max_response_tokens: int | None = Field(default=None, ge=100)
    name: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    source: str = Field(default="hints", description="Where the chain was declared.")

    @field_validator("steps")
    @classmethod
    def _unique_ids(cls, steps: list[ChainStep]) -> list[ChainStep]:
        seen: set[str] = set()
        for step in steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            seen.add(step.id)
        return steps
