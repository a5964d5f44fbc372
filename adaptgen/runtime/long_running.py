"""A call the upstream finishes after it answers, followed to its end within the tool call.

An upstream that takes a request but has not done it yet answers `202 Accepted` (RFC 9110
§15.3.3), often with a status monitor to ask: `Location`, Azure's `Azure-AsyncOperation`, or
`Operation-Location` (Azure's data-plane services). Azure marks such operations
`x-ms-long-running-operation`, and its PUTs may answer 200/201 with a monitor or a
`provisioningState` still under way. Told "Done", an agent would act on a deletion, a restart
or a job that had not happened yet; so the call follows the operation for up to
`<NAME>_OPERATION_WAIT` seconds (default 8, within the call's own time limit), asking no sooner
than the upstream's `Retry-After`:

- finished: the agent gets the result (for a PUT or PATCH the resource as it now is, read
  again at its own URL; for a POST the result at `Location`, or as
  `final-state-via` says), or an error saying how the operation failed;
- not finished by then: the latest state, with a note that it is still running and which tool
  reads it later (`LongRunning.check`); nothing is sent again;
- a GET answered 202 (GitHub's statistics "being computed") is asked again the same way.

While it waits, a client that asked for progress (an MCP progress token) gets a notification
before each ask, so a client that resets its time limit on progress waits too.

A monitor is asked only on the upstream's own origin and base path (`origin.within_upstream`),
with the call's own credentials: a status link that leads elsewhere is not followed, and said
so. A monitor that cannot be read (a 404 while the resource is made, a refusal) ends the
following, never the call: the write was accepted, and an error could make the agent send it
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adaptgen.runtime.catalog import Tool
from adaptgen.runtime.origin import within_upstream
from adaptgen.runtime.paginate import resolve_next
from adaptgen.runtime.rate_limits import retry_after
from adaptgen.runtime.upstream import (
    Upstream,
    UpstreamError,
    UpstreamResponse,
    call_time_left,
)

logger = logging.getLogger(__name__)

ACCEPTED = 202
FIRST_INTERVAL = 0.5  # seconds before the first ask when the upstream gives no Retry-After
SHORTEST_INTERVAL = 0.1  # even when it asks for less (`Retry-After: 0`): never a busy loop
LONGEST_INTERVAL = 4.0  # the interval doubles up to this
SPARE = 1.0  # seconds of the call's time limit kept for the last answer's shaping
STATUS_MONITORS = ("azure-asyncoperation", "operation-location")  # a body that says a status
# An operation's status, as Azure's monitors (`status`) and resources (`provisioningState`)
# and most job APIs say it. It is under way while it says so: a word of UNDER_WAY, or one that
# ends in "ing" (Creating, Updating, Deleting, Running, Approving); a word that says neither
# that nor failure has ended (ARM's Succeeded, and the Ready, Active or Enabled that some
# resources keep there).
FAILED = frozenset({"failed", "failure", "canceled", "cancelled", "aborted", "error"})
UNDER_WAY = frozenset(
    {"inprogress", "notstarted", "accepted", "queued", "started", "new", "submitted"}
)
STATUS_CHARS = 60  # of a status word shown to the agent
ERROR_CHARS = 300  # of the failure's message


@dataclass
class Followed:
    """What the call answers: `response` (the final one, or the latest while unfinished),
    what was received in all, and `note` (said beside the result unless finished)."""

    response: UpstreamResponse
    calls: int
    size: int
    note: str | None = None
    finished: bool = True  # false: still running when the wait ended (its note says so)


async def follow(
    upstream: Upstream,
    op: Tool,
    arguments: Mapping[str, Any],
    response: UpstreamResponse,
    original: str | None = None,
) -> Followed:
    """The operation `response` answered, followed to its end or for as long as allowed;
    `original`: the URL it was sent to (default: the one `arguments` make)."""
    plan = op.upstream.long_running
    headers = response.headers
    monitor = next((headers[h] for h in STATUS_MONITORS if headers.get(h)), None)
    kind = "status" if monitor else None
    location = headers.get("location") if response.status == ACCEPTED else None
    if response.status != ACCEPTED:
        if plan is None or not 200 <= response.status < 300:
            return Followed(response, 1, response.size)
        if kind is None and not (op.method in ("PUT", "PATCH") and _provisioning(response)):
            return Followed(response, 1, response.size)
    if kind is None and location:
        monitor, kind = location, "location"
    if original is None:
        original = str(upstream.build_request(op, arguments).url)
    if kind is None and op.method == "GET" and response.status == ACCEPTED:
        monitor, kind = original, "again"  # not ready: the same question, asked again
    elif kind is None and response.status != ACCEPTED:
        monitor, kind = original, "provisioning"  # a PUT whose resource says it is not done
    if kind is None:
        note = _unfinished(op, response, None, None)
        return Followed(response, 1, response.size, note, finished=False)
    monitor = resolve_next(monitor, original)
    if not within_upstream(monitor, upstream.base_for(op)):
        off = " Its status link leads off the API (another host or path): it was not followed."
        note = _unfinished(op, response, None, kind) + off
        return Followed(response, 1, response.size, note, finished=False)
    poll = reader(op)
    started = asyncio.get_running_loop().time()
    wait = _wait(upstream)
    latest, calls, size = response, 1, response.size
    asked = retry_after(response.headers.get("retry-after"))
    interval = FIRST_INTERVAL
    while True:
        pause = interval if asked is None else max(asked, SHORTEST_INTERVAL)
        waited = asyncio.get_running_loop().time() - started
        if waited + pause > wait:  # not asked at all: not said to have been followed
            note = _unfinished(op, latest, waited if calls > 1 else None, kind)
            return Followed(_shown(response, latest), calls, size, note, finished=False)
        await _progress(waited, wait, _still(latest, kind))
        await asyncio.sleep(pause)
        interval = min(interval * 2, LONGEST_INTERVAL)
        try:
            answer = await upstream.send(poll, {}, url=monitor)
        except UpstreamError as exc:
            waited = asyncio.get_running_loop().time() - started
            note = f"{_unfinished(op, latest, waited, kind)} Its progress could not be read: {exc}"
            return Followed(_shown(response, latest), calls + 1, size, note, finished=False)
        calls, size = calls + 1, size + answer.size
        asked = retry_after(answer.headers.get("retry-after"))
        if answer.status == ACCEPTED:
            latest = answer
            if kind == "location" and (moved := answer.headers.get("location")):
                moved = resolve_next(moved, monitor)
                if within_upstream(moved, upstream.base_for(op)):
                    monitor = moved
            continue
        state = _state(answer, kind)
        if state is not None and _word(state) in FAILED:
            raise UpstreamError(_failed(op, state, answer), status=answer.status)
        if state is None or not _under_way(state):
            break
        latest = answer  # a status monitor's "InProgress", a resource's "Updating"
    final = _final_url(op, kind, original, location)
    if final is None or final == monitor:
        return Followed(answer, calls, size)
    if not within_upstream(final, upstream.base_for(op)):
        off = "It finished; its result's link leads off the API (another host or path): not read."
        return Followed(answer, calls, size, off)
    try:
        result = await upstream.send(poll, {}, url=final)
    except UpstreamError:
        return Followed(answer, calls + 1, size)  # finished: its status is the news
    return Followed(result, calls + 1, size + result.size)


async def _progress(waited: float, wait: float, message: str) -> None:
    """An MCP progress notification of the wait, to a client that asked for them (a progress
    token): clients that reset their time limit on progress (the TypeScript SDK's
    `resetTimeoutOnProgress`) then wait for the operation, and a person sees why the call
    takes long. Never a reason for the call to fail."""
    try:
        from fastmcp.server.dependencies import get_context

        await get_context().report_progress(round(waited, 1), wait, message)
    except Exception:  # noqa: BLE001 - no MCP request here (a test, a chain), or a gone client
        logger.debug("no progress notification for a long-running operation", exc_info=True)


def _still(latest: UpstreamResponse, kind: str) -> str:
    """What the progress notification says: still going, with the status where there is one."""
    if kind == "again":
        return "The upstream is still preparing the answer."
    return f"The upstream is still working on it{_status_said(latest, kind)}."


def _status_said(latest: UpstreamResponse, kind: str | None) -> str:
    """` (its status: InProgress)` where the latest answer says one, else ""."""
    state = _state(latest, kind if kind in ("status", "provisioning") else "status")
    return f" (its status: {state[:STATUS_CHARS]})" if state else ""


def _wait(upstream: Upstream) -> float:
    """Seconds the following may take: `<NAME>_OPERATION_WAIT`, within the call's limit."""
    wait = upstream.limits().operation_wait
    left = call_time_left()
    return wait if left is None else max(0.0, min(wait, left - SPARE))


