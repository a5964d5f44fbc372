"""`adaptgen deploy --target agentcore`: create or update an AgentCore Runtime serving MCP.

The runtime (boto3 `bedrock-agentcore-control`) runs the zip of `adaptgen package --target
agentcore` by direct code deployment: the zip goes to the private deploy bucket under
`agentcore/<runtime name>/<sha256>.zip` (`adaptgen.ship.aws`) and stays there, since every
runtime version is made from its S3 object; the runtime's artifact names that object, AgentCore's
Python and the entry point `main.py`; the protocol is MCP (0.0.0.0:8000/mcp, stateless).

Deploying is declarative and idempotent, as for Lambda: the runtime is found by name, and is
created if missing, updated (a new version, which the DEFAULT endpoint serves) only when a field
differs (code by its SHA-256 in the object key, role, environment, authorizer, description),
and left alone otherwise. AgentCore has no boto3 waiter for runtimes, so the deploy polls
`GetAgentRuntime` until READY (a failure names AgentCore's reason).

Inbound auth. `--authorizer iam` (AgentCore's default) admits AWS principals allowed to call
InvokeAgentRuntime, with no JWT for the governance layer to read, so it is refused unless the
server serves anonymous callers on purpose. `--authorizer policy` sets AgentCore's JWT
authorizer from the governance policy's `identity.jwt` (discovery URL from the issuer, allowed
audience; `--allowed-client` for IdPs whose access tokens carry `client_id` rather than `aud`)
and passes the `Authorization` header through, so the governance layer verifies the same token
and applies the policy to the caller it names.

Secrets stay references (`--secret`); `--dry-run` prints the requests without calling AWS.
`--gateway-target` also registers the runtime with an AgentCore Gateway (`adaptgen.ship.gateway`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adaptgen.errors import BuildError, InputError
from adaptgen.runtime.governance.policy import Policy, load_policy
from adaptgen.runtime.secrets import REFERENCE, is_aws_reference
from adaptgen.ship.agentcore_package import (
    ENTRY_POINT,
    Shipped,
    build_agentcore_package,
    default_agentcore_zip_path,
    env_prefix,
)
from adaptgen.ship.aws import (
    DRY_RUN,
    aws_errors,
    bucket_name,
    checked_role,
    deploy_bucket,
    dry_run_environment,
    environment_report,
    parse_environment,
    session,
)
from adaptgen.ship.gateway import GatewayTarget, ensure_gateway_target, gateway_target
from adaptgen.ship.package import (
    MB,
    PACKAGED_POLICY,
    AgentCoreTarget,
    check_policy,
    policy_features,
    show_progress,
)

__all__ = [
    "RuntimeSpec",
    "deploy_runtime",
    "invoke_url",
    "run_agentcore_deploy",
    "supports_code_deployment",
]

RUNTIME_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
DISCOVERY_URL = re.compile(
    r"https://[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?"
)
# Set by AgentCore or naming its own machinery; a runtime may not define them.
RESERVED_ENV = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"}
)
POLL_SECONDS = 5.0
READY_TIMEOUT = 15 * 60.0  # seconds a new version may take to become READY
FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "code": lambda r: (r.get("agentRuntimeArtifact") or {}).get("codeConfiguration"),
    "role": lambda r: r.get("roleArn"),
    "network": lambda r: (r.get("networkConfiguration") or {}).get("networkMode"),
    "protocol": lambda r: (r.get("protocolConfiguration") or {}).get("serverProtocol"),
    "authorizer": lambda r: r.get("authorizerConfiguration"),
    "headers": lambda r: r.get("requestHeaderConfiguration"),
    "environment": lambda r: r.get("environmentVariables") or {},
    "description": lambda r: r.get("description"),
}


@dataclass(frozen=True)
class RuntimeSpec:
    """What the AgentCore Runtime must look like after the deploy."""

    name: str
    role: str
    target: AgentCoreTarget
    environment: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None  # customJWTAuthorizer, or None for IAM (SigV4)
    description: str = ""

    def request(self, bucket: str, key: str) -> dict[str, Any]:
        """The fields CreateAgentRuntime and UpdateAgentRuntime set, code at s3://bucket/key."""
        body: dict[str, Any] = {
            "agentRuntimeArtifact": {
                "codeConfiguration": {
                    "code": {"s3": {"bucket": bucket, "prefix": key}},
                    "runtime": self.target.managed_runtime,
                    "entryPoint": [ENTRY_POINT],
                }
            },
            "roleArn": self.role,
            "networkConfiguration": {"networkMode": "PUBLIC"},
            "protocolConfiguration": {"serverProtocol": "MCP"},
            "environmentVariables": dict(self.environment),
            "description": self.description,
        }
        if self.authorizer is not None:
            body["authorizerConfiguration"] = {"customJWTAuthorizer": self.authorizer}
            # The governance layer verifies the same token and reads the caller's groups.
            body["requestHeaderConfiguration"] = {"requestHeaderAllowlist": ["Authorization"]}
        return body

    def differences(self, current: dict[str, Any], bucket: str, key: str) -> list[str]:
        """Names of the fields `current` (from GetAgentRuntime) has otherwise."""
        wanted = self.request(bucket, key)
        return [name for name, get in FIELDS.items() if get(wanted) != get(current)]


