"""Fixtures for the integration tier: a migrated SQLite file per test, or a migrated PostgreSQL
database per test (``pg_engine``, ``pg_seeded_engine``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db import make_engine, upgrade_to_head
from app.seeding import reset_demo
from tests.integration.postgres_support import TestCluster

SEED_TIME = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)  # T of the tests


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `alembic upgrade head`, copied per test (much faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


def _engine_on_copy(template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "var" / "backoffice.db"
    path.parent.mkdir()
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture
def engine(migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database of the test's own."""
    engine = _engine_on_copy(migrated_template, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo seeded once at SEED_TIME (PIN hashing makes seeding the slow part)."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    reset_demo(engine, SEED_TIME)
    engine.dispose()
    return path


@pytest.fixture
def seeded_engine(seeded_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database holding the demo operator seeded at SEED_TIME."""
    engine = _engine_on_copy(seeded_template, tmp_path)
    yield engine
    engine.dispose()


# ----------------------------------------------------------------- PostgreSQL
# The same two databases on a real PostgreSQL server (the scaled stack's): one server for the
# whole session, started by the first test that asks for it; a fresh copy of a template per test.


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestCluster]:
    cluster = TestCluster(tmp_path_factory.mktemp("postgres") / "data").start()
    yield cluster
    cluster.stop()


def _migrate(url: str) -> None:
    upgrade_to_head(url)


def _seed(url: str) -> None:
    engine = make_engine(url)
    reset_demo(engine, SEED_TIME)
    engine.dispose()


@pytest.fixture(scope="session")
def pg_migrated_template(postgres: TestCluster) -> str:
    return postgres.template("migrated", _migrate)


@pytest.fixture(scope="session")
def pg_seeded_template(postgres: TestCluster, pg_migrated_template: str) -> str:
    return postgres.template("seeded", _seed, base=pg_migrated_template)


def _engine_on_fresh(postgres: TestCluster, template: str) -> Iterator[Engine]:
    url = postgres.fresh(template)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    postgres.drop(url)


@pytest.fixture
def pg_engine(postgres: TestCluster, pg_migrated_template: str) -> Iterator[Engine]:
    """An empty, migrated PostgreSQL database of the test's own."""
    yield from _engine_on_fresh(postgres, pg_migrated_template)


@pytest.fixture
def pg_seeded_engine(postgres: TestCluster, pg_seeded_template: str) -> Iterator[Engine]:
    """A PostgreSQL database holding the demo operator seeded at SEED_TIME."""
    yield from _engine_on_fresh(postgres, pg_seeded_template)
