"""The lifecycle under real concurrency: threads racing on one database (the seeded demo), a
SQLite file and a PostgreSQL database.

Twenty yeses to one offer, twenty approvals (or approvals and rejections) of one pending proposal,
two reconcilers on the same stuck rows (in one process, and as two web app replicas with
engines of their own): each time exactly one actor acts, the BSS holds exactly one posting per
key, and the audit chain stays one linear, verifying chain.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.tables import CaseRow, DecisionRow
from app.db import make_engine
from app.policy_loader import load_policy
from app.web.reconciler import Reconciler
from billing_adapters.sql import SqlBss
from billing_adapters.sql.tables import BssCredit, BssDueDateExtension
from domain.errors import AlreadyDecided
from domain.model import Account, Bill, Incident, PostingReceipt
from domain.records import AdjustmentKind, CaseStatus, Status
from domain.usecases.audit import verify_audit
from domain.usecases.cases import Origin
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.kinds import load_record
from domain.usecases.lifecycle.offers import accept_offer, offer_credit, offer_extension
from domain.usecases.lifecycle.reconcile import reconcile
from domain.usecases.lifecycle.staff import approve, reject
from domain.usecases.lifecycle.transitions import Happened, Step, subject_of
from tests.integration.conftest import SEED_TIME
from tests.unit.fakes import POLICY_FILE, FakeClock

pytestmark = pytest.mark.integration

K = AdjustmentKind
T = TypeVar("T")
RACERS = 20
ORIGIN = Origin(conversation_id="concurrency-1", channel="rest")


class CountingBss:
    """The SQL BSS, counting every posting call per key (from any thread)."""

    def __init__(self, inner: SqlBss) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self.postings: Counter[str] = Counter()

    def _count(self, key: str) -> None:
        with self._lock:
            self.postings[key] += 1

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        self._count(idempotency_key)
        return self.inner.post_credit(account_id, bill_id, amount_cents, memo, idempotency_key)

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        self._count(idempotency_key)
        self.inner.extend_due_date(account_id, bill_id, new_due_date, idempotency_key)

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        return self.inner.find_account_id(account_id=account_id, phone=phone)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        return self.inner.verify_pin(account_id, pin)

    def get_account(self, account_id: str) -> Account:
        return self.inner.get_account(account_id)

    def get_bills(self, account_id: str) -> list[Bill]:
        return self.inner.get_bills(account_id)

    def get_balance_cents(self, account_id: str) -> int:
        return self.inner.get_balance_cents(account_id)

    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        return self.inner.incidents_for_zip(zip_code, start, end)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Engine:
    """The seeded demo, on each back end the stack runs on."""
    name = "seeded_engine" if request.param == "sqlite" else "pg_seeded_engine"
    engine: Engine = request.getfixturevalue(name)
    return engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SEED_TIME)


@pytest.fixture
def bss(database: Engine, clock: FakeClock) -> CountingBss:
    return CountingBss(SqlBss(database, clock))


@pytest.fixture
def deps(database: Engine, clock: FakeClock, bss: CountingBss) -> Iterator[Deps]:
    yield Deps(
        billing=bss,
        orders=bss.inner,
        network=bss,
        backoffice=SqlBackOfficeFactory(database),
        clock=clock,
        policy=load_policy(POLICY_FILE),
    )


def race(racers: int, action: Callable[[int], T]) -> list[T | Exception]:
    """Run ``action(i)`` in ``racers`` threads released at once; each one's result or error."""
    barrier = threading.Barrier(racers)
    results: list[T | Exception | None] = [None] * racers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as error:  # collected: the test says which errors are right
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer never finished (deadlock?)"
    return [r for r in results if r is not None]


def steps_of(results: list[Any]) -> list[Step]:
    unexpected = [r for r in results if not isinstance(r, Step | AlreadyDecided)]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, Step)]


def credits_for(engine: Engine, key: str) -> list[tuple[str, int]]:
    with Session(engine) as s:
        rows = s.execute(
            select(BssCredit.reference, BssCredit.amount_cents).where(
                BssCredit.idempotency_key == key
            )
        ).all()
    return [(reference, cents) for reference, cents in rows]


def extensions_for(engine: Engine, key: str) -> list[date]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(BssDueDateExtension.new_due_date).where(
                    BssDueDateExtension.idempotency_key == key
                )
            )
        )


def staff_decisions(engine: Engine, subject: str) -> list[str]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(DecisionRow.actor)
                .where(DecisionRow.subject == subject, DecisionRow.actor != "bot")
                .order_by(DecisionRow.seq)
            )
        )


def case_status(engine: Engine, case_id: str | None) -> str:
    assert case_id is not None
    with Session(engine) as s:
        row = s.get(CaseRow, case_id)
        assert row is not None
        return row.status