def reader(op: Tool) -> Tool:
    """A GET of a monitor's URL, sent with the operation's own credentials and nothing else
    of it (no arguments, no body, no fixed values: the URL is whole). It reads, whatever the
    operation does: asked again on a passing failure (`Upstream.send`'s retries), as a write's
    own request never is."""
    read = op.upstream.model_copy(update={"method": "GET", "params": (), "body": None, "fixed": ()})
    return op.model_copy(
        update={"upstream": read, "annotations": {**op.annotations, "readOnlyHint": True}}
    )


def _provisioning(response: UpstreamResponse) -> bool:
    """Whether a resource just written says it is still being made (Azure's 201 `Creating`)."""
    state = _state(response, "provisioning")
    return state is not None and _under_way(state)


def _under_way(state: str) -> bool:
    """Whether an operation's status says it is still going (`UNDER_WAY`)."""
    word = _word(state)
    return word in UNDER_WAY or (word.endswith("ing") and word not in FAILED)


def _word(state: str) -> str:
    """`In Progress`, `in_progress`, `IN-PROGRESS` -> `inprogress`."""
    return "".join(c for c in state.lower() if c.isalpha())


def _state(answer: UpstreamResponse, kind: str) -> str | None:
    """The operation's status as `answer` says it (None: the answer is the result itself).

    A status monitor's body says it as `status`; a resource written, as its
    `provisioningState`. What a `Location` leads to is the result once it is not 202: its
    own `status` ("pending" of an order) is the record's, not the operation's."""
    data = answer.data if answer.is_json else None
    if not isinstance(data, dict):
        return None
    if kind == "status":
        value = data.get("status")
    elif kind == "provisioning":
        properties = data.get("properties")
        value = properties.get("provisioningState") if isinstance(properties, dict) else None
        value = value if value is not None else data.get("provisioningState")
    else:
        return None
    return value if isinstance(value, str) and value.strip() else None


