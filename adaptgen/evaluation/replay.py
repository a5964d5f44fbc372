"""Replay mode: each scenario's expected calls, made for real, on both surfaces; no model.

On the generated server the calls are made as written (search mode: through `call_tool`). On
FastMCP's plain conversion they are the scenario's `baseline` calls, or derived from the
expected ones (tool -> its operationId, argument -> the API's parameter name); a scenario that
uses a composite tool must list its baseline calls (there is no single operation to map to).
When the file gives a `baseline.login`, FastMCP's side makes that call first in every scenario
and the token goes into its HTTP client (FastMCP cannot log in by itself).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastmcp import Client

from adaptgen.errors import InputError
from adaptgen.evaluation.captures import CaptureError, capture
from adaptgen.evaluation.facts import describe, found
from adaptgen.evaluation.matchers import MatcherError, replay_value
from adaptgen.evaluation.scenarios import Call, Scenario, ScenarioFile
from adaptgen.evaluation.surfaces import (
    Catalog,
    Recorder,
    ToolCall,
    fastmcp_server,
    generated_server,
    operation_names,
    server_folder,
)
from adaptgen.evaluation.upstreams import RunningUpstream, started
from adaptgen.runtime import jsonpath

OURS = "adaptgen"
THEIRS = "fastmcp"


@dataclass
class SideResult:
    """One scenario on one surface."""

    surface: str
    calls: list[ToolCall] = field(default_factory=list)
    upstream_calls: int = 0
    facts: list[tuple[str, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(ok for _, ok in self.facts)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.calls)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.calls)

    def as_dict(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "ok": self.ok,
            "calls": len(self.calls),
            "upstream_calls": self.upstream_calls,
            "bytes": self.bytes,
            "tokens": self.tokens,
            "facts": [{"fact": f, "found": ok} for f, ok in self.facts],
            "problems": self.problems,
            "trace": [
                {"tool": c.tool, "via": c.via, "ok": c.ok, "bytes": c.bytes} for c in self.calls
            ],
        }


@dataclass
class ScenarioResult:
    """A scenario replayed on the generated server and (when possible) on FastMCP's."""

    scenario: Scenario
    where: str
    ours: SideResult
    theirs: SideResult | None

    @property
    def ok(self) -> bool:
        return self.ours.ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.scenario.id,
            "where": self.where,
            "prompt": self.scenario.prompt,
            "ok": self.ok,
            "expected_calls": len(self.scenario.calls),
            OURS: self.ours.as_dict(),
            THEIRS: None if self.theirs is None else self.theirs.as_dict(),
        }


@dataclass
class Running:
    """A scenario file's generated server, serving, with its upstream behind the proxy."""

    catalog: Catalog
    upstream: RunningUpstream
    url: str  # the generated server's MCP endpoint


@contextmanager
def serving(scenarios: ScenarioFile) -> Iterator[Running]:
    """Build (if needed) and serve the file's server against its upstream for the block."""
    if scenarios.model.upstream is None:
        raise InputError(
            "replay and agent mode call an upstream: this file has no `upstream` "
            "(its scenarios are scored for search only)",
            scenarios.location(),
        )
    with server_folder(scenarios) as folder:
        catalog = Catalog.read(folder)
        _check_tools(scenarios, catalog)
        with (
            started(scenarios, catalog.env_prefix) as upstream,
            generated_server(folder, upstream.env, scenarios.policy) as url,
        ):
            yield Running(catalog, upstream, url)


def replay(scenarios: ScenarioFile, *, baseline: bool = True) -> list[ScenarioResult]:
    """Replay every scenario of the file (upstream, servers and proxy started and stopped)."""
    with serving(scenarios) as run:
        spec = scenarios.spec if baseline else None
        return asyncio.run(_replay_all(scenarios, run.catalog, run.upstream, run.url, spec))


def _check_tools(scenarios: ScenarioFile, catalog: Catalog) -> None:
    """Every expected tool/operation exists: a typo must not pass as a failed call."""
    from adaptgen.words import did_you_mean

    tools = sorted(set(catalog.operations) | catalog.chains)
    for index, scenario in enumerate(scenarios.scenarios):
        for number, call in enumerate(scenario.calls):
            at = scenarios.location("scenarios", index, "calls", number)
            for operation in call.operations:
                if catalog.tool_of(operation) is None:
                    known = sorted(catalog.operations.values())
                    message = f"operationId {operation!r} is no tool of the server"
                    raise InputError(message + did_you_mean(operation, known), at)
            for tool in call.tools:
                if tool not in tools:
                    message = f"tool {tool!r} is not on the server"
                    raise InputError(message + did_you_mean(tool, tools), at)


