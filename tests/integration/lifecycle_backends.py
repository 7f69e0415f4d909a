"""The database under the lifecycle property test, on each back end the stack runs on.

Every example of the property test starts from the seeded demo, so a back end must put the seed
back cheaply (hundreds of times a run), say whether anything was committed since it last looked
(the invariants are skipped when nothing was), and read rows bypassing SQLAlchemy. One engine
serves every example: a new engine per example recompiles every statement.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import psycopg2
from psycopg2 import sql
from sqlalchemy import Engine, event

from app.backoffice.tables import backoffice_metadata
from app.db import make_engine
from billing_adapters.sql.tables import bss_metadata

NO_FSYNC = "PRAGMA synchronous=OFF"
SEED_SCHEMA = "seed"


class Backend(Protocol):
    engine: Engine

    def restore(self) -> None:
        """Put the seeded demo back, exactly (every table we own)."""

    def version(self) -> object:
        """A value that changes whenever a transaction wrote to the database."""

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        """The rows of ``query``, read outside the engine's pool."""

    def close(self) -> None: ...


class SqliteBackend:
    """A file of the test's own, overwritten from the seeded template with SQLite's backup API."""

    def __init__(self, seeded_template: Path, path: Path) -> None:
        shutil.copy(seeded_template, path)
        self.engine = make_engine(f"sqlite:///{path}")
        # A throw-away file: no fsync per commit (locking and transactions are unchanged).
        event.listen(self.engine, "connect", lambda dbapi, _record: dbapi.execute(NO_FSYNC))
        self._template = sqlite3.connect(seeded_template)
        # PRAGMA data_version on a connection of its own moves with every other one's commit.
        self._watch = sqlite3.connect(path, isolation_level=None)

    def restore(self) -> None:
        fresh = self.engine.raw_connection()
        try:
            self._template.backup(fresh.driver_connection)
        finally:
            fresh.close()

    def version(self) -> object:
        return self._watch.execute("PRAGMA data_version").fetchone()[0]

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        return self._watch.execute(query).fetchall()

    def close(self) -> None:
        self._template.close()
        self._watch.close()
        self.engine.dispose()


class PostgresBackend:
    """A database of the test's own (a copy of the seeded template) that keeps its seed.

    The seed is copied once into a schema of its own; restoring it is one round trip that
    empties every table, children first, and refills it, parents first (a new database per
    example would need a new engine, see above). The server's cluster does not fsync.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._watch = psycopg2.connect(url)
        self._watch.autocommit = True  # each read sees the latest commits
        tables = [
            table.name
            for metadata in (bss_metadata, backoffice_metadata)
            for table in metadata.sorted_tables
        ]
        keep = [
            sql.SQL("CREATE TABLE {}.{} AS TABLE {}").format(
                sql.Identifier(SEED_SCHEMA), sql.Identifier(name), sql.Identifier(name)
            )
            for name in tables
        ]
        with self._watch.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SEED_SCHEMA)))
            cursor.execute(sql.SQL("; ").join(keep))
        empty = [sql.SQL("DELETE FROM {}").format(sql.Identifier(n)) for n in reversed(tables)]
        refill = [
            sql.SQL("INSERT INTO {} SELECT * FROM {}.{}").format(
                sql.Identifier(n), sql.Identifier(SEED_SCHEMA), sql.Identifier(n)
            )
            for n in tables
        ]
        self._restore = sql.SQL("; ").join([sql.SQL("BEGIN"), *empty, *refill, sql.SQL("COMMIT")])

    def restore(self) -> None:
        with self._watch.cursor() as cursor:
            cursor.execute(self._restore)

    def version(self) -> object:
        # One past the newest finished transaction id: only a transaction that wrote has an id
        # (reads, advisory locks and this query take none), so it moves exactly with the writes.
        return self.rows("SELECT pg_snapshot_xmax(pg_current_snapshot())")[0][0]

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with self._watch.cursor() as cursor:
            cursor.execute(query)
            return list(cursor.fetchall())

    def close(self) -> None:
        self._watch.close()
        self.engine.dispose()
