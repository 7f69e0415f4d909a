"""Engines and schema upgrades for the one database that holds the back office and the BSS.

SQLite (the default) gets WAL, a long busy timeout and ``BEGIN IMMEDIATE`` transactions, so that
several processes (action server, web app, seeder) serialise their writers instead of failing
with "database is locked" half-way through a transaction. Sessions known to only read use
``read_only(engine)``: a deferred BEGIN, which under WAL reads a snapshot without waiting for the
writer's lock (under load, reads queued behind every writer were most of a turn's time).
Nothing here connects at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

READ_ONLY = "kestrel_read_only"  # an execution option: this connection's transactions only read
ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    # SQLAlchemy's documented pysqlite recipe: take transaction control away from the driver,
    # then open every transaction with BEGIN IMMEDIATE (the write lock up front, no upgrade
    # deadlocks between two readers that both decide to write).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Only a session that never writes may go deferred: a deferred transaction that reads
        # and then writes would need a lock upgrade, which fails at once when another process
        # wrote since its snapshot (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine (pool and all) for sessions that only read: on SQLite their transactions
    begin deferred, so they neither wait for nor hold up the writers. Never write through it."""
    return engine.execution_options(**{READ_ONLY: True})


def make_engine(url: str, busy_timeout_s: float = 30.0, **kwargs: Any) -> Engine:
    """An engine for ``url``; extra keyword arguments go to ``create_engine``.

    ``busy_timeout_s``: how long a SQLite writer waits for another's lock before giving up.
    """
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
        # The driver's own timeout also waits for the lock (seconds).
        connect_args = {"timeout": busy_timeout_s, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, busy_timeout_s)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(url: str) -> Config:
    """An Alembic Config built in code (no alembic.ini needed), pointing at our migrations."""
    from alembic.config import Config  # imported on use: the serving processes never need it

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would eat a '%' of a URL-encoded password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (what ``make run`` does first)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
