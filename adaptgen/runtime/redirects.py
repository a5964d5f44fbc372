"""Redirects an upstream answers, followed as a careful client follows them.

An API moves things and says where: GitHub answers a renamed repository's old name with 301 to
`/repositories/1300192`, and a member's check with 302 to the public members'; Bitbucket
answers a pull request's diff with 302 to the diff of its commits. And an API hands a download
to storage elsewhere: GitHub's job logs and archives, Box's file content, a release's asset, a
302 to a short-lived signed URL on another host. Every 3xx used to be the agent's error, so "why
did this job fail? show me its log" could not be answered.

Now, as `<NAME>_REDIRECTS` says (read per call):

* `elsewhere` (the default): a redirect within the upstream (its origin and base path,
  `origin.within_upstream`) is followed as the request it answers, credentials and all; the
  method and body are kept, but a 303 reads with GET, and so does a POST answered 301 or 302
  (as browsers and `fetch` do); where the operation declares no redirect, an HTML page at its
  end is no answer (a sign-in page) but an error. A redirect anywhere else is followed only
  where the operation's spec declares one (`Operation.redirects`), only as a GET (after that
  rule: a write is never sent off the API), as a new request: no credentials, no header of the
  call but `Accept`, no cookie, over http(s) only (never from an API on https to plain http),
  and only to an address that is public or on the upstream's own kind of network (a loopback
  upstream may send to loopback, a private one to private addresses); never link-local, cloud
  metadata, multicast or unspecified ones, whatever the upstream is. The host is resolved once
  and the connection goes to the address checked (`sni_hostname` keeps TLS checking the name),
  so a second DNS answer cannot rebind it.
* `upstream`: only redirects within the upstream are followed.
* `off`: none is (a 3xx is the agent's error, as before).

At most `MAX_REDIRECTS` hops. Where a redirect is not followed, the error names its status and
the origin it points at, never the whole `Location`: a signed URL is a credential for what it
points at, and it goes in no error, log or trace.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx2

from adaptgen.runtime.addresses import IpAddress, blocked_reason, network_of
from adaptgen.runtime.origin import origin_of, within_upstream

__all__ = [
    "MAX_REDIRECTS",
    "MODES",
    "REDIRECTS",
    "Hop",
    "RedirectRefused",
    "host_network",
    "next_hop",
    "pinned_request",
]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MODES = ("elsewhere", "upstream", "off")
_WRITES_AS_GET = {303: None, 301: "POST", 302: "POST"}  # status: the method read as GET (None: all)


class RedirectRefused(Exception):
    """A redirect that is not followed; the message says why, without the URL's path."""


@dataclass(frozen=True)
class Hop:
    """Where a redirect leads, and how it is asked."""

    url: str
    method: str
    keeps_body: bool
    within: bool  # within the upstream: credentials go with it

    @property
    def origin(self) -> str:
        return origin_of(self.url)


def next_hop(request: httpx2.Request, status: int, location: str, base_url: str) -> Hop:
    """The request a redirect answer asks for: `location` resolved against the request's URL,
    the method as `fetch` changes it (303: GET unless HEAD; 301/302: a POST becomes a GET)."""
    url = str(request.url.join(location.strip()))
    method = request.method
    changes = status in _WRITES_AS_GET and (
        (_WRITES_AS_GET[status] is None and method not in ("GET", "HEAD"))
        or method == _WRITES_AS_GET[status]
    )
    if changes:
        method = "GET"
    return Hop(url, method, keeps_body=not changes, within=within_upstream(url, base_url))


def refusal(hop: Hop, mode: str, base_url: str = "", declared: bool = True) -> str | None:
    """Why `hop` is not followed under `mode` (before any address is looked up), or None. Off
    the API only where the operation's spec declares a redirect (`declared`): an undeclared one
    elsewhere is most often a sign-in page (a session that ended, a proxy's SSO), whose HTML is
    no answer. An API on https is never followed to plain http."""
    if hop.within:
        return None
    scheme = httpx2.URL(hop.url).scheme
    if mode != "elsewhere":
        return f"to {hop.origin}, off the API ({_setting_hint(mode)})"
    if not declared:
        return (
            f"to {hop.origin}, off the API, which this operation does not declare (a sign-in "
            "page? check the upstream credentials): not followed"
        )
    if scheme not in ("http", "https"):
        return f"to a {scheme or 'relative'} URL, which is never followed"
    if scheme == "http" and base_url.startswith("https:"):
        return f"to {hop.origin}, plain http from an API on https: never followed"
    if hop.method not in ("GET", "HEAD"):
        return f"of this {hop.method} to {hop.origin}, off the API: a write is sent only to the API"
    return None


def _setting_hint(mode: str) -> str:
    return "only redirects within the API are followed" if mode == "upstream" else "not followed"


async def resolved(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise RedirectRefused(f"to {host}, whose address cannot be found ({why})") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def host_network(url: str) -> str:
    """Where the upstream at `url` is: "loopback", "private" or "public" (unresolvable: public,
    the strictest)."""
    parsed = httpx2.URL(url)
    try:
        addresses = await resolved(parsed.host, parsed.port or _default_port(parsed.scheme))
    except RedirectRefused:
        return "public"
    return network_of(addresses)


async def pinned_request(
    hop: Hop, accept: str | None, upstream_network: str, extensions: dict
) -> httpx2.Request:
    """A credential-free GET of `hop`, to an address checked as `blocked_reason` says (a
    loopback or private one only where the upstream is one), connected to that address."""
    url = httpx2.URL(hop.url)
    port = url.port or _default_port(url.scheme)
    addresses = await resolved(url.host, port)
    for address in addresses:
        reason = blocked_reason(
            address,
            allow_loopback=upstream_network == "loopback",
            allow_private=upstream_network == "private",
        )
        if reason is not None:
            raise RedirectRefused(f"to {hop.origin}, which is {reason}: never followed")
    address = addresses[0]
    headers = {"Host": url.netloc.decode("ascii")}
    if accept:
        headers["Accept"] = accept
    pinned = dict(extensions)
    if url.scheme == "https":
        pinned["sni_hostname"] = url.host
    return httpx2.Request(
        hop.method, url.copy_with(host=str(address)), headers=headers, extensions=pinned
    )


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