@dataclass(frozen=True)
class StagedZip:
    """The zip and where it goes in S3 (by content, so the key names the code)."""

    path: Path
    hexdigest: str

    @classmethod
    def of(cls, path: Path, hexdigest: str | None = None) -> StagedZip:
        return cls(path, hexdigest or hashlib.sha256(path.read_bytes()).hexdigest())

    def key(self, runtime_name: str) -> str:
        return f"agentcore/{runtime_name}/{self.hexdigest}.zip"

    def describe(self) -> str:
        size = self.path.stat().st_size / MB
        return f"{self.path} ({size:.1f} MB; sha256 {self.hexdigest})"


def run_agentcore_deploy(args: argparse.Namespace) -> int:
    """`adaptgen deploy [SERVER] --target agentcore --runtime-name NAME --role ARN [...]`."""
    name = _checked_runtime_name(args.runtime_name)
    role = checked_role(args.role)
    environment = parse_environment(
        args.env, args.secret, reserved=RESERVED_ENV, service="AgentCore Runtime"
    )
    if args.zip is not None and (args.policy is not None or args.upstream is not None):
        raise InputError("--policy and --upstream go into a zip deploy builds: package it first")
    target = AgentCoreTarget.resolve(args.runtime, args.arch)
    with aws_errors():  # a bad region or profile is bad input, not a traceback
        aws = session(args.region)  # before packaging: a missing region should fail fast
        if not supports_code_deployment(aws.client("bedrock-agentcore-control")):
            raise InputError(
                "this boto3 cannot deploy code to AgentCore Runtime (no codeConfiguration, "
                "added in November 2025): upgrade boto3"
            )
    shipped, policy = None, None
    if args.zip is not None:
        facts = ZipFacts.read(check_agentcore_zip(args.zip))
    else:
        shipped = Shipped.from_args(args.server, args.upstream)
        policy = check_policy(args.policy)
        facts = ZipFacts.of(shipped, policy)
    spec = RuntimeSpec(
        name=name,
        role=role,
        target=target,
        environment=environment,
        authorizer=_authorizer(args, facts, environment),  # bad input before packaging
        description=f"MCP server {facts.name} (adaptgen)",
    )
    gateway = _gateway_target(args, spec, aws.region_name)
    if shipped is None:
        staged = StagedZip.of(args.zip)
    else:
        package = build_agentcore_package(
            shipped,
            target,
            default_agentcore_zip_path(shipped, target),
            policy=policy,
            progress=show_progress,
            features=policy_features(policy),
        )
        print(package.summary())
        staged = StagedZip(package.path, package.sha256)
    if args.dry_run:
        print("\n".join(dry_run_report(spec, staged, aws.region_name, gateway)))
        return 0
    report: list[str] = []
    try:
        with aws_errors():
            arn = deploy_runtime(aws, spec, staged, report)
            if gateway is not None:
                endpoint = invoke_url(arn, aws.region_name)
                report.append(ensure_gateway_target(aws, gateway, endpoint))
    finally:
        if report:
            print("\n".join(report))  # what was done, also when a later step failed
    return 0


