"""The upstream client against a misbehaving upstream (tests/fault_upstream.py), end to end.

A generated server for the fault upstream's spec is called through a real MCP client; a few
checks use `Upstream` directly where the MCP wire cannot carry the input (a lone surrogate) or
where the check is about the client alone (the call deadline, credentials, attempt counts on a
closed port).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import fault_upstream
import httpx2
import pytest
from conftest import free_port
from fastmcp import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.catalog import Body, Operation, Param, SecurityScheme, Tool
from adaptgen.runtime.telemetry import upstream_statuses
from adaptgen.runtime.upstream import Upstream, UpstreamError

MIB = 1024 * 1024
SECRET = "s3cr3t-value-123"


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fault")
    with fault_upstream.running() as (url, upstream):
        spec = tmp / "fault.json"
        spec.write_text(json.dumps(fault_upstream.spec(url)))
        report = build(BuildOptions(spec=spec, out=tmp / "generated"))
        yield SimpleNamespace(url=url, seen=upstream, module=load_server_module(report.out_dir))


@pytest.fixture(autouse=True)
def _quick_defaults(monkeypatch):
    # Each test sets what it exercises; nothing leaks from the environment.
    for name in ("TIMEOUT", "CALL_TIMEOUT", "MAX_RESPONSE_BYTES", "RETRIES", "BASE_URL"):
        monkeypatch.delenv(f"FAULT_{name}", raising=False)


def call(fault, tool: str, **arguments) -> tuple[bool, str]:
    """(is_error, text) of one tool call through a real MCP client."""

    async def go():
        async with Client(fault.module.mcp) as client:
            result = await client.call_tool(tool, arguments, raise_on_error=False)
            return result.is_error, result.content[0].text

    return asyncio.run(go())


def direct(fault, schemes=(), security=(), transport=None) -> Upstream:
    return Upstream(
        base_url=fault.url,
        env_prefix="FAULT",
        schemes={s.name: s for s in schemes},
        security=security,
        transport=transport,
    )


def op(path: str, method: str = "GET", *params: Param, media: str | None = None) -> Tool:
    body = Body(media_type=media, required=False, flattened=True) if media else None
    upstream = Operation(operation_id="t", method=method, path=path, params=params, body=body)
    reads = {"readOnlyHint": True} if method == "GET" else {}  # as the planner annotates
    return Tool(name="t", description="", annotations=reads, input_schema={}, upstream=upstream)


def P(name: str, location: str, api_name: str | None = None) -> Param:  # noqa: N802
    return Param(name=name, location=location, api_name=api_name or name)


# Item 7: one deadline per request, one per tool call.


def test_a_dripping_upstream_is_cut_at_the_request_timeout(fault, monkeypatch):
    # 60 bytes, one per 100 ms: every read is quick, the whole answer takes 6 s.
    monkeypatch.setenv("FAULT_TIMEOUT", "1")
    failed, text = call(fault, "get_drip", bytes=60, ms=100)
    assert failed
    assert text == "GET /drip: upstream timed out after 1s (set FAULT_TIMEOUT to raise it)"


def test_one_send_with_its_retries_stays_within_the_call_timeout(fault, monkeypatch):
    monkeypatch.setenv("FAULT_CALL_TIMEOUT", "1")
    failed, text = call(fault, "get_drip", bytes=60, ms=100)
    assert failed
    assert "within the tool call's 1s time limit (set FAULT_CALL_TIMEOUT to raise it)" in text


def test_the_call_deadline_spans_every_request_inside_it(fault):
    up = direct(fault)
    drip = op("/drip", "GET", P("bytes", "query"), P("ms", "query"))

    async def go():
        async with up.deadline(1.5):
            await up.send(op("/echo/{key}", "GET", P("key", "path")), {"key": "dl"})
            await up.send(drip, {"bytes": 60, "ms": 100})

    with pytest.raises(UpstreamError) as err:
        asyncio.run(go())
    assert str(err.value) == (
        "GET /drip: upstream did not finish within the tool call's 1.5s time limit "
        "(set FAULT_CALL_TIMEOUT to raise it)"
    )


def test_the_call_deadline_also_bounds_work_between_requests(fault):
    up = direct(fault)

    async def go():
        async with up.deadline(0.2):
            await asyncio.sleep(5)

    with pytest.raises(UpstreamError, match="took longer than its 0.2s time limit"):
        asyncio.run(go())


# Item 8: a cap on what is read.


@pytest.mark.parametrize("declared", [1, 0], ids=["content-length", "chunked"])
def test_an_oversized_body_is_refused_without_reading_it(fault, monkeypatch, declared):
    monkeypatch.setenv("FAULT_MAX_RESPONSE_BYTES", str(MIB))
    key = f"big-{declared}"
    failed, text = call(fault, "get_huge", mb=40, length=declared, key=key)
    assert failed
    assert text == (
        "GET /huge: upstream response is larger than the 1 MB limit "
        "(set FAULT_MAX_RESPONSE_BYTES to raise it)"
    )
    # Reading stopped at the cap: the server made only what socket buffers took.
    assert fault.seen.sent(key) < 20 * MIB


def test_an_error_body_is_read_only_for_its_excerpt(fault):
    failed, text = call(fault, "get_huge", mb=40, status=500, key="error-body")
    assert failed
    # A 500 is asked again (a GET cannot write twice): every answer read for its excerpt only.
    said = "GET /huge: upstream answered 500 Internal Server Error; retry after "
    assert text.startswith(said) and ': {"items":[{' in text
    assert len(text) < 400
    assert fault.seen.sent("error-body") < 20 * MIB


def test_size_is_the_bytes_received(fault):
    up = direct(fault)
    huge = op("/huge", "GET", P("mb", "query"), P("key", "query"))
    response = asyncio.run(up.send(huge, {"mb": 1, "key": "size"}))
    assert response.size == fault.seen.sent("size") > MIB - 100
    assert response.data["items"][-1] == {"id": -1}


# Item 14: readable errors, never a Python exception's text.


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "José",
            "non-ASCII text; HTTP header values are ASCII (RFC 9110 §5.5): pass an ASCII value",
        ),
        (
            "a\r\nX-Injected: 1",
            "a line break (CR or LF); header values cannot carry control characters",
        ),
    ],
    ids=["non-ascii", "crlf"],
)
def test_a_header_value_http_cannot_carry_is_refused_by_name(fault, value, problem):
    key = f"header-{len(value)}"
    failed, text = call(fault, "get_echo", key=key, x_note=value)
    assert failed
    assert text == f"GET /echo/{{key}}: header X-Note (argument x_note) holds {problem}"
    assert fault.seen.count("echo", key) == 0


@pytest.mark.parametrize("size", [20_000, 70_000])
def test_an_overlong_url_is_refused_naming_the_argument(fault, size):
    failed, text = call(fault, "get_echo", key=f"long{size}", q="a" * size)
    assert failed
    assert text.startswith(f"GET /echo/{{key}}: the request URL would be {size + 40}")
    assert "over the 8192-byte limit; argument q alone takes" in text
    assert fault.seen.count("echo", f"long{size}") == 0


def test_an_unpaired_surrogate_is_refused_by_argument_name(fault):
    up = direct(fault)
    post = op("/flaky/{key}", "POST", P("key", "path"), P("note", "body"), media="application/json")
    with pytest.raises(UpstreamError) as err:
        asyncio.run(up.send(post, {"key": "surrogate", "note": "bad \ud800 text"}))
    assert str(err.value) == (
        "POST /flaky/{key}: argument note holds text that is not valid Unicode "
        "(an unpaired surrogate): pass valid UTF-8 text"
    )


@pytest.mark.parametrize("depth", [5_000, 500])
def test_deeply_nested_json_is_refused_readably(fault, depth):
    failed, text = call(fault, "get_nested", depth=depth)
    assert failed
    assert text == (
        "GET /nested: upstream answered 200 OK with JSON nested more than 100 levels deep, "
        "which adaptgen does not read"
    )


def test_invalid_json_is_an_error_and_html_is_text(fault):
    failed, text = call(fault, "get_garbage")
    assert failed
    assert text.startswith("GET /garbage: upstream answered 200 OK with a body that is not JSON")
    assert "line 1 column 33" in text
    failed, text = call(fault, "get_html")
    assert not failed
    assert "Down for maintenance" in text and "<h1>" not in text


def test_personal_data_in_a_text_answer_reaches_the_agent_as_tokens(fault, tmp_path, monkeypatch):
    """A text answer is not shaped as JSON, but it leaves with its PII as tokens all the same
    (found by the recognizers)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "identity: {local: {subject: ops, groups: [ops]}}\n"
        "access: {rules: [{allow: ['*']}]}\n"
        "audit: {sink: none}\n"
    )
    monkeypatch.setenv("FAULT_POLICY", str(policy))  # PII on: the operator policy turns it off
    governed = SimpleNamespace(module=load_server_module(Path(fault.module.__file__).parent))
    failed, text = call(governed, "get_note")
    assert not failed and text.startswith("Call <pii:email:")
    assert fault_upstream.NOTE_EMAIL not in text and fault_upstream.NOTE_PHONE not in text
    assert "<pii:phone:" in text and text.endswith("about the renewal.")


