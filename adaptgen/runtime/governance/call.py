"""One governed call and the contract every governance layer implements.

A `Call` is the per-call state, handed from layer to layer as an argument: who calls (set by
identity), what was decided (access, argument rules, rate limit), what the PII layer put in
place (the `redactor` the tool shapes its result with), what the upstream answered. The audit
line and the telemetry read it when the call is over, however it ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastmcp.exceptions import ToolError

if TYPE_CHECKING:
    from adaptgen.runtime.governance.access import ToolFacts
    from adaptgen.runtime.governance.redaction import ResultRedactor
    from adaptgen.runtime.identity import Caller

__all__ = ["Call", "CallNext", "Layer", "Refused"]


@dataclass
class Call:
    """A tools/call (or a resources/read, prompts/get as `resource:<uri>`, `prompt:<name>`).

    `arguments` are what the next step receives: the PII layer replaces the agent's tokens in
    them with real values, so layers outside it (audit) keep the agent's own arguments.
    """

    tool: str
    arguments: dict[str, Any]
    kind: str = "tool"  # "tool", "resource" or "prompt": what the result looks like
    caller: Caller | None = None
    # What access decides on; given by the entry point when it knows (the proxy's relay),
    # else looked up on the server in `context` (a FastMCP Context, or None).
    facts: ToolFacts | None = None
    context: Any = None
    decision: str = "allow"
    status: str = "ok"
    tokenized: int = 0
    upstream: list[int] = field(default_factory=list)
    # Set by the PII layer when this call's result must leave with PII as tokens and the tool
    # shapes its own result (generated servers): the tool redacts each record as it shapes it.
    redactor: ResultRedactor | None = None
    # A proxied search-mode upstream's call proxy: `arguments["arguments"]` are the arguments
    # of the tool `tool` names (set by access once it decided the call as that tool).
    dispatched: bool = False
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def tool_arguments(self) -> dict[str, Any]:
        """The arguments of the tool the call reaches (through a call proxy too)."""
        if self.dispatched:
            inner = self.arguments.get("arguments")
            return inner if isinstance(inner, dict) else {}
        return self.arguments


CallNext = Callable[[Call], Awaitable[Any]]


class Layer(Protocol):
    """A governance layer: built from its own policy section, one concern, one hook."""

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        """Run `call` through this layer: refuse it (`Refused`), or `await call_next(call)`."""
        ...


class Refused(ToolError):
    """A call the governance layer refused; `status` goes into the audit line."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status
