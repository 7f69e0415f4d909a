"""The audit chain on a real SQLite back office: real journeys, then tampering with plain SQL.

`make verify-audit` (app.cli.audit) must say OK on an untouched chain and name the first broken
row (its seq, table and id) after any edit, deletion or reordering done behind the back office's
back; `make reset` (app.seeding.reset_demo) starts a chain that verifies; the ops API lists one
account's links in chain order.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.backoffice.sql import SqlBackOfficeFactory
from app.bootstrap import get_deps, get_settings, use_deps
from app.cli import audit as audit_cli
from app.policy_loader import load_policy
from app.seeding import reset_demo
from billing_adapters.sql import SqlBss
from domain.audit import link_hash
from domain.records import AdjustmentKind, Status
from domain.usecases.audit import verify_audit
from domain.usecases.cases import Origin
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import (
    accept_offer,
    offer_credit,
    offer_extension,
    withdraw_offer,
)
from domain.usecases.lifecycle.staff import approve
from domain.usecases.lifecycle.transitions import Happened
from tests.integration.conftest import SEED_TIME
from tests.unit.fakes import POLICY_FILE, FakeClock

pytestmark = pytest.mark.integration

TOKEN = "test-ops-token"
ORIGIN = Origin(conversation_id="conv-audit", channel="chat")
HEX64 = re.compile(r"[0-9a-f]{64}")
SEEDED_ROWS = 3  # the demo history's transitions: the chain reset_demo starts


@dataclass(frozen=True)
class Link:
    seq: int
    table: str
    row_id: str
    account_id: str


@dataclass(frozen=True)
class Journeys:
    ana_waiver: str
    david_dispute: str
    elena_extension: str
    ben_withdrawn: str


def db_path(engine: Engine) -> Path:
    assert engine.url.database is not None
    return Path(engine.url.database)


def db_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def links(path: Path) -> list[Link]:
    """The chain as stored, read with plain SQL (not through the code under test)."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT seq, 'decisions', id, account_id FROM decisions "
            "UNION ALL SELECT seq, 'transitions', id, account_id FROM transitions ORDER BY 1"
        ).fetchall()
    connection.close()
    return [Link(*row) for row in rows]


