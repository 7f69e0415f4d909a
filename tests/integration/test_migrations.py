"""Alembic owns the schema: head matches the models, and seeding is repeatable."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.staff import BEARER, SignInLimits, StaffStore
from app.backoffice.tables import (
    CaseEventRow,
    CaseNoteRow,
    CaseRow,
    ConsoleSessionRow,
    PinAttemptRow,
    SignInFailureRow,
    backoffice_metadata,
)
from app.db import alembic_config, make_engine, upgrade_to_head
from app.policy_loader import load_policy
from app.seeding import reset_demo, seed_if_empty, seed_is_stale, seeded_at
from app.settings import Settings
from billing_adapters.sql import SqlBss, bss_metadata
from billing_adapters.sql.tables import BssAccount
from domain.usecases import console
from domain.usecases.cases import request_person
from tests.unit.fakes import demo_deps
from tests.unit.policy_fixtures import POLICY_FILE

pytestmark = pytest.mark.integration

T = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)
ALL_TABLES = set(bss_metadata.tables) | set(backoffice_metadata.tables)


def test_upgrade_head_from_empty_builds_a_schema_identical_to_the_models(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'db.sqlite'}"  # folder created on demand
    upgrade_to_head(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == ALL_TABLES | {"alembic_version"}
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # Both metadatas at once, as env.py's target_metadata: any difference is a missing revision.
        assert compare_metadata(context, [bss_metadata, backoffice_metadata]) == []  # type: ignore[arg-type]
    engine.dispose()


def test_downgrade_to_base_removes_everything(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_no_table_has_a_pin_column(engine):
    for table in inspect(engine).get_table_names():
        columns = {c["name"] for c in inspect(engine).get_columns(table)}
        assert not {"pin", "pin_code", "pin_clear"} & columns, table
    assert "pin" not in PinAttemptRow.__table__.columns


def test_reset_twice_gives_the_same_balances_and_history(engine):
    bss = SqlBss(engine)
    accounts = [f"10000{n}" for n in range(1, 9)]
    reset_demo(engine, T)
    first = [bss.get_balance_cents(a) for a in accounts]
    bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    with SqlBackOfficeFactory(engine)() as office:
        office.flags.set_kill_switch(True)
        office.cases.next_reference()
        office.commit()
    reset_demo(engine, T)
    assert [bss.get_balance_cents(a) for a in accounts] == first
    assert first == [11240, 8130, 6840, 25410, 10810, 6840, 7340, 7410]
    with SqlBackOfficeFactory(engine)() as office:
        assert not office.flags.kill_switch()
        assert office.cases.next_reference() == "KM-1001"
        hiro = office.adjustments.for_account("100008")
        assert [(a.kind.value, a.amount_cents) for a in hiro] == [
            ("goodwill", 2000), ("outage_credit", 2500),
        ]  # fmt: skip
        assert all(a.idempotency_key.startswith("seed-") for a in hiro)
        assert office.adjustments.bot_applied_cents_since(T - timedelta(365), "100008") == 4500
        assert (
            office.adjustments.count_since(
                "100005", office.adjustments.for_account("100005")[0].kind, T - timedelta(365)
            )
            == 1
        )


def test_seed_if_empty_seeds_once_and_remembers_when(engine):
    assert seeded_at(engine) is None
    assert seed_if_empty(engine, T)
    assert not seed_if_empty(engine, T + timedelta(days=1))
    assert seeded_at(engine) == T
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(BssAccount)) == 8
    assert not seed_is_stale(engine, T + timedelta(days=7))
    assert seed_is_stale(engine, T + timedelta(days=7, seconds=1))


def test_sqlite_connections_use_wal_and_wait_for_the_lock(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reset_clears_claims_notes_console_sessions_and_the_outbox_but_keeps_the_staff(engine):
    reset_demo(engine, T)
    store = StaffStore(
        engine, lambda: T, load_policy(POLICY_FILE).staff, SignInLimits.from_settings(Settings())
    )
    store.ensure_demo_staff()
    alex = store.authenticate("alex", "kestrel-alex", "127.0.0.1")
    session = store.start_session(alex, BEARER)
    deps = dataclasses.replace(demo_deps(), backoffice=SqlBackOfficeFactory(engine))
    handoff = request_person(
        deps, conversation_id="c1", account_id=None, channel="socketio", reason="asked"
    )
    console.claim_case(deps, handoff.case.id, "alex")
    console.add_note(deps, handoff.case.id, "alex", "called back")

    reset_demo(engine, T)

    with Session(engine) as db:
        for row in (CaseRow, CaseNoteRow, CaseEventRow, ConsoleSessionRow, SignInFailureRow):
            assert db.scalar(select(func.count()).select_from(row)) == 0, row.__tablename__
    assert store.session_user(session.secret, BEARER) is None
    assert store.authenticate("alex", "kestrel-alex", "127.0.0.1").username == "alex"
