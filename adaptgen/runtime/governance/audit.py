"""Audit: one JSON line per tool call, never the arguments themselves.

Fields: request_id, timestamp, caller (subject, groups), tool, arguments_hmac (HMAC-SHA256 of
the canonical arguments: equal arguments can be correlated, but low-entropy values such as an
email cannot be guessed back from a plain hash), latency_ms, upstream_status, result_status,
policy_decision, tokenized (PII values turned into tokens). Lines go to stdout (CloudWatch on
Lambda), stderr, or a file, each written through before the call returns.

The audit never shares its stream with anything else:

* served over HTTP (`adaptgen serve|proxy --transport http`), uvicorn logs to stderr
  (adaptgen.runtime.network), so a stdout sink carries audit lines alone;
* served over stdio, stdout *is* the MCP channel: a stdout sink writes to stderr instead (an
  audit line there would be a corrupt protocol message). The MCP SDK also points fd 1 at stderr
  while it serves stdio, but falls back to writing the protocol through sys.stdout when it
  cannot, so the rule is kept here too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from fastmcp.server.dependencies import get_context

from adaptgen.runtime.governance.policy import AuditPolicy

RESULT_STATUSES = ("ok", "error", "denied", "rate_limited", "unauthenticated")
# Made once: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
_LINE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class AuditLog:
    """Writes audit lines; thread-safe; a file sink is opened once, appended, flushed per line."""

    def __init__(self, policy: AuditPolicy, key: bytes | None = None) -> None:
        self.policy = policy
        # Keyed once: each call copies the keyed state instead of deriving the pads again.
        self._keyed = hmac.new(key or os.urandom(32), digestmod=hashlib.sha256)
        self._lock = threading.Lock()
        self._fd: int | None = None
        if policy.sink == "file" and policy.path:
            # Unbuffered and O_APPEND: each line is one write(2) at the end of the file, even
            # with several processes appending, and nothing waits in a buffer for a flush.
            self._fd = os.open(policy.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def arguments_hmac(self, arguments: Any) -> str:
        canonical = _CANONICAL.encode(arguments)
        mac = self._keyed.copy()
        mac.update(canonical.encode())
        return mac.hexdigest()

    def record(
        self,
        *,
        request_id: str,
        caller: Any,
        tool: str,
        arguments: Any,
        latency_ms: float,
        upstream_status: int | None,
        result_status: str,
        policy_decision: str,
        tokenized: int,
    ) -> dict[str, Any]:
        """Write one line and return it (as a dict)."""
        line = {
            "request_id": request_id,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "caller": {
                "subject": getattr(caller, "subject", None),
                "groups": list(getattr(caller, "groups", ()) or ()),
            },
            "tool": tool,
            "arguments_hmac": self.arguments_hmac(arguments),
            "latency_ms": round(latency_ms, 3),
            "upstream_status": upstream_status,
            "result_status": result_status,
            "policy_decision": policy_decision,
            "tokenized": tokenized,
        }
        self._write(_LINE.encode(line))
        return line

    def _write(self, text: str) -> None:
        sink = self.policy.sink
        if sink == "none":
            return
        if sink == "file":
            data = (text + "\n").encode()
            with self._lock:
                if self._fd is None:
                    raise ValueError("audit log is closed")
                while data:  # a regular file takes it all at once; a short write is not lost
                    data = data[os.write(self._fd, data) :]
            return
        # Looked up now: the streams may be swapped (tests, a host process).
        stream = sys.stdout if sink == "stdout" and not _stdout_carries_mcp() else sys.stderr
        with self._lock:
            stream.write(text + "\n")
            stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _stdout_carries_mcp() -> bool:
    """Whether the call being audited came over stdio, where stdout is the MCP channel."""
    try:
        return get_context().transport == "stdio"
    except RuntimeError:  # no MCP request being served (the HTTP front door, a test)
        return False