def tamper(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Run ``statements`` in one transaction on a connection of our own (no back office)."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            for sql, params in statements:
                cursor = connection.execute(sql, params)
                assert cursor.rowcount == 1, f"{sql} {params} changed {cursor.rowcount} rows"
    finally:
        connection.close()


def run_cli(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()  # drop anything printed before
    code = audit_cli.main(["--database-url", url])
    captured = capsys.readouterr()
    factory = get_deps().backoffice
    assert isinstance(factory, SqlBackOfficeFactory)
    factory.engine.dispose()  # no pooled connection outlives the call (the file is tampered)
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, seeded_engine: Engine) -> Iterator[None]:
    """Settings and process-wide deps of this test only, on this test's own database."""
    monkeypatch.setenv("DATABASE_URL", db_url(seeded_engine))
    monkeypatch.setenv("OPS_API_TOKEN", TOKEN)
    monkeypatch.setenv("RECONCILE_INTERVAL_S", "3600")
    for name in ("BSS_FAULT_FILE", "FAULT_HOOKS", "DB_BUSY_TIMEOUT_S", "LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    use_deps(None)
    yield
    use_deps(None)
    get_settings.cache_clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SEED_TIME)


@pytest.fixture
def deps(seeded_engine: Engine, clock: FakeClock) -> Deps:
    bss = SqlBss(seeded_engine, clock)
    return Deps(
        billing=bss,
        orders=bss,
        network=bss,
        backoffice=SqlBackOfficeFactory(seeded_engine),
        clock=clock,
        policy=load_policy(POLICY_FILE),
    )


@pytest.fixture
def journeys(deps: Deps, clock: FakeClock) -> Journeys:
    """Decisions and transitions of four customers, interleaved in the one global chain."""
    minute = timedelta(minutes=1)
    ana = offer_credit(deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    assert ana.happened is Happened.OFFERED
    clock.advance(minute)
    david = offer_credit(deps, "100004", AdjustmentKind.THIRD_PARTY_DISPUTE, ORIGIN)
    assert david.happened is Happened.HANDED_OFF
    assert david.record.status is Status.PENDING_APPROVAL
    clock.advance(minute)
    ben = offer_credit(deps, "100002", AdjustmentKind.DUPLICATE_CHARGE, ORIGIN)
    assert ben.happened is Happened.OFFERED
    clock.advance(minute)
    assert accept_offer(deps, ana.record.id, ORIGIN).happened is Happened.APPLIED
    clock.advance(minute)
    assert approve(deps, david.record.id, "alex").happened is Happened.APPLIED
    clock.advance(minute)
    elena = offer_extension(deps, "100005", 14, ORIGIN)
    assert elena.happened is Happened.OFFERED
    clock.advance(minute)
    assert accept_offer(deps, elena.record.id, ORIGIN).happened is Happened.APPLIED
    clock.advance(minute)
    assert withdraw_offer(deps, ben.record.id, ORIGIN).happened is Happened.WITHDRAWN
    return Journeys(
        ana_waiver=ana.record.id,
        david_dispute=david.record.id,
        elena_extension=elena.record.id,
        ben_withdrawn=ben.record.id,
    )


@pytest.fixture
def chain(seeded_engine: Engine, journeys: Journeys) -> list[Link]:
    stored = links(db_path(seeded_engine))
    assert [link.seq for link in stored] == list(range(1, len(stored) + 1))
    assert {link.table for link in stored[SEEDED_ROWS:]} == {"decisions", "transitions"}
    return stored


def assert_ok(url: str, capsys: pytest.CaptureFixture[str], rows: int) -> None:
    code, out, err = run_cli(url, capsys)
    assert (code, err) == (0, "")
    assert out.strip() == f"audit chain OK: {rows} rows, head at seq {rows}"


def assert_broken_at(
    url: str, capsys: pytest.CaptureFixture[str], seq: int, table: str, row_id: str
) -> str:
    code, out, err = run_cli(url, capsys)
    assert code == 1
    assert out == ""
    assert err.startswith(f"audit chain BROKEN at seq {seq} ({table} row {row_id}): "), err
    assert "Traceback" not in err
    return err


def first(chain: list[Link], table: str, account_id: str) -> Link:
    return next(link for link in chain if link.table == table and link.account_id == account_id)


def last(chain: list[Link], table: str, account_id: str) -> Link:
    return [link for link in chain if link.table == table and link.account_id == account_id][-1]


# --- the untouched chain ------------------------------------------------------------------------


def test_the_chain_of_real_journeys_verifies_and_the_cli_says_ok(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(chain) > SEEDED_ROWS + 10
    assert_ok(db_url(seeded_engine), capsys, len(chain))


def test_the_cli_checks_the_database_it_is_given_and_leaves_the_settings_alone(
    seeded_engine: Engine, tmp_path: Path, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db_path(seeded_engine)) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()
    newest = chain[-1]
    tamper(copy, ("DELETE FROM transitions WHERE id = ?", (newest.row_id,)))
    settings_before = get_settings().model_copy()

    assert run_cli(f"sqlite:///{copy}", capsys)[0] == 1
    assert_ok(db_url(seeded_engine), capsys, len(chain))  # DATABASE_URL's file is untouched
    assert run_cli(f"sqlite:///{copy}", capsys)[0] == 1

    assert get_settings() == settings_before
    assert get_settings().database_url == db_url(seeded_engine)


# --- (a) editing a row --------------------------------------------------------------------------


def test_a_decision_edited_from_human_to_apply_is_reported_at_its_row(
    seeded_engine: Engine,
    journeys: Journeys,
    chain: list[Link],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    assert_ok(url, capsys, len(chain))
    with sqlite3.connect(path) as connection:
        seq, row_id = connection.execute(
            "SELECT seq, id FROM decisions WHERE outcome = 'human' AND subject = ?",
            (f"adjustment:{journeys.david_dispute}",),
        ).fetchone()
    connection.close()

    tamper(path, ("UPDATE decisions SET outcome = 'apply' WHERE id = ?", (row_id,)))

    err = assert_broken_at(url, capsys, seq, "decisions", row_id)
    assert "the row was edited" in err


def test_a_transition_whose_to_status_was_changed_is_reported_at_its_row(
    seeded_engine: Engine,
    journeys: Journeys,
    chain: list[Link],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    with sqlite3.connect(path) as connection:
        seq, row_id = connection.execute(
            "SELECT seq, id FROM transitions WHERE subject = ? AND to_status = 'withdrawn'",
            (f"adjustment:{journeys.ben_withdrawn}",),
        ).fetchone()
    connection.close()

    tamper(path, ("UPDATE transitions SET to_status = 'applied' WHERE id = ?", (row_id,)))

    err = assert_broken_at(url, capsys, seq, "transitions", row_id)
    assert "the row was edited" in err


def test_an_amount_changed_inside_a_decisions_request_json_is_reported_at_its_row(
    seeded_engine: Engine,
    journeys: Journeys,
    chain: list[Link],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    target = first(chain, "decisions", "100001")

    tamper(
        path,
        (
            "UPDATE decisions SET request = json_set(request, '$.amount_cents', 99999) "
            "WHERE id = ?",
            (target.row_id,),
        ),
    )

    err = assert_broken_at(url, capsys, target.seq, "decisions", target.row_id)
    assert "the row was edited" in err


def test_an_edited_row_whose_hash_was_recomputed_is_caught_by_the_row_after_it(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    target = first(chain, "transitions", "100004")
    factory = SqlBackOfficeFactory(seeded_engine)
    with factory() as office:
        entry = next(e for e in office.audit.entries() if e.row_id == target.row_id)
    forged = {**entry.content, "actor": "supervisor:sam"}
    forged_hash = link_hash(entry.seq, entry.table, forged, entry.prev_hash)
    tamper(
        path,
        (
            "UPDATE transitions SET actor = 'supervisor:sam', hash = ? WHERE id = ?",
            (forged_hash, target.row_id),
        ),
    )
    after = chain[target.seq]  # the link with seq target.seq + 1

    err = assert_broken_at(url, capsys, after.seq, after.table, after.row_id)
    assert "previous hash does not match" in err


# --- (b) deleting a middle row ------------------------------------------------------------------


def test_a_deleted_middle_row_is_reported_at_the_row_after_the_gap(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    assert_ok(url, capsys, len(chain))
    gone = first(chain, "decisions", "100004")  # David's decision, mid-chain
    after = chain[gone.seq]

    tamper(path, ("DELETE FROM decisions WHERE id = ?", (gone.row_id,)))

    err = assert_broken_at(url, capsys, after.seq, after.table, after.row_id)
    assert f"sequence {after.seq} where {gone.seq} was expected" in err


def test_a_deleted_middle_transition_is_reported_at_the_row_after_the_gap(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    gone = first(chain, "transitions", "100001")
    after = chain[gone.seq]

    tamper(path, ("DELETE FROM transitions WHERE id = ?", (gone.row_id,)))

    err = assert_broken_at(url, capsys, after.seq, after.table, after.row_id)
    assert "a row is missing" in err


# --- (c) deleting the newest row ----------------------------------------------------------------


def test_a_deleted_newest_row_is_caught_by_the_head_that_still_points_past_it(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    assert_ok(url, capsys, len(chain))
    newest = chain[-1]
    assert newest.table == "transitions"  # Ben's withdrawal

    tamper(path, ("DELETE FROM transitions WHERE id = ?", (newest.row_id,)))

    err = assert_broken_at(url, capsys, newest.seq, "(deleted)", "(deleted)")
    assert f"the chain ends at {newest.seq - 1}" in err
    assert f"stored head is at {newest.seq}" in err


def test_deleting_the_newest_row_and_rewinding_the_head_is_still_caught_by_its_hash(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    newest, before = chain[-1], chain[-2]
    tamper(
        path,
        ("DELETE FROM transitions WHERE id = ?", (newest.row_id,)),
        ("UPDATE audit_head SET seq = ? WHERE name = 'chain'", (before.seq,)),
    )

    err = assert_broken_at(url, capsys, before.seq, before.table, before.row_id)
    assert "stored chain head does not match" in err


# --- (d) reordering two rows --------------------------------------------------------------------


def test_two_rows_whose_seq_values_were_swapped_are_reported_at_the_first_of_them(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    assert_ok(url, capsys, len(chain))
    a = first(chain, "decisions", "100004")
    b = last(chain, "decisions", "100005")
    assert a.seq < b.seq

    tamper(
        path,
        ("UPDATE decisions SET seq = -1 WHERE id = ?", (a.row_id,)),
        ("UPDATE decisions SET seq = ? WHERE id = ?", (a.seq, b.row_id)),
        ("UPDATE decisions SET seq = ? WHERE id = ?", (b.seq, a.row_id)),
    )

    # Elena's decision now comes first, at David's seq, but was chained after another row.
    err = assert_broken_at(url, capsys, a.seq, "decisions", b.row_id)
    assert "previous hash does not match" in err


def test_a_decision_and_a_transition_swapped_in_sequence_are_reported_at_the_first(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    a = first(chain, "decisions", "100001")
    b = chain[a.seq]  # the transition chained right after it
    assert b.table == "transitions"

    tamper(
        path,
        ("UPDATE decisions SET seq = ? WHERE id = ?", (b.seq, a.row_id)),
        ("UPDATE transitions SET seq = ? WHERE id = ?", (a.seq, b.row_id)),
    )

    err = assert_broken_at(url, capsys, a.seq, "transitions", b.row_id)
    assert "previous hash does not match" in err


def test_two_decisions_whose_contents_were_swapped_are_reported_at_the_first_of_them(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    a = first(chain, "decisions", "100001")
    b = first(chain, "decisions", "100004")
    columns = (
        "at, actor, account_id, subject, request, facts, policy_version, rules_fired, "
        "outcome, override"
    )
    names = [c.strip() for c in columns.split(",")]
    with sqlite3.connect(path) as connection:
        row_a = connection.execute(
            f"SELECT {columns} FROM decisions WHERE id = ?", (a.row_id,)
        ).fetchone()
        row_b = connection.execute(
            f"SELECT {columns} FROM decisions WHERE id = ?", (b.row_id,)
        ).fetchone()
    connection.close()
    assignments = ", ".join(f"{name} = ?" for name in names)

    tamper(
        path,
        (f"UPDATE decisions SET {assignments} WHERE id = ?", (*row_b, a.row_id)),
        (f"UPDATE decisions SET {assignments} WHERE id = ?", (*row_a, b.row_id)),
    )

    err = assert_broken_at(url, capsys, a.seq, "decisions", a.row_id)
    assert "the row was edited" in err


# --- make reset ---------------------------------------------------------------------------------


def test_reset_demo_reseeds_a_chain_that_verifies(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url(seeded_engine)
    assert_ok(url, capsys, len(chain))

    reset_demo(seeded_engine, SEED_TIME + timedelta(days=1))

    assert_ok(url, capsys, SEEDED_ROWS)
    assert [link.seq for link in links(db_path(seeded_engine))] == [1, 2, 3]


def test_reset_demo_repairs_a_tampered_chain(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = db_path(seeded_engine), db_url(seeded_engine)
    middle = chain[len(chain) // 2]
    tamper(path, (f"DELETE FROM {middle.table} WHERE id = ?", (middle.row_id,)))
    assert run_cli(url, capsys)[0] == 1

    reset_demo(seeded_engine, SEED_TIME)

    assert_ok(url, capsys, SEEDED_ROWS)


def test_the_reset_cli_command_reseeds_a_chain_that_verifies(
    seeded_engine: Engine, chain: list[Link], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import db as db_cli

    db_cli.main(["reset"])  # what `make reset` runs, on DATABASE_URL (this test's file)

    assert "restored to the seed" in capsys.readouterr().out
    report = verify_audit(
        Deps(
            billing=SqlBss(seeded_engine),
            orders=SqlBss(seeded_engine),
            network=SqlBss(seeded_engine),
            backoffice=SqlBackOfficeFactory(seeded_engine),
            clock=FakeClock(SEED_TIME),
            policy=load_policy(POLICY_FILE),
        )
    )
    assert report.ok
    assert (report.rows, report.head_seq) == (SEEDED_ROWS, SEEDED_ROWS)


# --- GET /api/audit -----------------------------------------------------------------------------


@pytest.fixture
def client(seeded_engine: Engine, journeys: Journeys) -> Iterator[TestClient]:
    from app.web.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client
    factory = get_deps().backoffice
    assert isinstance(factory, SqlBackOfficeFactory)
    factory.engine.dispose()


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_the_audit_api_lists_anas_records_in_chain_order_with_their_links(
    client: TestClient, seeded_engine: Engine, chain: list[Link]
) -> None:
    response = client.get("/api/audit", params={"account_id": "100001"}, headers=auth())

    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == "100001"
    records = body["records"]
    anas = [link for link in chain if link.account_id == "100001"]
    assert [(r["seq"], r["id"]) for r in records] == [(a.seq, a.row_id) for a in anas]
    assert {r["type"] for r in records} == {"decision", "transition"}
    assert all(r["record"]["account_id"] == "100001" for r in records)
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(set(seqs))
    for record in records:
        assert HEX64.fullmatch(record["hash"]), record
        assert HEX64.fullmatch(record["prev_hash"]), record
        table = "decisions" if record["type"] == "decision" else "transitions"
        # the listed record is exactly what was hashed
        assert (
            link_hash(record["seq"], table, record["record"], record["prev_hash"])
            == (record["hash"])
        )
    consecutive = gaps = 0
    for before, after in itertools.pairwise(records):
        if after["seq"] == before["seq"] + 1:
            consecutive += 1
            assert after["prev_hash"] == before["hash"]
        else:
            gaps += 1
            assert after["prev_hash"] != before["hash"]
    assert consecutive and gaps  # Ana's links are interleaved with David's and Ben's


def test_the_audit_api_answers_422_json_to_a_malformed_account_id(client: TestClient) -> None:
    response = client.get("/api/audit", params={"account_id": "10000X"}, headers=auth())

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert "malformed account id" in response.json()["error"]


def test_the_audit_api_answers_422_json_without_an_account_id(client: TestClient) -> None:
    response = client.get("/api/audit", headers=auth())

    assert response.status_code == 422
    assert response.json()["type"] == "InvalidInput"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_the_audit_api_answers_401_without_the_right_bearer_token(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get("/api/audit", params={"account_id": "100001"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}
