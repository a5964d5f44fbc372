"""Upstream credentials as `httpx.Auth` flows: the rest of the runtime never touches secrets.

Secrets are read from env vars named in the catalog (and the build report) at call time, so a
rotated secret is picked up without a restart and no secret is ever written to disk by adaptgen.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SchemeSpec:
    """A security scheme from the catalog."""

    name: str
    kind: str  # api_key | bearer | basic
    env: tuple[str, ...]
    location: str | None = None
    param_name: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchemeSpec:
        return cls(
            name=data["name"],
            kind=data["kind"],
            env=tuple(data["env"]),
            location=data.get("location"),
            param_name=data.get("param_name"),
        )


class MissingCredentials(Exception):
    """No alternative of a security requirement has all its env vars set."""

    def __init__(self, needed: list[list[str]]) -> None:
        choices = " or ".join(" and ".join(group) for group in needed)
        super().__init__(f"missing upstream credentials: set {choices}")


class StaticCredentials(httpx.Auth):
    """Applies one alternative of a security requirement: API keys, bearer tokens, basic auth."""

    def __init__(self, schemes: Sequence[SchemeSpec], env: Mapping[str, str]) -> None:
        self._schemes = list(schemes)
        self._env = env

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for scheme in self._schemes:
            _apply(scheme, request, self._env)
        yield request

    def secrets(self) -> list[str]:
        """The secret values this auth sends (for redaction from messages)."""
        return [
            self._env[name]
            for scheme in self._schemes
            for name in scheme.env
            if self._env.get(name)
        ]


def _apply(scheme: SchemeSpec, request: httpx.Request, env: Mapping[str, str]) -> None:
    if scheme.kind == "bearer":
        request.headers["Authorization"] = f"Bearer {env[scheme.env[0]]}"
    elif scheme.kind == "basic":
        user, password = env[scheme.env[0]], env[scheme.env[1]]
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
    elif scheme.kind == "api_key":
        value = env[scheme.env[0]]
        if scheme.location == "header":
            request.headers[scheme.param_name or ""] = value
        elif scheme.location == "query":
            request.url = request.url.copy_add_param(scheme.param_name or "", value)
        elif scheme.location == "cookie":
            cookie = f"{scheme.param_name}={value}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie


def choose_credentials(
    requirement: Sequence[Sequence[str]],
    schemes: Mapping[str, SchemeSpec],
    env: Mapping[str, str] | None = None,
) -> StaticCredentials | None:
    """Credentials for the first alternative whose env vars are all set.

    None when no auth is needed (no requirement, or `{}` allowed and no credentials set).
    Raises `MissingCredentials` naming the env vars to set when auth is needed but absent.
    """
    env = os.environ if env is None else env
    if not requirement:
        return None
    for alternative in requirement:
        picked = [schemes[name] for name in alternative]
        if picked and all(env.get(var) for scheme in picked for var in scheme.env):
            return StaticCredentials(picked, env)
    if any(len(alternative) == 0 for alternative in requirement):
        return None  # anonymous access is allowed and nothing better is configured
    raise MissingCredentials(
        [[var for name in alt for var in schemes[name].env] for alt in requirement]
    )
