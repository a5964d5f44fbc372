"""Composite tools: run a chain's steps (sequentially, fanning out where asked) as one MCP call.

A chain is declared in hints or an Arazzo workflow and planned into the catalog; each step calls
one upstream operation through the same Upstream (auth, serialization, errors) as plain tools.
A failure names the step that failed and what had already completed, so an agent knows what
happened upstream before it retries. Chains marked idempotent send an `Idempotency-Key` on
their write steps, derived from the chain's inputs, so a retried call cannot write twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adaptgen.runtime import long_running
from adaptgen.runtime.catalog import Chain, ChainStep, Tool
from adaptgen.runtime.expressions import ExpressionError, Response, Scope, evaluate, holds
from adaptgen.runtime.upstream import Upstream, UpstreamError, UpstreamResponse


class ChainError(Exception):
    """A chain that stopped: which step, why, and what completed before it."""


@dataclass
class ChainRun:
    """A finished chain: its raw result and what it cost upstream."""

    data: Any
    upstream_calls: int
    upstream_bytes: int


async def run_chain(
    name: str,
    chain: Chain,
    inputs: Mapping[str, Any],
    upstream: Upstream,
    operations: Mapping[str, Tool],
) -> ChainRun:
    """Run every step in order; the result is the chain's `output` (default: the last body)."""
    runner = _Runner(name, chain, dict(inputs), upstream, operations)
    return await runner.run()


class _Runner:
    def __init__(
        self,
        name: str,
        chain: Chain,
        inputs: dict[str, Any],
        upstream: Upstream,
        operations: Mapping[str, Tool],
    ) -> None:
        self.name = name
        self.chain = chain
        self.inputs = inputs
        self.upstream = upstream
        self.operations = operations
        self.steps: dict[str, dict[str, Any]] = {}
        self.completed: list[str] = []
        self.calls = 0
        self.bytes = 0
        self.last_body: Any = None

    async def run(self) -> ChainRun:
        for step in self.chain.steps:
            if step.foreach:
                await self._fan_out(step)
            else:
                outputs, body = await self._call(step, Scope(self.inputs, self.steps))
                self.steps[step.id] = {"outputs": outputs}
                self.last_body = body
            self.completed.append(self._label(step))
        output = self.chain.output
        try:
            data = self.last_body if output is None else evaluate(output, self._scope())
        except ExpressionError as exc:
            raise ChainError(f"chain output: {exc}") from None
        return ChainRun(data, self.calls, self.bytes)

    async def _fan_out(self, step: ChainStep) -> None:
        try:
            items = evaluate(step.foreach, self._scope())
        except ExpressionError as exc:
            raise self._failure(step, str(exc)) from None
        if items is None:
            items = []
        if not isinstance(items, list):
            raise self._failure(step, f"foreach {step.foreach} is not a list")
        gate = asyncio.Semaphore(step.concurrency)

        async def one(item: Any) -> tuple[dict[str, Any], Any]:
            async with gate:
                return await self._call(
                    step, Scope(self.inputs, self.steps, item=item, has_item=True)
                )

        results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
        failed = [(i, r) for i, r in enumerate(results) if isinstance(r, BaseException)]
        if failed:
            index, error = failed[0]
            done = len(items) - len(failed)
            reason = str(error).split(": ", 1)[-1] if isinstance(error, ChainError) else str(error)
            raise self._failure(step, f"item {index}: {reason} ({done} of {len(items)} items done)")
        names = step.outputs
        self.steps[step.id] = {
            "outputs": {n: [r[0].get(n) for r in results] for n in names} if names else {}
        }
        self.last_body = [r[1] for r in results]

    async def _call(self, step: ChainStep, scope: Scope) -> tuple[dict[str, Any], Any]:
        op = self.operations[step.operation]
        try:
            arguments = evaluate(step.arguments, scope)
            paging = evaluate(step.paging, scope)
        except ExpressionError as exc:
            raise self._failure(step, str(exc)) from None
        headers = {}
        if self.chain.idempotent and step.write:
            headers["Idempotency-Key"] = self._idempotency_key(step, scope)
        try:
            response = await self.upstream.send(op, arguments, paging=paging, headers=headers)
            self.calls += 1
            self.bytes += response.size
            if _follows(step, op, response):
                followed = await long_running.follow(self.upstream, op, arguments, response)
                self.calls += followed.calls - 1
                self.bytes += followed.size - response.size
                if not followed.finished:
                    raise self._failure(step, str(followed.note).rstrip("."))
                response = followed.response
        except UpstreamError as exc:
            raise self._failure(step, str(exc)) from None
        scope.response = Response(response.status, response.data, response.headers)
        for criterion in step.success:
            if not holds(
                criterion.condition,
                scope,
                context=criterion.context,
                kind=criterion.type,
            ):
                raise self._failure(step, f"success criterion not met: {criterion.condition}")
        try:
            outputs = {k: evaluate(v, scope) for k, v in step.outputs.items()}
        except ExpressionError as exc:
            raise self._failure(step, str(exc)) from None
        return outputs, response.data

    def _scope(self) -> Scope:
        return Scope(self.inputs, self.steps)

    def _label(self, step: ChainStep) -> str:
        return f"{step.id} ({step.operation}{', a write' if step.write else ''})"

    def _failure(self, step: ChainStep, reason: str) -> ChainError:
        done = ", ".join(self.completed) if self.completed else "nothing"
        return ChainError(
            f"{self.name}: step {step.id} ({step.operation}) failed: {reason}. "
            f"Completed before it: {done}; no later step ran."
        )

    def _idempotency_key(self, step: ChainStep, scope: Scope) -> str:
        # Same chain, same inputs, same step (and fan-out item): the same key, on any server
        # instance, so a retry after a timeout cannot write twice.
        basis = json.dumps(
            [self.name, step.id, self.inputs, scope.item if scope.has_item else None],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return "adaptgen-" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def _follows(step: ChainStep, op: Tool, response: UpstreamResponse) -> bool:
    """Whether a step's answer is followed to the end of the operation it accepted (a 202, an
    operation Azure marks long-running: `runtime.long_running`), as a tool's is, so the next
    step reads what it made. Not when the step's own success criteria read the status code: an
    Arazzo author who wrote `$statusCode == 202` decides what the step waits for."""
    if response.status != long_running.ACCEPTED and op.upstream.long_running is None:
        return False
    return not any("$statusCode" in c.condition for c in step.success)
