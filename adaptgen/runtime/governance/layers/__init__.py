"""The governance layers, each built from its own policy section, and the one order they run in.

`ORDER`, outermost first, and why:

1. audit: records every call with the decision that ended it, so it wraps all the others;
   it logs the agent's own arguments (as an HMAC), which only layers outside PII still see.
2. identity: every layer below decides for a known caller.
3. rate limit: the caller's buckets; before access, so calls to refused tools count too.
4. access: may this caller use this tool at all; before PII, so a refused call never has
   the agent's tokens turned back into real values.
5. pii: the agent's tokens in, real values out to the tool; PII in what comes back, tokens
   out (the tool shapes its result with the redactor this layer hands it).
6. argument rules: on the real values the upstream will get, inside PII so any value a
   refusal quotes leaves as a token.

Telemetry is not a layer: it wraps the stack (`adaptgen.runtime.telemetry.CallTelemetry`).
To add a check: a module here with a class that has `on_call(call, call_next)` and a
`from_policy` reading its own policy section (in policy.py), and one line in `build_layers`
at the place in the order its reason puts it (see docs/DESIGN.md, "Layer order").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adaptgen.runtime.governance.layers.access import Access
from adaptgen.runtime.governance.layers.arguments import ArgumentRules
from adaptgen.runtime.governance.layers.audit import Audit
from adaptgen.runtime.governance.layers.identity import Identity
from adaptgen.runtime.governance.layers.pii import PiiProtection
from adaptgen.runtime.governance.layers.ratelimit import RateLimit

if TYPE_CHECKING:
    from adaptgen.runtime.governance.call import Layer
    from adaptgen.runtime.governance.pii import PiiTokenizer
    from adaptgen.runtime.governance.policy import Policy

__all__ = [
    "ORDER",
    "Access",
    "ArgumentRules",
    "Audit",
    "Identity",
    "PiiProtection",
    "RateLimit",
    "ServerFacts",
    "build_layers",
]

ORDER = (Audit, Identity, RateLimit, Access, PiiProtection, ArgumentRules)


@dataclass(frozen=True)
class ServerFacts:
    """What the layers need to know about the server they govern, beyond the policy.

    `pii_fields`/`record_fields`: each tool's PII paths (its result, one of its records);
    `tools_redact`: tools shape their own results with the call's redactor (generated servers);
    `meta_tools`: a search-mode server's search tool and call proxy; `dispatch_tools`: call
    proxies whose calls are decided as the tool they name (`adaptgen proxy`).
    """

    pii_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    record_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tools_redact: bool = False
    meta_tools: Iterable[str] = ()
    dispatch_tools: Iterable[str] = ()


def build_layers(
    policy: Policy,
    server: ServerFacts,
    *,
    tokenizer: PiiTokenizer | None,
    audit_key: bytes | None,
) -> list[Layer]:
    """The layers the policy turns on, in `ORDER` (a layer with nothing to check is left out)."""
    pii = None
    if tokenizer is not None:
        pii = PiiProtection(
            policy.pii,
            tokenizer,
            fields=server.pii_fields,
            record_fields=server.record_fields,
            tools_redact=server.tools_redact,
            meta_tools=server.meta_tools,
        )
    layers = [
        Audit(policy.audit, key=audit_key),
        Identity(policy.identity),
        RateLimit.from_policy(policy.rate_limits),
        Access(
            policy.access,
            policy.base_dir,
            meta_tools=server.meta_tools,
            dispatch_tools=server.dispatch_tools,
        ),
        pii,
        ArgumentRules.from_policy(policy.arguments),
    ]
    return [layer for layer in layers if layer is not None]
