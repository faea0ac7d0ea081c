"""Who is asking: the client's address as every part of the gateway judges it (web chat limits, console login
throttling). Standard library only."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection


def client_address(peer: str | None, forwarded_for: str | None, trusted: Collection[str]) -> str:
    """The direct peer's address, or, when the peer is a trusted proxy (TROLYSO_TRUSTED_PROXIES), the last address in
    X-Forwarded-For that is not itself a trusted proxy. Anyone can write the header, so it counts only from there."""
    try:
        peer = str(ipaddress.ip_address(peer or ""))
    except ValueError:
        peer = peer or "unknown"
    if peer not in trusted or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a malformed chain: trust only what we saw
        if address not in trusted:
            return address
    return peer
