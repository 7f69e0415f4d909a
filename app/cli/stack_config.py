"""What a stack is made of: its ports, files, environment and mode (``StackConfig``), and the
isolated configuration the end-to-end tests and the benchmark start (``isolated_config``)."""

from __future__ import annotations

import secrets
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.settings import widget_origins

ROOT = Path(__file__).resolve().parents[2]
BOT_PYTHON = ROOT / ".venv" / "bot" / "bin" / "python"
APP_PYTHON = Path(sys.executable)


@dataclass
class StackConfig:
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    host: str = "127.0.0.1"
    model: Path = ROOT / "bot" / "models" / "current.tar.gz"
    env: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # None: inherit the terminal
    demo_mode: bool = True  # False: Rasa starts without the unauthenticated REST channel
    widget_origins: tuple[str, ...] = ()  # empty: the web app's own origin (+ localhost in demo)
    work_dir: Path = ROOT / "var"  # files the stack writes (the production credentials)
    tmf_reference_port: int | None = None  # BSS=tmf: the TMF reference BSS runs on it

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def tmf_reference_url(self) -> str:
        return f"http://{self.host}:{self.tmf_reference_port}"

    def allowed_origins(self) -> str:
        origins = self.widget_origins or widget_origins("", self.web_url, self.demo_mode)
        return ",".join(origins)

    def credentials_file(self) -> Path:
        """bot/credentials.yml in demo mode; outside it, a copy without the REST channel."""
        source = ROOT / "bot" / "credentials.yml"
        if self.demo_mode:
            return source
        channels = yaml.safe_load(source.read_text()) or {}
        channels.pop("rest", None)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        target = self.work_dir / "credentials.production.yml"
        target.write_text(
            "# Written by app/cli/stack.py from bot/credentials.yml (DEMO_MODE=false)\n"
            + yaml.safe_dump(channels, sort_keys=False)
        )
        return target


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (all held open while choosing, so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def isolated_config(folder: Path, bss: str = "sql", **env: str) -> StackConfig:
    """A stack on free ports with its own database, tracker store, tokens and log files
    (and with ``bss="tmf"``, its own TMF reference BSS and database)."""
    rasa, actions, web, tmf = free_ports(4)
    if bss == "tmf":
        env = {
            "BSS": "tmf",
            "TMF_BASE_URL": "",
            "TMF_REFERENCE_PORT": str(tmf),
            "TMF_REFERENCE_DATABASE_URL": f"sqlite:///{folder / 'tmf_bss.db'}",
            "TMF_BEARER_TOKEN": secrets.token_urlsafe(16),
            **env,
        }
    return StackConfig(
        rasa_port=rasa,
        action_port=actions,
        web_port=web,
        log_dir=folder / "logs",
        work_dir=folder,
        tmf_reference_port=tmf if bss == "tmf" else None,
        env={
            "DATABASE_URL": f"sqlite:///{folder / 'backoffice.db'}",
            "RASA_TRACKER_DB": str(folder / "tracker.db"),
            "RASA_EVENTS_DB": str(folder / "events.db"),
            "RASA_TOKEN": secrets.token_urlsafe(16),
            "OPS_API_TOKEN": secrets.token_urlsafe(16),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "VOICE_GATEWAY_SECRET": secrets.token_urlsafe(16),
            **env,
        },
    )
