"""How callers reach a deployed server: a Lambda Function URL, an API Gateway HTTP API, or nothing.

Function URL, auth type NONE. MCP clients authenticate with a bearer JWT, not AWS SigV4, and the
governance layer inside the function verifies that JWT (signature, issuer, audience, expiry) and
applies the access policy on every call; IAM auth in front would reject every MCP client. The
URL is public at the network level only: a call without a valid token gets "unauthenticated".
Since October 2025 such a URL needs two resource-policy statements: `lambda:InvokeFunctionUrl`
for everyone with auth type NONE, and `lambda:InvokeFunction` for everyone *via the URL only*.

HTTP API (API Gateway v2): an API tagged with the function's ARN, a Lambda proxy integration
(payload 2.0), the `$default` route and an auto-deployed `$default` stage, plus permission for
API Gateway to invoke the function from that API. Made step by step rather than by quick-create,
so a re-deploy finds each part and repairs a missing one; API Gateway stops waiting after 30 s
whatever the function's timeout.

Everything is looked up before it is made, and resource-policy statements have fixed ids, so a
re-deploy adds nothing. Switching endpoint or choosing none removes nothing: a still-existing
URL or API is reported with the command that deletes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from adaptgen.errors import BuildError

__all__ = ["MCP_PATH", "Endpoint", "ensure_endpoint", "leftover_endpoints"]

Endpoint = Literal["function-url", "http-api", "none"]
MCP_PATH = "/mcp"  # where the generated handler.py serves MCP (adaptgen.runtime.aws_lambda)
API_TAG = "adaptgen:function"  # on an HTTP API: the ARN of the function it fronts
HTTP_API_TIMEOUT = 30  # seconds, API Gateway's integration maximum
URL_STATEMENTS: dict[str, dict[str, Any]] = {
    "adaptgen-function-url": {
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    },
    "adaptgen-function-url-invoke": {
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
        "InvokedViaFunctionUrl": True,
    },
}
AUTH_NOTE = "callers send `Authorization: Bearer <JWT>`; the governance layer verifies it"


def ensure_endpoint(session: Any, endpoint: Endpoint, function_arn: str, timeout: int) -> str:
    """Make sure `endpoint` serves the function; report lines naming what was done and the URL."""
    if endpoint == "function-url":
        return ensure_function_url(session.client("lambda"), function_arn)
    if endpoint == "http-api":
        return ensure_http_api(session, function_arn, timeout)
    raise ValueError(f"no endpoint to ensure for {endpoint!r}")


def leftover_endpoints(session: Any, endpoint: Endpoint, function_arn: str) -> list[str]:
    """Notes on endpoints of the function other than `endpoint` that still exist."""
    finders = {"function-url": _leftover_url, "http-api": _leftover_api}
    notes = []
    for kind, finder in finders.items():
        found = finder(session, function_arn) if kind != endpoint else None
        if found:
            what, command = found
            name = _function_name(function_arn)
            notes.append(f"note: {what} still serves {name}; remove it with `{command}`")
    return notes


def _leftover_url(session: Any, function_arn: str) -> tuple[str, str] | None:
    """(the URL, the command that deletes it), if the function has a URL."""
    url = _function_url(session.client("lambda"), function_arn)
    name = _function_name(function_arn)
    command = f"aws lambda delete-function-url-config --function-name {name}"
    return (f"function URL {url}", command) if url else None


def _leftover_api(session: Any, function_arn: str) -> tuple[str, str] | None:
    """(the API, the command that deletes it), if an HTTP API made by deploy fronts it."""
    api = _find_api(session.client("apigatewayv2"), function_arn)
    if api is None:
        return None
    return f"HTTP API {api['ApiEndpoint']}", f"aws apigatewayv2 delete-api --api-id {api['ApiId']}"


# -- Function URL ----------------------------------------------------------------------------


def ensure_function_url(client: Any, function_arn: str) -> str:
    """A Function URL with auth type NONE and buffered responses, and its public permissions."""
    if not _supports_invoked_via_url(client):
        raise BuildError(
            "this boto3 cannot grant Function URL access (AddPermission has no "
            "InvokedViaFunctionUrl, added in late 2025): upgrade boto3"
        )
    wanted = {"AuthType": "NONE", "InvokeMode": "BUFFERED"}
    try:
        config = client.get_function_url_config(FunctionName=function_arn)
    except client.exceptions.ResourceNotFoundException:
        config = client.create_function_url_config(FunctionName=function_arn, **wanted)
        outcome = "created"
    else:
        if all(config.get(key) == value for key, value in wanted.items()):
            outcome = "unchanged"
        else:
            config = client.update_function_url_config(FunctionName=function_arn, **wanted)
            outcome = "updated"
    existing = _statement_ids(client, function_arn)
    added = [
        statement["Action"]
        for sid, statement in URL_STATEMENTS.items()
        if _ensure_permission(client, function_arn, sid, statement, existing)
    ]
    lines = [f"function URL: {outcome} {_mcp_url(config['FunctionUrl'])}"]
    lines.append(f"  auth NONE: {AUTH_NOTE}")
    if added:
        lines.append(f"  permission added: {', '.join(added)} (public, through the URL)")
    return "\n".join(lines)


def _function_url(client: Any, function_arn: str) -> str | None:
    try:
        config = client.get_function_url_config(FunctionName=function_arn)
    except client.exceptions.ResourceNotFoundException:
        return None
    return _mcp_url(config["FunctionUrl"])


def _supports_invoked_via_url(client: Any) -> bool:
    shape = client.meta.service_model.operation_model("AddPermission").input_shape
    return "InvokedViaFunctionUrl" in shape.members


# -- HTTP API --------------------------------------------------------------------------------


def ensure_http_api(session: Any, function_arn: str, timeout: int) -> str:
    """An HTTP API whose `$default` route proxies every request to the function."""
    api_client = session.client("apigatewayv2")
    made: list[str] = []
    api = _find_api(api_client, function_arn)
    if api is None:
        api = api_client.create_api(
            Name=_function_name(function_arn),
            ProtocolType="HTTP",
            Description="MCP server (adaptgen)",
            Tags={API_TAG: function_arn},
        )
        made.append("API")
    api_id = api["ApiId"]
    wait_ms = min(timeout, HTTP_API_TIMEOUT) * 1000
    integration = _find_integration(api_client, api_id, function_arn)
    if integration is None:
        integration = api_client.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=function_arn,
            IntegrationMethod="POST",
            PayloadFormatVersion="2.0",
            TimeoutInMillis=wait_ms,
        )
        made.append("integration")
    elif integration.get("TimeoutInMillis") != wait_ms:  # the function's --timeout changed
        api_client.update_integration(
            ApiId=api_id, IntegrationId=integration["IntegrationId"], TimeoutInMillis=wait_ms
        )
        made.append("integration timeout")
    target = f"integrations/{integration['IntegrationId']}"
    routes = {r["RouteKey"]: r for r in _items(api_client, "get_routes", ApiId=api_id)}
    route = routes.get("$default")
    if route is None:
        api_client.create_route(ApiId=api_id, RouteKey="$default", Target=target)
        made.append("route")
    elif route.get("Target") != target:
        api_client.update_route(ApiId=api_id, RouteId=route["RouteId"], Target=target)
        made.append("route")
    stages = {s["StageName"] for s in _items(api_client, "get_stages", ApiId=api_id)}
    if "$default" not in stages:
        api_client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        made.append("stage")
    partition, region, account = _arn_parts(function_arn)
    statement = {
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*/*",
    }
    sid = f"adaptgen-http-api-{api_id}"
    lambda_client = session.client("lambda")
    existing = _statement_ids(lambda_client, function_arn)
    if _ensure_permission(lambda_client, function_arn, sid, statement, existing):
        made.append("invoke permission")
    done = "created" if "API" in made else "updated"  # repaired or changed on a re-deploy
    outcome = f"{done} ({', '.join(made)})" if made else "unchanged"
    lines = [f"HTTP API: {outcome} {api['ApiEndpoint']}{MCP_PATH}", f"  no authorizer: {AUTH_NOTE}"]
    if timeout > HTTP_API_TIMEOUT:
        lines.append(
            f"  note: API Gateway stops waiting after {HTTP_API_TIMEOUT} s ({timeout} s set)"
        )
    return "\n".join(lines)


def _find_api(client: Any, function_arn: str) -> dict[str, Any] | None:
    for api in _items(client, "get_apis"):
        if (api.get("Tags") or {}).get(API_TAG) == function_arn:
            return api
    return None


def _find_integration(client: Any, api_id: str, function_arn: str) -> dict[str, Any] | None:
    for integration in _items(client, "get_integrations", ApiId=api_id):
        if (
            integration.get("IntegrationType") == "AWS_PROXY"
            and integration.get("IntegrationUri") == function_arn
        ):
            return integration
    return None


# -- shared ----------------------------------------------------------------------------------


def _ensure_permission(
    client: Any, function_arn: str, sid: str, statement: dict[str, Any], existing: set[str]
) -> bool:
    """Add the resource-policy statement `sid` unless the function has it (`existing`: the
    statement ids it has); True if added."""
    if sid in existing:
        return False
    try:
        client.add_permission(FunctionName=function_arn, StatementId=sid, **statement)
    except client.exceptions.ResourceConflictException:
        return False  # added meanwhile by a concurrent deploy
    return True


def _statement_ids(client: Any, function_arn: str) -> set[str]:
    try:
        policy = json.loads(client.get_policy(FunctionName=function_arn)["Policy"])
    except client.exceptions.ResourceNotFoundException:
        return set()
    return {statement.get("Sid", "") for statement in policy.get("Statement", [])}


def _items(client: Any, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of an API Gateway v2 listing, over all its pages (botocore's paginator)."""
    return client.get_paginator(operation).paginate(**params).search("Items")


def _mcp_url(base: str) -> str:
    return base.rstrip("/") + MCP_PATH


def _function_name(function_arn: str) -> str:
    return function_arn.split(":")[6]


def _arn_parts(function_arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of a function ARN."""
    parts = function_arn.split(":")
    return parts[1], parts[3], parts[4]