def assert_the_chain_is_linear(deps: Deps, *records: Any) -> None:
    """The audit chain verifies, its sequence has no gap, and each record has one history."""
    report = verify_audit(deps)
    assert report.ok, report.broken
    with deps.backoffice() as office:
        entries = office.audit.entries()
        histories = {r.id: office.transitions.for_subject(subject_of(r)) for r in records}
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert report.head_seq == len(entries)
    for record in records:
        history = histories[record.id]
        assert history[0].from_status is None
        for earlier, later in itertools.pairwise(history):
            assert later.from_status == earlier.to_status, [
                (t.from_status, t.to_status) for t in history
            ]
        current = load_record(deps, record.id)
        assert history[-1].to_status == current.status.value


def test_twenty_simultaneous_yeses_to_one_offer_apply_it_once(
    deps: Deps, bss: CountingBss, database: Engine
) -> None:
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert offer.happened is Happened.OFFERED and offer.record.amount_cents == 500
    before = bss.inner.get_balance_cents("100001")

    results = race(RACERS, lambda _i: accept_offer(deps, offer.record.id, ORIGIN))

    steps = steps_of(results)
    assert len(steps) == RACERS
    happened = Counter(s.happened for s in steps)
    assert happened == {Happened.APPLIED: 1, Happened.STANDING: RACERS - 1}, happened
    assert all(s.record.status in (Status.APPLYING, Status.APPLIED) for s in steps)
    key = offer.record.idempotency_key
    ((reference, cents),) = credits_for(database, key)
    assert cents == 500 and bss.postings[key] == 1
    assert bss.inner.get_balance_cents("100001") == before - 500
    applied = load_record(deps, offer.record.id)
    assert applied.status is Status.APPLIED and applied.bss_reference == reference
    with deps.backoffice() as office:
        history = office.transitions.for_subject(subject_of(applied))
    assert [(t.from_status, t.to_status) for t in history] == [
        (None, "offered"),
        ("offered", "applying"),
        ("applying", "applied"),
    ]
    assert_the_chain_is_linear(deps, applied)


@pytest.mark.parametrize("who", ["alex", "mixed"])
def test_twenty_simultaneous_approvals_of_one_pending_credit_apply_it_once(
    deps: Deps, bss: CountingBss, database: Engine, who: str
) -> None:
    pending = offer_credit(deps, "100004", K.THIRD_PARTY_DISPUTE, ORIGIN)
    assert pending.happened is Happened.HANDED_OFF and pending.record.amount_cents == 18000
    before = bss.inner.get_balance_cents("100004")
    users = ["alex" if who == "alex" or i % 2 else "sam" for i in range(RACERS)]

    results = race(RACERS, lambda i: approve(deps, pending.record.id, users[i]))

    steps = steps_of(results)
    assert [s.happened for s in steps] == [Happened.APPLIED]
    assert sum(isinstance(r, AlreadyDecided) for r in results) == RACERS - 1
    key = pending.record.idempotency_key
    ((_, cents),) = credits_for(database, key)
    assert cents == 18000 and bss.postings[key] == 1
    assert bss.inner.get_balance_cents("100004") == before - 18000
    (winner,) = steps
    assert winner.record.status is Status.APPLIED
    assert staff_decisions(database, subject_of(pending.record)) == [winner.record.decided_by]
    assert case_status(database, pending.record.case_id) == CaseStatus.RESOLVED.value
    assert_the_chain_is_linear(deps, winner.record)


