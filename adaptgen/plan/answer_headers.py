"""The headers that carry what an answer with no content says.

An operation that answers with no body may still answer: the spec declares the headers its
success response sets (AutoRest's header scenarios, Azure Storage's blob properties on a HEAD,
a version's `ETag` after a PATCH, Azure Batch's `ocp-batch-file-*`, a count in
`dlx-item-count`). A HEAD is a GET's headers alone, so its answer also says what it is
(`Content-Type`, `Content-Length`, `ETag`, `Last-Modified`) whether declared or not. Left
out: what says how the answer travelled (the transport's, caching, CORS, a CDN's), the
request's own tracing ids, rate limits and retry advice (the runtime reads those), what the
runtime follows itself (`Location`, a long-running operation's monitor, `Link`), and anything
that may be a credential (a header named for a token, key, secret, session or cookie).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What a HEAD's answer says of the thing, declared or not.
HEAD_HEADERS = ("Content-Type", "Content-Length", "ETag", "Last-Modified")
MAX_ANSWER_HEADERS = 24  # an answer names at most this many (Azure Storage's HEAD: ~20)

_TRANSPORT = frozenset(
    {
        "accept-ranges", "access-control-allow-credentials", "access-control-allow-headers",
        "access-control-allow-methods", "access-control-allow-origin",
        "access-control-expose-headers", "access-control-max-age", "age", "alt-svc",
        "cache-control", "connection", "content-encoding", "content-security-policy",
        "date", "expires", "keep-alive", "pragma", "server", "strict-transport-security",
        "trailer", "transfer-encoding", "upgrade", "vary", "via", "x-content-type-options",
        "x-frame-options", "x-powered-by", "x-xss-protection",
    }
)  # fmt: skip
# Followed or read by the runtime itself: long-running monitors, redirects, paging, retries.
_FOLLOWED = frozenset(
    {
        "azure-asyncoperation", "content-location", "link", "location", "operation-location",
        "retry-after",
    }
)  # fmt: skip
_TRACING = re.compile(
    r"(^|-)(request|correlation|interaction|trace|track|activity|span)-?id$|^traceparent$"
    r"|^x-amz-id-2$|^x-ms-(version|request-server-encrypted)$|^dataserviceid$|^x-cloud-trace",
    re.IGNORECASE,
)
_RATE_LIMIT = re.compile(r"rate-?limit|^x-ratelimit|quota", re.IGNORECASE)
# A CDN's or gateway's own (Cloudflare's `CF-RAY`, Fastly's `X-Served-By`, RapidAPI's).
_EDGE = re.compile(
    r"^(cf-|x-cache|x-served-by$|x-timer$|x-varnish|x-amz-cf-|x-edge-|x-envoy-|x-kong-"
    r"|x-rapidapi-|x-powered-by|nel$|report-to$|server-timing$)",
    re.IGNORECASE,
)
_CREDENTIAL = re.compile(
    r"auth|token|secret|password|passwd|session|cookie|api-?key|credential|signature",
    re.IGNORECASE,
)


def answer_headers(declared: Iterable[str], *, head: bool) -> tuple[str, ...]:
    """The headers of `declared` (an operation's success answers with no content) whose
    values the tool's result carries, in the order declared, each once (any case); a HEAD's
    own first."""
    kept: dict[str, str] = {}
    for name in [*(HEAD_HEADERS if head else ()), *declared]:
        name = name.strip()
        low = name.lower()
        if not name or low in kept or not _shown(low, head):
            continue
        kept[low] = name
    return tuple(kept.values())[:MAX_ANSWER_HEADERS]


def _shown(low: str, head: bool) -> bool:
    if low in _TRANSPORT or low in _FOLLOWED:
        return False
    if low in ("content-type", "content-length") and not head:
        return False  # of the empty body itself
    return not any(pattern.search(low) for pattern in (_TRACING, _RATE_LIMIT, _EDGE, _CREDENTIAL))
