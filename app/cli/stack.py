"""Starting and stopping the whole stack: Rasa (bot env), action server and web app (app env).

Used by ``make run`` (foreground, logs to the terminal), by the end-to-end tests and by the
benchmark (ports and files of their own, logs to files).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import yaml

from app.settings import Settings, widget_origins

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

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

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


def isolated_config(folder: Path, **env: str) -> StackConfig:
    """A stack on free ports with its own database, tracker store, tokens and log files."""
    rasa, actions, web = free_ports(3)
    return StackConfig(
        rasa_port=rasa,
        action_port=actions,
        web_port=web,
        log_dir=folder / "logs",
        work_dir=folder,
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


def _commands(config: StackConfig, rasa_token: str) -> dict[str, tuple[list[str], Path]]:
    return {
        "actions": (
            [
                str(APP_PYTHON),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "-p",
                str(config.action_port),
            ],
            ROOT,
        ),
        "web": (
            [
                str(APP_PYTHON),
                "-m",
                "uvicorn",
                "app.web.main:create_app",
                "--factory",
                "--ws",
                "none",  # websockets<11 (pinned by rasa-sdk) is too old for uvicorn's ws
                "--host",
                config.host,
                "--port",
                str(config.web_port),
                "--log-level",
                "warning",
            ],
            ROOT,
        ),
        "rasa": (
            [
                str(BOT_PYTHON),
                "-m",
                "bot.launch",  # `rasa` with the schema-check fix
                "run",
                "--enable-api",
                "--auth-token",
                rasa_token,
                "-i",
                config.host,
                "-p",
                str(config.rasa_port),
                "-m",
                str(config.model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                str(config.credentials_file()),
            ],
            ROOT / "bot",
        ),
    }


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        # The web app's voice gateway and Rasa's voice channel share it; one per stack if unset.
        self.voice_secret = (
            config.env.get("VOICE_GATEWAY_SECRET")
            or os.environ.get("VOICE_GATEWAY_SECRET")
            or secrets.token_urlsafe(24)
        )

    def environment(self) -> dict[str, str]:
        env = {**os.environ, **self.config.env}
        env.update(
            PYTHONPATH=str(ROOT),
            SANIC_HOST=self.config.host,  # rasa-sdk binds 0.0.0.0 unless told
            ACTION_SERVER_URL=self.config.action_url,
            ACTION_SERVER_PORT=str(self.config.action_port),
            RASA_URL=self.config.rasa_url,
            WEB_PORT=str(self.config.web_port),
            DEMO_MODE=str(self.config.demo_mode).lower(),
            VOICE_GATEWAY_SECRET=self.voice_secret,
        )
        # bot/endpoints.yml reads it (the event broker: Rasa will not start without it) and the
        # web app's dashboard reads the same file; settings give the default, as for `make run`.
        if "RASA_EVENTS_DB" not in env:
            env["RASA_EVENTS_DB"] = Settings().rasa_events_db
        # From this stack's config only: a value in the caller's shell must not widen it.
        env["WIDGET_ALLOWED_ORIGINS"] = (
            self.config.env.get("WIDGET_ALLOWED_ORIGINS") or self.config.allowed_origins()
        )
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("PYTHONWARNINGS", "ignore")  # Rasa 3.6 deprecation noise hides real output
        return env

    def start(self) -> None:
        for name in _commands(self.config, ""):
            self.spawn(name)

    def spawn(self, name: str) -> None:
        """Start one process of the stack (again, after ``kill``); its log is appended to."""
        env = self.environment()
        command, cwd = _commands(self.config, env.get("RASA_TOKEN", ""))[name]
        output: IO[bytes] | None = None
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.config.log_dir / f"{name}.log", "ab")  # noqa: SIM115
            self._logs.append(output)
        self.processes[name] = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """Kill one process at once (SIGKILL, as a crash would), and wait for it to be gone."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)

    def restart(self, name: str, timeout_s: float = 180.0) -> None:
        """Start a killed (or crashed) process again and wait until it answers."""
        self.spawn(name)
        self.wait_ready(timeout_s, only=(name,))

    def probes(self) -> dict[str, str]:
        return {
            "actions": f"{self.config.action_url}/health",
            "web": f"{self.config.web_url}/healthz",
            "rasa": f"{self.config.rasa_url}/version",
        }

    def wait_ready(
        self, timeout_s: float = 180.0, progress: bool = False, only: tuple[str, ...] = ()
    ) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {k: v for k, v in self.probes().items() if not only or k in only}
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
                try:
                    if httpx.get(url, timeout=2.0).status_code < 500:
                        del pending[name]
                        if progress:
                            print(f"  {name} is up", flush=True)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout_s:.0f} s: {', '.join(pending)}")
            if pending:
                time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in self._logs:
            log.close()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
