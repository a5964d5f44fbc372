"""The governance stack of one server, and the FastMCP middleware that mounts it.

`Governance` builds the layers from the policy, in the one order `layers.ORDER` gives (and says
why), and runs every call through them with `run_call`: generated tools call it themselves,
`adaptgen proxy` through `GovernanceMiddleware`. A resources/read or prompts/get runs the same
layers as a call named `resource:<uri>` or `prompt:<name>` (audited, rate-limited, decided, its
text tokenized); tools/list and the other lists are filtered per caller. Telemetry wraps the
stack (`CallTelemetry`), it is not a layer.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from fastmcp.server.dependencies import get_context
from fastmcp.server.middleware import Middleware, MiddlewareContext
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST

from adaptgen.runtime.governance.access import ToolFacts
from adaptgen.runtime.governance.call import Call, Layer, Refused
from adaptgen.runtime.governance.layers import (
    Access,
    Audit,
    Identity,
    ServerFacts,
    build_layers,
)
from adaptgen.runtime.governance.layers.identity import CALLER_STATE
from adaptgen.runtime.governance.policy import Policy, load_policy, policy_path, safe_default
from adaptgen.runtime.identity import Caller
from adaptgen.runtime.secrets import SecretResolver
from adaptgen.runtime.telemetry import CallTelemetry

__all__ = [
    "CALLER_STATE",
    "Governance",
    "GovernanceMiddleware",
    "Refused",
    "ToolCall",
    "replace_arguments",
]

# What `run_call` finally runs: the tool itself, given the governed call (its arguments with
# real values, and the redactor to shape its result with, if any).
ToolCall = Callable[[Call], Awaitable[Any]]
_NO_CONTEXT = object()


class Governance:
    """The configured stack for one server; nothing about it changes once it is built.

    `pii_fields`, `record_fields`, `tools_redact`, `meta_tools`, `dispatch_tools`: see
    `layers.ServerFacts`.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        name: str,
        pii_fields: Mapping[str, Sequence[str]] | None = None,
        record_fields: Mapping[str, Sequence[str]] | None = None,
        tools_redact: bool = False,
        meta_tools: Iterable[str] = (),
        dispatch_tools: Iterable[str] = (),
    ) -> None:
        self.policy = policy
        self.name = name
        self.tokenizer, key = _tokenizer(policy)
        # A key every instance shares (the policy names it): other keys may be derived from it.
        self.shared_key: bytes | None = key if policy.pii.enabled and policy.pii.key else None
        self.telemetry = CallTelemetry(policy.tracing, policy.metrics, name)
        self.meta_tools = frozenset(meta_tools)
        self.dispatch_tools = frozenset(dispatch_tools)
        server = ServerFacts(
            pii_fields=dict(pii_fields or {}),
            record_fields=dict(record_fields or {}),
            tools_redact=tools_redact,
            meta_tools=self.meta_tools,
            dispatch_tools=self.dispatch_tools,
        )
        self.layers: Sequence[Layer] = tuple(
            build_layers(policy, server, tokenizer=self.tokenizer, audit_key=key)
        )
        self.identity: Identity = _layer(self.layers, Identity)
        self.access_layer: Access = _layer(self.layers, Access)
        self.access = self.access_layer.control
        self.audit = _layer(self.layers, Audit).log
        self.verifier = self.identity.verifier

    @classmethod
    def from_env(cls, name: str, env_prefix: str | None = None, **server: Any) -> Governance:
        """The policy named by `<PREFIX>_POLICY` / `ADAPTGEN_POLICY`, else the safe default
        (`server`: the keyword arguments of `Governance`)."""
        path = policy_path(env_prefix)
        policy = load_policy(path) if path else safe_default()
        return cls(policy, name=name, **server)

    def middleware(self, *, calls: bool = True) -> list[Middleware]:
        """What a server mounts. `calls=False`: the middleware only filters the lists, because
        the tools run `run_call` themselves (generated servers: no FastMCP dispatch per call)."""
        return [GovernanceMiddleware(self, calls=calls)]

    async def run_call(
        self,
        name: str,
        arguments: Mapping[str, Any],
        call: ToolCall,
        *,
        caller: Caller | None = None,
        facts: ToolFacts | None = None,
        kind: str = "tool",
        fastmcp_context: Any = _NO_CONTEXT,
    ) -> Any:
        """Run a call through the layers; `call(governed)` runs the tool itself.

        Per-call state is explicit: `caller` (skips identity's lookup: the entry point knows
        who calls), `facts` (skips access's tool lookup), `kind` ("tool", "resource",
        "prompt"), `fastmcp_context` (where access looks the tool up: its `fastmcp` server's
        `get_tool`; by default the FastMCP request being served).
        """
        if fastmcp_context is _NO_CONTEXT:
            fastmcp_context = _current_context()
        # A dict the caller made for this call is used as is (the layers replace, never edit it).
        arguments = arguments if isinstance(arguments, dict) else dict(arguments)
        governed = Call(
            name, arguments, kind=kind, caller=caller, facts=facts, context=fastmcp_context
        )
        chain: Any = call
        for layer in reversed(self.layers):
            chain = functools.partial(layer.on_call, call_next=chain)
        async with self.telemetry.observed(governed):
            return await chain(governed)

    async def resolve_caller(self) -> Caller:
        """Who is calling (see `Identity.resolve_caller`)."""
        return await self.identity.resolve_caller()

    async def identify(
        self, authorization: str | None, *, local: bool = False, anonymous: bool | None = None
    ) -> Caller:
        """The caller an `Authorization` header value identifies (see `Identity.identify`)."""
        return await self.identity.identify(authorization, local=local, anonymous=anonymous)

    async def list_caller(self) -> Caller:
        """The caller of a list request; refused as a JSON-RPC error: any other exception the
        MCP SDK logs with a full traceback, once per refused request."""
        try:
            return await self.identity.resolve_caller()
        except Refused as exc:
            raise MCPError(INVALID_REQUEST, str(exc)) from None

    def visible(
        self, caller: Caller, items: Iterable[Any], facts: Callable[[Any], ToolFacts]
    ) -> list[Any]:
        """The listed tools, resources, templates or prompts `caller` may use."""
        decide = self.access_layer.decide
        return [item for item in items if decide(caller, facts(item)).allowed]

    def tool_facts(self, tool: Any) -> ToolFacts:
        """What access decides on for a listed FastMCP tool."""
        return ToolFacts.of(tool, meta=tool.name in self.meta_tools)


