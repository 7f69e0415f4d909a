"""Fixtures for the integration tier: a migrated SQLite file per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db import make_engine, upgrade_to_head
from app.seeding import reset_demo

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