@pytest.mark.parametrize(
    ("value", "what"),
    [(f"{SECRET}\r\nX-Evil: 1", "a line break"), (f"{SECRET}é", "non-ASCII text")],
)
def test_a_bad_credential_is_named_by_its_env_var_never_shown(fault, monkeypatch, value, what):
    scheme = SecurityScheme(
        name="key", kind="api_key", env=("FAULT_KEY",), location="header", param_name="X-Api-Key"
    )
    monkeypatch.setenv("FAULT_KEY", value)
    up = direct(fault, schemes=[scheme], security=[["key"]])
    echo = op("/echo/{key}", "GET", P("key", "path"))
    with pytest.raises(UpstreamError) as err:
        asyncio.run(up.send(echo, {"key": "cred"}))
    message = str(err.value)
    assert message.startswith("GET /echo/{key}: the request could not be sent: a header value")
    assert what in message and "FAULT_KEY" in message
    assert SECRET not in message and "cannot reach" not in message
    assert fault.seen.count("echo", "cred") == 0


# Item 15: bounded retries, only where a retry cannot write twice.


def test_an_idempotent_call_is_retried_through_5xx(fault):
    failed, text = call(fault, "get_flaky", key="retry-ok", fail=2, status=503)
    assert not failed, text
    assert json.loads(text)["attempt"] == 3
    assert fault.seen.count("flaky", "retry-ok") == 3


