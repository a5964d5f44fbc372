"""Audit: one JSON line per tool call, never the arguments themselves.

Fields: request_id, timestamp, caller (subject, groups), tool, arguments_hmac (HMAC-SHA256 of
the canonical arguments: equal arguments can be correlated, but low-entropy values such as an
email cannot be guessed back from a plain hash), latency_ms, upstream_status, result_status,
policy_decision, tokenized (PII values turned into tokens). Lines go to stdout (CloudWatch on
Lambda), stderr, or a file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
from datetime import UTC, datetime
from typing import IO, Any

from adaptgen.runtime.governance.policy import AuditPolicy

RESULT_STATUSES = ("ok", "error", "denied", "rate_limited", "unauthenticated")


class AuditLog:
    """Writes audit lines; thread-safe; a file sink is opened once, appended, flushed per line."""

    def __init__(self, policy: AuditPolicy, key: bytes | None = None) -> None:
        self.policy = policy
        self._key = key or os.urandom(32)
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if policy.sink == "file" and policy.path:
            self._file = open(policy.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open

    def arguments_hmac(self, arguments: Any) -> str:
        canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)
        return hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()

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
        self._write(json.dumps(line, separators=(",", ":"), ensure_ascii=False))
        return line

    def _write(self, text: str) -> None:
        sink = self.policy.sink
        if sink == "none":
            return
        stream = self._file if sink == "file" else sys.stdout if sink == "stdout" else sys.stderr
        with self._lock:
            stream.write(text + "\n")
            stream.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