def deploy_runtime(aws: Any, spec: RuntimeSpec, staged: StagedZip, report: list[str]) -> str:
    """Create or update the runtime `spec` names from `staged`; its ARN. `report` gets a line
    per thing done or found unchanged (names, never values)."""
    client = aws.client("bedrock-agentcore-control")
    summary = _find_runtime(client, spec.name)
    if summary is None:
        ready = _create(aws, client, spec, staged, report)
    else:
        ready = _update(aws, client, summary["agentRuntimeId"], spec, staged, report)
    report.extend(_auth_report(spec))
    report.extend(environment_report(spec.environment))
    report.append(f"  MCP endpoint: {invoke_url(ready['agentRuntimeArn'], aws.region_name)}")
    return ready["agentRuntimeArn"]


def supports_code_deployment(client: Any) -> bool:
    """Whether the client's service model has direct code deployment (an older botocore's
    AgentCore model knows containers only, and would refuse the request's shape)."""
    model = client.meta.service_model
    if "AgentRuntimeArtifact" not in model.shape_names:
        return False
    return "codeConfiguration" in model.shape_for("AgentRuntimeArtifact").members


def invoke_url(runtime_arn: str, region: str) -> str:
    """Where MCP clients reach the runtime (its DEFAULT endpoint), the ARN URL-encoded."""
    encoded = quote(runtime_arn, safe="")
    return (
        f"https://bedrock-agentcore.{region}.amazonaws.com/runtimes/{encoded}/invocations"
        "?qualifier=DEFAULT"
    )


def dry_run_report(
    spec: RuntimeSpec, staged: StagedZip, region: str, gateway: GatewayTarget | None
) -> list[str]:
    """What a deploy would send, with placeholders for what only AWS knows; values of the
    environment are left out (references are shown: they are not secrets)."""
    bucket = bucket_name("<account>", region)
    key = staged.key(spec.name)
    request = spec.request(bucket, key)
    request["environmentVariables"] = dry_run_environment(spec.environment)
    lines = [
        DRY_RUN,
        f"would upload {staged.describe()} to s3://{bucket}/{key} (unless it is there)",
        f"would create agent runtime {spec.name}, or update it where it differs "
        "(CreateAgentRuntime / UpdateAgentRuntime):",
        json.dumps({"agentRuntimeName": spec.name, **request}, indent=2),
    ]
    if gateway is not None:
        endpoint = invoke_url("<runtime ARN>", region)
        lines.append("would register it with the gateway (CreateGatewayTarget / Update...):")
        lines.append(json.dumps(gateway.request(endpoint), indent=2))
    return lines


def check_agentcore_zip(path: Path) -> Path:
    """`path` if it is a zip with AgentCore's entry point at its root."""
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a zip (make one with `adaptgen package --target agentcore`)")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    if ENTRY_POINT not in names:
        raise InputError(
            f"{path}: no {ENTRY_POINT} at the zip's root (make it with "
            "`adaptgen package --target agentcore`)"
        )
    return path


@dataclass(frozen=True)
class ZipFacts:
    """What deploy needs to know of the zip's contents: its name, its variables' prefix and
    the policy it ships (loaded), whether built now or given with --zip."""

    name: str
    env_prefix: str
    policy: Policy | None
    policy_file: str | None

    @classmethod
    def of(cls, shipped: Shipped, policy: Path | None) -> ZipFacts:
        prefix = "ADAPTGEN"
        if shipped.folder is not None:
            prefix = env_prefix((shipped.folder / "catalog.json").read_bytes())
        loaded = load_policy(policy) if policy is not None else None
        return cls(shipped.name, prefix, loaded, str(policy) if policy else None)

    @classmethod
    def read(cls, path: Path) -> ZipFacts:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            catalog = archive.read("catalog.json") if "catalog.json" in names else None
            policy_text = archive.read(PACKAGED_POLICY) if PACKAGED_POLICY in names else None
        loaded = None
        if policy_text is not None:
            with tempfile.TemporaryDirectory() as tmp:
                shipped = Path(tmp) / PACKAGED_POLICY
                shipped.write_bytes(policy_text)
                loaded = load_policy(shipped)
        prefix = env_prefix(catalog) if catalog is not None else "ADAPTGEN"
        name = path.stem if catalog is not None else "proxy"
        where = f"{path}:{PACKAGED_POLICY}" if policy_text is not None else None
        return cls(name, prefix, loaded, where)


# -- the runtime -----------------------------------------------------------------------------


