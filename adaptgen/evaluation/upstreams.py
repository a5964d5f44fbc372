"""The upstream a scenario file runs against, behind a proxy that counts the calls it gets.

Both surfaces (the generated server and FastMCP's plain conversion) reach the upstream through
the same counting proxy on 127.0.0.1, so "upstream calls" is measured the same way for both:
the sandbox CRM (session login required), Stoplight Prism mocking a spec, or a real URL.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from adaptgen.errors import InputError
from adaptgen.evaluation.matchers import MatcherError, replay_value
from adaptgen.evaluation.scenarios import ScenarioFile

# Hop-by-hop headers, and those httpx's decoding makes wrong for the bytes passed on.
_DROP_REQUEST = frozenset({"host", "content-length", "connection", "transfer-encoding"})
_DROP_RESPONSE = frozenset(
    {"content-length", "connection", "transfer-encoding", "content-encoding"}
)
PRISM_START_S = 120.0


@dataclass
class CountingProxy:
    """An ASGI reverse proxy to `target` that counts the requests it forwards."""

    target: str
    requests: list[str] = field(default_factory=list)  # "METHOD /path", in order

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.requests.append(f"{request.method} {request.url.path}")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        # A client per request: the proxy's loop lives in uvicorn's thread.
        async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
            answer = await client.request(
                request.method, self.target + path, headers=headers, content=await request.body()
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP_RESPONSE}
        await Response(answer.content, status_code=answer.status_code, headers=kept)(
            scope, receive, send
        )


@dataclass
class RunningUpstream:
    """The proxy's origin (both surfaces' base URL), the server's env, the request count."""

    url: str
    env: dict[str, str]
    proxy: CountingProxy

    @property
    def calls(self) -> int:
        return len(self.proxy.requests)


@contextmanager
def started(scenarios: ScenarioFile, env_prefix: str) -> Iterator[RunningUpstream]:
    """Start the file's upstream and the counting proxy in front of it for the block."""
    from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME, running, serve_app

    upstream = scenarios.model.upstream
    env: dict[str, str] = {}
    with ExitStack() as stack:
        if upstream.sandbox is not None:
            crm = stack.enter_context(running(require_session=True))
            target = crm.url
            env.update({f"{env_prefix}_USERNAME": SANDBOX_USERNAME})
            env.update({f"{env_prefix}_PASSWORD": SANDBOX_PASSWORD})
        elif scenarios.prism_spec is not None:
            target = stack.enter_context(prism(scenarios.prism_spec, dynamic=upstream.dynamic))
        else:
            assert upstream.url is not None
            target = upstream.url.rstrip("/")
        for name, value in upstream.env.items():
            try:
                env[name] = str(replay_value(value))
            except MatcherError as exc:
                raise InputError(f"{exc}", scenarios.location("upstream", "env", name)) from None
        proxy = CountingProxy(target)
        url = stack.enter_context(serve_app(proxy))
        env[f"{env_prefix}_BASE_URL"] = url
        yield RunningUpstream(url, env, proxy)


def prism_command() -> Path:
    """Prism from a node_modules/.bin up from here, or on PATH."""
    for folder in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        candidate = folder / "node_modules" / ".bin" / "prism"
        if candidate.exists():
            return candidate
    found = shutil.which("prism")
    if found is None:
        raise InputError("Prism not found: `npm install @stoplight/prism-cli` (or put it on PATH)")
    return Path(found)


@contextmanager
def prism(spec: Path, *, dynamic: bool = False) -> Iterator[str]:
    """Prism mocking `spec` on 127.0.0.1 for the block; yields its origin (no trailing slash).

    Static mode answers with the spec's examples (or a value Prism derives from the schema);
    `dynamic` generates bodies from the schemas with a fixed seed, the same on every run.
    """
    from adaptgen.evaluation.processes import free_port, stop, wait_for_port

    port = free_port()
    mode = ["-d", "--seed", "adaptgen"] if dynamic else []
    command = [str(prism_command()), "mock", *mode, "-h", "127.0.0.1", "-p", str(port), str(spec)]
    with tempfile.NamedTemporaryFile("w+b", prefix="prism-", suffix=".log") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, PRISM_START_S, "prism", Path(log.name))
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