@dataclass
class Baseline:
    """FastMCP's side: its client session, its HTTP client (for the login token), its names."""

    recorder: Recorder
    http: Any
    names: dict[str, str]  # operationId -> tool name


async def _replay_all(
    scenarios: ScenarioFile, catalog: Catalog, upstream: RunningUpstream, url: str, spec: Any
) -> list[ScenarioResult]:
    results: list[ScenarioResult] = []
    async with AsyncExitStack() as stack:
        ours_client = await stack.enter_async_context(Client(url))
        recorder = Recorder(ours_client, {t.name for t in await ours_client.list_tools()})
        baseline = None
        if spec is not None:
            server, http = fastmcp_server(spec, upstream.url)
            headers = scenarios.model.baseline.headers
            http.headers.update(
                {k: str(replay_value(v, _env(upstream))) for k, v in headers.items()}
            )
            client = await stack.enter_async_context(Client(server))
            listed = {t.name for t in await client.list_tools()}
            baseline = Baseline(Recorder(client, listed), http, await operation_names(server))
        for scenario in scenarios.scenarios:
            before = upstream.calls
            ours = SideResult(OURS)
            await _play(
                recorder,
                _ours_calls(scenario, catalog),
                ours,
                _env(upstream),
                lambda text: _explained(text, scenarios, _env(upstream), catalog.env_prefix),
            )
            ours.upstream_calls = upstream.calls - before
            _finish(scenario, ours)
            _check_limits(scenario, ours)
            theirs = None
            if baseline is not None:
                theirs = await _play_theirs(scenarios, scenario, catalog, baseline, upstream)
            results.append(ScenarioResult(scenario, str(scenarios.where(scenario)), ours, theirs))
    return results


def _env(upstream: RunningUpstream) -> dict[str, str]:
    """What `$env` reads: the process environment, then the upstream's (sandbox credentials)."""
    return {**os.environ, **upstream.env}


@dataclass(frozen=True)
class Planned:
    """A call replay makes: the tool, its arguments (matchers), what it captures."""

    tool: str
    arguments: dict[str, Any]
    capture: dict[str, str] = field(default_factory=dict)


def _ours_calls(scenario: Scenario, catalog: Catalog) -> list[Planned]:
    return [Planned(tool_name(c, catalog), c.arguments, c.capture) for c in scenario.calls]


def tool_names(call: Call, catalog: Catalog) -> list[str]:
    """The generated server's tools for an expected call (any one is right), in its order."""
    return list(call.tools) or [catalog.tool_of(op) or op for op in call.operations]


def tool_name(call: Call, catalog: Catalog) -> str:
    """The tool replay calls for an expected call: the first it names."""
    return tool_names(call, catalog)[0]


# What a scenario file's own lines can do about a failed call of the generated server (the
# governance layer's and the runtime's words, `access.AccessControl` and `auth.MissingCredentials`).
_NOT_GRANTED = ("writes are not granted", "is destructive, which is not granted")
_NO_CREDENTIALS = "missing upstream credentials"


def _explained(text: str, scenarios: ScenarioFile, env: Mapping[str, str], env_prefix: str) -> str:
    """A failed call's text as the report says it, with what to change in the scenario file
    when the file can fix it (`env`: the server's environment)."""
    said = text[:300]
    policies = (env.get(name) for name in ("ADAPTGEN_POLICY", f"{env_prefix}_POLICY"))
    unset = scenarios.policy is None and not any(policies)
    if any(words in text for words in _NOT_GRANTED) and unset:
        return (
            f"{said} [neither this file nor the environment names a policy, so the server "
            "grants reads only: name one in the file's `policy:` that grants this caller "
            "writes (README: Governance)]"
        )
    if text.startswith(_NO_CREDENTIALS):
        prism = " (Prism takes any value)" if scenarios.prism_spec is not None else ""
        return (
            f"{text.split(' (a client that starts it over stdio')[0]} [the file's `upstream: "
            f"{{env: {{NAME: value}}}}` gives the server its credentials{prism}; "
            "`{$env: NAME}` reads one from your shell]"
        )
    return said


