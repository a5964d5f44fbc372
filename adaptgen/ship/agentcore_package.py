"""Zips for AgentCore Runtime's direct code deployment: a generated server, or `adaptgen proxy`.

The zip is the Lambda zip's contents (`adaptgen.ship.package`: adaptgen's runtime and what it
imports, deterministic, bytecode for the target Python) built for AgentCore's Python on arm64,
plus its entry point `main.py`, which serves MCP at 0.0.0.0:8000/mcp
(`adaptgen.runtime.agentcore`). boto3 ships in it: AgentCore's managed Python, unlike Lambda's,
does not promise one, and a `${aws-sm:...}` secret reference needs it.

For the proxy the zip holds no server, only the entry point naming the upstream MCP server's URL
(and the policy, when given). The URL is code, so it may carry no credentials: the proxy's own
credentials toward the upstream come from the policy's `upstream:` section, as references.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from adaptgen.errors import InputError
from adaptgen.runtime.catalog import Catalog
from adaptgen.ship.package import (
    AgentCoreTarget,
    LambdaPackage,
    Progress,
    build_package,
    check_policy,
    check_server_folder,
    policy_features,
    show_progress,
)

__all__ = [
    "ENTRY_POINT",
    "Shipped",
    "build_agentcore_package",
    "env_prefix",
    "run_agentcore_package",
]

ENTRY_POINT = "main.py"  # the runtime's `entryPoint`, at the zip's root


@dataclass(frozen=True)
class Shipped:
    """What goes to AgentCore: a generated server's folder, or the proxy of an upstream URL."""

    folder: Path | None = None
    upstream: str | None = None

    @classmethod
    def from_args(cls, server: Path | None, upstream: str | None) -> Shipped:
        """A server folder or `--upstream URL`, exactly one of them, checked."""
        if (server is None) == (upstream is None):
            raise InputError("give a generated server folder, or --upstream URL for the proxy")
        if upstream is not None:
            return cls(upstream=checked_upstream(upstream))
        return cls(folder=check_server_folder(server))  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        """The server folder's name, or `proxy`."""
        return self.folder.name if self.folder is not None else "proxy"

    def entry_point(self) -> str:
        """The text of `main.py`."""
        if self.folder is not None:
            return _server_entry(self.folder)
        return _proxy_entry(self.upstream or "")


def checked_upstream(url: str) -> str:
    """`url` if it is an http(s) URL without credentials in it (it is written into main.py)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"--upstream {url!r}: expected the http(s) URL of an MCP server (AgentCore runs no "
            "stdio command)"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        shown = f"{parts.scheme}://{parts.hostname}{parts.path}"
        raise InputError(
            f"--upstream {shown}: no user, password or query in the URL (it is written into "
            "the package); give the proxy's credentials in the policy's upstream: section"
        )
    return url


def build_agentcore_package(
    shipped: Shipped,
    target: AgentCoreTarget,
    out: Path,
    *,
    policy: Path | None = None,
    progress: Progress | None = None,
    features: set[str] | None = None,
) -> LambdaPackage:
    """Write the AgentCore zip of `shipped` to `out` and describe it."""
    proxy = {"proxy"} if shipped.upstream else set()  # its upstream client needs httptools
    return build_package(
        shipped.folder,
        target,
        out,
        policy=policy,
        progress=progress,
        features={*(features or ()), *proxy},
        bundle_boto3=True,
        entry={ENTRY_POINT: shipped.entry_point()},
    )


def default_agentcore_zip_path(shipped: Shipped, target: AgentCoreTarget) -> Path:
    """`dist/<name>-agentcore-<runtime>-arm64.zip`, relative to the working directory."""
    return Path("dist") / f"{shipped.name}-agentcore-{target.runtime}-{target.arch}.zip"


def run_agentcore_package(args: argparse.Namespace) -> int:
    """`adaptgen package SERVER --target agentcore`, or `--upstream URL` for the proxy."""
    shipped = Shipped.from_args(args.server, args.upstream)
    target = AgentCoreTarget.resolve(args.runtime, args.arch)
    policy = check_policy(args.policy)
    features = policy_features(policy) | set(getattr(args, "with_features", None) or ())
    package = build_agentcore_package(
        shipped,
        target,
        args.out or default_agentcore_zip_path(shipped, target),
        policy=policy,
        progress=show_progress,
        features=features,
    )
    print(package.summary(explain=getattr(args, "explain", False)))
    return 0


def env_prefix(catalog: str | bytes) -> str:
    """The prefix of a generated server's variables (CRM: CRM_POLICY, CRM_BASE_URL ...)."""
    return Catalog.from_json(catalog).info.env_prefix


def _server_entry(folder: Path) -> str:
    prefix = env_prefix((folder / "catalog.json").read_bytes())
    return f'''"""AgentCore Runtime entry point of the {folder.name} MCP server ({ENTRY_POINT}).

Written by `adaptgen package --target agentcore`. Serves MCP over stateless streamable HTTP at
0.0.0.0:8000/mcp behind the governance layer: the policy from ${prefix}_POLICY or
$ADAPTGEN_POLICY, else policy.yaml beside this file when one was packaged
(adaptgen.runtime.agentcore).
"""

from pathlib import Path

from adaptgen.runtime.agentcore import serve_generated

if __name__ == "__main__":
    serve_generated(Path(__file__).parent, env_prefix={json.dumps(prefix)})
'''


def _proxy_entry(upstream: str) -> str:
    return f'''"""AgentCore Runtime entry point of `adaptgen proxy` ({ENTRY_POINT}).

Written by `adaptgen package --target agentcore --upstream URL`. Serves the governance layer in
front of the MCP server at the URL below, over stateless streamable HTTP at 0.0.0.0:8000/mcp:
the policy from $ADAPTGEN_POLICY, else policy.yaml beside this file when one was packaged
(adaptgen.runtime.agentcore).
"""

from pathlib import Path

from adaptgen.runtime.agentcore import serve_proxy

if __name__ == "__main__":
    serve_proxy(Path(__file__).parent, upstream={json.dumps(upstream)})
'''