def test_exhausted_retries_say_when_to_retry(fault, monkeypatch):
    failed, text = call(fault, "get_flaky", key="retry-out", fail=9, status=502)
    assert failed
    assert text.startswith("GET /flaky/{key}: upstream answered 502 Bad Gateway; retry after ")
    assert fault.seen.count("flaky", "retry-out") == 3
    monkeypatch.setenv("FAULT_RETRIES", "0")
    call(fault, "get_flaky", key="retry-none", fail=9, status=504)
    assert fault.seen.count("flaky", "retry-none") == 1


def test_a_get_that_writes_is_not_sent_twice(fault):
    """A GET the catalog says writes (AWS's `GET_CancelSpotFleetRequests`) is not resent after
    an answer that may follow its effect; a read of the same route is, whatever its method."""
    assert "readOnlyHint" not in fault.module.api.catalog.tool("cancel_flaky").annotations
    failed, text = call(fault, "cancel_flaky", key="get-writes", fail=1, status=503)
    assert failed and "503 Service Unavailable; retry after" in text
    assert fault.seen.count("flaky", "get-writes") == 1
    failed, text = call(fault, "get_flaky", key="get-reads", fail=1, status=503)
    assert not failed and fault.seen.count("flaky", "get-reads") == 2
    # and a read POSTed (AWS's JSON APIs) is tried again as a GET read is
    assert fault.module.api.catalog.tool("describe_flaky").annotations == {"readOnlyHint": True}
    failed, text = call(fault, "describe_flaky", key="post-reads", fail=1, status=503)
    assert not failed and fault.seen.count("flaky", "post-reads") == 2