async def _play(
    recorder: Recorder,
    calls: list[Planned],
    side: SideResult,
    env: dict[str, str],
    explained: Callable[[str], str] = lambda text: text[:300],
) -> None:
    """Make the calls in order, each capture read from its result for the calls after it; the
    first call that fails (or cannot be replayed, or captures nothing) stops the scenario.
    `explained` says a failed call's text in the report (and what the file can do about it)."""
    captured: dict[str, Any] = {}
    for number, planned in enumerate(calls, 1):
        tool = planned.tool
        try:
            values = {k: replay_value(v, env, captured) for k, v in planned.arguments.items()}
        except MatcherError as exc:
            side.problems.append(f"call {number} ({tool}): {exc}")
            break
        call = await recorder.call(tool, values)
        side.calls.append(call)
        if not call.ok:
            side.problems.append(f"call {number} ({tool}) failed: {explained(call.text)}")
            break
        try:
            captured |= capture(planned.capture, call.data)
        except CaptureError as exc:
            side.problems.append(f"call {number} ({tool}): {exc}")
            break


def _finish(scenario: Scenario, side: SideResult) -> None:
    side.facts = [(describe(f), found(f, side.calls)) for f in scenario.facts]
    for fact, ok in side.facts:
        if not ok:
            side.problems.append(f"fact not found in the results: {fact}")


def _check_limits(scenario: Scenario, side: SideResult) -> None:
    limits = scenario.limits
    for name, limit, used in (
        ("calls", limits.calls, len(side.calls)),
        ("bytes", limits.bytes, side.bytes),
        ("tokens", limits.tokens, side.tokens),
    ):
        if limit is not None and used > limit:
            side.problems.append(f"{name}: {used:,} over the limit of {limit:,}")


def baseline_calls(scenario: Scenario, catalog: Catalog) -> list[Planned] | None:
    """The calls on FastMCP's side, by operationId; None when they cannot be derived.

    Derived calls keep the expected calls' captures: they hold when FastMCP's answer has the
    value where the generated server's has it; where the shapes differ, list `baseline` calls
    with their own captures.
    """
    if scenario.baseline is not None:
        return [Planned(_operation(c, catalog), c.arguments, c.capture) for c in scenario.baseline]
    calls = []
    for call in scenario.calls:
        tool = tool_name(call, catalog)
        if tool not in catalog.operations:
            return None
        rename = catalog.params[tool]
        arguments = {rename[k]: v for k, v in call.arguments.items() if k in rename}
        calls.append(Planned(catalog.operations[tool], arguments, call.capture))
    return calls


def _operation(call: Call, catalog: Catalog) -> str:
    if call.operations:
        return call.operations[0]
    return catalog.operations.get(call.tools[0], call.tools[0])


async def _play_theirs(
    scenarios: ScenarioFile,
    scenario: Scenario,
    catalog: Catalog,
    baseline: Baseline,
    upstream: RunningUpstream,
) -> SideResult:
    side = SideResult(THEIRS)
    planned = baseline_calls(scenario, catalog)
    if planned is None:
        side.problems.append("uses a composite tool: list its `baseline` calls to compare")
        return side
    names, env = baseline.names, _env(upstream)
    login = scenarios.model.baseline.login
    before = upstream.calls
    if login is not None:  # a fresh agent: it logs in first
        baseline.http.headers.pop(login.header, None)
        operation = _operation(login.call, catalog)
        login_call = Planned(names.get(operation, operation), login.call.arguments)
        await _play(baseline.recorder, [login_call], side, env)
        token = jsonpath.first(login.token, side.calls[-1].data) if side.calls else None
        if token is None:
            side.problems.append(f"login: no token at {login.token}")
            return side
        baseline.http.headers[login.header] = login.format.format(token=token)
    renamed = [Planned(names.get(p.tool, p.tool), p.arguments, p.capture) for p in planned]
    await _play(baseline.recorder, renamed, side, env)
    side.upstream_calls = upstream.calls - before
    _finish(scenario, side)
    return side
