"""Audit: one JSON line per call, whatever happened inside (see ../audit.py for the line).

Outermost, so it records every refusal of the layers inside it with the decision that refused,
and the agent's own arguments (as an HMAC), never the real values PII detokenization restores.
"""

from __future__ import annotations

import time
from typing import Any

from adaptgen.runtime.governance.audit import AuditLog
from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.policy import AuditPolicy

__all__ = ["Audit"]


class Audit:
    """`key`: keys the arguments' HMAC (the PII key when there is one, so instances agree)."""

    def __init__(self, policy: AuditPolicy, key: bytes | None = None) -> None:
        self.log = AuditLog(policy, key=key)

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        arguments = call.arguments  # the agent's: the PII layer passes real values on a copy
        started = time.perf_counter()
        try:
            result = await call_next(call)
            if getattr(result, "is_error", False):
                call.status = "error"
            return result
        except Refused as exc:
            call.status = exc.status
            raise
        except Exception as exc:
            # A tool may refuse a call itself (a forged cursor): audited as what it says.
            call.status = getattr(exc, "audit_status", "error")
            call.decision = getattr(exc, "audit_decision", call.decision)
            raise
        finally:
            self.log.record(
                request_id=call.request_id,
                caller=call.caller,
                tool=call.tool,
                arguments=arguments,
                latency_ms=(time.perf_counter() - started) * 1000,
                upstream_status=call.upstream[-1] if call.upstream else None,
                result_status=call.status,
                policy_decision=call.decision,
                tokenized=call.tokenized,
            )
