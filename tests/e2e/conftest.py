"""One real stack for the end-to-end tier: Rasa server, action server and web app on free ports,
with a back office and tracker store of their own in a temporary folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from app.cli.stack import Stack, StackConfig, isolated_config
from app.db import make_engine, upgrade_to_head
from app.seeding import reset_demo
from billing_adapters.tmf_reference.store import reset_reference
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


@dataclass
class LiveStack:
    config: StackConfig
    database_url: str
    tracker_db: Path
    log_dir: Path
    ops_token: str
    socket_proxy: TcpProxy | None  # the widget socket goes through it (None: no widget tests)

    def reset(self) -> None:
        now = datetime.now(timezone.utc)
        engine = make_engine(self.database_url)
        try:
            reset_demo(engine, now)
        finally:
            engine.dispose()
        if self.config.tmf_reference_port is not None:
            reset_reference(self.config.env["TMF_REFERENCE_DATABASE_URL"], now)

    def tmf_admin(self, method: str, path: str, body: object = None) -> httpx.Response:
        """The TMF reference BSS's control API (faults, stats, conformance) of a BSS=tmf stack."""
        response = httpx.request(
            method,
            f"{self.config.tmf_reference_url}/admin/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.config.env['TMF_BEARER_TOKEN']}"},
            timeout=10,
        )
        response.raise_for_status()
        return response

    def say(self, sender: str, text: str) -> list[str]:
        response = httpx.post(
            f"{self.config.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return [m["text"] for m in response.json() if "text" in m]

    def ops(self, account_id: str) -> dict:
        response = httpx.get(
            f"{self.config.web_url}/api/accounts/{account_id}",
            headers={"Authorization": f"Bearer {self.ops_token}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log"))


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    root = tmp_path_factory.mktemp("stack")
    config = isolated_config(root)
    proxy = TcpProxy(config.rasa_port)
    config.env = {**config.env, "WIDGET_SOCKET_URL": proxy.url}
    database_url = config.env["DATABASE_URL"]
    ops_token = config.env["OPS_API_TOKEN"]
    stack = LiveStack(config, database_url, root / "tracker.db", root / "logs", ops_token, proxy)
    yield from _running(stack)
    proxy.close()


def _running(stack: LiveStack) -> Iterator[LiveStack]:
    upgrade_to_head(stack.database_url)
    stack.reset()
    with Stack(stack.config) as running:
        try:
            running.wait_ready(timeout_s=240)
        except (RuntimeError, TimeoutError):
            print(stack.logs()[-5000:])
            raise
        yield stack


@pytest.fixture(scope="session")
def live_tmf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """The same stack against the TMF reference BSS over HTTP (BSS=tmf), which checks every
    exchange against the TM Forum specs. Short circuit pauses keep the fault tests quick."""
    root = tmp_path_factory.mktemp("stack-tmf")
    config = isolated_config(root, bss="tmf", TMF_REFERENCE_VALIDATE="true", TMF_CIRCUIT_OPEN_S="3")
    stack = LiveStack(
        config, config.env["DATABASE_URL"], root / "tracker.db", root / "logs",
        config.env["OPS_API_TOKEN"], None,
    )  # fmt: skip
    yield from _running(stack)


@pytest.fixture
def fresh(live: LiveStack) -> LiveStack:
    """The live stack with the demo back office restored to the seed."""
    live.reset()
    return live


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"
