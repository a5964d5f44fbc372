"""Redirects an upstream answers (`runtime/redirects.py`): within the API they are followed as
the request they answer, credentials and all; elsewhere only as a credential-free GET to an
address that may be reached; never to link-local or metadata addresses, never a write off the
API, and no error ever carries the signed URL a download redirect points at.

Against two real HTTP servers on 127.0.0.1 (an API and the storage it hands downloads to),
through the generated server and FastMCP's MCP client."""

from __future__ import annotations

import asyncio
import ipaddress
import json

import httpx2
import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.runtime import redirects
from adaptgen.runtime.addresses import blocked_reason, network_of
from adaptgen.runtime.redirects import MAX_REDIRECTS, next_hop, refusal
from adaptgen.sandbox.server import serve_app

TOKEN = "ghp_redirect_test_token_0123456789"
SIGNATURE = "sig=Zm9yZ2VkLXNpZ25hdHVyZQ"
BASE = "http://127.0.0.1:9/api"


def _hop(method: str, status: int, location: str, url: str = f"{BASE}/repos/a/b"):
    return next_hop(httpx2.Request(method, url), status, location, BASE)


def test_the_method_changes_as_fetch_changes_it():
    assert _hop("GET", 301, "/api/repositories/42").method == "GET"
    assert _hop("PATCH", 307, "/api/repositories/42").method == "PATCH"
    assert _hop("PATCH", 307, "/api/repositories/42").keeps_body
    assert _hop("PATCH", 301, "/api/repositories/42").method == "PATCH"  # only a POST changes
    moved = _hop("POST", 302, "/api/exports/7")
    assert (moved.method, moved.keeps_body) == ("GET", False)
    assert _hop("PUT", 303, "/api/exports/7").method == "GET"
    assert _hop("HEAD", 303, "/api/exports/7").method == "HEAD"
    assert _hop("POST", 308, "/api/exports/7").method == "POST"


def test_where_a_hop_goes():
    assert _hop("GET", 301, "/api/repositories/42").within
    assert _hop("GET", 301, "repositories/42", f"{BASE}/x").url == f"{BASE}/repositories/42"
    assert not _hop("GET", 302, "/elsewhere/x").within  # same origin, outside the base path
    assert not _hop("GET", 302, "https://storage.example/log?sig=1").within
    elsewhere = _hop("GET", 302, "https://storage.example/log?sig=1")
    assert refusal(elsewhere, "elsewhere") is None
    assert "only redirects within the API" in refusal(elsewhere, "upstream")
    assert "storage.example" in refusal(elsewhere, "upstream")
    assert "sig" not in refusal(elsewhere, "upstream")
    write = _hop("DELETE", 307, "https://storage.example/x")
    assert "a write is sent only to the API" in refusal(write, "elsewhere")
    assert "never followed" in refusal(_hop("GET", 302, "ftp://files.example/x"), "elsewhere")
    downgrade = _hop("GET", 302, "http://storage.example/log")
    assert refusal(downgrade, "elsewhere", "http://127.0.0.1:9/api") is None
    assert "plain http from an API on https" in refusal(downgrade, "elsewhere", "https://a.example")
    assert refusal(_hop("DELETE", 307, "/api/things/2"), "upstream") is None


@pytest.mark.parametrize(
    ("address", "loopback", "private", "blocked"),
    [
        ("169.254.169.254", True, True, "link-local"),
        ("fd00:ec2::254", True, True, "metadata"),
        ("::ffff:169.254.169.254", True, True, "link-local"),
        ("10.0.0.7", False, False, "private"),
        ("10.0.0.7", False, True, None),
        ("127.0.0.1", False, True, "loopback"),
        ("127.0.0.1", True, False, None),
        ("8.8.8.8", False, False, None),
    ],
)
def test_addresses_a_redirect_may_reach(address, loopback, private, blocked):
    reason = blocked_reason(
        ipaddress.ip_address(address), allow_loopback=loopback, allow_private=private
    )
    assert (reason is None) if blocked is None else (blocked in reason)