def test_a_post_is_retried_only_with_an_idempotency_key(fault):
    failed, text = call(fault, "post_flaky", key="post-bare", fail=1, note="x")
    assert failed and "503 Service Unavailable; retry after" in text
    assert fault.seen.count("flaky", "post-bare") == 1
    failed, text = call(
        fault, "post_flaky", key="post-keyed", fail=1, note="x", idempotency_key="k-1"
    )
    assert not failed, text
    assert fault.seen.count("flaky", "post-keyed") == 2


@pytest.mark.parametrize("after", ["1", "date:2"])
def test_retry_after_is_honoured(fault, after):
    key = f"throttle-{after}"
    failed, text = call(fault, "get_throttled", key=key, fail=1, after=after)
    assert not failed, text
    assert fault.seen.count("throttled", key) == 2


def test_a_long_retry_after_goes_to_the_agent_instead(fault, monkeypatch):
    failed, text = call(fault, "get_throttled", key="throttle-long", fail=1, after="30")
    assert failed
    assert text.startswith(
        "GET /throttled/{key}: upstream answered 429 Too Many Requests; retry after 30s: "
    )
    assert fault.seen.count("throttled", "throttle-long") == 1
    # A wait the cap allows but the call deadline does not: not waited either.
    monkeypatch.setenv("FAULT_CALL_TIMEOUT", "3")
    failed, text = call(fault, "get_throttled", key="throttle-deadline", fail=1, after="5")
    assert failed and "; retry after 5s" in text
    assert fault.seen.count("throttled", "throttle-deadline") == 1


def test_a_reset_connection_is_retried_for_reads_only(fault):
    failed, text = call(fault, "get_reset", key="reset-get")
    assert failed
    assert text.startswith(
        f"GET /reset/{{key}}: the connection to {fault.url} broke mid-request "
        "(RemoteProtocolError); retry after "
    )
    assert fault.seen.count("reset", "reset-get") == 3
    failed, _ = call(fault, "post_reset", key="reset-post", note="x")
    assert failed
    assert fault.seen.count("reset", "reset-post") == 1


class CountingTransport(httpx2.AsyncHTTPTransport):
    """A real transport that counts the requests it is asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        return await super().handle_async_request(request)


def test_a_connect_error_is_retried_even_for_a_post(fault, monkeypatch):
    monkeypatch.setenv("FAULT_BASE_URL", f"http://127.0.0.1:{free_port()}")
    transport = CountingTransport()
    up = direct(fault, transport=transport)
    post = op("/flaky/{key}", "POST", P("key", "path"), P("note", "body"), media="application/json")
    with pytest.raises(UpstreamError, match=r"cannot reach http://127.0.0.1:\d+ \(ConnectError\)"):
        asyncio.run(up.send(post, {"key": "nowhere", "note": "x"}))
    assert transport.sent == 3


def test_each_attempt_is_its_own_upstream_span_and_status(fault):
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    spans = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    up = direct(fault)
    flaky = op("/flaky/{key}", "GET", P("key", "path"), P("fail", "query"))

    async def go():
        statuses: list[int] = []
        token = upstream_statuses.set(statuses)
        try:
            await up.send(flaky, {"key": "statuses", "fail": 2})
        finally:
            upstream_statuses.reset(token)
        return statuses

    assert asyncio.run(go()) == [503, 503, 200]
    attempts = [s.attributes for s in spans.get_finished_spans() if s.name == "GET /flaky/{key}"]
    assert [a["http.response.status_code"] for a in attempts] == [503, 503, 200]
    assert [a.get("http.request.resend_count") for a in attempts] == [None, 1, 2]
