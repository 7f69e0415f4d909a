"""What a scaled stack is made of (``ScaledConfig``): the public ports nginx answers on (those
of ``StackConfig``), the replicas' own ports, PostgreSQL's and Redis's ports and the data folder.

``default_scaled_config()`` is ``make run-scaled`` (the embedded stack's public ports, data under
``var/scaled/``); ``scaled_isolated_config(folder)`` is a test or bench instance on free ports.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from app.cli.stack_config import ROOT, StackConfig, free_ports

# Conversation lock per turn (Redis): longer than the slowest turn (an LLM wording is bounded by
# LLM_BUDGET_CHAT_S, BSS calls by BSS_BUDGET_CHAT_S), so a waiting turn never overtakes it.
TICKET_LOCK_LIFETIME_S = 45
# Per Rasa process and engine (tracker store, event broker): its store calls are synchronous,
# so a replica rarely holds more than one or two connections; Rasa's defaults are 50 + 100.
SQL_POOL_SIZE = 5
SQL_MAX_OVERFLOW = 5

BACKOFFICE_DB = "backoffice"
TRACKER_DB = "rasa_tracker"
EVENTS_DB = "rasa_events"
LOCK_STORE_REDIS_DB = 1  # bot/endpoints.scaled.yml
SOCKETIO_REDIS_DB = 2


@dataclass
class ScaledConfig(StackConfig):
    """``rasa_port``, ``action_port`` and ``web_port`` are nginx's (what clients use)."""

    data_dir: Path = ROOT / "var" / "scaled"  # postgres/, redis/, nginx/, logs
    pg_port: int = 5433
    redis_port: int = 6380
    rasa_ports: tuple[int, ...] = (5105, 5106)
    action_ports: tuple[int, ...] = (5155, 5156)
    web_ports: tuple[int, ...] = (8100, 8101)
    replica_env: dict[str, str] = field(default_factory=dict)  # extra env of every process

    def _url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    @property
    def rasa_replica_urls(self) -> dict[str, str]:
        return {f"rasa-{i}": self._url(p) for i, p in enumerate(self.rasa_ports, 1)}

    @property
    def action_replica_urls(self) -> dict[str, str]:
        return {f"actions-{i}": self._url(p) for i, p in enumerate(self.action_ports, 1)}

    @property
    def web_replica_urls(self) -> dict[str, str]:
        return {f"web-{i}": self._url(p) for i, p in enumerate(self.web_ports, 1)}

    def pg_url(self, db: str) -> str:
        return f"postgresql://kestrel@{self.host}:{self.pg_port}/{db}"

    @property
    def database_url(self) -> str:
        """The back office (and the embedded reference BSS): what DATABASE_URL is set to."""
        return self.pg_url(BACKOFFICE_DB)

    def redis_url(self, db: int) -> str:
        return f"redis://{self.host}:{self.redis_port}/{db}"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _ports(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    value = os.environ.get(name, "")
    return tuple(int(p) for p in value.split(",")) if value.strip() else default


def default_scaled_config(**fields: object) -> ScaledConfig:
    """``make run-scaled``: internal ports from SCALED_* variables (read now, not at import)."""
    base = ScaledConfig()
    return ScaledConfig(
        **{
            "pg_port": _port("SCALED_PG_PORT", base.pg_port),
            "redis_port": _port("SCALED_REDIS_PORT", base.redis_port),
            "rasa_ports": _ports("SCALED_RASA_PORTS", base.rasa_ports),
            "action_ports": _ports("SCALED_ACTION_PORTS", base.action_ports),
            "web_ports": _ports("SCALED_WEB_PORTS", base.web_ports),
            **fields,
        }  # type: ignore[arg-type]
    )


def scaled_isolated_config(folder: Path, replicas: int = 2, **env: str) -> ScaledConfig:
    """A scaled stack on free ports, with its own PostgreSQL and Redis data, logs and tokens."""
    ports = free_ports(5 + 3 * replicas)
    rasa, actions, web, pg, redis = ports[:5]
    replica_ports = ports[5:]
    return ScaledConfig(
        rasa_port=rasa,
        action_port=actions,
        web_port=web,
        pg_port=pg,
        redis_port=redis,
        rasa_ports=tuple(replica_ports[0:replicas]),
        action_ports=tuple(replica_ports[replicas : 2 * replicas]),
        web_ports=tuple(replica_ports[2 * replicas :]),
        data_dir=folder / "scaled",
        log_dir=folder / "logs",
        work_dir=folder,
        env={
            "RASA_TOKEN": secrets.token_urlsafe(16),
            "OPS_API_TOKEN": secrets.token_urlsafe(16),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "VOICE_GATEWAY_SECRET": secrets.token_urlsafe(16),
            **env,
        },
    )
