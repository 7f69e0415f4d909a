"""Starting and stopping the whole stack: Rasa (bot env), action server, web app (app env) and,
with BSS=tmf, the TMF reference BSS. What a stack is made of is in stack_config.py.

Used by ``make run`` (foreground, logs to the terminal), by the end-to-end tests and by the
benchmark (ports and files of their own, logs to files).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import httpx

from app.cli.stack_config import (
    APP_PYTHON,
    BOT_PYTHON,
    ROOT,
    StackConfig,
    free_ports,
    isolated_config,
)
from app.settings import Settings

__all__ = ["BOT_PYTHON", "ROOT", "Stack", "StackConfig", "free_ports", "isolated_config"]


def _uvicorn(factory: str, host: str, port: int) -> list[str]:
    return [
        str(APP_PYTHON),
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--ws",
        "none",  # websockets<11 (pinned by rasa-sdk) is too old for uvicorn's ws
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def action_command(port: int) -> list[str]:
    return [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)]


def web_command(host: str, port: int) -> list[str]:
    return _uvicorn("app.web.main:create_app", host, port)


def rasa_command(
    config: StackConfig,
    rasa_token: str,
    port: int,
    endpoints: str = "endpoints.yml",
    credentials: Path | None = None,
) -> list[str]:
    """Rasa with the bot's endpoints (a file in bot/) and channels, on ``port``."""
    return [
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
        str(port),
        "-m",
        str(config.model),
        "--endpoints",
        endpoints,
        "--credentials",
        str(credentials or config.credentials_file()),
    ]


def _commands(config: StackConfig, rasa_token: str) -> dict[str, tuple[list[str], Path]]:
    reference: dict[str, tuple[list[str], Path]] = {}
    if config.tmf_reference_port is not None:
        reference["tmf-bss"] = (
            _uvicorn(
                "billing_adapters.tmf_reference.app:app_from_settings",
                config.host,
                config.tmf_reference_port,
            ),
            ROOT,
        )
    return {
        **reference,
        "actions": (action_command(config.action_port), ROOT),
        "web": (web_command(config.host, config.web_port), ROOT),
        "rasa": (rasa_command(config, rasa_token, config.rasa_port), ROOT / "bot"),
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
        # Which BSS, from this stack's config only: BSS=tmf in the caller's shell (say, from
        # `make run BSS=tmf`) must not point a test's own stack at a reference BSS it lacks.
        env["BSS"] = self.config.env.get("BSS") or (
            "tmf" if self.config.tmf_reference_port is not None else "sql"
        )
        if self.config.tmf_reference_port is not None:
            env["TMF_REFERENCE_PORT"] = str(self.config.tmf_reference_port)
            env["TMF_BASE_URL"] = ""
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("PYTHONWARNINGS", "ignore")  # Rasa 3.6 deprecation noise hides real output
        return env

    def commands(self, rasa_token: str) -> dict[str, tuple[list[str], Path]]:
        """Each process of the stack by name: its command line and working folder."""
        return _commands(self.config, rasa_token)

    def start(self) -> None:
        for name in self.commands(""):
            self.spawn(name)

    def spawn(self, name: str) -> None:
        """Start one process of the stack (again, after ``kill``); its log is appended to."""
        env = self.environment()
        command, cwd = self.commands(env.get("RASA_TOKEN", ""))[name]
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
        probes = {
            "actions": f"{self.config.action_url}/health",
            "web": f"{self.config.web_url}/healthz",
            "rasa": f"{self.config.rasa_url}/version",
        }
        if self.config.tmf_reference_port is not None:
            probes["tmf-bss"] = f"{self.config.tmf_reference_url}/healthz"
        return probes

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