def test_where_the_upstream_is():
    ip = ipaddress.ip_address
    assert network_of([ip("127.0.0.1")]) == "loopback"
    assert network_of([ip("10.1.2.3")]) == "private"
    assert network_of([ip("::ffff:192.168.1.2")]) == "private"
    assert network_of([ip("140.82.112.6")]) == "public"
    assert network_of([ip("169.254.1.1")]) == "public"  # link-local is never "the upstream's"


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

    async def note(self, request: Request) -> None:
        body = await request.body()
        self.requests.append(
            (
                request.method,
                request.url.path + "?" + request.url.query,
                dict(request.headers),
                body,
            )
        )


def _storage(seen: Seen) -> Starlette:
    async def log(request: Request) -> Response:
        await seen.note(request)
        return PlainTextResponse("2026-11-30T14:00:01Z npm test\nError: expected 3, got 4\n")

    async def denied(request: Request) -> Response:
        await seen.note(request)
        return Response(b"<Error><Code>AccessDenied</Code></Error>", 403, media_type="text/xml")

    async def anything(request: Request) -> Response:
        await seen.note(request)
        return PlainTextResponse("stored")

    return Starlette(
        routes=[
            Route("/logs/{name}", log),
            Route("/expired/{name}", denied),
            Route("/any/{name}", anything, methods=["GET", "DELETE", "PUT"]),
        ]
    )


def _api(seen: Seen, storage: str) -> Starlette:
    async def repo(request: Request) -> Response:
        await seen.note(request)
        return RedirectResponse("/api/repositories/42", 301)

    async def repository(request: Request) -> Response:
        await seen.note(request)
        if request.method == "PATCH":
            return JSONResponse({"id": 42, "patched": json.loads(await request.body())})
        return JSONResponse({"id": 42, "full_name": "acme/renamed"})

    async def renamed_patch(request: Request) -> Response:
        await seen.note(request)
        return RedirectResponse("/api/repositories/42", 307)

    async def export(request: Request) -> Response:
        await seen.note(request)
        return RedirectResponse("/api/exports/7", 303)

    async def export_done(request: Request) -> Response:
        await seen.note(request)
        return JSONResponse({"id": 7, "state": "ready", "method": request.method})

    async def job_log(request: Request) -> Response:
        await seen.note(request)
        job = request.path_params["job"]
        target = {
            "1": f"{storage}/logs/job-1.txt?{SIGNATURE}",
            "2": f"{storage}/expired/job-2.txt?{SIGNATURE}",
            "5": "/api/jobs/5/logs",
            "6": "",
        }[job]
        if not target:
            return Response(status_code=302)  # no Location: nothing to follow
        return RedirectResponse(target, 302)

    async def report(request: Request) -> Response:
        await seen.note(request)
        target = {
            "1": f"{storage}/logs/report.txt?{SIGNATURE}",
            "2": "/api/login?next=/api/reports/2",
            "3": "/api/repositories/42",
        }[request.path_params["report"]]
        return RedirectResponse(target, 302)

    async def login(request: Request) -> Response:
        await seen.note(request)
        page = "<html><head><title>Sign in</title></head><body><form>...</form></body></html>"
        return HTMLResponse(page)

    async def delete_thing(request: Request) -> Response:
        await seen.note(request)
        return RedirectResponse(f"{storage}/any/thing?{SIGNATURE}", 307)

    return Starlette(
        routes=[
            Route("/api/repos/{owner}/{repo}", repo, methods=["GET"]),
            Route("/api/repos/{owner}/{repo}", renamed_patch, methods=["PATCH"]),
            Route("/api/repositories/42", repository, methods=["GET", "PATCH"]),
            Route("/api/exports", export, methods=["POST"]),
            Route("/api/exports/7", export_done, methods=["GET"]),
            Route("/api/jobs/{job}/logs", job_log),
            Route("/api/things/{id}", delete_thing, methods=["DELETE"]),
            Route("/api/reports/{report}", report),
            Route("/api/login", login),
        ]
    )


