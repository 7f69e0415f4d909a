"""The TMF reference BSS under a real uvicorn on a free loopback port, in a thread.

    server = ReferenceServer(f"sqlite:///{tmp / 'tmf.db'}", bearer_token="t", validate=True)
    server.start()                      # creates the tables; reset() seeds them
    server.reset(SEED_TIME)
    server.set_faults({"calls": "reads", "status": 503, "times": 1})
    ... TmfBss(TmfConfig(base_url=server.origin, bearer_token="t")) ...
    server.stats()["requests"]; server.conformance()["violations"]
    server.stop()

The control calls go through the server's own /admin API (with its token), as a test of a
deployed stack would; ``client()`` is a keep-alive client with TCP_NODELAY for timing reads.
``reference_fixture`` (module-scoped, validate mode, a token) and ``server_fixture`` (the same,
from a clean slate per test) are for test modules to import.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import httpx
import pytest
import uvicorn

from billing_adapters.tmf.transport import nodelay_transport
from billing_adapters.tmf_reference.app import create_app
from billing_adapters.tmf_reference.config import ReferenceConfig
from billing_adapters.tmf_reference.store import dispose_engine

SEED_TIME = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)  # T of the tests
TOKEN = "token-of-the-reference-bss"


class ReferenceServer:
    def __init__(
        self,
        database_url: str,
        *,
        bearer_token: str = "",
        validate: bool = False,
        max_page_size: int = 100,
    ) -> None:
        self.config = ReferenceConfig(
            database_url=database_url,
            bearer_token=bearer_token,
            validate=validate,
            max_page_size=max_page_size,
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        uvicorn_config = uvicorn.Config(
            create_app(self.config),
            ws="none",
            lifespan="on",
            log_level="warning",
            access_log=False,
            # A held answer (timeout_after_apply) must not keep stop() waiting for hang_s.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(uvicorn_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._admin: httpx.Client | None = None
        self._seeded_at: datetime | None = None  # of the last reset() (None: not through us)

    @property
    def origin(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header the server wants (none without a token)."""
        token = self.config.bearer_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def client(self, timeout_s: float = 10.0) -> httpx.Client:
        """A keep-alive client of the server (TCP_NODELAY, the token sent); close it after."""
        return httpx.Client(
            base_url=self.origin,
            headers=self.headers,
            timeout=timeout_s,
            transport=nodelay_transport(10, verify=False),
        )

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the TMF reference BSS did not start")
            time.sleep(0.01)
        self._admin = self.client()

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        dispose_engine(self.config.database_url)

    def __enter__(self) -> ReferenceServer:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def admin(self, method: str, path: str, body: object = None) -> Any:
        """One control call (``path`` under /admin/); the JSON it answers."""
        if self._admin is None:
            raise RuntimeError("start() the server first")
        response = self._admin.request(method, f"/admin/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def reset(self, seeded_at: datetime) -> None:
        """The demo seed at ``seeded_at`` (faults, counters and violations are left as they are)."""
        self.admin("POST", "reset", {"seeded_at": seeded_at.isoformat()})
        self._seeded_at = seeded_at

    def set_faults(self, plan: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("PUT", "faults", plan)
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "faults")
        return result

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "stats")
        return result

    def clear_stats(self) -> None:
        self.admin("DELETE", "stats")

    def conformance(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "conformance")
        return result

    def clear_conformance(self) -> None:
        self.admin("DELETE", "conformance")

    def clean_slate(self, seeded_at: datetime) -> None:
        """What a test starts from: the seed, no faults, zero counters, no violations.

        The reset (PIN hashing: the slow part) is skipped when the data cannot have changed
        since the last one: the same seed time and nothing posted through the API. A test
        that writes the database some other way calls reset() itself.
        """
        self.clear_faults()
        rows = self.admin("DELETE", "stats")  # the counters zeroed, the posted rows counted
        if self._seeded_at != seeded_at or rows["credits"] or rows["extensions"]:
            self.reset(seeded_at)
        self.clear_conformance()


@pytest.fixture(scope="module", name="reference")
def reference_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferenceServer]:
    """One server per test module: validate mode on, a bearer token required."""
    folder = tmp_path_factory.mktemp("tmf-reference")
    with ReferenceServer(
        f"sqlite:///{folder / 'tmf_bss.db'}", bearer_token=TOKEN, validate=True
    ) as server:
        yield server


@pytest.fixture(name="server")
def server_fixture(reference: ReferenceServer) -> ReferenceServer:
    """The module's server, seeded at SEED_TIME, without faults, counters or violations."""
    reference.clean_slate(SEED_TIME)
    return reference
