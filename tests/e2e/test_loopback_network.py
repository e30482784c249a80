"""The harness's network guard (``LoopbackNetwork``): a.klaviyo.com:443 resolves to the session
stack's TLS proxy, every other non-loopback name or address is refused and recorded."""

from __future__ import annotations

import pytest

from tests.e2e.harness import LEGACY_HOST, LoopbackNetwork, Stack


def test_only_loopback_is_reachable(loopback_network: LoopbackNetwork, stack: Stack) -> None:
    """The resolver override maps a.klaviyo.com:443 to the TLS proxy and refuses everything else."""
    import socket

    [(family, _, _, _, address)] = socket.getaddrinfo(LEGACY_HOST, 443, type=socket.SOCK_STREAM)
    assert (family, address) == (socket.AF_INET, ("127.0.0.1", stack.tls_port))
    assert socket.getaddrinfo("127.0.0.1", 80)

    mark = len(loopback_network.blocked)
    try:
        for name, port in (("example.com", 443), (LEGACY_HOST, 80), ("klaviyo.com", 443)):
            with pytest.raises(socket.gaierror):
                socket.getaddrinfo(name, port)
        with pytest.raises(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: refused before any packet leaves
        assert len(loopback_network.blocked) - mark == 4
    finally:
        del loopback_network.blocked[mark:]  # expected, not a leak: keep the per-test guard green
