"""`adaptgen deploy`: create or update the Lambda function of a generated server, then its endpoint.

Deploying is declarative and idempotent: the function ends up with exactly the runtime,
architecture, role, memory, timeout and environment given, and running the same command again
changes nothing. Code is uploaded only when the zip's SHA-256 differs from the function's
`CodeSha256`; configuration only when a field differs. Every Lambda update is followed by the
boto3 waiter for it, because Lambda refuses a second update while one is in progress.

Secrets never reach the function's configuration, only references (`adaptgen.ship.aws`, which
holds what every deploy target shares). Nothing here prints a variable's value, only names.

A zip over Lambda's direct-upload limit (50 MB) goes through S3: a private bucket
`adaptgen-deploy-<account>-<region>` is made on first use, the zip is put there (checked to be
this account's bucket), Lambda copies it, and the object is deleted again.

Endpoints are in `adaptgen.ship.endpoints`: a Function URL (auth type NONE, because the
governance layer verifies callers' JWTs itself), an HTTP API, or none.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptgen.errors import InputError
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
from adaptgen.ship.endpoints import Endpoint, ensure_endpoint, leftover_endpoints
from adaptgen.ship.package import (
    MB,
    LambdaTarget,
    build_package,
    check_policy,
    check_server_folder,
    code_sha256,
    default_zip_path,
    policy_features,
    show_progress,
)

__all__ = [
    "HANDLER",
    "FunctionSpec",
    "check_zip",
    "run_deploy",
]

HANDLER = "handler.handler"  # handler.py at the zip root, `handler(event, context)`
DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000  # bytes of zip Lambda accepts in the request itself
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Set by Lambda itself; a function may not define them.
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
    }
)


@dataclass(frozen=True)
class FunctionSpec:
    """What the Lambda function must look like after the deploy."""

    name: str
    role: str
    target: LambdaTarget
    memory: int
    timeout: int
    environment: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def configuration(self) -> dict[str, Any]:
        """The fields `update_function_configuration` sets (and `create_function` too)."""
        return {
            "Role": self.role,
            "Runtime": self.target.runtime,
            "Handler": HANDLER,
            "MemorySize": self.memory,
            "Timeout": self.timeout,
            "Environment": {"Variables": dict(self.environment)},
            "Description": self.description,
        }

    def differences(self, current: dict[str, Any]) -> list[str]:
        """Names of the configuration fields `current` (from `get_function`) has otherwise."""
        wanted = self.configuration()
        have = {key: current.get(key) for key in wanted}
        have["Environment"] = {"Variables": (current.get("Environment") or {}).get("Variables", {})}
        have["Description"] = current.get("Description", "")
        return [key for key in wanted if have[key] != wanted[key]]


def run_deploy(args: argparse.Namespace) -> int:
    """`adaptgen deploy SERVER --function-name --role [...]`."""
    folder = check_server_folder(args.server)
    target = LambdaTarget.resolve(args.runtime, args.arch)
    spec = FunctionSpec(
        name=_checked_function_name(args.function_name),
        role=checked_role(args.role),
        target=target,
        memory=_checked_range("--memory", args.memory, 128, 10240),
        timeout=_checked_range("--timeout", args.timeout, 1, 900),
        environment=parse_environment(
            args.env, args.secret, reserved=RESERVED_ENV, service="Lambda"
        ),
        description=f"MCP server {folder.name} (adaptgen)",
    )
    endpoint: Endpoint = args.endpoint
    if args.zip is not None and args.policy is not None:
        raise InputError("--policy goes into a zip deploy builds: with --zip, package it first")
    with aws_errors():  # a bad region or profile is bad input, not a traceback
        aws = session(args.region)  # before packaging: a missing region should fail fast
    sha256 = None
    if args.zip is not None:
        zip_path = check_zip(args.zip, target)
    else:
        policy = check_policy(args.policy)
        package = build_package(
            folder,
            target,
            default_zip_path(folder, target),
            policy=policy,
            progress=show_progress,
            features=policy_features(policy),
        )
        print(package.summary())
        zip_path, sha256 = package.path, package.sha256
    if getattr(args, "dry_run", False):
        stage = _CodeStaging(aws, zip_path, spec.name, sha256)
        print("\n".join(dry_run_report(spec, stage, endpoint, aws.region_name)))
        return 0
    report: list[str] = []
    try:
        with aws_errors():
            deploy(aws, spec, zip_path, endpoint, report, sha256)
    finally:
        if report:
            print("\n".join(report))  # what was done, also when a later step failed
    return 0


def deploy(
    session: Any,
    spec: FunctionSpec,
    zip_path: Path,
    endpoint: Endpoint,
    report: list[str],
    sha256: str | None = None,
) -> None:
    """Create or update the function from `zip_path`, then make sure `endpoint` serves it.

    `report` gets a line per thing done or found unchanged (names, never values); `sha256`: the
    zip's hex digest when known (`adaptgen package` computed it), else it is read and hashed.
    """
    client = session.client("lambda")
    stage = _CodeStaging(session, zip_path, spec.name, sha256)
    current = _current_function(client, spec.name)
    if current is None:
        arn = _create_function(client, spec, stage, report)
    else:
        arn = _update_function(client, spec, current, stage, report)
    report.extend(environment_report(spec.environment))
    if endpoint != "none":
        report.append(ensure_endpoint(session, endpoint, arn, spec.timeout))
    for note in leftover_endpoints(session, endpoint, arn):
        report.append(note)


def dry_run_report(
    spec: FunctionSpec, stage: _CodeStaging, endpoint: Endpoint, region: str
) -> list[str]:
    """What a deploy would send: the function's fields (variable values left out), how the code
    would travel, and the endpoint it would make sure of."""
    if stage.size <= DIRECT_UPLOAD_LIMIT:
        via = "in the request"
    else:
        key = f"{spec.name}/{stage.hexdigest}.zip"
        via = f"through s3://{bucket_name('<account>', region)}/{key}"
    request = {
        "FunctionName": spec.name,
        "Architectures": [spec.target.arch],
        "PackageType": "Zip",
        **spec.configuration(),
    }
    request["Environment"] = {"Variables": dry_run_environment(spec.environment)}
    lines = [
        DRY_RUN,
        f"would upload {stage.describe()} {via} (unless the function has this code)",
        f"would create function {spec.name}, or update it where it differs "
        "(CreateFunction / UpdateFunctionConfiguration / UpdateFunctionCode):",
        json.dumps(request, indent=2),
    ]
    if endpoint != "none":
        lines.append(
            f"would make sure a {endpoint} serves it, auth NONE (the governance layer "
            "verifies callers' JWTs)"
        )
    return lines


def check_zip(path: Path, target: LambdaTarget) -> Path:
    """`path` if it is a Lambda zip with handler.py at its root, built for `target` if known."""
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a zip (make one with `adaptgen package`)")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if "handler.py" not in names:
        raise InputError(f"{path}: no handler.py at the zip's root (Lambda calls {HANDLER})")
    pythons = {m.group(1) for n in names if (m := re.search(r"\.cpython-3(\d+)[.-]", n))}
    if pythons and pythons != {target.python_version.split(".")[1]}:
        built = ", ".join(f"python3.{minor}" for minor in sorted(pythons))
        raise InputError(f"{path}: built for {built}, not {target.runtime}; pass --runtime")
    machines = {m.group(1) for n in names if (m := re.search(r"-(x86_64|aarch64)-linux", n))}
    arch = {"x86_64": "x86_64", "aarch64": "arm64"}
    if machines and {arch[m] for m in machines} != {target.arch}:
        raise InputError(f"{path}: built for {', '.join(sorted(machines))}; pass --arch")
    return path


# -- the function ----------------------------------------------------------------------------


def _current_function(client: Any, name: str) -> dict[str, Any] | None:
    try:
        return client.get_function(FunctionName=name)["Configuration"]
    except client.exceptions.ResourceNotFoundException:
        return None


def _create_function(
    client: Any, spec: FunctionSpec, stage: _CodeStaging, report: list[str]
) -> str:
    with stage.code() as code:
        created = client.create_function(
            FunctionName=spec.name,
            Code=code,
            Architectures=[spec.target.arch],
            PackageType="Zip",
            **spec.configuration(),
        )
        client.get_waiter("function_active_v2").wait(FunctionName=spec.name)
    report.append(
        f"function {spec.name}: created ({spec.target.runtime}, {spec.target.arch}, "
        f"{spec.memory} MB, {spec.timeout} s, handler {HANDLER})"
    )
    report.append(f"  code: uploaded {stage.describe()}")
    return created["FunctionArn"]


def _update_function(
    client: Any,
    spec: FunctionSpec,
    current: dict[str, Any],
    stage: _CodeStaging,
    report: list[str],
) -> str:
    if current.get("PackageType", "Zip") != "Zip":
        raise InputError(f"function {spec.name} is a container image function, not a zip one")
    _wait_until_idle(client, current)
    changed = spec.differences(current)
    if changed:
        client.update_function_configuration(FunctionName=spec.name, **spec.configuration())
        client.get_waiter("function_updated_v2").wait(FunctionName=spec.name)
    new_code = current.get("CodeSha256") != stage.sha256
    new_arch = current.get("Architectures", ["x86_64"]) != [spec.target.arch]
    if new_code or new_arch:
        with stage.code() as code:
            client.update_function_code(
                FunctionName=spec.name, Architectures=[spec.target.arch], **code
            )
            client.get_waiter("function_updated_v2").wait(FunctionName=spec.name)
        code_line = f"uploaded {stage.describe()}"
    else:
        code_line = f"unchanged (sha256 {stage.hexdigest})"
    fields = ", ".join(_FIELD_NAMES[key] for key in changed)
    updated = changed or new_code or new_arch
    report.append(f"function {spec.name}: {'updated' if updated else 'unchanged'}")
    report.append(f"  code: {code_line}")
    report.append(f"  configuration: {f'updated ({fields})' if changed else 'unchanged'}")
    return current["FunctionArn"]


_FIELD_NAMES = {
    "Role": "role",
    "Runtime": "runtime",
    "Handler": "handler",
    "MemorySize": "memory",
    "Timeout": "timeout",
    "Environment": "environment",
    "Description": "description",
}


def _wait_until_idle(client: Any, current: dict[str, Any]) -> None:
    """Lambda rejects an update while the function is being created or updated."""
    name = current["FunctionName"]
    if current.get("State") == "Pending":
        client.get_waiter("function_active_v2").wait(FunctionName=name)
    if current.get("LastUpdateStatus") == "InProgress":
        client.get_waiter("function_updated_v2").wait(FunctionName=name)


# -- code upload -----------------------------------------------------------------------------


class _CodeStaging:
    """The zip as Lambda's `Code` argument: inline when small enough, else through S3."""

    def __init__(
        self, session: Any, zip_path: Path, function_name: str, hexdigest: str | None = None
    ) -> None:
        self.session = session
        self.zip_path = zip_path
        self.function_name = function_name
        self.size = zip_path.stat().st_size
        if hexdigest is None:  # a zip given with --zip; one just packaged brings its own
            self.sha256 = code_sha256(zip_path)  # base64, as Lambda's CodeSha256
            self.hexdigest = base64.b64decode(self.sha256).hex()  # as `adaptgen package` shows
        else:
            self.hexdigest = hexdigest
            self.sha256 = base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")
        self._via: str | None = None

    def describe(self) -> str:
        via = f", via {self._via}" if self._via else ""
        return f"{self.zip_path} ({self.size / MB:.1f} MB{via}; sha256 {self.hexdigest})"

    @contextlib.contextmanager
    def code(self) -> Iterator[dict[str, Any]]:
        """`Code` for create_function / update_function_code, valid within the block."""
        if self.size <= DIRECT_UPLOAD_LIMIT:
            yield {"ZipFile": self.zip_path.read_bytes()}
            return
        s3 = self.session.client("s3")
        account = self.session.client("sts").get_caller_identity()["Account"]
        bucket = deploy_bucket(s3, account, self.session.region_name)
        key = f"{self.function_name}/{self.hexdigest}.zip"
        s3.upload_file(str(self.zip_path), bucket, key, ExtraArgs={"ExpectedBucketOwner": account})
        self._via = f"s3://{bucket}/{key}"
        try:
            yield {"S3Bucket": bucket, "S3Key": key}
        finally:
            # Lambda has its own copy once the call returns.
            s3.delete_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)


# -- inputs ----------------------------------------------------------------------------------


def _checked_function_name(name: str) -> str:
    if not FUNCTION_NAME.fullmatch(name):
        raise InputError(
            f"--function-name {name!r}: letters, digits, - and _ only, at most 64 characters"
        )
    return name


def _checked_range(option: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InputError(f"{option} {value}: Lambda allows {low} to {high}")
    return value
