"""The egress proxy an upstream is reached through, where a company's network has one.

A generated server used no proxy at all (its client ignores the environment, so that no
`.netrc` credential is ever attached): behind a corporate egress proxy it could reach no API
outside. Now, for the configured upstream:

* `<NAME>_PROXY` (an `http://` or `https://` proxy URL), when set, is used for every request;
* else the conventional `HTTPS_PROXY` (or `HTTP_PROXY` for an `http://` upstream; upper or lower
  case, as curl reads them), unless the upstream's host is in `NO_PROXY` (a host or a domain
  suffix, `.corp.example` or `corp.example`, or `*` for all) or is this machine (loopback);
* nothing else of the environment is read.

Requests to the same upstream's redirects and auth flows' token endpoints go through the same
client, so through the same proxy. Read when a client is made (once per event loop): set them
before the server starts.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from adaptgen.runtime.origin import is_loopback_host

__all__ = ["proxy_for"]


def proxy_for(base_url: str, env_prefix: str | None) -> str | None:
    """The proxy URL requests to `base_url` go through, or None for a direct connection
    (`env_prefix` None: the conventional variables only, as for an identity provider's keys)."""
    explicit = os.environ.get(f"{env_prefix}_PROXY", "").strip() if env_prefix else ""
    if explicit:
        return explicit
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if not host or is_loopback_host(host) or _excluded(host):
        return None
    names = ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ()
    names += ("HTTP_PROXY", "http_proxy") if parts.scheme == "http" else ()
    for name in names:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def _excluded(host: str) -> bool:
    """Whether `NO_PROXY` (or `no_proxy`) names `host` or a domain it is in."""
    listed = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    for entry in (e.strip().lower() for e in listed.split(",")):
        entry = entry.split(":", 1)[0] if entry.count(":") == 1 else entry  # a port: any port
        if entry == "*":
            return True
        domain = entry.lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False
