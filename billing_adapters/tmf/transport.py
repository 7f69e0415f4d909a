"""An httpx transport whose connections set TCP_NODELAY.

httpx 0.23 (pinned here by rasa-sdk's sanic-testing) writes a request's headers and body in two
sends. With Nagle's algorithm on, the body waits for the ACK of the headers, which the server
delays by up to 40 ms on loopback: every POST to the BSS (a PIN check, a credit) would pay it.
httpcore 0.15 takes a network backend but httpx 0.23 does not pass one through, hence the pool
is rebuilt here with the same settings.
"""

from __future__ import annotations

import socket
from typing import Any

import httpcore
import httpx
from httpcore.backends.sync import SyncBackend


class NoDelayBackend(SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
    ) -> Any:
        stream = super().connect_tcp(host, port, timeout=timeout, local_address=local_address)
        sock = stream.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return stream


def nodelay_transport(max_connections: int = 20, verify: bool = True) -> httpx.HTTPTransport:
    """A keep-alive transport (``max_connections`` pooled) with TCP_NODELAY on every socket.
    ``verify=False`` only for plain HTTP on loopback: it skips building a TLS context (60 ms)."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = httpx.HTTPTransport(limits=limits, verify=verify)
    pool = transport._pool
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=NoDelayBackend(),
    )
    return transport
