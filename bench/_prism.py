"""Prism on loopback, and a recording proxy in front of it: what was sent, what came back.

`prism(spec)` starts Stoplight Prism (node_modules/.bin/prism) mocking a spec on 127.0.0.1.
`RecordingProxy` forwards every request unchanged to the Prism it currently points at and keeps
each exchange whole (request line, header names, status, the full response body, Prism's
`sl-violations` header), so a harness can judge a tool call against the real upstream body
rather than against what the generated server chose to report.

Prism serves the paths as the spec's `paths` declare them, without the servers' base path
(`/pets`, not `/v1/pets`), so a generated server's `<NAME>_BASE_URL` is the proxy's bare origin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import yaml
from starlette.requests import Request
from starlette.responses import Response

from adaptgen.evaluation import upstreams
from adaptgen.runtime.xml_answer import XmlAnswerError, is_xml, read_answer
from adaptgen.sandbox.server import serve_app

REPO = Path(__file__).resolve().parents[1]
PRISM = REPO / "node_modules" / ".bin" / "prism"
PRISM_ERRORS = "https://stoplight.io/prism/errors#"
MAX_RECORDED_BODY = 4 * 1024 * 1024
MOCK_UNREACHABLE = "prism did not answer"
# Hop-by-hop headers, and those httpx's decoding makes wrong for the bytes we pass on.
_DROP_REQUEST = frozenset({"host", "content-length", "connection", "transfer-encoding"})
_DROP_RESPONSE = frozenset(
    {"content-length", "connection", "transfer-encoding", "content-encoding"}
)


_REMOTE_REF = re.compile(rb"""\$ref['"]?\s*:\s*['"]?https?://""")


