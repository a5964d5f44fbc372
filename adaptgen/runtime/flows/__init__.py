"""Upstream auth flows, one kind per module; the registry that finds them.

* `login`: log in with a login operation, send the session token it returns.
* `oauth2_client_credentials`: RFC 6749 section 4.4 client credentials.
* `jwt_bearer`: RFC 7523 JWT-bearer assertions signed with the server's key.
* `sigv4`: AWS Signature V4, optionally with per-caller `AssumeRole` (ABAC session tags).
* `passthrough`: forward the caller's token, optionally via RFC 8693 token exchange.
* `oauth1`: OAuth 1.0a signed requests (RFC 5849): NetSuite, Magento, Jira Server.
* `ntlm`: Windows authentication for on-premises APIs (SharePoint Server, Dynamics on premises).

A new kind is a new module here with one `UpstreamAuthFlow` subclass (its `kind` literal,
hints block, planning, `httpx2.Auth` and report line) plus its tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Any, Union

from pydantic import Field

from adaptgen.runtime.flows.base import (
    AuthError,
    FlowPlanning,
    FlowRuntime,
    UpstreamAuthFlow,
)
from adaptgen.runtime.secrets import redact

__all__ = [
    "KINDS",
    "AuthError",
    "FlowPlanning",
    "FlowRuntime",
    "OAuth2ClientCredentialsAuth",
    "PassThroughAuth",
    "SessionLoginAuth",
    "SigV4Auth",
    "UpstreamAuthFlow",
    "UpstreamAuthFlowEntry",
    "redact",
    "session_name",
    "tag_value",
]


def _discover() -> dict[str, type[UpstreamAuthFlow]]:
    """Every kind module of this package, imported once, by kind name (sorted)."""
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module != "base":
            importlib.import_module(f"{__name__}.{module}")
    found = sorted(UpstreamAuthFlow.__subclasses__(), key=lambda cls: cls.__name__)
    return {cls.model_fields["kind"].default: cls for cls in found}


KINDS: dict[str, type[UpstreamAuthFlow]] = _discover()

# The catalog's auth entry: one of the kinds, told apart by `kind`.
UpstreamAuthFlowEntry: Any = Annotated[Union[tuple(KINDS.values())], Field(discriminator="kind")]  # noqa: UP007

from adaptgen.runtime.flows.login import SessionLoginAuth  # noqa: E402
from adaptgen.runtime.flows.oauth2_client_credentials import OAuth2ClientCredentialsAuth  # noqa: E402
from adaptgen.runtime.flows.passthrough import PassThroughAuth  # noqa: E402
from adaptgen.runtime.flows.sigv4 import SigV4Auth, session_name, tag_value  # noqa: E402
