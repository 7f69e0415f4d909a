"""A throw-away PostgreSQL cluster for the integration tier: one server per test session, one
database per test, each a copy of a template migrated (and seeded) once.

``CREATE DATABASE ... TEMPLATE`` copies a migrated, seeded database in a few tens of
milliseconds, where migrating and seeding takes seconds. The cluster lives in pytest's temporary
folder and never fsyncs (nothing in it has to survive a crash); locking, isolation and
transactions are PostgreSQL's own, which is what the tests are here for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from app.cli.stack_config import free_ports

MISSING = "PostgreSQL is not installed: run `make test-setup` (it installs Debian's postgresql)"
# Reloadable settings for a cluster whose contents may be lost: no fsync, no wait for the WAL.
THROW_AWAY = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class TestCluster:
    """The session's PostgreSQL server and the databases the tests take from it."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, data_dir: Path) -> None:
        try:
            from app.cli.servers.postgres import PostgresServer

            self.server = PostgresServer(data_dir, free_ports(1)[0])
        except FileNotFoundError:
            pytest.fail(MISSING, pytrace=False)
        self._numbers = itertools.count(1)
        self._templates: set[str] = set()

    def start(self) -> TestCluster:
        self.server.start()
        for name, value in THROW_AWAY.items():
            self._admin(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        self._admin(sql.SQL("SELECT pg_reload_conf()"))
        return self

    def stop(self) -> None:
        self.server.stop()

    def url(self, database: str) -> str:
        return self.server.url(database)

    def _admin(self, statement: sql.Composable) -> None:
        connection = psycopg2.connect(self.url("postgres"))
        try:
            connection.autocommit = True  # CREATE / DROP DATABASE refuse a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def template(self, name: str, build: Callable[[str], None], base: str | None = None) -> str:
        """The database ``name``, built once by ``build(url)`` (on a copy of ``base``, if given).

        ``build`` must close every connection it opened: a template in use cannot be copied.
        """
        if name not in self._templates:
            self._create(name, base)
            build(self.url(name))
            self._templates.add(name)
        return name

    def fresh(self, template: str | None = None) -> str:
        """A new database copied from ``template`` (None: an empty one); its URL."""
        name = f"{template or 'empty'}_{next(self._numbers)}"
        self._create(name, template)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _create(self, name: str, template: str | None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(statement)
