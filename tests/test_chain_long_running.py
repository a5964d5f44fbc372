"""A chain step the upstream accepts without finishing (202 and a status `Location`): followed
to its end as a tool's call is, so the next step reads what it made; still running when the
wait ends, the chain stops there saying so, and no later step runs. A step whose success
criteria read the status code (`$statusCode == 202`) decides for itself, as Arazzo says.

Against a real HTTP upstream on 127.0.0.1, through the generated server and an MCP client."""

from __future__ import annotations

import yaml
from conftest import result_data, tool_caller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adaptgen.build import BuildOptions, build
from adaptgen.cli import load_server_module
from adaptgen.sandbox.server import serve_app


def _app(asked: list[str], polls_until_done: int) -> Starlette:
    async def create(request: Request) -> Response:
        asked.append("POST /vms")
        return Response(
            status_code=202, headers={"Location": "/operations/op1", "Retry-After": "0"}
        )

    async def operation(request: Request) -> Response:
        asked.append("GET /operations/op1")
        if asked.count("GET /operations/op1") < polls_until_done:
            return Response(status_code=202, headers={"Retry-After": "0"})
        return JSONResponse({"id": "vm-9", "status": "Succeeded"})

    async def vm(request: Request) -> JSONResponse:
        asked.append(f"GET /vms/{request.path_params['vm']}")
        return JSONResponse({"id": request.path_params["vm"], "power": "running"})

    return Starlette(
        routes=[
            Route("/vms", create, methods=["POST"]),
            Route("/operations/op1", operation),
            Route("/vms/{vm}", vm),
        ]
    )


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Compute", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9"}],
    "paths": {
        "/vms": {
            "post": {
                "operationId": "createVm",
                "responses": {"202": {"description": "accepted"}},
            }
        },
        "/vms/{vm}": {
            "get": {
                "operationId": "getVm",
                "parameters": [
                    {"name": "vm", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


def _chain(success: list | None = None) -> dict:
    create = {"id": "create", "call": "createVm", "outputs": {"vm": "$response.body#/id"}}
    if success is not None:
        create["success"] = success
    read = {"id": "read", "call": "getVm", "with": {"vm": "$steps.create.outputs.vm"}}
    steps = [create, read]
    return {"chains": {"launch_vm": {"description": "Make a VM and read it.", "steps": steps}}}


def _built(tmp_path, hints: dict):
    (tmp_path / "compute.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "compute.hints.yaml").write_text(yaml.safe_dump(hints))
    report = build(BuildOptions(spec=tmp_path / "compute.yaml", out=tmp_path / "out"))
    return load_server_module(report.out_dir)


def test_the_next_step_reads_what_the_accepted_one_made(tmp_path, monkeypatch):
    asked: list[str] = []
    module = _built(tmp_path, _chain())
    with serve_app(_app(asked, polls_until_done=2)) as url:
        monkeypatch.setenv("COMPUTE_BASE_URL", url)
        answer = tool_caller(module)("launch_vm", {})
    assert not answer.is_error, answer.content[0].text
    assert result_data(answer.content[0].text) == {"id": "vm-9", "power": "running"}
    assert asked == ["POST /vms", "GET /operations/op1", "GET /operations/op1", "GET /vms/vm-9"]


def test_still_running_stops_the_chain(tmp_path, monkeypatch):
    asked: list[str] = []
    module = _built(tmp_path, _chain())
    with serve_app(_app(asked, polls_until_done=10_000)) as url:
        monkeypatch.setenv("COMPUTE_BASE_URL", url)
        monkeypatch.setenv("COMPUTE_OPERATION_WAIT", "0.4")
        answer = tool_caller(module)("launch_vm", {})
    assert answer.is_error
    text = answer.content[0].text
    assert "step create (create_vm) failed" in text and "still running" in text
    assert "no later step ran" in text and "GET /vms/vm-9" not in asked


def test_a_step_that_reads_the_status_decides(tmp_path, monkeypatch):
    asked: list[str] = []
    module = _built(tmp_path, _chain(success=[{"condition": "$statusCode == 202"}]))
    with serve_app(_app(asked, polls_until_done=2)) as url:
        monkeypatch.setenv("COMPUTE_BASE_URL", url)
        answer = tool_caller(module)("launch_vm", {})
    # Not followed: the 202 is the step's success, its body holds no id for the next step.
    assert "GET /operations/op1" not in asked
    assert answer.is_error and "step read" in answer.content[0].text
