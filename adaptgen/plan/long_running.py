"""Which writes the upstream may finish after it answers, and which tool reads them later.

The runtime follows any `202 Accepted` (`runtime.long_running`). What it cannot tell from an
answer is planned here, into `Operation.long_running`:

- an operation Azure marks `x-ms-long-running-operation` may answer 200 or 201 with a status
  monitor, or a resource whose `provisioningState` is not final yet, and its
  `x-ms-long-running-operation-options.final-state-via` says where its result is read;
- the tool that reads what the operation changes (`check`): the GET of the same path, else,
  for an action on one thing (`POST /vms/{vm}/restart`), the GET of that thing. An agent told that
  the operation is still running is told which tool shows its progress.

A GET is never planned so: a GET answered 202 is asked again, and is its own check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, get_args

from adaptgen.runtime.catalog import FinalState, LongRunning, Tool

FINAL_STATES = frozenset(get_args(FinalState))
_TEMPLATE = re.compile(r"\{[^}/]*\}")


def long_running(method: str, op: Mapping[str, Any]) -> LongRunning | None:
    """How the operation is followed to its end, when it may end after its answer."""
    if method.lower() in ("get", "head"):
        return None
    marked = op.get("x-ms-long-running-operation") is True
    responses = op.get("responses")
    accepted = isinstance(responses, Mapping) and any(str(k) == "202" for k in responses)
    if not (marked or accepted):
        return None
    options = op.get("x-ms-long-running-operation-options")
    final = options.get("final-state-via") if isinstance(options, Mapping) else None
    return LongRunning(final=final if final in FINAL_STATES else None)


def with_checks(tools: list[Tool]) -> list[Tool]:
    """`tools`, each long-running one told the tool that reads what it changes, if any."""
    reads = {}
    for tool in tools:
        if tool.method == "GET" and not tool.hidden:
            reads.setdefault(unnamed_path(tool.path), tool.name)
    checked = []
    for tool in tools:
        plan = tool.upstream.long_running
        if plan is not None and plan.check is None:
            path = unnamed_path(tool.path)
            parent, _, last = path.rpartition("/")
            check = reads.get(path)
            if check is None and tool.method == "POST" and parent.endswith("/{}") and last != "{}":
                check = reads.get(parent)  # an action on a thing (not on a collection): the thing
            if check is not None:
                plan = plan.model_copy(update={"check": check})
                upstream = tool.upstream.model_copy(update={"long_running": plan})
                tool = tool.model_copy(update={"upstream": upstream})
        checked.append(tool)
    return checked


def unnamed_path(path: str) -> str:
    """A path with its parameters unnamed: `/vms/{vmName}` and `/vms/{name}` are one."""
    return _TEMPLATE.sub("{}", path.rstrip("/")).lower()
