"""The scaled stack's own servers (app/cli/servers/) and its nginx configuration
(deploy/nginx.conf.template), against tiny loopback upstreams instead of the real replicas."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from app.cli.scaled_nginx import render_nginx_conf
from app.cli.servers.nginx import NginxServer
from app.cli.servers.postgres import PostgresServer
from app.cli.servers.redis import RedisServer
from app.cli.stack_config import ROOT, free_ports

pytestmark = pytest.mark.integration


def _refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Upstream:
    """An HTTP server answering every request with its own port (which replica served it)."""

    def __init__(self, port: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body = str(port).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                # No keep-alive: once closed, nothing of this upstream answers (like a killed one).
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def two_replicas(tmp_path: Path) -> Iterator[tuple[str, list[Upstream], list[int]]]:
    public, actions, web, one, two = free_ports(5)
    upstreams = [Upstream(one), Upstream(two)]
    conf = render_nginx_conf("127.0.0.1", public, actions, web, [one, two], [one], [two])
    nginx = NginxServer(tmp_path / "nginx", conf, ports=(public, actions, web)).start()
    try:
        yield f"http://127.0.0.1:{public}", upstreams, [one, two]
    finally:
        nginx.stop()
        for upstream in upstreams:
            upstream.close()
    assert _refuses(public)


def test_postgres_creates_databases_and_stops_without_leaving_a_server(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    with PostgresServer(tmp_path / "pg", port) as pg:
        pg.create_database("backoffice")
        pg.create_database("backoffice")  # again: nothing happens
        pg.create_database("copy", template="backoffice")
        assert pg.psql("SELECT current_user", db="copy").strip() == "kestrel"
        pg.drop_database("copy")
        assert not pg.database_exists("copy")
        assert pg.url("backoffice") == f"postgresql://kestrel@127.0.0.1:{port}/backoffice"
    assert not pg.running() and _refuses(port)
    with pg:  # the same data folder again: the database is still there
        assert pg.database_exists("backoffice")


def test_redis_answers_on_loopback_and_stops(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    with RedisServer(tmp_path / "redis", port), socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"PING\r\n")
        assert s.recv(16) == b"+PONG\r\n"
    assert _refuses(port)


def test_nginx_keeps_a_socketio_connection_on_one_replica_by_its_lb_key(two_replicas) -> None:
    url, _, ports = two_replicas
    with httpx.Client() as client:
        for key in ("a", "b", "c", "d", "e", "f"):
            served = {client.get(f"{url}/socket.io/?EIO=4&lb={key}").text for _ in range(8)}
            assert len(served) == 1
        keys = {client.get(f"{url}/socket.io/?EIO=4&lb=k{i}").text for i in range(40)}
        assert keys == {str(p) for p in ports}  # different connections spread over both


def test_nginx_sends_other_requests_round_robin_and_skips_a_stopped_replica(two_replicas) -> None:
    url, upstreams, ports = two_replicas
    with httpx.Client() as client:
        assert {client.get(f"{url}/version").text for _ in range(4)} == {str(p) for p in ports}
        upstreams[0].close()
        answers = [client.get(f"{url}/webhooks/rest/webhook") for _ in range(6)]
        assert [(a.status_code, a.text) for a in answers] == [(200, str(ports[1]))] * 6
        sticky = {client.get(f"{url}/socket.io/?EIO=4&lb=x{i}").text for i in range(10)}
        assert sticky == {str(ports[1])}


def test_scaled_endpoints_put_every_rasa_store_on_postgresql_and_redis() -> None:
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.scaled.yml").read_text())
    tracker, broker, lock = (
        endpoints["tracker_store"],
        endpoints["event_broker"],
        endpoints["lock_store"],
    )
    assert tracker["type"] == "bot.tracker_store.RedactingSQLTrackerStore"
    # Exactly "postgresql": with a driver suffix Rasa ignores SQL_POOL_SIZE / SQL_MAX_OVERFLOW.
    assert (tracker["dialect"], tracker["db"], tracker["login_db"]) == (
        "postgresql",
        "rasa_tracker",
        "postgres",
    )
    assert (broker["type"], broker["dialect"], broker["db"]) == ("SQL", "postgresql", "rasa_events")
    # Ours (bot/lock_store.py): Rasa's RedisLockStore lets two replicas take one ticket at once.
    assert lock["type"] == "bot.lock_store.AtomicRedisLockStore"
    assert lock["use_ssl"] is False  # literal, not a truthy string
