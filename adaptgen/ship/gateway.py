"""`--gateway-target GATEWAY_ID`: the deployed runtime as an MCP server target of a Gateway.

An AgentCore Gateway puts many MCP servers behind one endpoint. The target is the runtime's
invocation URL (`adaptgen.ship.agentcore.invoke_url`) as an MCP server target, named after the
runtime, and the gateway authenticates to it as the runtime's inbound auth asks: with an IAM
runtime the gateway signs with its role (SigV4, service `bedrock-agentcore`), with a JWT runtime
it fetches a token from an AgentCore Identity OAuth credential provider (`--gateway-oauth-provider
ARN`, client credentials, `--gateway-scope`). The gateway's own inbound auth is its own affair.

Idempotent like the rest: the target is found by name, updated only when its endpoint or
credentials differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adaptgen.errors import InputError

__all__ = ["GatewayTarget", "ensure_gateway_target", "gateway_target"]

GATEWAY_ID = re.compile(r"([0-9a-z]-?){1,100}-[0-9a-z]{10}")
OAUTH_PROVIDER = re.compile(r"arn:[^:]*:[^:]*:[^:]*:(\d{12})?:.+")


@dataclass(frozen=True)
class GatewayTarget:
    """The target to make or keep: its gateway, name and the credentials toward the runtime."""

    gateway_id: str
    name: str
    credentials: dict[str, Any]

    def request(self, endpoint: str) -> dict[str, Any]:
        """CreateGatewayTarget's fields (UpdateGatewayTarget's too, with the target id)."""
        return {
            "gatewayIdentifier": self.gateway_id,
            "name": self.name,
            "description": "MCP server on AgentCore Runtime (adaptgen)",
            "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": endpoint}}},
            "credentialProviderConfigurations": [self.credentials],
        }


def gateway_target(
    gateway_id: str,
    runtime_name: str,
    region: str,
    *,
    jwt_protected: bool,
    oauth_provider: str | None,
    scopes: list[str],
) -> GatewayTarget:
    """The target for the runtime `runtime_name`, checked (bad input before any AWS call)."""
    if not GATEWAY_ID.fullmatch(gateway_id):
        raise InputError(f"--gateway-target {gateway_id!r}: expected a gateway id (x-abc123def4)")
    if oauth_provider is not None:
        if not OAUTH_PROVIDER.fullmatch(oauth_provider):
            raise InputError(f"--gateway-oauth-provider {oauth_provider!r}: expected an ARN")
        provider = {"providerArn": oauth_provider, "scopes": scopes}
        credentials = {
            "credentialProviderType": "OAUTH",
            "credentialProvider": {
                "oauthCredentialProvider": {**provider, "grantType": "CLIENT_CREDENTIALS"}
            },
        }
    elif jwt_protected:
        raise InputError(
            "--gateway-target: the runtime checks JWTs (--authorizer policy), so the gateway "
            "needs --gateway-oauth-provider ARN (an AgentCore Identity OAuth2 provider) to get one"
        )
    else:
        credentials = {
            "credentialProviderType": "GATEWAY_IAM_ROLE",
            "credentialProvider": {
                "iamCredentialProvider": {"service": "bedrock-agentcore", "region": region}
            },
        }
    name = re.sub(r"_+", "-", runtime_name).strip("-")
    return GatewayTarget(gateway_id, name, credentials)


def ensure_gateway_target(aws: Any, target: GatewayTarget, endpoint: str) -> str:
    """Create or update the target so it serves `endpoint`; a report line."""
    client = aws.client("bedrock-agentcore-control")
    wanted = target.request(endpoint)
    found = _find_target(client, target)
    if found is None:
        made = client.create_gateway_target(**wanted)
        return f"gateway {target.gateway_id}: target {target.name} created ({made['targetId']})"
    current = client.get_gateway_target(
        gatewayIdentifier=target.gateway_id, targetId=found["targetId"]
    )
    same = all(
        current.get(key) == wanted[key]
        for key in ("targetConfiguration", "credentialProviderConfigurations", "description")
    )
    if same:
        return f"gateway {target.gateway_id}: target {target.name} unchanged"
    client.update_gateway_target(targetId=found["targetId"], **wanted)
    return f"gateway {target.gateway_id}: target {target.name} updated"


def _find_target(client: Any, target: GatewayTarget) -> dict[str, Any] | None:
    pages = client.get_paginator("list_gateway_targets").paginate(
        gatewayIdentifier=target.gateway_id
    )
    for item in pages.search("items"):
        if item["name"] == target.name:
            return item
    return None
