"""The CRM's agent surface through a real MCP client against the running sandbox.

Multi-page lists, cursor round trips to the end, budget cuts at item boundaries, keep/drop from
specs/crm.hints.yaml, and the default denoise when there are no hints.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from conftest import ROOT, result_data
from fastmcp import Client

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime.shape import estimate_tokens
from adaptgen.sandbox import SANDBOX_API_KEY, SANDBOX_PASSWORD, SANDBOX_USERNAME, running

KEEP = {
    "id",
    "full_name",
    "email",
    "phone",
    "company_id",
    "company_name",
    "job_title",
    "lifecycle_stage",
    "owner_name",
}


@pytest.fixture(scope="module")
def sandbox():
    with running() as crm:
        names = (
            "CRM_BASE_URL",
            "CRM_API_KEY",
            "CRM_USERNAME",
            "CRM_PASSWORD",
            "CRM_RAW_BASE_URL",
            "CRM_RAW_API_KEY",
        )
        old = {k: os.environ.get(k) for k in names}
        os.environ.pop("CRM_API_KEY", None)  # the hinted server logs in instead
        os.environ.update(
            CRM_BASE_URL=crm.url,
            CRM_USERNAME=SANDBOX_USERNAME,
            CRM_PASSWORD=SANDBOX_PASSWORD,
            CRM_RAW_BASE_URL=crm.url,
            CRM_RAW_API_KEY=SANDBOX_API_KEY,
        )
        yield crm
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def crm(sandbox):
    return load_server_module(ROOT / "generated" / "crm")


@pytest.fixture(scope="module")
def crm_without_hints(sandbox, tmp_path_factory):
    out = tmp_path_factory.mktemp("nohints")
    report = build(
        BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=out, no_hints=True, name="crm_raw")
    )
    return load_server_module(report.out_dir)


def call(module, tool: str, arguments: dict) -> tuple[dict, str]:
    async def go():
        async with Client(module.mcp) as client:
            result = await client.call_tool(tool, arguments)
            return result.content[0].text

    text = asyncio.run(go())
    return result_data(text), text


def test_a_list_spans_upstream_pages_within_the_budget(crm, sandbox):
    before = len(sandbox.request_log)
    page, text = call(crm, "list_contacts", {"limit": 80})
    fetched = [r for r in list(sandbox.request_log)[before:] if r["path"].endswith("/contacts")]
    assert ["page=1" in r["query"] for r in fetched][:1] == [True]
    assert len(fetched) >= 2 and "page=2" in fetched[1]["query"]
    assert all("per_page=25" in r["query"] for r in fetched)
    assert estimate_tokens(text) <= 3000
    ids = [item["id"] for item in page["items"]]
    assert 25 < len(ids) < 80 and page["total"] == 300
    assert ids == sorted(ids)
    assert "3000-token budget" in page["_note"] and page["next_cursor"]


def test_cursor_round_trip_reaches_every_contact_once(crm):
    seen: list[int] = []
    arguments: dict = {"limit": 100}
    calls = 0
    while calls < 40:
        calls += 1
        page, text = call(crm, "list_contacts", arguments)
        assert estimate_tokens(text) <= 3000
        seen += [item["id"] for item in page["items"]]
        if "next_cursor" not in page:
            break
        arguments = {"limit": 100, "cursor": page["next_cursor"]}
    assert len(seen) == 300 == len(set(seen))
    assert calls < 15


def test_keep_and_drop_from_hints(crm):
    page, _ = call(crm, "list_contacts", {"limit": 5})
    assert all(set(item) <= KEEP and {"id", "full_name"} <= set(item) for item in page["items"])
    contact, text = call(crm, "get_contact", {"contact_id": page["items"][0]["id"]})
    for noise in ('"audit"', '"_links"', '"custom_fields"', '"billing"', '"legacy_id"', '"geo"'):
        assert noise not in text
    assert contact["data"]["email"]


def test_budget_holds_for_every_list_tool(crm):
    for tool in ("list_companies", "list_deals", "list_activities"):
        page, text = call(crm, tool, {"limit": 200})  # the most these tools take (max_items)
        assert estimate_tokens(text) <= 3000, tool
        # Either everything fit, or the rest is one cursor away.
        assert page["items"]
        assert "next_cursor" in page or len(page["items"]) == page["total"]


def test_default_denoise_without_hints(crm_without_hints):
    page, text = call(crm_without_hints, "list_contacts", {"limit": 2})
    raw_contact = page["items"][0]
    for value in _walk(page):
        assert value not in (None, "", [], {})
    assert '"_links"' not in text and "<p>" not in text
    assert "notes_html" in raw_contact and "<" not in raw_contact["notes_html"]
    assert "audit" not in raw_contact  # bookkeeping goes by default
    assert "custom_fields" in raw_contact  # data the hints drop, the default keeps


def _walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@pytest.fixture(scope="module")
def crm_structured(sandbox, tmp_path_factory):
    import yaml

    out = tmp_path_factory.mktemp("structured")
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["tools"]["listContacts"]["output_schema"] = True
    hints["tools"]["getContact"]["output_schema"] = True
    path = out / "crm.hints.yaml"
    path.write_text(yaml.safe_dump(hints))
    report = build(
        BuildOptions(spec=ROOT / "specs" / "crm.yaml", out=out, hints=path, name="crm_structured")
    )
    os.environ["CRM_STRUCTURED_BASE_URL"] = sandbox.url
    os.environ["CRM_STRUCTURED_USERNAME"] = SANDBOX_USERNAME
    os.environ["CRM_STRUCTURED_PASSWORD"] = SANDBOX_PASSWORD
    return load_server_module(report.out_dir)


def test_output_schema_describes_the_shaped_result_sent_once(crm_structured, monkeypatch):
    import jsonschema

    async def session():
        async with Client(crm_structured.mcp) as client:
            tools = {t.name: t for t in await client.list_tools()}
            listed = await client.call_tool("list_contacts", {"limit": 3})
            got = await client.call_tool("get_contact", {"contact_id": 1001})
            return tools, listed, got

    tools, listed, got = asyncio.run(session())
    list_schema = tools["list_contacts"].output_schema
    item = list_schema["properties"]["items"]["items"]
    assert set(item["properties"]) == KEEP
    assert tools["search_records"].output_schema is None  # only where hints ask
    for result, schema in ((listed, list_schema), (got, tools["get_contact"].output_schema)):
        jsonschema.validate(result.structured_content, schema)
        assert result.content == []  # a current client reads structured content: no duplicate
    assert set(got.structured_content["data"]) <= set(
        tools["get_contact"].output_schema["properties"]["data"]["properties"]
    )
    monkeypatch.setenv("CRM_STRUCTURED_STRUCTURED_TEXT", "always")
    _, again, _ = asyncio.run(session())
    assert result_data(again.content[0].text) == again.structured_content


@pytest.fixture(scope="module")
def crm_not_lean(sandbox, tmp_path_factory):
    import yaml

    out = tmp_path_factory.mktemp("not_lean")
    hints = yaml.safe_load((ROOT / "specs" / "crm.hints.yaml").read_text())
    hints["tools"]["listContacts"]["compact"] = False
    path = out / "crm.hints.yaml"
    path.write_text(yaml.safe_dump(hints))
    spec = ROOT / "specs" / "crm.yaml"
    report = build(BuildOptions(spec=spec, out=out, hints=path, name="crm_not_lean"))
    os.environ["CRM_NOT_LEAN_BASE_URL"] = sandbox.url
    os.environ["CRM_NOT_LEAN_USERNAME"] = SANDBOX_USERNAME
    os.environ["CRM_NOT_LEAN_PASSWORD"] = SANDBOX_PASSWORD
    return load_server_module(report.out_dir)


def test_lean_text_by_default_plain_records_where_hints_say_compact_false(crm, crm_not_lean):
    arguments = {"limit": 5}
    lean_page, lean_text = call(crm, "list_contacts", arguments)
    plain_page, plain_text = call(crm_not_lean, "list_contacts", arguments)
    assert '"_columns":' in lean_text and '"items":[{' in plain_text
    # The same records and values, read back (cursors are signed per server).
    assert lean_page["items"] == plain_page["items"] and lean_page["total"] == plain_page["total"]
    assert len(lean_text) < len(plain_text)
    # The agent is told how to read it, once, in the server's instructions.
    assert "_columns" in (crm.mcp.instructions or "")