def read_document(spec: Path) -> Any:
    """The spec file parsed (JSON, or YAML with libyaml when present: 4x faster on 3 MB)."""
    raw = spec.read_bytes()
    if spec.suffix.lower() == ".json":
        return json.loads(raw)
    return yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def offline_spec(spec: Path, folder: Path) -> tuple[Path, int]:
    """The spec Prism can read offline, and how many remote `$ref`s were cut from it.

    Prism fetches remote `$ref`s (http/https) when it starts; this machine has no network and a
    harness must not try. A spec without any is used in place; otherwise a copy in `folder`
    (never beside the spec) has each remote reference replaced by an empty schema `{}`, and
    relative file references made absolute so they still resolve from there. A security scheme
    that was a remote reference is removed with the requirements on it: Prism refuses every
    request under a scheme it cannot read, and credentials never matter to a mock.
    """
    if not _REMOTE_REF.search(spec.read_bytes()):
        return spec, 0
    document = read_document(spec)
    cut = [0]

    def offline(node: Any) -> Any:
        if isinstance(node, list):
            return [offline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if _is_remote(ref):
            cut[0] += 1
            return {}
        if isinstance(ref, str) and not ref.startswith("#"):
            file, _, pointer = ref.partition("#")
            absolute = str((spec.parent / file).resolve())
            node = {**node, "$ref": absolute + ("#" + pointer if pointer else "")}
        return {key: offline(value) for key, value in node.items()}

    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    remote = {n for n, s in schemes.items() if isinstance(s, dict) and _is_remote(s.get("$ref"))}
    document = offline(document)
    if remote:  # a `{}` scheme makes Prism refuse every request: the mock checks none of them
        _drop_schemes(document, remote)
    copy = folder / f"offline-{spec.stem}.json"
    copy.write_text(json.dumps(document), encoding="utf-8")
    return copy, cut[0]


def _is_remote(ref: Any) -> bool:
    return isinstance(ref, str) and re.match(r"https?://", ref) is not None


def _drop_schemes(document: dict[str, Any], names: set[str]) -> None:
    """Remove security schemes and every requirement on them."""
    schemes = document["components"]["securitySchemes"]
    for name in names:
        schemes.pop(name, None)
    holders = [document] + [
        op
        for item in (document.get("paths") or {}).values()
        if isinstance(item, dict)
        for op in item.values()
        if isinstance(op, dict)
    ]
    for holder in holders:
        requirements = holder.get("security")
        if not isinstance(requirements, list):
            continue
        if not any(isinstance(r, dict) and names & r.keys() for r in requirements):
            continue
        kept = [{k: v for k, v in r.items() if k not in names} for r in requirements]
        kept = [r for r in kept if r]
        if kept:
            holder["security"] = kept
        else:  # not `[{}]`: Prism then refuses any request with an Authorization header
            del holder["security"]


def prism(spec: Path, *, dynamic: bool = False) -> AbstractContextManager[str]:
    """Prism mocking `spec` on 127.0.0.1 for the block; yields its origin (no trailing slash).

    The eval's own launcher (adaptgen/evaluation/upstreams.py), so benches, tests and
    `adaptgen eval` run Prism one way; this checks first that `npm ci` installed it here.
    """
    if not PRISM.exists():
        raise FileNotFoundError(f"{PRISM} is missing: run `npm ci` in {REPO}")
    return upstreams.prism(spec, dynamic=dynamic)


@dataclass
class Exchange:
    """One request the generated server sent, and Prism's whole answer."""

    method: str
    target: str  # path and query exactly as sent (still percent-encoded)
    header_names: list[str]  # names only: values may be credentials
    status: int
    content_type: str
    body: bytes
    violations: list[dict[str, Any]] = field(default_factory=list)  # from `sl-violations`
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None

    def data(self) -> Any:
        """The body as data: JSON, or an XML document read by itself (no form: every element
        by its own name, as text), else None (empty, or neither)."""
        found = self.json()
        if found is None and is_xml(self.content_type) and self.body.strip():
            try:
                return read_answer(self.body.decode("utf-8", errors="replace"), None)
            except XmlAnswerError:
                return None
        return found

    def problem(self) -> dict[str, Any] | None:
        """Prism's own problem document (`type` under PRISM_ERRORS), if this is one."""
        data = self.json()
        if isinstance(data, dict) and str(data.get("type", "")).startswith(PRISM_ERRORS):
            return data
        return None

    def request_line(self) -> str:
        """`GET /path?query` as sent."""
        return f"{self.method} {self.target}"

    def values(self) -> set[str]:
        """Every scalar of the JSON body and every header value (links in `<...>` too), as
        text: what a client may have taken from this answer for its next request."""
        found = set(self.response_headers.values())
        for value in self.response_headers.values():
            found.update(re.findall(r"<([^>]*)>", value))
        stack, budget = [self.json()], 100_000  # bounded: a body is at most a few MB
        while stack and budget:
            node, budget = stack.pop(), budget - 1
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
            elif node is not None:
                found.add(node if isinstance(node, str) else json.dumps(node))
        return found

    def supplied(self, following: Exchange) -> bool:
        """Whether `following`'s URL came from this answer: a link in it, resolved against this
        request's URL as a client resolves it, is exactly `following`'s path and query, but
        for the API version this request was asked at (`paginate.with_api_version`: Azure's
        clients follow a next link at their own `api-version`, and some links carry none)."""
        from adaptgen.runtime.paginate import with_api_version

        here = "http://upstream" + self.target
        for value in self.values():
            if len(value) > 4096 or not value.strip():
                continue
            link = urljoin(here, value.strip())
            for resolved in (link, with_api_version(link, here)):
                parts = urlsplit(resolved)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if unquote(target) == unquote(following.target):
                    return True
        return False


class RecordingProxy:
    """An ASGI reverse proxy to `target` that records every exchange in `exchanges`.

    Requests are forwarded byte for byte (raw path and query, headers, body); responses come
    back unchanged but for hop-by-hop headers. `target` may be switched between calls.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._forward(request)
        await response(scope, receive, send)

    async def _forward(self, request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        target = raw.decode("latin-1")
        if request.scope.get("query_string"):
            target += "?" + request.scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        body = await request.body()
        # A client per request: the proxy's loop lives in uvicorn's thread, and a pooled client
        # would outlive it. Loopback connections cost well under a millisecond.
        try:
            async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
                upstream = await client.request(
                    request.method, self.target + target, headers=headers, content=body
                )
        except httpx.HTTPError as exc:
            # Prism itself failed (it exits on some generated answers, e.g. a PDF example):
            # recorded, so the harness blames the mock, not the request.
            said = f"{MOCK_UNREACHABLE}: {type(exc).__name__}".encode()
            self.exchanges.append(
                Exchange(request.method, target, sorted({k.lower() for k, _ in headers}), 502,
                         "text/plain", said)
            )  # fmt: skip
            return Response(said, status_code=502, media_type="text/plain")
        self.exchanges.append(
            Exchange(
                method=request.method,
                target=target,
                header_names=sorted({k.lower() for k, _ in headers}),
                status=upstream.status_code,
                content_type=upstream.headers.get("content-type", ""),
                body=upstream.content[:MAX_RECORDED_BODY],
                violations=_violations(upstream.headers.get("sl-violations")),
                response_headers={k.lower(): v for k, v in upstream.headers.items()},
            )
        )
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE}
        return Response(upstream.content, status_code=upstream.status_code, headers=kept)

    @contextmanager
    def serving(self) -> Iterator[str]:
        """Serve the proxy on 127.0.0.1 for the block; yields its origin."""
        with serve_app(self) as url:
            yield url


def _violations(header: str | None) -> list[dict[str, Any]]:
    """Prism's `sl-violations` header (sent when it answers with the spec's own error example)."""
    if not header:
        return []
    try:
        data = json.loads(header)
    except ValueError:
        return []
    return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []
