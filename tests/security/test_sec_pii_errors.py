"""Issue 12, item 3: PII never leaves through error text or telemetry.

The attack: `get_deal(deal_id=<an email token>)` answered `No deal with id 'lpatel@...'`: the
argument was detokenized for the upstream, the upstream echoed it, and the error excerpt went
to the agent as it was; spans carried raw values in their status, exception message and stack
trace. Everything that leaves toward the agent, logs or traces passes the same protection.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from conftest import result_data
from fastmcp import Client
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_governance import governed_crm, known_pii, load_generated, mint, record_spans

from adaptgen.sandbox.server import serve_app

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    record_spans(SPANS)
    tmp = tmp_path_factory.mktemp("pii-errors")
    with governed_crm(tmp) as sandbox:
        module = load_generated("pii_errors")
        with serve_app(module.mcp.http_app(path="/mcp"), lifespan=True) as url:
            yield sandbox, f"{url}/mcp"


def _run(url: str, calls: list[tuple[str, dict]]):
    async def go():
        async with Client(url, auth=mint(["sales"])) as client:
            return [await client.call_tool(t, a, raise_on_error=False) for t, a in calls]

    return asyncio.run(go())


def _span_text(spans) -> str:
    parts = []
    for span in spans:
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        parts.append(str(span.status.description))
        for event in span.events:
            parts.append(json.dumps(dict(event.attributes or {}), default=str))
    return "\n".join(parts)


def test_an_upstream_error_echoing_a_detokenized_argument_shows_the_token(crm, caplog):
    sandbox, url = crm
    (contact,) = _run(url, [("get_contact", {"contact_id": 1001})])
    email_token = result_data(contact.content[0].text)["data"]["email"]
    assert email_token.startswith("<pii:email:")
    real_email = sandbox.app.state.store.tables["contact"][1001]["email"]
    SPANS.clear()
    caplog.set_level(logging.DEBUG)
    failed, by_phone = _run(
        url,
        [
            ("get_deal", {"deal_id": email_token}),
            ("search_records", {"q": "+1 (555) 010-9999 or " + email_token}),
        ],
    )
    assert failed.is_error
    text = failed.content[0].text
    assert real_email not in text and email_token in text, text
    everything = "\n".join([text, by_phone.content[0].text, _span_text(SPANS.get_finished_spans())])
    everything += "\n" + caplog.text
    leaked = [value for value in known_pii(sandbox) if value in everything]
    assert leaked == []
    assert real_email not in everything


def test_spans_record_a_failure_by_its_type_only(crm):
    _, url = crm
    SPANS.clear()
    (result,) = _run(url, [("get_deal", {"deal_id": 987654321})])
    assert result.is_error
    spans = SPANS.get_finished_spans()
    failed = [s for s in spans if s.status.status_code == trace.StatusCode.ERROR]
    assert failed, [s.name for s in spans]
    for span in spans:
        for event in span.events:
            assert "exception.message" not in (event.attributes or {}) or "987654321" not in str(
                event.attributes["exception.message"]
            )
    assert "987654321" not in _span_text(
        [s for s in spans if s.name.startswith(("GET", "execute"))]
    )