def _find_runtime(client: Any, name: str) -> dict[str, Any] | None:
    pages = client.get_paginator("list_agent_runtimes").paginate()
    for runtime in pages.search("agentRuntimes"):
        if runtime["agentRuntimeName"] == name:
            return runtime
    return None


def _create(
    aws: Any, client: Any, spec: RuntimeSpec, staged: StagedZip, report: list[str]
) -> dict[str, Any]:
    key = staged.key(spec.name)
    bucket = _upload(aws, staged, key)
    created = client.create_agent_runtime(agentRuntimeName=spec.name, **spec.request(bucket, key))
    ready = _wait_ready(client, created["agentRuntimeId"])
    report.append(
        f"agent runtime {spec.name}: created ({spec.target.managed_runtime}, arm64, MCP, "
        f"entry point {ENTRY_POINT}; version {ready['agentRuntimeVersion']})"
    )
    report.append(f"  code: uploaded {staged.describe()} to s3://{bucket}/{key}")
    return ready


def _update(
    aws: Any,
    client: Any,
    runtime_id: str,
    spec: RuntimeSpec,
    staged: StagedZip,
    report: list[str],
) -> dict[str, Any]:
    key = staged.key(spec.name)
    current = _wait_ready(client, runtime_id, settled_only=True)
    changed = spec.differences(current, _current_bucket(current), key)
    if not changed and current["status"] == "READY":
        version = current["agentRuntimeVersion"]
        report.append(f"agent runtime {spec.name}: unchanged (version {version})")
        report.append(f"  code: unchanged (sha256 {staged.hexdigest})")
        return current
    bucket = _upload(aws, staged, key)
    changed = spec.differences(current, bucket, key) or [current["status"].lower()]
    client.update_agent_runtime(agentRuntimeId=runtime_id, **spec.request(bucket, key))
    ready = _wait_ready(client, runtime_id)
    report.append(
        f"agent runtime {spec.name}: updated ({', '.join(changed)}; version "
        f"{ready['agentRuntimeVersion']})"
    )
    code = f"uploaded {staged.describe()}" if "code" in changed else "unchanged"
    report.append(f"  code: {code}")
    return ready


def _wait_ready(client: Any, runtime_id: str, *, settled_only: bool = False) -> dict[str, Any]:
    """GetAgentRuntime until the runtime is no longer being created or updated; with
    `settled_only` a failed earlier deploy is returned as found (this one will replace it)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        current = client.get_agent_runtime(agentRuntimeId=runtime_id)
        status = current["status"]
        if status == "READY" or (settled_only and status.endswith("_FAILED")):
            return current
        if status.endswith("_FAILED") or status.startswith("DELET"):
            reason = current.get("failureReason") or "no reason given"
            raise BuildError(f"agent runtime {current['agentRuntimeName']}: {status}: {reason}")
        if time.monotonic() > deadline:
            raise BuildError(f"agent runtime {runtime_id}: still {status} after {READY_TIMEOUT}s")
        time.sleep(POLL_SECONDS)


def _current_bucket(current: dict[str, Any]) -> str:
    """The bucket the runtime's code is in now (compared as is: only the key tells the code)."""
    code = FIELDS["code"](current) or {}
    return str((code.get("code") or {}).get("s3", {}).get("bucket", ""))


def _upload(aws: Any, staged: StagedZip, key: str) -> str:
    """Put the zip at `key` in the deploy bucket unless it is there; the bucket's name."""
    s3 = aws.client("s3")
    account = aws.client("sts").get_caller_identity()["Account"]
    bucket = deploy_bucket(s3, account, aws.region_name)
    try:
        s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
            raise
        extra = {"ExpectedBucketOwner": account}
        s3.upload_file(str(staged.path), bucket, key, ExtraArgs=extra)
    return bucket


def _auth_report(spec: RuntimeSpec) -> list[str]:
    if spec.authorizer is None:
        return ["  inbound auth: IAM (SigV4); callers need bedrock-agentcore:InvokeAgentRuntime"]
    audience = ", ".join(spec.authorizer.get("allowedAudience", [])) or "-"
    clients = ", ".join(spec.authorizer.get("allowedClients", [])) or "-"
    return [
        f"  inbound auth: JWT ({spec.authorizer['discoveryUrl']}; audience {audience}; "
        f"clients {clients}); Authorization is passed to the governance layer"
    ]


