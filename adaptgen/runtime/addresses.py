"""Which network addresses a request may go to that someone else chose.

Two places connect to an address a document or an answer names rather than the operator: a
build's remote `$ref`s (`load/remote.py`) and a server following an upstream's redirect
elsewhere (`runtime/redirects.py`). Neither may turn the machine into a proxy into its own
network: link-local addresses (where cloud metadata services live), the metadata services
outside that range, multicast and unspecified addresses are refused always; loopback and
private addresses only where the caller allows them.
"""

from __future__ import annotations

import ipaddress

__all__ = ["IpAddress", "blocked_reason", "network_of"]

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services outside the link-local range (which is refused as a whole).
_METADATA = (
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud
    ipaddress.ip_network("192.0.0.192/32"),  # Oracle Cloud
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def blocked_reason(
    address: IpAddress, *, allow_loopback: bool = False, allow_private: bool = False
) -> str | None:
    """Why nothing may be sent to `address`, or None: a public address, or a loopback or
    private one the caller allows."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return blocked_reason(
                embedded, allow_loopback=allow_loopback, allow_private=allow_private
            )
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if any(address in network for network in _METADATA):
        return "a cloud metadata address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return None if allow_private else "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def network_of(addresses: list[IpAddress]) -> str:
    """Where a host with these addresses is: "loopback", "private" or "public"."""
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback:
            return "loopback"
        if address.is_private and not address.is_link_local:
            return "private"
    return "public"
