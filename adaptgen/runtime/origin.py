"""Where things are: whether a URL belongs to the configured upstream API, whether a host is
this machine.

Upstream credentials are attached only to requests that pass `within_upstream`, and a next-page
link is followed only when it passes it, so neither a hostile upstream nor a forged cursor can
send the server's credentials, or its callers, anywhere else.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = ["is_loopback_host", "origin_of", "same_origin", "within_upstream"]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def within_upstream(url: str, base_url: str) -> bool:
    """Whether `url` is on the upstream's origin and under its base path.

    Next-page links and anything that carries upstream credentials must pass this: the same
    scheme, host and port as the configured base URL, a path under the base path, no user info,
    and no dot-segments (plain or percent-encoded) that could climb out of it.
    """
    target, base = urlsplit(url), urlsplit(base_url)
    if not target.scheme and not target.netloc:
        return False  # relative links are resolved first (resolve_next)
    if target.username or target.password or _key(target) != _key(base):
        return False
    segments = unquote(target.path).split("/")
    if any(segment in (".", "..") for segment in segments) or "\\" in target.path:
        return False
    prefix = base.path.rstrip("/")
    return not prefix or target.path == prefix or target.path.startswith(prefix + "/")


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs have the same scheme, host and port (default ports filled in)."""
    return _key(urlsplit(url)) == _key(urlsplit(other))


def _key(parts: SplitResult) -> tuple[str, str, int | None]:
    return parts.scheme.lower(), (parts.hostname or "").lower(), _port(parts)


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return -1  # a port that is not a number never matches
    return port or {"http": 80, "https": 443}.get(parts.scheme.lower())


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL; never its user info, path or query (may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def is_loopback_host(host: str) -> bool:
    """Whether a bind address or host name only reaches this machine."""
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a DNS name may resolve anywhere; "" and "0.0.0.0" are every address
