"""Fetching remote `$ref`s (`--allow-remote-refs`): public hosts only, same-origin redirects.

A spec under review must not turn the build machine into a proxy into its own network: every
address a host name resolves to is checked against the non-public ranges (cloud metadata,
link-local, private, unique-local, multicast, unspecified) before connecting, and the connection
goes to the checked address, so a DNS answer that changes between check and connect (DNS
rebinding) cannot redirect it. Redirects are followed only within the same origin, a few times.
Loopback is refused too, unless the caller opts in (tests serve refs from 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urljoin

import httpx

from adaptgen.load.files import MAX_FILE_BYTES, too_big
from adaptgen.runtime.addresses import IpAddress, blocked_reason
from adaptgen.runtime.origin import origin_of, same_origin

LOOPBACK_ENV = "ADAPTGEN_REMOTE_REFS_ALLOW_LOOPBACK"  # "1": remote refs may be on 127.0.0.1/::1
MAX_REDIRECTS = 5
TIMEOUT = 20.0


class RemoteRefused(Exception):
    """A remote `$ref` that must not be fetched; the message says why."""


def loopback_allowed() -> bool:
    """The opt-in for loopback hosts (`ADAPTGEN_REMOTE_REFS_ALLOW_LOOPBACK=1`)."""
    return os.environ.get(LOOPBACK_ENV) == "1"


def fetch_remote(url: str, *, allow_loopback: bool | None = None) -> str:
    """The text at `url`, following at most `MAX_REDIRECTS` same-origin redirects.

    Raises `RemoteRefused` for a refused address or redirect, `httpx.HTTPError` when the fetch
    fails, both with a message fit for the user.
    """
    loopback = loopback_allowed() if allow_loopback is None else allow_loopback
    first = url
    with httpx.Client(timeout=TIMEOUT, trust_env=False, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            response = _pinned_request(client, url, loopback)
            try:
                if not response.is_redirect:
                    response.raise_for_status()
                    return _bounded_text(response)
            finally:
                response.close()
            target = urljoin(url, response.headers.get("location", ""))
            if not same_origin(target, first):
                raise RemoteRefused(f"redirected to another origin ({origin_of(target)}), refused")
            url = target
    raise RemoteRefused(f"more than {MAX_REDIRECTS} redirects")


def _pinned_request(client: httpx.Client, url: str, loopback: bool) -> httpx.Response:
    """A streamed GET of `url`, connected to an address that was checked (not resolved again)."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise RemoteRefused("only http and https URLs are fetched")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = _checked_address(parsed.host, port, loopback)
    request = client.build_request(
        "GET",
        parsed.copy_with(host=str(address)),
        headers={"Host": parsed.netloc.decode("ascii")},
        extensions={"sni_hostname": parsed.host} if parsed.scheme == "https" else {},
    )
    return client.send(request, stream=True)


def _checked_address(host: str, port: int, loopback: bool) -> IpAddress:
    """The first address `host` resolves to, if none of its addresses is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RemoteRefused(f"cannot resolve {host}: {exc.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        reason = blocked_reason(address, allow_loopback=loopback)
        if reason is not None:
            raise RemoteRefused(f"{host} resolves to {address}, {reason}: refused")
    return addresses[0]


def _bounded_text(response: httpx.Response) -> str:
    """The body as text, refusing more than `MAX_FILE_BYTES` (a spec file's limit)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise RemoteRefused(too_big())
        chunks.append(chunk)
    return b"".join(chunks).decode(response.charset_encoding or "utf-8", errors="replace")
