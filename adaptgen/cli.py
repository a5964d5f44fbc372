"""The `adaptgen` command line.

Exit codes: 0 ok, 1 build failed, 2 bad usage or bad input (spec/hints errors with file:line).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from adaptgen import __version__
from adaptgen.errors import AdaptgenError, InputError
from adaptgen.evaluation import commands as scenario_eval
from adaptgen.readiness.commands import add_readiness_parsers

PROGRESS_THRESHOLD = 50  # operations; smaller specs build faster than a progress bar draws


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `adaptgen` console script."""
    given = list(sys.argv[1:] if argv is None else argv)
    # `eval` has its own parser: its modes' options, and the `score`/`convert` subcommands.
    eval_given = given[:1] == ["eval"]
    args = scenario_eval.parse(given[1:]) if eval_given else _parser().parse_args(given)
    args.argv = given
    try:
        return int(args.func(args) or 0)
    except AdaptgenError as exc:
        print(f"adaptgen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_policy_error(exc):
            raise
        print(f"adaptgen: error: {exc}", file=sys.stderr)
        return 2


def _is_policy_error(exc: Exception) -> bool:
    """A bad governance policy (exit 2, like any bad input), told without importing the policy
    module: its pydantic models cost commands that read no policy (lint, build) ~50 ms, and a
    `PolicyError` can only come from a command that imported it."""
    policy = sys.modules.get("adaptgen.runtime.governance.policy")
    return policy is not None and isinstance(exc, policy.PolicyError)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adaptgen",
        description="Turn a legacy OpenAPI spec into an agent-ready MCP server.",
    )
    parser.add_argument("--version", action="version", version=f"adaptgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="generate an MCP server from a spec")
    build.add_argument("spec", type=Path, help="OpenAPI 3.x or Swagger 2.0 file (YAML or JSON)")
    _add_build_options(build)
    build.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    build.add_argument(
        "--strict", action="store_true", help="exit 1 if a list operation's paging is unknown"
    )
    build.set_defaults(func=_cmd_build)

    check = commands.add_parser(
        "check", help="fail (exit 1, with a diff) when generated/ is stale for a spec"
    )
    check.add_argument("spec", type=Path, help="the spec the committed server was built from")
    _add_build_options(check)
    check.add_argument("-q", "--quiet", action="store_true", help="no diff, only the verdict")
    check.set_defaults(func=_cmd_check)

    diff = commands.add_parser(
        "diff", help="what changed for agents between two specs or two generated servers"
    )
    diff.add_argument("old", type=Path, help="a spec file or a generated server folder")
    diff.add_argument("new", type=Path, help="a spec file or a generated server folder")
    diff.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text for terminals, markdown for PR comments, json for machines",
    )
    diff.add_argument(
        "--fail-on",
        choices=("breaking", "any", "never"),
        default="breaking",
        help="exit 1 when there are breaking changes (default), any change, or never",
    )
    diff.add_argument("--no-hints", action="store_true", help="ignore hints files beside the specs")
    diff.add_argument("--old-label", help="how to name OLD in the report (default: its path)")
    diff.add_argument("--new-label", help="how to name NEW in the report (default: its path)")
    diff.set_defaults(func=_cmd_diff)

    package = commands.add_parser(
        "package", help="zip a generated server for AWS Lambda or AgentCore Runtime"
    )
    package.add_argument(
        "server", type=Path, nargs="?", help="a generated server folder, e.g. generated/crm"
    )
    _add_target(package)
    package.add_argument(
        "--runtime",
        choices=("python3.11", "python3.12", "python3.13"),
        help="Lambda runtime (default: this interpreter's version)",
    )
    package.add_argument(
        "--arch", choices=("x86_64", "arm64"), help="Lambda architecture (default: this machine's)"
    )
    package.add_argument(
        "--out", type=Path, help="zip to write (default: dist/<name>-<runtime>-<arch>.zip)"
    )
    package.add_argument(
        "--policy", type=Path, help="governance policy to ship as the server's default (validated)"
    )
    package.add_argument(
        "--explain", action="store_true", help="list what went into the zip and why, with sizes"
    )
    package.add_argument(
        "--bundle-boto3",
        action="store_true",
        help="ship boto3/botocore (default: use the Lambda runtime's own)",
    )
    package.add_argument(
        "--with",
        dest="with_features",
        action="append",
        choices=("cedar", "redis", "otel"),
        help="ship an optional feature's dependency although the shipped policy does not use "
        "it (for a policy named at deploy time); repeatable",
    )
    package.set_defaults(func=_cmd_package)

    deploy = commands.add_parser(
        "deploy", help="create or update a Lambda function or an AgentCore Runtime (boto3)"
    )
    deploy.add_argument(
        "server", type=Path, nargs="?", help="a generated server folder, e.g. generated/crm"
    )
    _add_target(deploy)
    deploy.add_argument("--function-name", help="the Lambda function (--target lambda)")
    deploy.add_argument(
        "--runtime-name", help="the AgentCore Runtime: a letter, letters, digits, _ (agentcore)"
    )
    deploy.add_argument("--role", required=True, help="the execution role's ARN")
    deploy.add_argument(
        "--zip", type=Path, help="a zip from `adaptgen package` (default: build one)"
    )
    deploy.add_argument(
        "--policy", type=Path, help="governance policy to package (when no --zip is given)"
    )
    deploy.add_argument("--runtime", choices=("python3.11", "python3.12", "python3.13"))
    deploy.add_argument("--arch", choices=("x86_64", "arm64"))
    deploy.add_argument("--region", help="AWS region (default: the usual boto3 lookup)")
    deploy.add_argument(
        "--endpoint",
        choices=("function-url", "http-api", "none"),
        help="lambda: how callers reach it (default: a Function URL, auth type NONE: the "
        "governance layer verifies callers' JWTs itself)",
    )
    deploy.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable (repeatable), e.g. CRM_BASE_URL=https://crm.internal",
    )
    deploy.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME=SECRET_ARN[#KEY]",
        help="an env var read from Secrets Manager at call time (repeatable; never stored in "
        "the function's configuration)",
    )
    deploy.add_argument("--memory", type=int, help="lambda: MB (default 512)")
    deploy.add_argument("--timeout", type=int, help="lambda: seconds (default 30)")
    _add_agentcore_deploy_options(deploy)
    deploy.set_defaults(func=_cmd_deploy)

    serve = commands.add_parser("serve", help="run a generated server")
    serve.add_argument("server", type=Path, help="a generated server folder, e.g. generated/crm")
    serve.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--policy", type=Path, help="governance policy file (default: $<NAME>_POLICY, or safe)"
    )
    _add_allow_anonymous(serve)
    _add_allowed_hosts(serve)
    _add_access_log(serve)
    serve.set_defaults(func=_cmd_serve)

    proxy = commands.add_parser("proxy", help="run the governance layer in front of any MCP server")
    proxy.add_argument(
        "--upstream", required=True, help="an MCP server URL, or a command that starts one (stdio)"
    )
    proxy.add_argument("--policy", type=Path, help="governance policy file (default: safe)")
    proxy.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    proxy.add_argument("--host", default="127.0.0.1")
    proxy.add_argument("--port", type=int, default=8001)
    _add_allow_anonymous(proxy)
    _add_allowed_hosts(proxy)
    _add_access_log(proxy)
    proxy.set_defaults(func=_cmd_proxy)

    scenario_eval.add_eval_parser(commands)
    add_readiness_parsers(commands)

    schema = commands.add_parser("schema", help="print a published JSON Schema")
    schema.add_argument("which", choices=("hints", "catalog", "eval"))
    schema.set_defaults(func=_cmd_schema)

    sandbox = commands.add_parser("sandbox", help="run the sandbox CRM on 127.0.0.1")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8400)
    sandbox.add_argument(
        "--allow-api-key",
        action="store_true",
        help="also accept the static X-API-Key (default: every call needs a session login)",
    )
    sandbox.set_defaults(func=_cmd_sandbox)
    return parser


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    """What decides a build's output: shared by `build` and `check`."""
    parser.add_argument(
        "--hints",
        type=Path,
        help="hints file (default: <spec stem>.hints.yaml beside the spec, if it exists)",
    )
    parser.add_argument(
        "--no-hints", action="store_true", help="ignore the hints file beside the spec"
    )
    parser.add_argument(
        "--overlay",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="OpenAPI Overlay 1.0/1.1 to apply first (repeatable, applied in order)",
    )
    parser.add_argument(
        "--arazzo",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="Arazzo 1.0 workflows to add as composite tools (repeatable; default: "
        "<spec stem>.arazzo.yaml beside the spec, if it exists)",
    )
    parser.add_argument("--out", type=Path, default=Path("generated"), help="output folder")
    parser.add_argument("--name", help="server name (default: the spec's file stem)")
    parser.add_argument(
        "--allow-remote-refs",
        action="store_true",
        help="fetch http(s) $refs at build time (default: relax them, with a warning)",
    )
    parser.add_argument(
        "--ref-root",
        type=Path,
        metavar="DIR",
        help="folder file $refs may read from (default: the spec's folder)",
    )
    parser.add_argument(
        "--include-deprecated", action="store_true", help="make tools of deprecated operations too"
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from adaptgen.report import ProgressDisplay, print_report, watched

    with ProgressDisplay(enabled=not args.quiet and watched(sys.stderr)) as progress:
        from adaptgen.build import build

        report = build(
            _build_options(args, progress=progress.update, step=progress.step, strict=args.strict)
        )
    print_report(report, quiet=args.quiet)
    return 0


def _build_options(args: argparse.Namespace, **extra: Any) -> Any:
    """The BuildOptions of `build`'s and `check`'s shared arguments."""
    from adaptgen.build import BuildOptions

    return BuildOptions(
        spec=args.spec,
        out=args.out,
        hints=args.hints,
        no_hints=args.no_hints,
        overlays=tuple(args.overlay),
        arazzo=tuple(args.arazzo),
        name=args.name,
        allow_remote_refs=args.allow_remote_refs,
        ref_root=args.ref_root,
        include_deprecated=args.include_deprecated,
        **extra,
    )


def _cmd_check(args: argparse.Namespace) -> int:
    import shlex

    from adaptgen.check import run_check

    # The same arguments, minus check's own, rebuild what check compared against.
    argv = [a for a in args.argv[args.argv.index("check") + 1 :] if a not in ("-q", "--quiet")]
    rebuild = shlex.join(["adaptgen", "build", *argv])
    return run_check(_build_options(args), rebuild=rebuild, quiet=args.quiet)


def _cmd_diff(args: argparse.Namespace) -> int:
    from adaptgen.diff import run_diff

    return run_diff(args)


def _add_target(parser: argparse.ArgumentParser) -> None:
    """Where `package` and `deploy` ship to, and what (a generated server or the proxy)."""
    parser.add_argument(
        "--target",
        choices=("lambda", "agentcore"),
        default="lambda",
        help="AWS Lambda (default) or Amazon Bedrock AgentCore Runtime (direct code deployment)",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="with --target agentcore and no SERVER: ship `adaptgen proxy` in front of this MCP "
        "server",
    )


def _add_agentcore_deploy_options(deploy: argparse.ArgumentParser) -> None:
    deploy.add_argument(
        "--authorizer",
        choices=("iam", "policy"),
        default="iam",
        help="agentcore inbound auth: IAM SigV4 (default), or a JWT authorizer set from the "
        "policy's identity.jwt issuer and audience",
    )
    deploy.add_argument(
        "--discovery-url", help="the IdP's OpenID discovery URL (default: the policy's issuer's)"
    )
    deploy.add_argument(
        "--allowed-client",
        action="append",
        default=[],
        metavar="CLIENT_ID",
        help="a client id the JWT authorizer accepts (repeatable; for tokens with no `aud`)",
    )
    deploy.add_argument(
        "--gateway-target",
        metavar="GATEWAY_ID",
        help="also register the runtime as an MCP server target of this AgentCore Gateway",
    )
    deploy.add_argument(
        "--gateway-oauth-provider",
        metavar="ARN",
        help="the OAuth2 credential provider the gateway gets the runtime's JWTs from",
    )
    deploy.add_argument(
        "--gateway-scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="a scope the gateway asks that provider for (repeatable)",
    )
    deploy.add_argument(
        "--dry-run",
        action="store_true",
        help="build the zip and print the requests, send nothing to AWS",
    )


def _cmd_package(args: argparse.Namespace) -> int:
    if args.target == "agentcore":
        from adaptgen.ship.agentcore_package import run_agentcore_package

        return run_agentcore_package(args)
    from adaptgen.ship.package import run_package

    _check_lambda_args(args)
    return run_package(args)


# Lambda's function settings, with their defaults; AgentCore Runtime has none of them.
LAMBDA_SETTINGS = {
    "memory": (
        512,
        "AgentCore Runtime sizes its sessions itself and takes no memory setting",
    ),
    "timeout": (
        30,
        "AgentCore Runtime takes no per-call timeout (its sessions end when idle or at their "
        "maximum lifetime)",
    ),
    "endpoint": (
        "function-url",
        "AgentCore Runtime serves MCP at its own endpoint, printed after the deploy",
    ),
}


def _cmd_deploy(args: argparse.Namespace) -> int:
    if args.target == "agentcore":
        from adaptgen.ship.agentcore import run_agentcore_deploy

        _refuse_lambda_settings(args)
        return run_agentcore_deploy(args)
    from adaptgen.ship.deploy import run_deploy

    _check_lambda_args(args)
    if args.function_name is None:
        raise InputError("--target lambda needs --function-name NAME")
    for name, (default, _) in LAMBDA_SETTINGS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return run_deploy(args)


def _refuse_lambda_settings(args: argparse.Namespace) -> None:
    """A Lambda setting given to an AgentCore deploy is an error, not silently dropped: the
    user asked for something the runtime would not have."""
    given = [
        f"--{name}: {why}; it is for --target lambda"
        for name, (_, why) in LAMBDA_SETTINGS.items()
        if getattr(args, name) is not None
    ]
    if given:
        raise InputError("; ".join(given))


def _check_lambda_args(args: argparse.Namespace) -> None:
    if args.upstream is not None:
        raise InputError("--upstream: the proxy ships to --target agentcore only")
    if args.server is None:
        raise InputError("give a generated server folder, e.g. generated/crm")
    agentcore_only = ("runtime_name", "gateway_target", "discovery_url")
    given = [name for name in agentcore_only if getattr(args, name, None)]
    if given or getattr(args, "authorizer", "iam") != "iam":
        options = ", ".join("--" + name.replace("_", "-") for name in given) or "--authorizer"
        raise InputError(f"{options}: for --target agentcore")


def load_server_module(folder: Path) -> ModuleType:
    """Import `folder/server.py` of a generated server under a private module name."""
    from adaptgen.runtime.loader import load_server_module as load

    try:
        return load(folder)
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None


def _cmd_serve(args: argparse.Namespace) -> int:
    if args.policy is not None:
        os.environ["ADAPTGEN_POLICY"] = str(args.policy)
    module = load_server_module(args.server)
    _allow_hosts(args, getattr(getattr(module, "api", None), "upstream", None))
    if args.transport == "stdio":
        from adaptgen.runtime.network import ready_to_serve

        ready_to_serve(module.mcp)
        module.mcp.run(transport="stdio", show_banner=False)
    else:
        _check_exposure(module.mcp, args)
        _serve_http(module.mcp, args)
    return 0


def _add_allow_anonymous(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="serve anonymous callers on a non-loopback --host without a policy file "
        "(default: refuse to start)",
    )


def _add_access_log(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every HTTP request on stderr (default: only when governance is off; the "
        "audit log has a line per call)",
    )


def _add_allowed_hosts(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a Host header the HTTP endpoint answers (repeatable, * wildcards; default: "
        "loopback names when bound to loopback, anything otherwise)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser Origin the HTTP endpoint answers (repeatable; default: its own)",
    )


def _allow_hosts(args: argparse.Namespace, upstream: Any = None) -> None:
    """Hand the allowed hosts and origins to the front door (ADAPTGEN_ALLOWED_HOSTS/_ORIGINS):
    a generated server's own <PREFIX>_ALLOWED_HOSTS/_ORIGINS, then the flags."""
    prefix = getattr(upstream, "env_prefix", None)
    for suffix, flags in (
        ("ALLOWED_HOSTS", args.allowed_host),
        ("ALLOWED_ORIGINS", args.allowed_origin),
    ):
        named = [os.environ.get(f"{p}_{suffix}", "") for p in (prefix, "ADAPTGEN") if p]
        joined = ",".join(v for v in [*named, *flags] if v)
        if joined:
            os.environ[f"ADAPTGEN_{suffix}"] = joined


def _serve_http(server: Any, args: argparse.Namespace) -> None:
    """Serve over streamable HTTP at /mcp behind the front door (logs on stderr)."""
    from adaptgen.runtime.network import serve_http

    serve_http(server, host=args.host, port=args.port, access_log=args.access_log or None)


def _check_exposure(server: Any, args: argparse.Namespace) -> None:
    """Exit 2 if anonymous callers would be served on the network without the operator
    saying so (a policy file, or --allow-anonymous)."""
    from adaptgen.runtime.governance.http_auth import governance_of
    from adaptgen.runtime.network import exposure_problem

    problem = exposure_problem(
        args.host, governance_of(server), allow_anonymous=args.allow_anonymous
    )
    if problem is not None:
        raise InputError(problem)


def _cmd_proxy(args: argparse.Namespace) -> int:
    import asyncio

    from adaptgen.runtime.governance.policy import PolicyError
    from adaptgen.runtime.governance.proxy import build_proxy
    from adaptgen.runtime.governance.upstream_session import UpstreamUnavailable

    _allow_hosts(args)
    try:
        server = build_proxy(args.upstream, args.policy)
        if args.transport == "http":
            _check_exposure(server, args)  # before anything connects upstream
        # Refuse to start in front of something that is not an MCP server (bounded wait).
        asyncio.run(server.upstream.probe())  # type: ignore[attr-defined]
    except (PolicyError, ValueError) as exc:
        raise InputError(str(exc)) from None
    except UpstreamUnavailable as exc:
        raise InputError(exc.error.message) from None
    if args.transport == "stdio":
        from adaptgen.runtime.network import ready_to_serve

        ready_to_serve(server)
        server.run(transport="stdio", show_banner=False)
    else:
        _serve_http(server, args)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    import json

    if args.which == "catalog":
        from adaptgen.runtime.catalog import json_schema

        print(json.dumps(json_schema(), indent=2))
        return 0
    from adaptgen.evaluation.scenarios import eval_schema
    from adaptgen.hints import hints_schema

    print(json.dumps(eval_schema() if args.which == "eval" else hints_schema(), indent=2))
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from adaptgen.sandbox import serve

    serve(host=args.host, port=args.port, require_session=not args.allow_api_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
