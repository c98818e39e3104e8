"""The client's address: the peer, or what trusted proxies say it is in X-Forwarded-For."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from aiohttp.test_utils import make_mocked_request

from service.http.source import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))


def _request(peer: str, forwarded: list[str] | None = None) -> object:
    headers = [("X-Forwarded-For", value) for value in forwarded or []]
    request = make_mocked_request("GET", "/", headers=headers)
    return request.clone(remote=peer)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not a proxy: its header is ignored
        ("10.0.0.2", None, "10.0.0.2"),  # a proxy calling itself
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        (
            "10.0.0.2",
            ["192.0.2.9, 198.51.100.1"],
            "198.51.100.1",
        ),  # the left one is the client's word
        ("10.0.0.2", ["198.51.100.1, 10.0.0.3"], "198.51.100.1"),  # through two proxies
        ("10.0.0.2", ["192.0.2.9", "198.51.100.1"], "198.51.100.1"),  # header repeated
        ("10.0.0.2", ["garbage, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["198.51.100.1, garbage"], "10.0.0.2"),  # a proxy wrote nonsense: stop there
        ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
        ("10.0.0.2", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("10.0.0.2", ["198.51.100.1:5555"], "198.51.100.1"),
    ],
)
def test_the_client_address_trusts_forwarded_for_only_from_trusted_proxies(
    peer: str, forwarded: list[str] | None, expected: str
) -> None:
    assert client_address(_request(peer, forwarded), PROXIES) == expected  # type: ignore[arg-type]  # a mocked request


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(_request("10.0.0.2", ["198.51.100.1"]), ()) == "10.0.0.2"  # type: ignore[arg-type]  # a mocked request