# -- inputs ----------------------------------------------------------------------------------


def _authorizer(
    args: argparse.Namespace, facts: ZipFacts, environment: dict[str, str]
) -> dict[str, Any] | None:
    """The customJWTAuthorizer `--authorizer policy` asks for, or None for IAM (checked:
    with IAM no JWT arrives, so the server must serve anonymous callers on purpose)."""
    if args.authorizer == "iam":
        _check_anonymous_served(facts, environment)
        return None
    if facts.policy is None or facts.policy.identity.jwt is None:
        raise InputError(
            "--authorizer policy: no policy with identity.jwt to take the issuer and audience "
            "from (pass --policy FILE)"
        )
    jwt = facts.policy.identity.jwt
    where = f"{facts.policy_file}: identity.jwt"
    issuer = _deploy_time(jwt.issuer, environment, f"{where}.issuer") if jwt.issuer else None
    audiences = [jwt.audience] if isinstance(jwt.audience, str) else list(jwt.audience or [])
    audience = [_deploy_time(a, environment, f"{where}.audience") for a in audiences]
    discovery = args.discovery_url or (
        issuer.rstrip("/") + "/.well-known/openid-configuration" if issuer else None
    )
    if discovery is None:
        raise InputError(f"--authorizer policy: {where} has no issuer; pass --discovery-url")
    if not DISCOVERY_URL.fullmatch(discovery):
        raise InputError(
            f"discovery URL {discovery!r}: AgentCore needs https://.../.well-known/"
            "openid-configuration (pass --discovery-url)"
        )
    if not audience and not args.allowed_client:
        raise InputError(
            f"--authorizer policy: {where} has no audience and no --allowed-client is given: "
            "AgentCore would accept any token of the issuer"
        )
    authorizer: dict[str, Any] = {"discoveryUrl": discovery}
    if audience:
        authorizer["allowedAudience"] = audience
    if args.allowed_client:
        authorizer["allowedClients"] = list(args.allowed_client)
    return authorizer


def _check_anonymous_served(facts: ZipFacts, environment: dict[str, str]) -> None:
    if facts.policy is not None:
        if not facts.policy.identity.allow_anonymous:
            raise InputError(
                f"--authorizer iam: AgentCore passes callers no JWT, and {facts.policy_file} "
                "refuses anonymous callers, so every call would be refused; use "
                "--authorizer policy (AgentCore then checks the policy's JWTs)"
            )
        return
    variable = f"{facts.env_prefix}_ALLOW_ANONYMOUS"
    if environment.get(variable, "").strip().lower() not in ("1", "true", "yes"):
        raise InputError(
            "--authorizer iam with no policy: every caller is anonymous, and the server refuses "
            f"them; pass --policy with --authorizer policy, or --env {variable}=1 to serve them "
            "the read-only tools"
        )


def _deploy_time(value: str, environment: dict[str, str], where: str) -> str:
    """`value` with its `${env:NAME}` references read from the runtime's `--env` (what the
    server will see too); a Secrets Manager reference has no value at deploy time."""

    def known(match: re.Match[str]) -> str:
        kind, _, name = match.group(1).partition(":")
        found = environment.get(name) if kind == "env" else None
        if found is None or is_aws_reference(found):
            raise InputError(
                f"{where} is ${{{match.group(1)}}}: AgentCore's authorizer needs its value at "
                f"deploy time; pass --env {name or 'NAME'}=... (the server reads it too)"
            )
        return found

    return REFERENCE.sub(known, value)


def _gateway_target(
    args: argparse.Namespace, spec: RuntimeSpec, region: str
) -> GatewayTarget | None:
    if not args.gateway_target:
        return None
    return gateway_target(
        args.gateway_target,
        spec.name,
        region,
        jwt_protected=spec.authorizer is not None,
        oauth_provider=args.gateway_oauth_provider,
        scopes=list(args.gateway_scope),
    )


def _checked_runtime_name(name: str | None) -> str:
    if name is None:
        raise InputError("--target agentcore needs --runtime-name NAME")
    if not RUNTIME_NAME.fullmatch(name):
        raise InputError(
            f"--runtime-name {name!r}: a letter, then letters, digits and _ (no -), at most 48"
        )
    return name
