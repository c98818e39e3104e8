"""Where a request comes from: the one function that says so.

The peer's address, unless the peer is a trusted proxy (`LAGESBILD_TRUSTED_PROXIES`):
then `X-Forwarded-For` is read from the right, past every trusted proxy, to the first
address that no trusted proxy is; what lies left of it is the client's own word and
is never believed.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from aiohttp import web

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def client_address(request: web.BaseRequest, trusted_proxies: Iterable[Network]) -> str:
    """The client's address as text (`unknown` for a peer without one, a Unix socket)."""
    proxies = tuple(trusted_proxies)
    peer = _address(request.remote or "")
    if peer is None:
        return request.remote or UNKNOWN
    nearest = peer
    hops = [
        hop for value in request.headers.getall("X-Forwarded-For", ()) for hop in value.split(",")
    ]
    while _trusted(nearest, proxies) and hops:
        hop = _address(hops.pop().strip())
        if hop is None:
            break  # a trusted proxy wrote something unreadable: the last proxy is all we know
        nearest = hop
    return str(nearest)


def in_networks(address: str, networks: Iterable[Network]) -> bool:
    """Whether the address (as `client_address` gives it) lies in one of the networks."""
    parsed = _address(address)
    return parsed is not None and _trusted(parsed, tuple(networks))


def _trusted(address: IPv4Address | IPv6Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An address, also as proxies write it with a port (`1.2.3.4:5`, `[::1]:5`)."""
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