def _spec(url: str) -> dict:
    def op(op_id: str, *params: str, body: bool = False, ok: str = "200", moves=True) -> dict:
        moved = {"302": {"description": "elsewhere"}} if moves else {}
        found: dict = {
            "operationId": op_id,
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ],
            "responses": {ok: {"description": "ok"}, **moved},
        }
        if body:
            found["requestBody"] = {
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
                    }
                }
            }
        return found

    return {
        "openapi": "3.0.3",
        "info": {"title": "Forge", "version": "1"},
        "servers": [{"url": f"{url}/api"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/repos/{owner}/{repo}": {
                "get": op("getRepo", "owner", "repo"),
                "patch": op("updateRepo", "owner", "repo", body=True),
            },
            "/exports": {"post": op("createExport", body=True, ok="201")},
            "/jobs/{job}/logs": {"get": op("downloadJobLogs", "job")},
            "/things/{id}": {"delete": op("deleteThing", "id", ok="204")},
            "/reports/{report}": {"get": op("getReport", "report", moves=False)},
        },
    }


@pytest.fixture
def forge(tmp_path, monkeypatch):
    seen = Seen()
    with serve_app(_storage(seen)) as storage, serve_app(_api(seen, storage)) as url:
        path = tmp_path / "forge.json"
        path.write_text(json.dumps(_spec(url)))
        report = build(BuildOptions(spec=path, out=tmp_path / "out", name="forge"))
        module = load_server_module(report.out_dir)
        monkeypatch.setenv("FORGE_TOKEN", TOKEN)
        monkeypatch.setenv("FORGE_RETRIES", "0")

        def call(name: str, arguments: dict):
            async def go():
                async with Client(module.mcp) as client:
                    return await client.call_tool(name, arguments, raise_on_error=False)

            return asyncio.run(go())

        yield call, seen, storage


def _error(call, name: str, arguments: dict) -> str:
    answer = call(name, arguments)
    assert answer.is_error, answer.content[0].text
    return answer.content[0].text


def test_a_moved_thing_is_read_where_it_went_with_credentials(forge):
    call, seen, _ = forge
    answer = call("get_repo", {"owner": "acme", "repo": "old-name"})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text)["full_name"] == "acme/renamed"
    (_, first, sent, _), (_, moved, resent, _) = seen.requests
    assert first.startswith("/api/repos/acme/old-name") and moved.startswith("/api/repositories/42")
    assert sent["authorization"] == resent["authorization"] == f"Bearer {TOKEN}"


def test_a_307_sends_the_same_write_again(forge):
    call, seen, _ = forge
    answer = call("update_repo", {"owner": "acme", "repo": "old-name", "name": "renamed"})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text)["patched"] == {"name": "renamed"}
    (method, _, _, body), (again, _, headers, body_again) = seen.requests
    assert (method, again) == ("PATCH", "PATCH") and body == body_again
    assert headers["authorization"] == f"Bearer {TOKEN}"


def test_a_303_reads_the_result_with_get(forge):
    call, seen, _ = forge
    answer = call("create_export", {"name": "q4"})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text) == {"id": 7, "state": "ready", "method": "GET"}
    (_, _, _, _), (method, _, headers, body) = seen.requests
    assert (method, body) == ("GET", b"") and "content-type" not in headers


def test_a_download_elsewhere_is_fetched_without_credentials(forge):
    call, seen, storage = forge
    answer = call("download_job_logs", {"job": "1"})
    assert not answer.is_error, answer.content[0].text
    assert "Error: expected 3, got 4" in answer.content[0].text
    assert SIGNATURE not in answer.content[0].text
    (_, _, _, _), (method, where, headers, _) = seen.requests
    assert method == "GET" and where == f"/logs/job-1.txt?{SIGNATURE}"
    assert headers["host"] == storage.removeprefix("http://")
    assert "authorization" not in headers and "cookie" not in headers
    assert TOKEN not in json.dumps(headers) and "traceparent" not in headers


