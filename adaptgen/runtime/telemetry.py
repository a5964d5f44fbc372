"""Tracing and metrics: OpenTelemetry spans and instruments, CloudWatch EMF lines on Lambda.

Spans and metrics never carry payloads or PII: tool names, path templates, status codes,
decisions and counts only. The caller appears as its groups; its subject only as a hash.
Telemetry is not a governance layer: `CallTelemetry.observed` wraps the governance stack, so it
sees every call and its outcome however a layer ended it; the upstream client reports its
requests here (`upstream_span`, `upstream_statuses`), never to governance.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, propagate, trace

if TYPE_CHECKING:
    from adaptgen.runtime.governance.call import Call
    from adaptgen.runtime.governance.policy import MetricsPolicy, TracingPolicy

TRACER = trace.get_tracer("adaptgen")
METER = metrics.get_meter("adaptgen")
CALLS = METER.create_counter("adaptgen.tool.calls", description="MCP tool calls")
ERRORS = METER.create_counter("adaptgen.tool.errors", description="Failed or refused tool calls")
DURATION = METER.create_histogram(
    "adaptgen.tool.duration", unit="ms", description="Tool call latency"
)
TOKENIZED = METER.create_counter(
    "adaptgen.pii.tokenized", description="PII values replaced by tokens"
)

_configured = False

# Upstream statuses seen during the current call (the list `CallTelemetry.observed` sets up):
# the upstream client appends to whatever list it finds, the audit line reports the last one.
upstream_statuses: ContextVar[list[int] | None] = ContextVar("adaptgen_upstream", default=None)


def configure(policy: TracingPolicy, service_name: str) -> None:
    """Install an exporter when the policy asks for one (once per process).

    An application that already set a TracerProvider keeps it: adaptgen only adds its spans.
    """
    global _configured
    if _configured or policy.exporter == "none":
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(
            resource=Resource.create({"service.name": policy.service_name or service_name})
        )
        trace.set_tracer_provider(provider)
    if policy.exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = (
            OTLPSpanExporter(endpoint=policy.endpoint) if policy.endpoint else OTLPSpanExporter()
        )
        provider.add_span_processor(BatchSpanProcessor(exporter))
    _configured = True


def replace_native_spans() -> None:
    """adaptgen's spans stand in for FastMCP's own MCP spans.

    FastMCP's native spans record a failed call's exception message and stack trace, and a
    message may quote an upstream's answer. With the governance layer mounted, FastMCP keeps
    propagating trace context but makes no spans of its own, unless the operator chose a mode
    with FASTMCP_TELEMETRY_MODE.
    """
    if "FASTMCP_TELEMETRY_MODE" in os.environ:
        return
    import fastmcp

    if fastmcp.settings.telemetry_mode == "native":
        fastmcp.settings.telemetry_mode = "propagation_only"


@lru_cache(maxsize=4096)
def subject_hash(subject: str | None) -> str:
    """A stable pseudonym for a caller in telemetry (a subject may be an email address)."""
    return hashlib.sha256((subject or "anonymous").encode()).hexdigest()[:16]


@contextmanager
def tool_span(tool: str) -> Iterator[Any]:
    """The span of one MCP tool call, with GenAI/MCP semantic-convention attributes.

    The caller's groups are known only once identity has run: `call_attributes` sets them
    with the outcome.
    """
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "mcp.method.name": "tools/call",
    }
    # start_span + use_span is what start_as_current_span does, minus two wrapper layers.
    span = TRACER.start_span(
        f"execute_tool {tool}", kind=trace.SpanKind.INTERNAL, attributes=attributes
    )
    with _recorded(span):
        yield span


@contextmanager
def _recorded(span: Any) -> Iterator[Any]:
    """`span` made current and ended on exit; a failure is recorded by its type alone.

    OpenTelemetry's default records the exception's message and stack trace, and a message may
    quote an upstream's answer or a request URL: payloads and PII never go into a span.
    """
    with trace.use_span(
        span, end_on_exit=True, record_exception=False, set_status_on_exception=False
    ):
        try:
            yield span
        except Exception as exc:
            kind = type(exc).__qualname__
            span.set_attribute("error.type", kind)
            span.set_status(trace.Status(trace.StatusCode.ERROR, kind))
            raise


def call_attributes(
    groups: tuple[str, ...], subject: str | None, decision: str, status: str, tokenized: int
) -> dict[str, Any]:
    """What a tool call's span records about its outcome (set in one call: one lock, one
    validation pass)."""
    return {
        "adaptgen.caller.groups": list(groups),
        "adaptgen.caller": subject_hash(subject),
        "adaptgen.decision": decision,
        "adaptgen.result_status": status,
        "adaptgen.pii.tokenized": tokenized,
    }


@contextmanager
def upstream_span(
    method: str, path_template: str, host: str | None, port: int | None
) -> Iterator[Any]:
    """A CLIENT span for one upstream request; the path template, never the real path."""
    attributes: dict[str, Any] = {"http.request.method": method, "url.template": path_template}
    if host:
        attributes["server.address"] = host
    if port:
        attributes["server.port"] = port
    span = TRACER.start_span(
        f"{method} {path_template}", kind=trace.SpanKind.CLIENT, attributes=attributes
    )
    with _recorded(span):
        yield span


def inject_trace_context(headers: Any) -> None:
    """Add W3C `traceparent`/`tracestate` for the current span to upstream request headers."""
    propagate.inject(headers)


class Metrics:
    """Records one call into OpenTelemetry instruments and, on Lambda, an EMF line."""

    def __init__(self, policy: MetricsPolicy, namespace: str) -> None:
        self.namespace = namespace
        on_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        self.emf = policy.emf == "on" or (policy.emf == "auto" and on_lambda)

    def record(
        self, tool: str, groups: tuple[str, ...], status: str, latency_ms: float, tokenized: int
    ) -> None:
        group = _group_label(tuple(groups))
        attributes = {"tool": tool, "caller.groups": group, "status": status}
        CALLS.add(1, attributes)
        DURATION.record(latency_ms, attributes)
        if status != "ok":
            ERRORS.add(1, attributes)
        if tokenized:
            TOKENIZED.add(tokenized, attributes)
        if self.emf:
            self._emf(tool, group, status, latency_ms, tokenized)

    def _emf(self, tool: str, group: str, status: str, latency_ms: float, tokenized: int) -> None:
        document = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [["Tool"], ["Tool", "CallerGroups"]],
                        "Metrics": [
                            {"Name": "Calls", "Unit": "Count"},
                            {"Name": "Errors", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"},
                            {"Name": "Tokenizations", "Unit": "Count"},
                        ],
                    }
                ],
            },
            "Tool": tool,
            "CallerGroups": group,
            "Status": status,
            "Calls": 1,
            "Errors": 0 if status == "ok" else 1,
            "Latency": round(latency_ms, 3),
            "Tokenizations": tokenized,
        }
        sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
        sys.stdout.flush()


@lru_cache(maxsize=1024)
def _group_label(groups: tuple[str, ...]) -> str:
    return ",".join(sorted(groups)) or "none"


class CallTelemetry:
    """A server's telemetry around its governed calls: a span per tool call, metrics for every
    call (resources and prompts too), configured from the policy's `tracing` and `metrics`."""

    def __init__(self, tracing: TracingPolicy, metrics_: MetricsPolicy, name: str) -> None:
        self.metrics = Metrics(metrics_, namespace=f"adaptgen/{name}")
        configure(tracing, service_name=name)
        replace_native_spans()

    @asynccontextmanager
    async def observed(self, call: Call) -> AsyncIterator[None]:
        """The body runs `call`; its span and metrics are recorded from `call` once it ends."""
        statuses = upstream_statuses.set(call.upstream)
        started = time.perf_counter()
        try:
            if call.kind == "tool":  # `tool_span` says tools/call; FastMCP's spans are off
                with tool_span(call.tool) as span:
                    try:
                        yield
                    finally:
                        span.set_attributes(_outcome(call))
            else:
                yield
        finally:
            groups = tuple(call.caller.groups) if call.caller else ()
            latency = (time.perf_counter() - started) * 1000
            self.metrics.record(call.tool, groups, call.status, latency, call.tokenized)
            upstream_statuses.reset(statuses)


def _outcome(call: Call) -> dict[str, Any]:
    caller = call.caller
    return call_attributes(
        tuple(caller.groups) if caller else (),
        caller.subject if caller else None,
        call.decision,
        call.status,
        call.tokenized,
    )
