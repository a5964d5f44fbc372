"""Writes the upstream finishes after it answers (202 Accepted, Azure's long-running
operations), followed to their end within the call (`runtime.long_running`).

The upstream is a real HTTP server on loopback that keeps each operation's state the way
Azure Resource Manager and Azure's data-plane services answer: a status monitor
(`Azure-AsyncOperation`, `Operation-Location`) or a `Location` that answers 202 until done.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import pytest
from conftest import result_data
from fastmcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.load import load_spec
from adaptgen.plan import PlanOptions, plan
from adaptgen.runtime.catalog import LongRunning, Operation, Param, SecurityScheme, Tool
from adaptgen.runtime.paging.page import PagePaging
from adaptgen.runtime.results import run_operation
from adaptgen.runtime.upstream import Upstream, UpstreamError
from adaptgen.sandbox.server import serve_app

TOKEN = "lro-bearer-token-value"
NOW = {"Retry-After": "0"}  # the upstream asks to be asked again at once: the tests do not wait


class Cloud:
    """An upstream whose operations take a few asks to finish; it records every request."""

    def __init__(self, asks: int = 2) -> None:
        self.asks = asks  # how many status reads an operation takes to end
        self.seen: list[tuple[str, str, str | None]] = []
        self.reads: Counter[str] = Counter()
        self.elsewhere = ""  # another origin's URL, for a monitor that leads off the API
        self.app = Starlette(
            routes=[
                Route("/vms/{name}", self.vm, methods=["GET", "PUT", "DELETE"]),
                Route("/vms/{name}/restart", self.restart, methods=["POST"]),
                Route("/dbs/{name}", self.db, methods=["GET", "PUT"]),
                Route("/ops/{name}", self.operation),
                Route("/results/{name}", self.result),
                Route("/analyze", self.analyze, methods=["POST"]),
                Route("/analyses/{name}", self.analysis),
                Route("/stats", self.stats),
                Route("/pages", self.pages),
            ]
        )

    def _saw(self, request: Request) -> int:
        self.seen.append((request.method, request.url.path, request.headers.get("authorization")))
        self.reads[request.url.path] += 1
        return self.reads[request.url.path]

    async def vm(self, request: Request) -> Response:
        self._saw(request)
        name = request.path_params["name"]
        if request.method == "PUT":
            made = {"name": name, "properties": {"provisioningState": "Creating"}}
            if name.endswith("big"):  # more than a small budget holds
                made["disks"] = [{"lun": lun, "sizeGb": 128} for lun in range(200)]
            return JSONResponse(
                made,
                status_code=201,
                headers={"Azure-AsyncOperation": f"/ops/{name}?api-version=1", **NOW},
            )
        if request.method == "DELETE":
            return Response(status_code=202, headers={"Location": f"/results/{name}", **NOW})
        return JSONResponse({"name": name, "properties": {"provisioningState": "Succeeded"}})

    async def db(self, request: Request) -> Response:
        asked = self._saw(request)
        name = request.path_params["name"]
        if request.method == "PUT":  # no monitor: the resource itself says how far it is
            state = "Ready" if name == "ready" else "Updating"
        else:
            state = "Succeeded" if asked >= self.asks else "Updating"
        return JSONResponse({"name": name, "properties": {"provisioningState": state}})

    async def restart(self, request: Request) -> Response:
        self._saw(request)
        name = request.path_params["name"]
        where = f"{self.elsewhere}/results/{name}" if name == "away" else f"/results/{name}"
        if name == "later":
            return Response(status_code=202, headers={"Location": where, "Retry-After": "120"})
        return Response(status_code=202, headers={"Location": where, **NOW})

    async def operation(self, request: Request) -> Response:
        asked = self._saw(request)
        name = request.path_params["name"]
        if name == "doomed" and asked >= self.asks:
            failure = {"code": "QuotaExceeded", "message": "No cores are left in westeurope."}
            return JSONResponse({"status": "Failed", "error": failure})
        done = asked >= self.asks and not name.startswith("slow")
        return JSONResponse({"status": "Succeeded" if done else "InProgress"}, headers=NOW)

    async def result(self, request: Request) -> Response:
        asked = self._saw(request)
        if request.path_params["name"] == "gone":
            return JSONResponse({"error": "no such operation"}, status_code=404)
        if asked < self.asks:
            return Response(status_code=202, headers=NOW)
        return Response(status_code=204)

    async def analyze(self, request: Request) -> Response:
        self._saw(request)
        if request.query_params.get("away"):  # the status here, the result elsewhere
            where = {"Azure-AsyncOperation": "/ops/a1", "Location": f"{self.elsewhere}/a1"}
            return Response(status_code=202, headers={**where, **NOW})
        return Response(status_code=202, headers={"Operation-Location": "/analyses/a1", **NOW})

    async def analysis(self, request: Request) -> Response:
        asked = self._saw(request)
        if asked < self.asks:
            return JSONResponse({"status": "running"}, headers=NOW)
        return JSONResponse({"status": "succeeded", "analyzeResult": {"lines": ["Hello"]}})

    async def stats(self, request: Request) -> Response:
        asked = self._saw(request)
        if asked < self.asks:
            return Response(status_code=202, headers=NOW)
        return JSONResponse([{"week": 1, "commits": 3}])

    async def pages(self, request: Request) -> Response:
        asked = self._saw(request)
        if asked < self.asks:
            return Response(status_code=202, headers=NOW)
        return JSONResponse({"data": [1, 2] if request.query_params["page"] == "1" else []})


@pytest.fixture
def cloud():
    found = Cloud()
    with serve_app(found.app) as url:
        found.url = url
        yield found


BEARER = SecurityScheme(name="auth", kind="bearer", env=("LRO_TOKEN",))


def tool(method: str, path: str, plan: LongRunning | None = None, params=()) -> Tool:
    upstream = Operation(
        operation_id="op",
        method=method,
        path=path,
        params=tuple(Param(name=p, location="path", api_name=p) for p in params),
        security=(("auth",),),
        long_running=plan,
    )
    return Tool(name="op", description="", input_schema={}, upstream=upstream)


def run(url: str, op: Tool, monkeypatch, wait: float | None = None, paged=None, **arguments):
    monkeypatch.setenv("LRO_TOKEN", TOKEN)
    if wait is not None:
        monkeypatch.setenv("LRO_OPERATION_WAIT", str(wait))
    upstream = Upstream(base_url=url, env_prefix="LRO", schemes={"auth": BEARER}, security=())

    async def call():
        async with upstream.deadline():
            return await run_operation(upstream, op, arguments, op.shape, paged)

    return asyncio.run(call())


def test_a_put_is_followed_by_its_status_monitor_and_answers_the_resource_made(cloud, monkeypatch):
    op = tool("PUT", "/vms/{name}", LongRunning(), params=("name",))
    outcome = run(cloud.url, op, monkeypatch, name="web1")
    assert outcome.data == {"name": "web1", "properties": {"provisioningState": "Succeeded"}}
    assert [(m, p) for m, p, _ in cloud.seen] == [
        ("PUT", "/vms/web1"),
        ("GET", "/ops/web1"),
        ("GET", "/ops/web1"),
        ("GET", "/vms/web1"),  # the resource as it now is, read again at its own URL
    ]
    assert outcome.upstream_calls == 4
    # Every ask carries the call's own credentials: the monitor is on the upstream.
    assert {auth for _, _, auth in cloud.seen} == {f"Bearer {TOKEN}"}


def test_a_still_running_answer_cut_to_its_budget_says_both(cloud, monkeypatch):
    """A resource too big for the token budget, still being made: the agent is told both that
    it was cut and that the operation is still running, each once."""
    plan = LongRunning(check="get_vm")
    op = tool("PUT", "/vms/{name}", plan, params=("name",))
    op = op.model_copy(update={"shape": op.shape.model_copy(update={"max_tokens": 70})})
    outcome = run(cloud.url, op, monkeypatch, wait=0.2, name="slowbig")
    note = outcome.data["_note"]
    assert note.count("Do not send it again") == 1 and note.count("token budget") == 1


def test_a_put_the_spec_does_not_call_long_running_answers_as_it_was(cloud, monkeypatch):
    op = tool("PUT", "/vms/{name}", None, params=("name",))
    outcome = run(cloud.url, op, monkeypatch, name="web1")
    assert outcome.data["properties"]["provisioningState"] == "Creating"
    assert len(cloud.seen) == 1


def test_a_resource_that_says_it_is_still_being_made_is_read_again_until_it_is_not(
    cloud, monkeypatch
):
    op = tool("PUT", "/dbs/{name}", LongRunning(), params=("name",))
    cloud.asks = 3  # the PUT, one read still "Updating", then "Succeeded"
    outcome = run(cloud.url, op, monkeypatch, name="orders")
    assert outcome.data["properties"]["provisioningState"] == "Succeeded"
    assert [m for m, _, _ in cloud.seen] == ["PUT", "GET", "GET"]
    # A state that is not one of going (ARM says Succeeded; some resources say Ready) has
    # ended: nothing is asked.
    cloud.seen.clear()
    outcome = run(cloud.url, op, monkeypatch, name="ready")
    assert outcome.data["properties"]["provisioningState"] == "Ready"
    assert [m for m, _, _ in cloud.seen] == ["PUT"]


def test_a_delete_is_followed_at_its_location_until_it_is_done(cloud, monkeypatch):
    outcome = run(cloud.url, tool("DELETE", "/vms/{name}", params=("name",)), monkeypatch, name="a")
    assert outcome.data == "Done (upstream answered 204 with no content)."
    assert [(m, p) for m, p, _ in cloud.seen] == [
        ("DELETE", "/vms/a"),
        ("GET", "/results/a"),
        ("GET", "/results/a"),
    ]


def test_a_failed_operation_is_an_error_with_the_upstreams_reason(cloud, monkeypatch):
    op = tool("PUT", "/vms/{name}", LongRunning(), params=("name",))
    with pytest.raises(UpstreamError) as failed:
        run(cloud.url, op, monkeypatch, name="doomed")
    message = str(failed.value)
    assert message.startswith("PUT /vms/{name}: the upstream accepted the request")
    assert "ended Failed: QuotaExceeded: No cores are left in westeurope." in message


def test_an_operation_still_running_says_so_and_which_tool_reads_it(cloud, monkeypatch):
    plan = LongRunning(check="get_vm")
    op = tool("PUT", "/vms/{name}", plan, params=("name",))
    outcome = run(cloud.url, op, monkeypatch, wait=0.3, name="slow")
    assert outcome.data["name"] == "slow"
    note = outcome.data["_note"]
    # 0.3 s and a little (a busy machine's last ask may take longer): how long, in tenths
    assert re.search(r"had not finished it after \d+\.\d s \(its status: InProgress\): it is", note)
    assert "Do not send it again; read its state later with `get_vm`." in note
    assert [m for m, _, _ in cloud.seen].count("PUT") == 1  # nothing was sent again


def test_a_wait_the_upstream_asks_for_beyond_the_limit_is_not_waited(cloud, monkeypatch):
    op = tool("POST", "/vms/{name}/restart", LongRunning(check="get_vm"), params=("name",))
    outcome = run(cloud.url, op, monkeypatch, name="later")
    assert outcome.data == (
        "The upstream accepted this request and may still be working on it. "
        "Do not send it again; read its state later with `get_vm`."
    )
    assert len(cloud.seen) == 1  # Retry-After: 120 is past the 8 s the call may wait


def test_no_wait_at_all_when_the_setting_is_zero(cloud, monkeypatch):
    outcome = run(
        cloud.url, tool("DELETE", "/vms/{name}", params=("name",)), monkeypatch, 0, name="a"
    )
    assert "may still be working on it" in outcome.data
    assert len(cloud.seen) == 1


def test_a_status_link_off_the_api_is_never_asked(cloud, monkeypatch):
    other = Cloud()
    with serve_app(other.app) as elsewhere:
        cloud.elsewhere = elsewhere  # another port: another origin
        op = tool("POST", "/vms/{name}/restart", params=("name",))
        outcome = run(cloud.url, op, monkeypatch, name="away")
    assert other.seen == []  # neither the credentials nor a request went there
    assert "may still be working on it" in outcome.data
    assert "Its status link leads off the API" in outcome.data


def test_a_result_link_off_the_api_is_never_read(cloud, monkeypatch):
    other = Cloud()
    with serve_app(other.app) as elsewhere:
        cloud.elsewhere = elsewhere
        op = tool("POST", "/analyze", params=())
        op = op.model_copy(
            update={
                "upstream": op.upstream.model_copy(
                    update={"params": (Param(name="away", location="query", api_name="away"),)}
                )
            }
        )
        outcome = run(cloud.url, op, monkeypatch, away="1")
    assert other.seen == []
    assert outcome.data == {
        "status": "Succeeded",
        "_note": "It finished; its result's link leads off the API (another host or path): "
        "not read.",
    }


def test_a_monitor_that_cannot_be_read_ends_the_following_not_the_call(cloud, monkeypatch):
    op = tool("POST", "/vms/{name}/restart", params=("name",))
    outcome = run(cloud.url, op, monkeypatch, name="gone")
    assert "Do not send it again" in outcome.data
    assert "Its progress could not be read: GET /vms/{name}/restart" in outcome.data
    assert "404" in outcome.data


def test_an_operation_location_gives_the_result_in_its_status(cloud, monkeypatch):
    op = tool("POST", "/analyze", LongRunning(final="operation-location"))
    outcome = run(cloud.url, op, monkeypatch)
    assert outcome.data == {"status": "succeeded", "analyzeResult": {"lines": ["Hello"]}}


def test_a_get_still_being_prepared_is_asked_again(cloud, monkeypatch):
    outcome = run(cloud.url, tool("GET", "/stats"), monkeypatch)
    assert outcome.data == [{"week": 1, "commits": 3}]
    assert [p for _, p, _ in cloud.seen] == ["/stats", "/stats"]
    cloud.asks, cloud.reads["/stats"] = 10**6, 0
    outcome = run(cloud.url, tool("GET", "/stats"), monkeypatch, wait=0.2)
    assert outcome.data.startswith("The upstream is still preparing this answer (202 Accepted)")


AZURE = {
    "swagger": "2.0",
    "info": {"title": "Compute", "version": "2024-07-01"},
    "schemes": ["http"],
    "paths": {
        "/vms/{name}": {
            "parameters": [{"name": "name", "in": "path", "required": True, "type": "string"}],
            "get": {
                "operationId": "VirtualMachines_Get",
                "responses": {"200": {"description": "the machine"}},
            },
            "put": {
                "operationId": "VirtualMachines_CreateOrUpdate",
                "x-ms-long-running-operation": True,
                "responses": {"200": {"description": "ok"}, "201": {"description": "made"}},
            },
            "delete": {
                "operationId": "VirtualMachines_Delete",
                "x-ms-long-running-operation": True,
                "x-ms-long-running-operation-options": {"final-state-via": "location"},
                "responses": {"202": {"description": "accepted"}, "204": {"description": "no"}},
            },
        },
        "/vms/{name}/restart": {
            "parameters": [{"name": "name", "in": "path", "required": True, "type": "string"}],
            "post": {
                "operationId": "VirtualMachines_Restart",
                "responses": {"202": {"description": "accepted"}},
            },
        },
        "/analyze": {
            "post": {
                "operationId": "Analyze",
                "x-ms-long-running-operation": True,
                "x-ms-long-running-operation-options": {"final-state-via": "nowhere"},
                "responses": {"202": {"description": "accepted"}},
            }
        },
        "/stats": {
            "get": {
                "operationId": "Stats",
                "responses": {"200": {"description": "ok"}, "202": {"description": "later"}},
            }
        },
    },
}


def test_the_plan_marks_what_may_finish_later_and_what_reads_it(tmp_path):
    path = tmp_path / "compute.json"
    path.write_text(json.dumps(AZURE))
    tools = {
        t.name: t.upstream.long_running for t in plan(load_spec(path), "x", PlanOptions()).api.tools
    }
    assert tools == {
        "get_virtual_machine": None,  # a GET answered 202 is asked again, and is its own check
        "create_or_update_virtual_machine": LongRunning(check="get_virtual_machine"),
        "delete_virtual_machine": LongRunning(final="location", check="get_virtual_machine"),
        "restart_virtual_machines": LongRunning(check="get_virtual_machine"),  # the thing acted on
        "analyze": LongRunning(),  # no reading of it; an unknown final-state-via is left out
        "list_stats": None,
    }


def test_through_the_generated_server_and_a_real_mcp_client(cloud, tmp_path, monkeypatch):
    spec = {**AZURE, "host": cloud.url.removeprefix("http://")}
    path = tmp_path / "compute.json"
    path.write_text(json.dumps(spec))
    report = build(BuildOptions(spec=path, out=tmp_path / "out", name="compute"))
    module = load_server_module(report.out_dir)
    monkeypatch.setenv("COMPUTE_OPERATION_WAIT", "5")

    progress: list[tuple[float, float | None, str | None]] = []

    async def report(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async def call(name: str, arguments: dict) -> str:
        async with Client(module.mcp) as client:
            result = await client.call_tool(
                name, arguments, raise_on_error=False, progress_handler=report
            )
            return result.content[0].text

    made = result_data(asyncio.run(call("create_or_update_virtual_machine", {"name": "web1"})))
    assert made == {"name": "web1", "properties": {"provisioningState": "Succeeded"}}
    # The client asked for progress: told before each ask of the monitor, and of how long.
    assert progress and progress[0][1] == 5.0
    assert progress[0][2] == "The upstream is still working on it."
    cloud.asks = 10**6  # from now on nothing finishes
    monkeypatch.setenv("COMPUTE_OPERATION_WAIT", "0.2")
    text = asyncio.run(call("restart_virtual_machines", {"name": "web2"}))
    assert "had not finished it" in text and "`get_virtual_machine`" in text


def test_a_page_still_being_prepared_is_asked_again_or_is_an_error(cloud, monkeypatch):
    paged = PagePaging(items="$.data")
    outcome = run(cloud.url, tool("GET", "/pages"), monkeypatch, paged=paged)
    assert outcome.data["items"] == [1, 2]
    assert outcome.upstream_calls == len(cloud.seen)  # the ask again counted
    assert [p for _, p, _ in cloud.seen][:2] == ["/pages", "/pages"]
    cloud.asks, cloud.reads["/pages"] = 10**6, 0
    with pytest.raises(UpstreamError) as unready:  # never an empty list
        run(cloud.url, tool("GET", "/pages"), monkeypatch, 0.2, paged=paged)
    said = r"GET /pages: The upstream is still preparing this answer \(202 Accepted\) after \d"
    assert re.match(said, str(unready.value))