def _shown(first: UpstreamResponse, latest: UpstreamResponse) -> UpstreamResponse:
    """What an unfinished operation shows: its first answer (the resource being made, the job
    taken), unless that said nothing and a later one did."""
    return latest if first.data in (None, "") and latest.data not in (None, "") else first


def _final_url(op: Tool, kind: str, original: str, location: str | None) -> str | None:
    """Where the finished operation's result is read, None: the last answer is it.

    As Azure's guidelines say: a PUT or PATCH reads the resource again at its own URL, a POST
    reads `Location` after a status monitor, a DELETE has no result; `final-state-via` says
    otherwise where the spec gives it."""
    plan = op.upstream.long_running
    final = plan.final if plan is not None else None
    if kind in ("again", "provisioning"):
        return None
    if final == "original-uri" or (final is None and op.method in ("PUT", "PATCH")):
        return original
    if final == "location" or (final is None and op.method == "POST"):
        return resolve_next(location, original) if location else None
    return None


def _unfinished(op: Tool, latest: UpstreamResponse, waited: float | None, kind: str | None) -> str:
    """What the agent is told of an operation still running (nothing was sent again);
    `waited`: how long it was followed (None: it could not be)."""
    if kind == "again":
        after = f" after {_seconds(waited)}" if waited is not None else ""
        return (
            f"The upstream is still preparing this answer (202 Accepted){after}; "
            "ask again in a little while."
        )
    said = _status_said(latest, kind)
    plan = op.upstream.long_running
    check = (
        f"read its state later with `{plan.check}`"
        if plan is not None and plan.check
        else "ask the upstream later whether it is done"
    )
    if waited is None:
        told = f"The upstream accepted this request{said} and may still be working on it"
    else:
        told = (
            f"The upstream accepted this request and had not finished it after "
            f"{_seconds(waited)}{said}: it is still running"
        )
    return f"{told}. Do not send it again; {check}."


def _seconds(waited: float) -> str:
    """`0.3 s`, `12 s`."""
    return f"{waited:.1f} s" if waited < 10 else f"{waited:.0f} s"


def _failed(op: Tool, state: str, answer: UpstreamResponse) -> str:
    """The agent's message for an accepted operation that then failed, with the upstream's
    own reason (`error.code`/`error.message`, as Azure's monitors give it) where it says one."""
    reason = ""
    data = answer.data if isinstance(answer.data, dict) else {}
    error = data.get("error")
    if not isinstance(error, dict):
        with contextlib.suppress(AttributeError):
            error = data.get("properties", {}).get("error")
    if isinstance(error, dict):
        parts = [str(error[k]) for k in ("code", "message") if isinstance(error.get(k), str)]
        reason = ": ".join(parts)
    elif isinstance(error, str):
        reason = error
    tail = f": {reason[:ERROR_CHARS]}" if reason else ""
    return (
        f"{op.where}: the upstream accepted the request, and then the operation ended "
        f"{state[:STATUS_CHARS]}{tail}"
    )
