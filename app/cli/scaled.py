"""The scaled stack: the embedded stack's processes as replicas behind nginx, on PostgreSQL and
Redis of its own (``make run-scaled``; the replica tests and ``make bench``).

What runs where (``ScaledConfig``, app/cli/scaled_config.py; defaults of ``make run-scaled``):

    nginx        rasa_port 5005 (channels, HTTP API; /socket.io/ sticky on the widget's `lb`
                 query key, else the client address), action_port 5055, web_port 8000
    rasa-1..n    rasa_ports 5105, 5106      bot/endpoints.scaled.yml: tracker store on PostgreSQL
                                            database rasa_tracker, SQL event broker on rasa_events,
                                            Redis lock store (db 1), socket.io queue (Redis db 2)
    actions-1..n action_ports 5155, 5156    (Rasa calls them through nginx's action_port)
    web-1..n     web_ports 8100, 8101       each with its reconciler; back office on PostgreSQL
    PostgreSQL   pg_port 5433    databases backoffice, rasa_tracker, rasa_events (role kestrel)
    Redis        redis_port 6380

API (what the end-to-end tests and the benchmark use)::

    config = scaled_isolated_config(tmp_path)  # all on free ports, data under tmp_path
    with ScaledStack(config) as stack:  # PostgreSQL, Redis, migrations + seed, replicas, nginx
        stack.wait_ready()  # every replica answers (about a minute)
        config.rasa_url, config.web_url, config.action_url  # through nginx, as for Stack
        config.rasa_replica_urls["rasa-1"]  # one replica directly (web_/action_replica_urls too)
        config.database_url  # DATABASE_URL of the back office (PostgreSQL)
        stack.postgres.url("rasa_tracker")  # any of its databases; stack.postgres.psql(sql, db)
        stack.kill("rasa-1"); stack.restart("rasa-1")  # SIGKILL one replica / start it again
        stack.processes  # name -> Popen: rasa-N, actions-N, web-N; stack.dead(): what stopped
    # leaving the block stops the replicas, nginx, Redis and PostgreSQL (nothing is left running)

Rasa's replicas get TICKET_LOCK_LIFETIME (lock above the slowest turn) and small SQL pools.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from app.cli.scaled_config import (
    BACKOFFICE_DB,
    EVENTS_DB,
    SOCKETIO_REDIS_DB,
    SQL_MAX_OVERFLOW,
    SQL_POOL_SIZE,
    TICKET_LOCK_LIFETIME_S,
    TRACKER_DB,
    ScaledConfig,
    default_scaled_config,
    scaled_isolated_config,
)
from app.cli.scaled_nginx import render_nginx_conf
from app.cli.servers.nginx import NginxServer
from app.cli.servers.postgres import PostgresServer
from app.cli.servers.redis import RedisServer
from app.cli.stack import Stack, action_command, rasa_command, web_command
from app.cli.stack_config import APP_PYTHON, ROOT

__all__ = ["ScaledConfig", "ScaledStack", "default_scaled_config", "scaled_isolated_config"]

SOCKET_CHANNEL = "bot.channels.socketio.KestrelSocketIOInput"
TABLES_TIMEOUT_S = 120.0


class ScaledStack(Stack):
    config: ScaledConfig

    def __init__(self, config: ScaledConfig, progress: bool = False) -> None:
        super().__init__(config)
        self.progress = progress
        data = config.data_dir
        self.postgres = PostgresServer(data / "postgres", config.pg_port)
        self.redis = RedisServer(data / "redis", config.redis_port)
        self.nginx = NginxServer(
            data / "nginx",
            render_nginx_conf(
                config.host,
                config.rasa_port,
                config.action_port,
                config.web_port,
                config.rasa_ports,
                config.action_ports,
                config.web_ports,
            ),
            ports=(config.rasa_port, config.action_port, config.web_port),
        )

    def say(self, message: str) -> None:
        if self.progress:
            print(message, flush=True)

    def environment(self) -> dict[str, str]:
        env = super().environment()
        config = self.config
        env.update(
            DATABASE_URL=config.database_url,
            RASA_EVENTS_DB=config.pg_url(EVENTS_DB),  # the dashboard reads the broker there
            RASA_PG_HOST=config.host,
            RASA_PG_PORT=str(config.pg_port),
            RASA_REDIS_HOST=config.host,
            RASA_REDIS_PORT=str(config.redis_port),
            TICKET_LOCK_LIFETIME=str(TICKET_LOCK_LIFETIME_S),
            SQL_POOL_SIZE=str(SQL_POOL_SIZE),
            SQL_MAX_OVERFLOW=str(SQL_MAX_OVERFLOW),
        )
        env.update(config.replica_env)
        return env

    def credentials(self) -> Path:
        """The stack's channels (bot/credentials.yml, minus REST outside demo mode) plus the
        socket.io message queue on Redis."""
        channels = yaml.safe_load(self.config.credentials_file().read_text()) or {}
        channels.setdefault(SOCKET_CHANNEL, {})["message_queue"] = self.config.redis_url(
            SOCKETIO_REDIS_DB
        )
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        target = self.config.data_dir / "credentials.scaled.yml"
        target.write_text(
            "# Written by app/cli/scaled.py (the socket.io queue added)\n"
            + yaml.safe_dump(channels, sort_keys=False)
        )
        return target

    def commands(self, rasa_token: str) -> dict[str, tuple[list[str], Path]]:
        config = self.config
        credentials = self.config.data_dir / "credentials.scaled.yml"
        commands: dict[str, tuple[list[str], Path]] = {}
        for name, port in zip(config.action_replica_urls, config.action_ports, strict=True):
            commands[name] = (action_command(port), ROOT)
        for name, port in zip(config.web_replica_urls, config.web_ports, strict=True):
            commands[name] = (web_command(config.host, port), ROOT)
        for name, port in zip(config.rasa_replica_urls, config.rasa_ports, strict=True):
            command = rasa_command(config, rasa_token, port, "endpoints.scaled.yml", credentials)
            commands[name] = (command, ROOT / "bot")
        return commands

    def probes(self) -> dict[str, str]:
        config = self.config
        return {
            **{name: f"{url}/health" for name, url in config.action_replica_urls.items()},
            **{name: f"{url}/healthz" for name, url in config.web_replica_urls.items()},
            **{name: f"{url}/version" for name, url in config.rasa_replica_urls.items()},
        }

    def _step(self, title: str) -> float:
        self.say(f"==> {title}")
        return time.monotonic()

    def _done(self, started: float) -> None:
        self.say(f"  done in {time.monotonic() - started:.1f} s")

    def prepare_databases(self) -> None:
        """PostgreSQL and its three databases, Redis, then migrations and the demo seed."""
        started = self._step(f"Starting PostgreSQL on {self.config.host}:{self.config.pg_port}")
        self.postgres.start()
        for db in (BACKOFFICE_DB, TRACKER_DB, EVENTS_DB):
            self.postgres.create_database(db)
        self._done(started)
        started = self._step(f"Starting Redis on {self.config.host}:{self.config.redis_port}")
        self.redis.start()
        self._done(started)
        started = self._step("Migrating and seeding the back office on PostgreSQL")
        output = None if self.progress else subprocess.DEVNULL
        subprocess.run(
            [str(APP_PYTHON), "-m", "app.cli.db", "seed"],
            cwd=ROOT,
            env=self.environment(),
            check=True,
            stdout=output,
        )
        self._done(started)

    def _wait_for_rasa_tables(self, first: str) -> None:
        """Until the first replica has created the tracker store's and the broker's tables: two
        replicas creating them at once would race (the broker's creation is not retried)."""
        deadline = time.monotonic() + TABLES_TIMEOUT_S
        query = "SELECT to_regclass('public.events') IS NOT NULL"
        while not all(
            self.postgres.psql(query, db).strip() == "t" for db in (TRACKER_DB, EVENTS_DB)
        ):
            if self.processes[first].poll() is not None:
                raise RuntimeError(f"{first} exited with code {self.processes[first].returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{first} created no tables in {TABLES_TIMEOUT_S:.0f} s")
            time.sleep(0.5)

    def start(self) -> None:
        try:
            self.prepare_databases()
            self.credentials()
            names = list(self.commands(""))
            rasa = list(self.config.rasa_replica_urls)
            started = self._step(f"Starting {', '.join(n for n in names if n not in rasa[1:])}")
            for name in names:
                if name not in rasa[1:]:
                    self.spawn(name)
            self._wait_for_rasa_tables(rasa[0])
            self._done(started)
            if rasa[1:]:
                started = self._step(f"Starting {', '.join(rasa[1:])}")
                for name in rasa[1:]:
                    self.spawn(name)
            started = self._step(
                f"Starting nginx on {self.config.host}:{self.config.rasa_port} (Rasa), "
                f":{self.config.web_port} (web app), :{self.config.action_port} (actions)"
            )
            self.nginx.start()
            self._done(started)
        except BaseException:
            self.stop()
            raise

    def dead(self) -> list[str]:
        """Names of the parts that have stopped (replicas, nginx, Redis, PostgreSQL)."""
        dead = [name for name, process in self.processes.items() if process.poll() is not None]
        for name, server in (("nginx", self.nginx), ("redis", self.redis)):
            if server.process is None or server.process.poll() is not None:
                dead.append(name)
        if not self.postgres.running():
            dead.append("postgres")
        return dead

    def stop(self) -> None:
        super().stop()
        self.nginx.stop()
        self.redis.stop()
        self.postgres.stop()

    def __enter__(self) -> ScaledStack:
        self.start()
        return self


def main(argv: list[str]) -> int:
    """``python -m app.cli.scaled database-url | events-url``: make run-scaled's databases."""
    config = default_scaled_config()
    urls = {"database-url": config.database_url, "events-url": config.pg_url(EVENTS_DB)}
    if len(argv) != 1 or argv[0] not in urls:
        print(f"usage: python -m app.cli.scaled {' | '.join(urls)}", file=sys.stderr)
        return 2
    print(urls[argv[0]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
