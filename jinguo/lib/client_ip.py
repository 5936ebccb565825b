"""The address a request came from, trusting X-Forwarded-For only from our own proxies.

Behind nginx every request's REMOTE_ADDR is the proxy's: rate limits and lockouts keyed on it
would treat a whole county as one phone. X-Forwarded-For, though, is whatever the client wrote,
unless a proxy we run appended to it. So the header is read right to left, skipping the addresses
of ``settings.TRUSTED_PROXIES``, and only when the request itself came from one of them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in spec)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the nearest untrusted hop that a trusted proxy reported."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(_parse(remote), networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return remote  # a malformed hop: the chain cannot be trusted past it
        if not _is_trusted(address, networks):
            return str(address)
    return remote
