"""Alembic owns the schema: head matches the models, and seeding is repeatable."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
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
from domain.audit import verify_chain
from domain.usecases import console
from domain.usecases.cases import request_person
from tests.integration.postgres_support import TestCluster
from tests.unit.fakes import demo_deps
from tests.unit.policy_fixtures import POLICY_FILE

pytestmark = pytest.mark.integration

T = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)
ALL_TABLES = set(bss_metadata.tables) | set(backoffice_metadata.tables)


def assert_head_matches_the_models(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == ALL_TABLES | {"alembic_version"}
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # Both metadatas at once, as env.py's target_metadata: any difference is a missing revision.
        assert compare_metadata(context, [bss_metadata, backoffice_metadata]) == []  # type: ignore[arg-type]
    engine.dispose()


def assert_downgrade_to_base_removes_everything(url: str) -> None:
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_upgrade_head_from_empty_builds_a_schema_identical_to_the_models(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'db.sqlite'}"  # folder created on demand
    upgrade_to_head(url)
    assert_head_matches_the_models(url)


def test_downgrade_to_base_removes_everything(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    assert_downgrade_to_base_removes_everything(url)


def test_on_postgresql_upgrade_head_matches_the_models_and_downgrade_removes_it_all(
    postgres: TestCluster,
):
    url = postgres.fresh()  # an empty database: every revision runs on PostgreSQL
    upgrade_to_head(url)
    assert_head_matches_the_models(url)
    assert_downgrade_to_base_removes_everything(url)
    upgrade_to_head(url)  # and back up again from base
    assert_head_matches_the_models(url)
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database on each back end the stack runs on."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    return engine


def test_no_table_has_a_pin_column(database):
    for table in inspect(database).get_table_names():
        columns = {c["name"] for c in inspect(database).get_columns(table)}
        assert not {"pin", "pin_code", "pin_clear"} & columns, table
    assert "pin" not in PinAttemptRow.__table__.columns


def test_reset_twice_gives_the_same_balances_and_history(database):
    bss = SqlBss(database)
    accounts = [f"10000{n}" for n in range(1, 9)]
    reset_demo(database, T)
    first = [bss.get_balance_cents(a) for a in accounts]
    bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    with SqlBackOfficeFactory(database)() as office:
        office.flags.set_kill_switch(True)
        office.cases.next_reference()
        office.commit()
    reset_demo(database, T)
    assert [bss.get_balance_cents(a) for a in accounts] == first
    assert first == [11240, 8130, 6840, 25410, 10810, 6840, 7340, 7410]
    with SqlBackOfficeFactory(database)() as office:
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


def test_seed_if_empty_seeds_once_and_remembers_when(database):
    assert seeded_at(database) is None
    assert seed_if_empty(database, T)
    assert not seed_if_empty(database, T + timedelta(days=1))
    assert seeded_at(database) == T
    with database.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(BssAccount)) == 8
    assert not seed_is_stale(database, T + timedelta(days=7))
    assert seed_is_stale(database, T + timedelta(days=7, seconds=1))


def test_sqlite_connections_use_wal_and_wait_for_the_lock(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reset_clears_claims_notes_console_sessions_and_the_outbox_but_keeps_the_staff(database):
    reset_demo(database, T)
    store = StaffStore(
        database, lambda: T, load_policy(POLICY_FILE).staff, SignInLimits.from_settings(Settings())
    )
    store.ensure_demo_staff()
    alex = store.authenticate("alex", "kestrel-alex", "127.0.0.1")
    session = store.start_session(alex, BEARER)
    deps = dataclasses.replace(demo_deps(), backoffice=SqlBackOfficeFactory(database))
    handoff = request_person(
        deps, conversation_id="c1", account_id=None, channel="socketio", reason="asked"
    )
    console.claim_case(deps, handoff.case.id, "alex")
    console.add_note(deps, handoff.case.id, "alex", "called back")

    reset_demo(database, T)

    with Session(database) as db:
        for row in (CaseRow, CaseNoteRow, CaseEventRow, ConsoleSessionRow, SignInFailureRow):
            assert db.scalar(select(func.count()).select_from(row)) == 0, row.__tablename__
    assert store.session_user(session.secret, BEARER) is None
    assert store.authenticate("alex", "kestrel-alex", "127.0.0.1").username == "alex"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all, on each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    postgres: TestCluster = request.getfixturevalue("postgres")
    return postgres.fresh()


def test_decisions_recorded_before_the_audit_chain_are_chained_in_by_the_upgrade(empty_url: str):
    command.upgrade(alembic_config(empty_url), "0002")
    engine = make_engine(empty_url)
    decision = (
        "INSERT INTO decisions (id, at, actor, account_id, subject, request, facts, "
        "policy_version, rules_fired, outcome) VALUES (:id, :at, 'bot', '100001', "
        "'adjustment:adj_1', '{\"amount_cents\": 500}', '{}', '2026-11-01', "
        "'[\"late_fee_waiver.eligible\"]', 'apply')"
    )
    with engine.begin() as connection:
        for n, at in ((2, T), (1, T - timedelta(hours=1))):  # chained oldest first
            connection.execute(text(decision), {"id": f"dec_{n}", "at": at.replace(tzinfo=None)})
    upgrade_to_head(empty_url)
    with SqlBackOfficeFactory(engine)() as office:
        entries = office.audit.entries()
        head = office.audit.head()
        assert [(e.seq, e.row_id) for e in entries] == [(1, "dec_1"), (2, "dec_2")]
        assert verify_chain(entries, head) is None
        assert [d.override for d in office.decisions.for_account("100001")] == [False, False]
    engine.dispose()