class GovernanceMiddleware(Middleware):
    """The governance stack as one FastMCP middleware: each call goes to `run_call`, each list
    is filtered per caller. `calls=False`: tools/call passes (the tools govern themselves)."""

    def __init__(self, governance: Governance, *, calls: bool = True) -> None:
        self.governance = governance
        self.calls = calls

    async def __call__(self, context: MiddlewareContext, call_next: Any) -> Any:
        if not self.calls and context.method == "tools/call":
            # The tool runs the chain itself: skip FastMCP's per-hook dispatch for this call.
            return await call_next(context)
        return await super().__call__(context, call_next)

    async def on_call_tool(self, context: MiddlewareContext, call_next: Any) -> Any:
        if not self.calls:
            return await call_next(context)
        message = context.message
        arguments = dict(message.arguments or {})
        return await self.governance.run_call(
            message.name,
            arguments,
            _forward(context, call_next, arguments),
            fastmcp_context=context.fastmcp_context,
        )

    async def on_read_resource(self, context: MiddlewareContext, call_next: Any) -> Any:
        uri = context.message.uri
        return await self.governance.run_call(
            f"resource:{uri}",
            {},
            lambda _: call_next(context),
            facts=ToolFacts.of_resource(uri),
            kind="resource",
            fastmcp_context=context.fastmcp_context,
        )

    async def on_get_prompt(self, context: MiddlewareContext, call_next: Any) -> Any:
        message = context.message
        arguments = dict(message.arguments or {})
        return await self.governance.run_call(
            f"prompt:{message.name}",
            arguments,
            _forward(context, call_next, arguments),
            facts=ToolFacts.of_prompt(message.name),
            kind="prompt",
            fastmcp_context=context.fastmcp_context,
        )

    async def on_list_tools(self, context: MiddlewareContext, call_next: Any) -> Any:
        caller = await self.governance.list_caller()
        return self.governance.visible(caller, await call_next(context), self.governance.tool_facts)

    async def on_list_resources(self, context: MiddlewareContext, call_next: Any) -> Any:
        caller = await self.governance.list_caller()
        found = await call_next(context)
        return self.governance.visible(caller, found, lambda r: ToolFacts.of_resource(r.uri))

    async def on_list_resource_templates(self, context: MiddlewareContext, call_next: Any) -> Any:
        caller = await self.governance.list_caller()
        found = await call_next(context)
        return self.governance.visible(
            caller, found, lambda t: ToolFacts.of_resource(t.uri_template)
        )

    async def on_list_prompts(self, context: MiddlewareContext, call_next: Any) -> Any:
        caller = await self.governance.list_caller()
        found = await call_next(context)
        return self.governance.visible(caller, found, lambda p: ToolFacts.of_prompt(p.name))


def _forward(context: MiddlewareContext, call_next: Any, arguments: dict[str, Any]) -> ToolCall:
    """The rest of FastMCP's chain, given the governed call's arguments if a layer replaced
    `arguments` (the PII layer, with real values)."""

    async def forward(call: Call) -> Any:
        if call.arguments is arguments:
            return await call_next(context)
        return await call_next(
            context.copy(message=replace_arguments(context.message, call.arguments))
        )

    return forward


def replace_arguments(message: Any, arguments: dict[str, Any]) -> Any:
    """The tools/call params with other arguments (pydantic model or dataclass)."""
    if hasattr(message, "model_copy"):
        return message.model_copy(update={"arguments": arguments})
    return replace(message, arguments=arguments)


def _current_context() -> Any:
    try:
        return get_context()
    except RuntimeError:
        return None


def _layer(layers: Sequence[Layer], kind: type) -> Any:
    return next(layer for layer in layers if isinstance(layer, kind))


def _tokenizer(policy: Policy) -> tuple[Any, bytes | None]:
    pii = policy.pii
    if not pii.enabled:
        return None, None
    from adaptgen.runtime.governance import pii as pii_module

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
