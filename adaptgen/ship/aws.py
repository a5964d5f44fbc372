"""What every `adaptgen deploy` target shares: the session, AWS errors, inputs, S3 staging.

One place for the rules both targets (Lambda, AgentCore Runtime) keep:

* **Secrets as references.** `--secret NAME=ARN[#KEY]` sets the variable `NAME` to the reference
  `${aws-sm:ARN[#KEY]}`, which adaptgen's runtime resolves at call time
  (`adaptgen.runtime.secrets`); the value stays in Secrets Manager, and the execution role needs
  `secretsmanager:GetSecretValue` on it. Reports name variables, never their values.
* **AWS failures are one line** (the operation, code and message), never a traceback; a missing
  region, profile or credentials is bad input (exit 2) and is found before packaging.
* **Dry runs** (`--dry-run`) send nothing to AWS: the report shows the requests a deploy would
  make, with placeholders for what only AWS knows and variable values left out (Secrets Manager
  references are shown: they are not secrets).
* **The deploy bucket** `adaptgen-deploy-<account>-<region>` is private, made on first use, and
  must belong to this account (every request says so with `ExpectedBucketOwner`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterator
from typing import Any

from adaptgen.errors import BuildError, InputError
from adaptgen.runtime.secrets import is_aws_reference

__all__ = [
    "aws_errors",
    "bucket_name",
    "checked_role",
    "deploy_bucket",
    "DRY_RUN",
    "dry_run_environment",
    "environment_report",
    "parse_environment",
    "secret_ids",
    "session",
]

DRY_RUN = "dry run: nothing was sent to AWS"
ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def parse_environment(
    env: list[str], secrets: list[str], *, reserved: Collection[str] = (), service: str = ""
) -> dict[str, str]:
    """`--env NAME=VALUE` and `--secret NAME=ARN[#KEY]` as the deployed server's variables.

    A secret becomes the reference `${aws-sm:ARN[#KEY]}`; the value stays in Secrets Manager.
    `reserved`: names `service` sets itself.
    """
    variables: dict[str, str] = {}
    for option, items in (("--env", env), ("--secret", secrets)):
        for item in items:
            name, sep, value = item.partition("=")
            if not sep or not ENV_NAME.fullmatch(name):
                form = "NAME=SECRET_ARN[#KEY]" if option == "--secret" else "NAME=VALUE"
                raise InputError(f"{option} {_shown(item)}: expected {form}")
            if name in reserved:
                raise InputError(f"{option} {name}: reserved by {service}, choose another name")
            if name in variables:
                raise InputError(f"{option} {name}: given twice")
            variables[name] = _secret_reference(name, value) if option == "--secret" else value
    return variables


def environment_report(environment: dict[str, str]) -> list[str]:
    """Report lines naming the variables (references marked) and the secrets the role must
    read; never a value."""
    if not environment:
        return ["  environment: none"]
    names = [
        f"{name} (Secrets Manager reference)" if is_aws_reference(value) else name
        for name, value in sorted(environment.items())
    ]
    lines = [f"  environment: {', '.join(names)}"]
    secrets = secret_ids(environment)
    if secrets:
        allow = "  the role must allow secretsmanager:GetSecretValue on: "
        lines.append(allow + ", ".join(secrets))
    return lines


def dry_run_environment(environment: dict[str, str]) -> dict[str, str]:
    """The variables as a dry run shows them: references as they are, values left out."""
    return {
        name: value if is_aws_reference(value) else "<value given>"
        for name, value in sorted(environment.items())
    }


def secret_ids(environment: dict[str, str]) -> list[str]:
    """The Secrets Manager ids the variables refer to, sorted."""
    return sorted({_secret_id(v) for v in environment.values() if is_aws_reference(v)})


def checked_role(role: str) -> str:
    """`role` if it is an IAM role ARN, else `InputError`."""
    if not ROLE_ARN.fullmatch(role):
        raise InputError(
            f"--role {role!r}: expected an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        )
    return role


def deploy_bucket(s3: Any, account: str, region: str) -> str:
    """`adaptgen-deploy-<account>-<region>`, made private on first use; must be this account's."""
    bucket = bucket_name(account, region)
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
        return bucket
    except s3.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "403":
            raise BuildError(f"S3 bucket {bucket} exists but this account may not use it") from None
        if code not in ("404", "NoSuchBucket"):
            raise
    options = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **options)
    s3.put_public_access_block(
        Bucket=bucket,
        ExpectedBucketOwner=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return bucket


def bucket_name(account: str, region: str) -> str:
    """The deploy bucket's name (also what a dry run shows, with placeholders)."""
    return f"adaptgen-deploy-{account}-{region}"


def session(region: str | None) -> Any:
    """A boto3 session for `region` (else boto3's usual lookup); `InputError` without one."""
    import boto3

    made = boto3.session.Session(region_name=region)
    if not made.region_name:
        raise InputError("no AWS region: pass --region or set AWS_REGION")
    return made


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """AWS failures as one line (the operation, code and message), never a traceback."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        InvalidRegionError,
        NoCredentialsError,
        ProfileNotFound,
        WaiterError,
    )

    try:
        yield
    except NoCredentialsError:
        raise InputError("no AWS credentials (the usual boto3 chain found none)") from None
    except (ProfileNotFound, InvalidRegionError) as exc:
        raise InputError(f"AWS: {exc}") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise BuildError(
            f"AWS {exc.operation_name}: {error.get('Code', 'error')}: {error.get('Message', '')}"
        ) from None
    except WaiterError as exc:
        answer = exc.last_response or {}
        config = answer.get("Configuration", answer)
        reason = config.get("LastUpdateStatusReason") or config.get("StateReason") or exc
        raise BuildError(f"AWS: the function did not become ready: {reason}") from None
    except (BotoCoreError, S3UploadFailedError) as exc:  # no connection, bad endpoint, ...
        raise BuildError(f"AWS: {exc}") from None


def _secret_reference(name: str, value: str) -> str:
    secret_id, _, key = value.partition("#")
    if not secret_id or any(c in value for c in "${}") or (value.endswith("#")):
        raise InputError(f"--secret {name}: expected NAME=SECRET_ARN or NAME=SECRET_ARN#KEY")
    return f"${{aws-sm:{secret_id}#{key}}}" if key else f"${{aws-sm:{secret_id}}}"


def _secret_id(reference: str) -> str:
    return reference.removeprefix("${aws-sm:").removesuffix("}").partition("#")[0]


def _shown(item: str) -> str:
    """An argument as safe to echo: only the name part of what might be NAME=secret."""
    return repr(item.partition("=")[0]) + ("=..." if "=" in item else "")
