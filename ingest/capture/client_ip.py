"""The client's address: the connection's, or X-Forwarded-For's when the connection is a trusted proxy."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddress:
    def __init__(self, trusted_proxies: list[str]) -> None:
        self._trusted = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies)

    def of(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """Walk X-Forwarded-For from the right while the hops are trusted proxies; the first other is the client."""
        if peer is None or not forwarded_for or not self._is_trusted(peer):
            return peer
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            if not _valid(hop):
                return peer  # a forged or garbled header: keep what we know
            if not self._is_trusted(hop):
                return hop
        return peer

    @lru_cache(maxsize=1024)  # noqa: B019 - one instance per process, few distinct peers
    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