@pytest.mark.parametrize("ask", ["credit", "extension"])
def test_approvals_and_rejections_racing_on_one_proposal_make_exactly_one_decision(
    deps: Deps, bss: CountingBss, database: Engine, ask: str
) -> None:
    if ask == "credit":
        pending = offer_credit(deps, "100004", K.THIRD_PARTY_DISPUTE, ORIGIN)
    else:
        pending = offer_extension(deps, "100005", 30, ORIGIN)
    assert pending.happened is Happened.HANDED_OFF
    record = pending.record
    users = ("alex", "sam")

    def decide(i: int) -> Step:
        if i % 2:
            return approve(deps, record.id, users[i // 2 % 2])
        return reject(deps, record.id, users[i // 2 % 2], reason="not for the bot to decide")

    results = race(RACERS, decide)

    steps = steps_of(results)
    assert len(steps) == 1 and sum(isinstance(r, AlreadyDecided) for r in results) == RACERS - 1
    (winner,) = steps
    decisions = staff_decisions(database, subject_of(record))
    assert decisions == [winner.record.decided_by]
    final = load_record(deps, record.id)
    postings = (
        credits_for(database, record.idempotency_key)
        if ask == "credit"
        else extensions_for(database, record.idempotency_key)
    )
    if winner.happened is Happened.APPLIED:
        assert final.status is Status.APPLIED and len(postings) == 1
        assert bss.postings[record.idempotency_key] == 1
    else:
        assert winner.happened is Happened.REJECTED
        assert final.status is Status.REJECTED and postings == []
        assert bss.postings[record.idempotency_key] == 0
    assert case_status(database, record.case_id) == CaseStatus.RESOLVED.value
    assert_the_chain_is_linear(deps, final)


class Crash(BaseException):
    pass


def crash_after_record(point: str) -> None:
    if point == "after_record":
        raise Crash(point)


def test_two_reconcilers_on_the_same_applying_rows_post_each_exactly_once(
    deps: Deps, bss: CountingBss, database: Engine, clock: FakeClock
) -> None:
    crashing = dataclasses.replace(deps, checkpoint=crash_after_record)
    asks = [("100001", K.LATE_FEE_WAIVER, 500), ("100002", K.DUPLICATE_CHARGE, 1500)]
    asks.append(("100003", K.OUTAGE_CREDIT, 800))
    stuck = []
    for account_id, kind, cents in asks:
        offer = offer_credit(deps, account_id, kind, ORIGIN)
        assert offer.record.amount_cents == cents
        with pytest.raises(Crash):
            accept_offer(crashing, offer.record.id, ORIGIN)
        stuck.append(load_record(deps, offer.record.id))
    assert all(r.status is Status.APPLYING for r in stuck) and not bss.postings
    balances = {r.account_id: bss.inner.get_balance_cents(r.account_id) for r in stuck}
    clock.advance(deps.apply_grace + timedelta(seconds=1))  # past the grace: the reconciler's

    results = race(2, lambda _i: reconcile(deps))

    assert not [r for r in results if isinstance(r, Exception)], results
    finished = [step for steps in results if isinstance(steps, list) for step in steps]
    assert sorted(s.record.id for s in finished) == sorted(r.id for r in stuck)
    assert all(s.happened is Happened.APPLIED for s in finished)
    for (account_id, _kind, cents), row in zip(asks, stuck, strict=True):
        assert bss.postings[row.idempotency_key] == 1, "two reconcilers posted the same row"
        ((reference, posted),) = credits_for(database, row.idempotency_key)
        done = load_record(deps, row.id)
        assert done.status is Status.APPLIED and done.bss_reference == reference
        assert posted == cents
        assert bss.inner.get_balance_cents(account_id) == balances[account_id] - cents
    clock.advance(deps.reconcile_lease + timedelta(seconds=1))
    assert reconcile(deps) == []
    assert sum(bss.postings.values()) == len(stuck)
    assert_the_chain_is_linear(deps, *[load_record(deps, r.id) for r in stuck])
    with Session(database) as s:
        assert s.scalar(select(func.count()).select_from(BssCredit)) == len(stuck)


def test_the_reconcilers_of_two_web_app_replicas_act_exactly_once_on_a_stuck_applying_row(
    deps: Deps, bss: CountingBss, database: Engine, clock: FakeClock
) -> None:
    """Each replica's Reconciler (app/web/reconciler.py) on an engine of its own, as two web app
    processes on one database: only the back office's serialisation (BEGIN IMMEDIATE, the
    advisory lock) stands between them."""
    offer = offer_credit(deps, "100002", K.DUPLICATE_CHARGE, ORIGIN)
    with pytest.raises(Crash):
        accept_offer(
            dataclasses.replace(deps, checkpoint=crash_after_record), offer.record.id, ORIGIN
        )
    stuck = load_record(deps, offer.record.id)
    assert stuck.status is Status.APPLYING and not bss.postings
    balance = bss.inner.get_balance_cents("100002")
    clock.advance(deps.apply_grace + timedelta(seconds=1))
    url = database.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    replicas = [CountingBss(SqlBss(engine, clock)) for engine in engines]

    def replica_deps(n: int) -> Deps:
        office = SqlBackOfficeFactory(engines[n])
        counted = replicas[n]
        return dataclasses.replace(
            deps, backoffice=office, billing=counted, orders=counted.inner, network=counted
        )

    reconcilers = [Reconciler(lambda n=n: replica_deps(n), interval_s=60) for n in range(2)]
    try:
        finished = race(2, lambda n: reconcilers[n].run_once())
    finally:
        for engine in engines:
            engine.dispose()

    assert sorted(finished) == [0, 1], finished  # type: ignore[type-var]
    postings = sum((r.postings for r in replicas), Counter())
    assert postings == {stuck.idempotency_key: 1}, postings
    ((reference, cents),) = credits_for(database, stuck.idempotency_key)
    done = load_record(deps, stuck.id)
    assert done.status is Status.APPLIED and done.bss_reference == reference and cents == 1500
    assert done.lease_until is None
    assert bss.inner.get_balance_cents("100002") == balance - 1500
    assert_the_chain_is_linear(deps, done)
