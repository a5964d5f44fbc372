"""Planning upstream auth flows: a hints `auth:` block to the catalog's flow entry.

Each kind plans its own `config` (`adaptgen.runtime.flows.<kind>`); what every kind shares is
here: the scheme must exist, and every `${env:NAME}` its config reads must name an env var (the
server's README and the report list them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adaptgen.errors import InputError, Location
from adaptgen.hints import AuthHints, did_you_mean
from adaptgen.plan.names import is_env_name
from adaptgen.runtime.catalog import SecurityScheme, Tool
from adaptgen.runtime.flows import KINDS, UpstreamAuthFlow

_ENV_REFERENCE = re.compile(r"\$\{env:([^}#]+)\}")


@dataclass(frozen=True)
class FlowContext:
    """What a flow kind may ask while it is planned (`adaptgen.runtime.flows.FlowPlanning`)."""

    scheme_name: str
    scheme: SecurityScheme | None
    raw_scheme: Mapping[str, Any]
    operations: Mapping[str, Tool]  # by operationId
    where: Location | None

    def operation(self, operation_id: str) -> Tool:
        return self.operations[operation_id]

    def error(self, message: str) -> InputError:
        return InputError(message, self.where)


def plan_flow(
    hint: AuthHints, context: FlowContext, schemes: Mapping[str, Any]
) -> UpstreamAuthFlow:
    """The catalog entry for the flow that satisfies `context.scheme_name`."""
    name = context.scheme_name
    if name != "*" and name not in schemes:
        raise context.error(
            f"auth: no security scheme {name!r} in the spec"
            f"{did_you_mean(name, sorted(schemes))} (use '*' for every operation)"
        )
    flow = KINDS[hint.kind]
    config = flow.plan(hint.block, context)
    env = env_references(config.model_dump())
    for var in env:
        if not is_env_name(var):
            raise context.error(
                f"auth: ${{env:{var!r}}} does not name an environment variable "
                "(letters, digits and _, at most 128)"
            )
    return flow(scheme=name, config=config, env=tuple(env))


def env_references(value: Any) -> list[str]:
    """Every `${env:NAME}` in a config, in order, once each."""
    found: list[str] = []
    if isinstance(value, dict):
        for item in value.values():
            found.extend(n for n in env_references(item) if n not in found)
    elif isinstance(value, list | tuple):
        for item in value:
            found.extend(n for n in env_references(item) if n not in found)
    elif isinstance(value, str):
        found.extend(n for n in _ENV_REFERENCE.findall(value) if n not in found)
    return found
