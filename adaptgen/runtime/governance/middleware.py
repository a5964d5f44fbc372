"""The governance stack as FastMCP middlewares, one concern each, in this order (outer first):

1. Telemetry: a span per tool call (GenAI/MCP attributes) and per-tool, per-caller metrics;
2. Audit: one JSON line per call, whatever happened inside;
3. Identity: the caller, from a verified JWT, the local identity (stdio) or anonymous;
4. RateLimit: token buckets per group and per user, shared through the backend;
5. Access: tools/list filtered per caller, calls to tools the caller may not use rejected;
6. Pii: tokens in arguments turned back into real values, PII in results into tokens.

A resources/read or prompts/get carries data too: it runs the same layers as a call named
`resource:<uri>` or `prompt:<name>` (audited, rate-limited, decided, its text tokenized), and
resources/list, resources/templates/list and prompts/list are filtered per caller like tools/list.

Each middleware reads and writes one `CallState` for the call (a context variable), so the
audit line and the metrics know the caller, the decision and the tokenized count.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_http_headers, get_http_request
from fastmcp.server.middleware import Middleware, MiddlewareContext
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST, TextContent

from adaptgen.runtime import identity
from adaptgen.runtime.governance import telemetry
from adaptgen.runtime.governance.access import AccessControl, ToolFacts
from adaptgen.runtime.governance.audit import AuditLog
from adaptgen.runtime.governance.policy import Policy, load_policy, policy_path, safe_default
from adaptgen.runtime.governance.state import UPSTREAM_STATUSES
from adaptgen.runtime.identity import Caller


@dataclass
class CallState:
    """What the middlewares learn about one tool call."""

    request_id: str
    tool: str
    arguments: Any
    caller: Caller | None = None
    decision: str = "allow"
    status: str = "ok"
    tokenized: int = 0
    upstream: list[int] = field(default_factory=list)
    # Set by PiiMiddleware when this call's result must be tokenized: the PII field paths.
    # A generated tool tokenizes its data as it shapes it (`result_protector`) and sets
    # `pii_done`, so the layer skips a JSON parse and re-dump of the text it produced.
    pii_fields: Sequence[str] | None = None
    pii_done: bool = False


_STATE: ContextVar[CallState | None] = ContextVar("adaptgen_call_state", default=None)
# Where the HTTP front door leaves the caller it identified: the request's ASGI `state`.
CALLER_STATE = "adaptgen.caller"


class Refused(ToolError):
    """A call the governance layer refused; `status` goes into the audit line."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class Governance:
    """The configured stack for one server."""

    def __init__(
        self,
        policy: Policy,
        *,
        name: str,
        pii_fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.policy = policy
        self.name = name
        self.pii_fields = {k: list(v) for k, v in (pii_fields or {}).items()}
        self.access = AccessControl(policy.access, policy.base_dir)
        self.verifier = _verifier(policy)
        self.limiter = _limiter(policy)
        self.tokenizer, key = _tokenizer(policy)
        # A key every instance shares (the policy names it): other keys may be derived from it.
        self.shared_key: bytes | None = key if policy.pii.enabled and policy.pii.key else None
        self.audit = AuditLog(policy.audit, key=key)
        self.metrics = telemetry.Metrics(policy.metrics, namespace=f"adaptgen/{name}")
        telemetry.configure(policy.tracing, service_name=name)
        telemetry.replace_native_spans()
        self.clear_for_groups = frozenset(policy.pii.clear_for_groups)
        self._fields_by_tool: dict[str, tuple[str, ...]] = {}
        # Search mode's search tool and call proxy (see ToolFacts.meta); set by the server.
        self.meta_tools: frozenset[str] = frozenset()
        # In front of another server (`adaptgen proxy`): call proxies whose calls are decided as
        # the tool they name, and what the upstream's search results said about its tools.
        self.dispatch_tools: frozenset[str] = frozenset()
        self.searched_facts: dict[str, ToolFacts] = {}
        local = policy.identity.local
        self._local_caller = (
            Caller(subject=local.subject, groups=tuple(local.groups)) if local else None
        )

    def fields_for(self, tool: str) -> tuple[str, ...]:
        """The PII field paths of a tool's result: its own, then the policy's."""
        fields = self._fields_by_tool.get(tool)
        if fields is None:
            fields = (*self.pii_fields.get(tool, []), *self.policy.pii.fields)
            self._fields_by_tool[tool] = fields
        return fields

    @classmethod
    def from_env(
        cls,
        name: str,
        env_prefix: str | None = None,
        pii_fields: Mapping[str, Sequence[str]] | None = None,
    ) -> Governance:
        """The policy named by `<PREFIX>_POLICY` / `ADAPTGEN_POLICY`, else the safe default."""
        path = policy_path(env_prefix)
        policy = load_policy(path) if path else safe_default()
        return cls(policy, name=name, pii_fields=pii_fields)

    @classmethod
    def from_file(cls, path: Path, name: str) -> Governance:
        return cls(load_policy(path), name=name)

    def layers(self) -> list[Middleware]:
        """The stack, outermost first (each usable on its own as a FastMCP middleware)."""
        return [
            TelemetryMiddleware(self),
            AuditMiddleware(self),
            IdentityMiddleware(self),
            RateLimitMiddleware(self),
            AccessMiddleware(self),
            PiiMiddleware(self),
        ]

    def middleware(self, *, calls: bool = True) -> list[Middleware]:
        """What a server mounts: the layers composed into one FastMCP middleware.

        FastMCP's dispatch costs tens of microseconds per middleware and hook; composing the
        six layers directly keeps the stack's own cost to the work it does. `calls=False`:
        the middleware only filters tools/list, because the tools run the call chain
        themselves (`run_call`; generated servers, where that saves the dispatch entirely).
        """
        return [GovernanceMiddleware(self.layers(), calls=calls)]

    async def run_call(
        self, name: str, arguments: dict[str, Any], call: Any, *, fastmcp_context: Any = None
    ) -> Any:
        """Run a tool call through the layers; `call(arguments)` runs the tool itself.

        `fastmcp_context`: where the access layer looks the tool up (its `fastmcp` server's
        `get_tool`), for a call made outside FastMCP's dispatch (the proxy's relay); by
        default the FastMCP request being served."""
        from fastmcp.server.dependencies import get_context
        from mcp.types import CallToolRequestParams

        if fastmcp_context is None:
            try:
                fastmcp_context = get_context()
            except RuntimeError:
                fastmcp_context = None
        context = MiddlewareContext(
            # Built here from validated arguments: no second pydantic validation.
            message=CallToolRequestParams.model_construct(name=name, arguments=arguments),
            fastmcp_context=fastmcp_context,
            method="tools/call",
        )

        async def tool(ctx: MiddlewareContext) -> Any:
            return await call(dict(ctx.message.arguments or {}))

        chain: Any = tool
        for layer in reversed(self.call_layers):
            chain = functools.partial(layer.on_call_tool, call_next=chain)
        return await chain(context)

    @functools.cached_property
    def call_layers(self) -> list[Middleware]:
        """The layers `run_call` runs, made once (a benchmark may wrap them to time each)."""
        return self.layers()

    async def resolve_caller(self) -> Caller:
        """Who is calling: the caller the HTTP front door identified for this request (see
        http_auth), else a verified JWT, the stdio identity, or anonymous (if allowed)."""
        request = _http_request()
        if request is not None:
            known = request.scope.get("state", {}).get(CALLER_STATE)
            if isinstance(known, Caller):
                return known  # its token was verified once, at the front door
            header = request.headers.get("authorization")
        else:  # a background task keeps its request's headers
            header = get_http_headers(include={"authorization"}).get("authorization")
        return await self.identify(header, local=request is None)

    async def identify(self, authorization: str | None, *, local: bool = False) -> Caller:
        """The caller an `Authorization` header value identifies; `Refused` if none may call.

        `local`: no HTTP request carries the call (stdio), so the policy's local identity
        stands in for a missing token.
        """
        policy = self.policy.identity
        token = _bearer(authorization)
        if token is not None and self.verifier is not None:
            from adaptgen.runtime.governance.jwt import IdentityError

            try:
                return await self.verifier.verify(token)
            except IdentityError as exc:
                raise Refused(f"unauthenticated: {exc.reason}", "unauthenticated") from None
        if token is None and self._local_caller is not None and local:
            return self._local_caller
        if policy.allow_anonymous:
            return Caller(subject="anonymous", groups=tuple(policy.anonymous_groups), token=token)
        raise Refused("unauthenticated: a bearer token is required", "unauthenticated")


class GovernanceMiddleware(Middleware):
    """Runs the governance layers in order as one middleware."""

    def __init__(self, layers: Sequence[Middleware], *, calls: bool = True) -> None:
        self.layers = list(layers)
        self.calls = calls

    async def __call__(self, context: MiddlewareContext, call_next: Any) -> Any:
        if not self.calls and context.method == "tools/call":
            # The tool runs the chain itself: skip FastMCP's per-hook dispatch for this call.
            return await call_next(context)
        return await super().__call__(context, call_next)

    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        if not self.calls:
            return await call_next(context)
        chain = call_next
        for layer in reversed(self.layers):
            chain = functools.partial(layer.on_call_tool, call_next=chain)
        return await chain(context)

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_list_tools", context, call_next)

    async def on_read_resource(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_read_resource", context, call_next)

    async def on_get_prompt(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_get_prompt", context, call_next)

    async def on_list_resources(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_list_resources", context, call_next)

    async def on_list_resource_templates(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_list_resource_templates", context, call_next)

    async def on_list_prompts(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._chain("on_list_prompts", context, call_next)

    async def _chain(self, hook: str, context: MiddlewareContext, call_next: Any) -> Any:
        """Run the layers' `hook` (a FastMCP middleware method name) in order."""
        chain = call_next
        for layer in reversed(self.layers):
            chain = functools.partial(getattr(layer, hook), call_next=chain)
        return await chain(context)


class _Layer(Middleware):
    def __init__(self, governance: Governance) -> None:
        self.gov = governance


class TelemetryMiddleware(_Layer):
    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        name = context.message.name
        state = CallState(str(uuid.uuid4()), name, dict(context.message.arguments or {}))
        return await self._tracked(name, state, self._spanned(name, state, context, call_next))

    async def _spanned(
        self, name: str, state: CallState, context: MiddlewareContext, call_next: Any
    ) -> Any:
        with telemetry.tool_span(name) as span:
            try:
                return await call_next(context)
            finally:
                caller = state.caller
                span.set_attributes(
                    telemetry.call_attributes(
                        tuple(caller.groups) if caller else (),
                        caller.subject if caller else None,
                        state.decision,
                        state.status,
                        state.tokenized,
                    )
                )

    async def on_read_resource(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._read(f"resource:{context.message.uri}", {}, context, call_next)

    async def on_get_prompt(self, context: MiddlewareContext, call_next: Any) -> Any:
        arguments = dict(context.message.arguments or {})
        return await self._read(f"prompt:{context.message.name}", arguments, context, call_next)

    async def _read(
        self, name: str, arguments: dict[str, Any], context: MiddlewareContext, call_next: Any
    ) -> Any:
        """A resources/read or prompts/get through the layers as the call `name`: metrics, but
        no span (`tool_span` says tools/call; FastMCP's own spans are off, see telemetry)."""
        state = CallState(str(uuid.uuid4()), name, arguments)
        return await self._tracked(name, state, call_next(context))

    async def _tracked(self, name: str, state: CallState, work: Awaitable[Any]) -> Any:
        """`work` awaited with `state` as the call's state, and its metrics recorded."""
        token = _STATE.set(state)
        statuses = UPSTREAM_STATUSES.set(state.upstream)
        started = time.perf_counter()
        try:
            return await work
        finally:
            groups = tuple(state.caller.groups) if state.caller else ()
            latency = (time.perf_counter() - started) * 1000
            self.gov.metrics.record(name, groups, state.status, latency, state.tokenized)
            UPSTREAM_STATUSES.reset(statuses)
            _STATE.reset(token)


class AuditMiddleware(_Layer):
    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        state = _state()
        started = time.perf_counter()
        try:
            result = await call_next(context)
            if getattr(result, "is_error", False):
                state.status = "error"
            return result
        except Refused as exc:
            state.status = exc.status
            raise
        except Exception as exc:
            # A tool may refuse a call itself (a forged cursor): audited as what it says.
            state.status = getattr(exc, "audit_status", "error")
            state.decision = getattr(exc, "audit_decision", state.decision)
            raise
        finally:
            self.gov.audit.record(
                request_id=state.request_id,
                caller=state.caller,
                tool=state.tool,
                arguments=state.arguments,
                latency_ms=(time.perf_counter() - started) * 1000,
                upstream_status=state.upstream[-1] if state.upstream else None,
                result_status=state.status,
                policy_decision=state.decision,
                tokenized=state.tokenized,
            )

    # Nothing above depends on the message: a resource read or a prompt is audited alike.
    on_read_resource = on_get_prompt = on_call_tool


class IdentityMiddleware(_Layer):
    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        state = _state()
        try:
            state.caller = await self.gov.resolve_caller()
        except Refused:
            state.decision = "deny: unauthenticated"
            raise
        # Auth flows (pass-through, AssumeRole) act for this caller.
        with identity.acting_as(state.caller):
            return await call_next(context)

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        try:
            caller = await self.gov.resolve_caller()
        except Refused as exc:
            # Answered as a JSON-RPC error: any other exception the MCP SDK logs with a full
            # traceback, once per refused request (kilobytes of logs for a missing token).
            raise MCPError(INVALID_REQUEST, str(exc)) from None
        token = _LIST_CALLER.set(caller)
        try:
            return await call_next(context)
        finally:
            _LIST_CALLER.reset(token)

    on_read_resource = on_get_prompt = on_call_tool
    on_list_resources = on_list_resource_templates = on_list_prompts = on_list_tools


_LIST_CALLER: ContextVar[Caller | None] = ContextVar("adaptgen_list_caller", default=None)


class RateLimitMiddleware(_Layer):
    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        limiter = self.gov.limiter
        if limiter is not None:
            from adaptgen.runtime.governance.ratelimit import RateLimitBackendError

            state = _state()
            caller = state.caller or Caller()
            try:
                decision = await limiter.check(caller.subject or "anonymous", caller.groups)
            except RateLimitBackendError:
                if not self.gov.policy.rate_limits.fail_open:
                    state.decision = "deny: rate limiter unavailable"
                    raise Refused(
                        "rate limiter unavailable: try again later", "rate_limited"
                    ) from None
                decision = None
            if decision is not None and not decision.allowed:
                state.decision = f"deny: rate limit {decision.key}"
                raise Refused(
                    f"rate limit exceeded ({decision.key}); retry after "
                    f"{max(decision.retry_after, 0.001):.1f}s",
                    "rate_limited",
                )
        return await call_next(context)

    # A resource read or a prompt draws on the caller's buckets like a call.
    on_read_resource = on_get_prompt = on_call_tool


class AccessMiddleware(_Layer):
    def __init__(self, governance: Governance) -> None:
        super().__init__(governance)
        self._facts: dict[str, ToolFacts] = {}  # a tool's annotations do not change while up

    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        state = _state()
        caller = state.caller or Caller()
        facts = self._facts.get(state.tool)
        if facts is None:
            tool = await _find_tool(context, state.tool)
            if tool is None:
                return await call_next(context)  # unknown tool: FastMCP answers that itself
            meta = state.tool in self.gov.meta_tools
            facts = self._facts[state.tool] = ToolFacts.of(tool, meta=meta)
        decision = self.gov.access.decide(caller, facts)
        state.decision = str(decision)
        if not decision.allowed:
            raise Refused(f"not allowed: {decision.reason}", "denied")
        if not self.gov.dispatch_tools or not facts.meta:
            return await call_next(context)
        if state.tool not in self.gov.dispatch_tools:
            return self._searched(await call_next(context), caller)
        target = (context.message.arguments or {}).get("name")
        if not isinstance(target, str):
            state.decision = "deny: no tool named"
            raise Refused(f"not allowed: {state.tool} needs the name of a tool", "denied")
        return await self._dispatch(context, call_next, state, caller, target)

    async def _dispatch(
        self,
        context: MiddlewareContext,
        call_next: Any,
        state: CallState,
        caller: Caller,
        name: str,
    ) -> Any:
        """A proxied upstream's call proxy: decided, and audited, as the tool it names.

        The upstream lists only some tools in search mode; the others are known from its search
        results (as their annotations said), and a tool known from neither is taken to write and
        destroy, so only a rule granting both lets a call to it through.
        """
        state.tool = name
        facts = self.gov.searched_facts.get(name)
        if facts is None:
            tool = await _find_tool(context, name)
            facts = ToolFacts.of(tool) if tool is not None else ToolFacts(name, False, True)
        decision = self.gov.access.decide(caller, facts)
        state.decision = str(decision)
        if not decision.allowed:
            raise Refused(f"not allowed: {decision.reason}", "denied")
        return await call_next(context)

    def _searched(self, result: Any, caller: Caller) -> Any:
        """A proxied upstream's search results: learn each tool's annotations, and show the
        caller only the tools it may use (results in FastMCP's JSON form; others pass as is)."""
        found = _search_results(result)
        if found is None:
            return result
        allowed = []
        for tool in found:
            facts = self.gov.searched_facts[tool["name"]] = ToolFacts.of_listing(tool)
            if self.gov.access.decide(caller, facts).allowed:
                allowed.append(tool)
        result.content = [TextContent(type="text", text=json.dumps(allowed))]
        if getattr(result, "structured_content", None) is not None:
            result.structured_content = {"result": allowed}
        return result

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        tools = await call_next(context)
        caller = _LIST_CALLER.get() or Caller()
        meta = self.gov.meta_tools
        return [
            t
            for t in tools
            if self.gov.access.decide(caller, ToolFacts.of(t, meta=t.name in meta)).allowed
        ]

    async def on_read_resource(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._decided(ToolFacts.of_resource(context.message.uri), context, call_next)

    async def on_get_prompt(self, context: MiddlewareContext, call_next: Any) -> Any:
        return await self._decided(ToolFacts.of_prompt(context.message.name), context, call_next)

    async def _decided(self, facts: ToolFacts, context: MiddlewareContext, call_next: Any) -> Any:
        state = _state()
        decision = self.gov.access.decide(state.caller or Caller(), facts)
        state.decision = str(decision)
        if not decision.allowed:
            raise Refused(f"not allowed: {decision.reason}", "denied")
        return await call_next(context)

    async def on_list_resources(self, context: MiddlewareContext, call_next: Any) -> Any:
        return self._visible(await call_next(context), lambda r: ToolFacts.of_resource(r.uri))

    async def on_list_resource_templates(self, context: MiddlewareContext, call_next: Any) -> Any:
        found = await call_next(context)
        return self._visible(found, lambda t: ToolFacts.of_resource(t.uri_template))

    async def on_list_prompts(self, context: MiddlewareContext, call_next: Any) -> Any:
        return self._visible(await call_next(context), lambda p: ToolFacts.of_prompt(p.name))

    def _visible(self, items: Sequence[Any], facts: Callable[[Any], ToolFacts]) -> list[Any]:
        """The listed resources, templates or prompts the caller may read or get."""
        caller = _LIST_CALLER.get() or Caller()
        return [item for item in items if self.gov.access.decide(caller, facts(item)).allowed]


class PiiMiddleware(_Layer):
    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        tokenizer = self.gov.tokenizer
        state = _state()
        if tokenizer is None or state.tool in self.gov.meta_tools:
            # A search tool's results are tool definitions from the spec, not upstream data.
            return await call_next(context)
        values: dict[str, str] = {}
        context = self._detokenized(context, values)
        caller = state.caller
        if caller is not None and not self.gov.clear_for_groups.isdisjoint(caller.groups):
            return await call_next(context)
        fields = self.gov.fields_for(state.tool)
        state.pii_fields = fields
        try:
            result = await call_next(context)
        except Exception as exc:
            # An upstream's error text may echo what it was sent (a detokenized argument) or
            # hold PII of its own: it leaves as tokens too, like a result.
            raise self._protected_error(exc, values, state) from None
        if state.pii_done:
            return result
        return self._tokenize(result, fields, state)

    def _protected_error(
        self, exc: Exception, restored: Mapping[str, str], state: CallState
    ) -> Exception:
        """`exc`, or a ToolError in its place, whose message holds tokens instead of PII."""
        tokenizer = self.gov.tokenizer
        assert tokenizer is not None
        text = str(exc)
        protected, count = tokenizer.protect_text(text, restored)
        if not count:
            return exc
        state.tokenized += count
        if isinstance(exc, ToolError) and exc.args and exc.args[0] == text:
            exc.args = (protected, *exc.args[1:])  # keeps its type (and audit status)
            return exc
        return ToolError(protected)

    def _tokenize(self, result: Any, fields: Sequence[str], state: CallState) -> Any:
        tokenizer = self.gov.tokenizer
        assert tokenizer is not None
        structured = getattr(result, "structured_content", None)
        tokenized = None
        if structured is not None:
            tokenized, count = tokenizer.tokenize(structured, fields=fields)
            state.tokenized += count
        content = []
        for block in getattr(result, "content", []) or []:
            if not isinstance(block, TextContent):
                content.append(block)
                continue
            try:
                data = json.loads(block.text)
            except ValueError:
                text, count = tokenizer.tokenize(block.text)
            else:
                # The usual text block is the structured content as JSON (FastMCP wraps a
                # non-object as {"result": ...}): its tokenized form is known already.
                if structured is not None and data == structured:
                    data, count = tokenized, 0
                elif (
                    isinstance(structured, dict)
                    and structured.keys() == {"result"}
                    and (data == structured["result"])
                ):
                    data, count = tokenized["result"], 0  # type: ignore[index]
                else:
                    data, count = tokenizer.tokenize(data, fields=fields)
                text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            state.tokenized += count
            content.append(TextContent(type="text", text=text))
        result.content = content
        if structured is not None:
            result.structured_content = tokenized
        return result

    async def on_read_resource(self, context: MiddlewareContext, call_next: Any) -> Any:
        result, protect = await self._protected(context, call_next)
        if protect and hasattr(result, "contents"):
            result.contents = [
                item.model_copy(update={"content": self._text(item.content)})
                if isinstance(item.content, str)
                else item  # bytes: no recognizer reads them
                for item in result.contents
            ]
        return result

    async def on_get_prompt(self, context: MiddlewareContext, call_next: Any) -> Any:
        if self.gov.tokenizer is not None:
            context = self._detokenized(context, {})
        result, protect = await self._protected(context, call_next)
        if protect:
            for message in getattr(result, "messages", None) or []:
                message.content = self._block(message.content)
        return result

    def _detokenized(self, context: MiddlewareContext, values: dict[str, str]) -> Any:
        """`context` with the tokens in its arguments turned back into the values they stand
        for (`values` collects them); `Refused` for a token this server did not issue."""
        from adaptgen.runtime.governance.pii import PiiError

        tokenizer = self.gov.tokenizer
        assert tokenizer is not None
        try:
            real, restored = tokenizer.detokenize(context.message.arguments or {}, values)
        except PiiError:
            raise Refused(
                "an argument holds a PII token this server did not issue (or one revoked)",
                "denied",
            ) from None
        if restored:
            context = context.copy(message=replace_arguments(context.message, real))
        return context

    async def _protected(self, context: MiddlewareContext, call_next: Any) -> tuple[Any, bool]:
        """The answer of a resources/read or prompts/get, and whether it is to be tokenized
        (not without a tokenizer, nor for a caller cleared to see PII); an error's text leaves
        as tokens."""
        caller = _state().caller
        if self.gov.tokenizer is None or (
            caller is not None and not self.gov.clear_for_groups.isdisjoint(caller.groups)
        ):
            return await call_next(context), False
        try:
            return await call_next(context), True
        except Exception as exc:
            raise self._protected_error(exc, {}, _state()) from None

    def _block(self, block: Any) -> Any:
        """A prompt message's content with its text tokenized (an embedded resource's too)."""
        if isinstance(block, TextContent):
            return block.model_copy(update={"text": self._text(block.text)})
        resource = getattr(block, "resource", None)
        if isinstance(getattr(resource, "text", None), str):
            text = self._text(resource.text)
            return block.model_copy(update={"resource": resource.model_copy(update={"text": text})})
        return block

    def _text(self, text: str) -> str:
        """`text` with its PII as tokens: JSON text stays JSON (the policy's field paths apply),
        any other text goes through the recognizers."""
        tokenizer = self.gov.tokenizer
        assert tokenizer is not None
        state = _state()
        try:
            data = json.loads(text)
        except ValueError:
            text, count = tokenizer.tokenize(text)
        else:
            data, count = tokenizer.tokenize(data, fields=self.gov.policy.pii.fields)
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        state.tokenized += count
        return text


def result_protector(
    governance: Governance | None, item_fields: Sequence[str]
) -> Callable[[Any, bool | None], Any] | None:
    """How the running call's result is tokenized as it is shaped, or None if it is not.

    Generated tools shape each record (or the whole answer), tokenize it with this, and only
    then apply the token budget: a token is longer than the value it stands for, and the budget
    is about what the model reads. ``protect(data, item)``: ``item`` True for one record of a
    paginated result (``item_fields``, record-relative, and the policy's fields), False for a
    whole result (the call's fields), None for the envelope around records already protected
    (the policy's fields only, in case one addresses the envelope: `$.items[*].ssn`). The PII
    layer then leaves the result alone.
    """
    state = _STATE.get()
    if governance is None or state is None or state.pii_fields is None:
        return None
    tokenizer = governance.tokenizer
    if tokenizer is None:
        return None
    state.pii_done = True
    whole_fields = state.pii_fields
    policy_fields = tuple(governance.policy.pii.fields)
    item_fields = (*item_fields, *policy_fields)
    result = tokenizer.for_result()  # records share what repeats (a company phone, an owner)

    def protect(data: Any, item: bool | None) -> Any:
        if item is None:
            if not policy_fields:
                return data
            data, count = tokenizer.tokenize(data, fields=policy_fields, recognize=False)
            state.tokenized += count
            return data
        before = result.count
        data = result.tokenize(data, fields=item_fields if item else whole_fields)
        state.tokenized += result.count - before
        return data

    return protect


def replace_arguments(message: Any, arguments: dict[str, Any]) -> Any:
    """The tools/call params with other arguments (pydantic model or dataclass)."""
    if hasattr(message, "model_copy"):
        return message.model_copy(update={"arguments": arguments})
    return replace(message, arguments=arguments)


def _search_results(result: Any) -> list[dict[str, Any]] | None:
    """The tool definitions a search tool returned, if it answered in FastMCP's JSON form."""
    blocks = [b for b in getattr(result, "content", None) or [] if isinstance(b, TextContent)]
    if len(blocks) != 1:
        return None
    try:
        found = json.loads(blocks[0].text)
    except ValueError:
        return None
    if isinstance(found, list) and all(
        isinstance(t, dict) and isinstance(t.get("name"), str) for t in found
    ):
        return found
    return None


async def _find_tool(context: MiddlewareContext, name: str) -> Any:
    server = getattr(context.fastmcp_context, "fastmcp", None)
    if server is None:
        return None
    try:
        return await server.get_tool(name)
    except Exception:  # noqa: BLE001 - not found / not visible: let FastMCP answer
        return None


def _state() -> CallState:
    state = _STATE.get()
    if state is None:  # a middleware used without TelemetryMiddleware outside it
        state = CallState(str(uuid.uuid4()), "?", {})
        _STATE.set(state)
    return state


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _http_request() -> Any:
    """The MCP HTTP request being served, or None (stdio, in-memory, a background task)."""
    try:
        return get_http_request()
    except RuntimeError:
        return None


def _verifier(policy: Policy) -> Any:
    config = policy.identity.jwt
    if config is None:
        return None
    from adaptgen.runtime.governance.jwt import JwtSettings, JwtVerifier
    from adaptgen.runtime.secrets import SecretResolver

    resolver = SecretResolver()  # keys, issuer, audience and JWKS URL may be ${env:...}
    keys = [resolver.render(k) for k in config.keys]
    return JwtVerifier(
        JwtSettings(
            issuer=resolver.render(config.issuer),
            audience=resolver.render(config.audience),
            jwks_url=resolver.render(config.jwks_url),
            keys=keys,
            algorithms=tuple(config.algorithms),
            leeway=config.leeway,
            subject_claim=config.subject_claim,
            groups_claim=config.groups_claim,
            scopes_claim=config.scopes_claim,
        )
    )


def _limiter(policy: Policy) -> Any:
    limits = policy.rate_limits
    if not (limits.groups or limits.per_user or limits.default):
        return None
    from adaptgen.runtime.governance import ratelimit

    def limit(rate: Any) -> Any:
        return ratelimit.Limit.per_minute(rate.per_minute, rate.burst) if rate else None

    if limits.backend == "redis":
        from adaptgen.runtime.secrets import SecretResolver

        url = SecretResolver().render(limits.redis_url)
        backend = ratelimit.PerLoopBackend(lambda: ratelimit.RedisBackend(url))
    elif limits.backend == "dynamodb":
        backend = ratelimit.DynamoDbBackend(limits.dynamodb_table, region=limits.region)
    else:
        backend = ratelimit.MemoryBackend()
    return ratelimit.RateLimiter(
        backend,
        groups={g: limit(r) for g, r in limits.groups.items()},
        per_user=limit(limits.per_user),
        default_group=limit(limits.default),
    )


def _tokenizer(policy: Policy) -> tuple[Any, bytes | None]:
    pii = policy.pii
    if not pii.enabled:
        return None, None
    from adaptgen.runtime.governance import pii as pii_module
    from adaptgen.runtime.secrets import SecretResolver

    key = (
        pii_module.key_from_text(SecretResolver().resolve(pii.key))
        if pii.key
        else pii_module.ephemeral_key()
    )
    vault = None
    if pii.vault is not None:
        vault = pii_module.DynamoDbVault(pii.vault.dynamodb_table, region=pii.vault.region)
    comprehend = None
    if pii.comprehend is not None:
        import boto3

        comprehend = boto3.client("comprehend", region_name=pii.comprehend.region)
    tokenizer = pii_module.PiiTokenizer(
        key,
        kinds=pii.recognizers,
        vault=vault,
        comprehend=comprehend,
        comprehend_min_score=pii.comprehend.min_score if pii.comprehend else 0.9,
    )
    return tokenizer, key
