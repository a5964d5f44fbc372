"""Per-call state shared between the upstream client and the governance middlewares."""

from __future__ import annotations

from contextvars import ContextVar

# Upstream statuses seen during the current tool call: the audit line reports the last one.
# The middleware sets a fresh list per call; Upstream.send appends to whatever list it finds.
UPSTREAM_STATUSES: ContextVar[list[int] | None] = ContextVar("adaptgen_upstream", default=None)