def test_a_download_that_fails_says_where_and_not_the_signed_url(forge):
    call, _, storage = forge
    text = _error(call, "download_job_logs", {"job": "2"})
    assert f"redirected to {storage}: upstream answered 403 Forbidden" in text
    assert "AccessDenied" in text and SIGNATURE not in text and "job-2" not in text


@pytest.mark.parametrize(
    ("target", "network", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/iam", "loopback", "a link-local address"),
        ("http://[fd00:ec2::254]/latest/meta-data", "private", "a cloud metadata address"),
        ("http://10.0.0.7/internal", "loopback", "a private address"),
        ("http://127.0.0.1:9/admin", "public", "a loopback address"),
    ],
)
def test_no_redirect_reaches_metadata_or_another_network(target, network, reason):
    """The address rule as a pure function: the request is refused while it is being made,
    before any connection (an address literal is not even resolved)."""
    hop = redirects.Hop(f"{target}?{SIGNATURE}", "GET", keeps_body=False, within=False)
    with pytest.raises(redirects.RedirectRefused) as refused:
        asyncio.run(redirects.pinned_request(hop, None, network, {}))
    said = str(refused.value)
    assert f"which is {reason}" in said and "never followed" in said and SIGNATURE not in said


def test_a_write_is_never_sent_off_the_api(forge):
    call, seen, storage = forge
    text = _error(call, "delete_thing", {"id": "9"})
    assert f"a redirect of this DELETE to {storage}, off the API" in text
    assert SIGNATURE not in text
    assert [r[1].split("?")[0] for r in seen.requests] == ["/api/things/9"]


def test_redirects_end(forge):
    call, seen, _ = forge
    answer = call("download_job_logs", {"job": "5"})
    assert answer.is_error
    assert f"more than {MAX_REDIRECTS} times in a row" in answer.content[0].text
    assert len(seen.requests) == MAX_REDIRECTS + 1
    without = call("download_job_logs", {"job": "6"})
    assert without.is_error and "upstream answered 302 Found" in without.content[0].text


def test_the_operator_decides_how_far(forge, monkeypatch):
    call, seen, storage = forge
    monkeypatch.setenv("FORGE_REDIRECTS", "upstream")
    answer = call("download_job_logs", {"job": "1"})
    assert answer.is_error
    assert f"a redirect to {storage}, off the API (only redirects within" in answer.content[0].text
    assert not call("get_repo", {"owner": "acme", "repo": "old-name"}).is_error
    monkeypatch.setenv("FORGE_REDIRECTS", "off")
    refused = call("get_repo", {"owner": "acme", "repo": "old-name"})
    assert refused.is_error and "upstream answered 301 Moved Permanently" in refused.content[0].text
    monkeypatch.setenv("FORGE_REDIRECTS", "sometimes")
    wrong = call("get_repo", {"owner": "acme", "repo": "old-name"})
    assert wrong.is_error
    assert "FORGE_REDIRECTS is 'sometimes'; set it to one of elsewhere, upstream, off" in (
        wrong.content[0].text
    )
    assert all(not r[1].startswith("/logs") for r in seen.requests)


def test_a_redirect_the_operation_does_not_declare_stays_on_the_api(forge):
    """An operation whose spec declares no redirect (an API behind a sign-in proxy whose session
    ended): one elsewhere is not followed, one within the API ending at an HTML page is an
    error, not that page as the answer; one within the API to data is followed."""
    call, seen, storage = forge
    text = _error(call, "get_report", {"report": "1"})
    assert f"a redirect to {storage}, off the API, which this operation does not declare" in text
    assert [r[1].split("?")[0] for r in seen.requests] == ["/api/reports/1"]
    text = _error(call, "get_report", {"report": "2"})
    assert "a redirect this operation does not declare, to an HTML page (a sign-in page?" in text
    assert "Sign in" not in text
    moved = call("get_report", {"report": "3"})
    assert not moved.is_error and result_data(moved.content[0].text)["id"] == 42
