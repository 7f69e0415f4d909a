"""Whatever customers, staff, the BSS and the clock do, in whatever order, the ledger stays honest.

A Hypothesis state machine drives the lifecycle use cases (offer, yes, no, staff approve/reject,
reconcile) over the SQL back office and the reference SQL BSS, both in one database put back to
the seeded demo for every example: a SQLite file (the embedded stack) and a PostgreSQL database
(the scaled stack), each running its share of the examples. Between the steps the facts move
(kill switch, credits applied elsewhere, a longer outage, the clock), the BSS refuses, times out
or loses its answer after applying, and the process crashes between the record and the posting.

After every step: no bot-applied credit breaks a cap; every key is posted to the BSS at most once
and applied at most once in our ledger; the BSS and our ledger agree credit for credit (so every
balance is bill lines minus payments minus our applied credits); whatever was applied is what
the customer said yes to or what a person approved; transitions are append-only and each record's
history is one path ending in its status; the audit chain verifies.

``LIFECYCLE_STEPS_SCALE`` multiplies the number of examples (``make soak`` sets 10).

PYTEST_DONT_REWRITE: a step runs dozens of assertions and pytest's rewriting of them cost a tenth
of the run; the assertions that can fail say what they found.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.tables import AdjustmentRow, CaseRow, PaymentExtensionRow, TransitionRow
from app.policy_loader import load_policy
from billing_adapters.sql import SqlBss
from billing_adapters.sql.tables import (
    BssBill,
    BssBillLine,
    BssCredit,
    BssDueDateExtension,
    BssIncident,
    BssIncidentZip,
    BssPayment,
)
from domain.errors import (
    AlreadyDecided,
    ApprovalLimitExceeded,
    DomainError,
    ExternalRefused,
    ExternalSystemError,
    ExternalTimeout,
    IdempotencyConflict,
    InvalidInput,
)
from domain.model import Account, Bill, Incident, PostingReceipt
from domain.policy import Policy
from domain.records import (
    BOT,
    Adjustment,
    AdjustmentKind,
    CaseStatus,
    PaymentExtension,
    Status,
)
from domain.usecases.audit import verify_audit
from domain.usecases.cases import Origin
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import (
    accept_offer,
    offer_credit,
    offer_extension,
    withdraw_offer,
)
from domain.usecases.lifecycle.reconcile import reconcile
from domain.usecases.lifecycle.staff import approve, reject
from domain.usecases.lifecycle.transitions import Happened, Step, create, move, subject_of
from tests.integration.conftest import SEED_TIME
from tests.integration.lifecycle_backends import Backend, PostgresBackend, SqliteBackend
from tests.integration.postgres_support import TestCluster
from tests.unit.fakes import POLICY_FILE, FakeClock

pytestmark = pytest.mark.integration

SCALE = max(1, int(os.environ.get("LIFECYCLE_STEPS_SCALE", "1")))
STEPS_PER_EXAMPLE = 30
MAX_EXAMPLES = 430 * SCALE  # about 23 steps each (some stop early): 10,000+ steps, 5 % margin
MIN_STEPS = 10_000 * SCALE

K = AdjustmentKind
R = Adjustment | PaymentExtension
ORIGIN = Origin(conversation_id="property-conversation", channel="rest")
ACCOUNTS = ("100001", "100002", "100003", "100004", "100005", "100006", "100007", "100008")
CREDIT_KINDS = (K.LATE_FEE_WAIVER, K.DUPLICATE_CHARGE, K.OUTAGE_CREDIT, K.THIRD_PARTY_DISPUTE)
# The asks the demo operator is about (first, so they dominate), then anything at all.
INTERESTING_CREDITS = (
    ("100001", K.LATE_FEE_WAIVER),
    ("100002", K.DUPLICATE_CHARGE),
    ("100003", K.OUTAGE_CREDIT),
    ("100004", K.THIRD_PARTY_DISPUTE),
    ("100005", K.LATE_FEE_WAIVER),
    ("100007", K.LATE_FEE_WAIVER),
    ("100008", K.OUTAGE_CREDIT),
)
EXTENSION_DAYS = (14, 7, 30, 45, 90)
STAFF = ("alex", "sam", "mallory")  # mallory is not on the policy's staff table
CHANGES = (1, 250, 500, 867, 2500, 18000, 20000, 20001, 25410, 25411, 0, 7, 30, 31, 45, 60, 61)
REASONS = ("not eligible after review", "duplicate request", "", "   ")
BSS_FAULTS = ("refuse", "timeout", "down", "lost_reply")
CRASHES = ("crash_after_record", "crash_before_post")
FAULTS = (*BSS_FAULTS, *CRASHES)

POSTED_CREDITS = (
    "SELECT idempotency_key, account_id, bill_id, amount_cents, reference FROM bss_credits"
)
POSTED_EXTENSIONS = (
    "SELECT idempotency_key, account_id, bill_id, new_due_date FROM bss_due_date_extensions"
)
ADJUSTMENTS = AdjustmentRow.__table__
EXTENSIONS = PaymentExtensionRow.__table__
OUTAGE_ZIP = "60614"  # Carla and Hiro
SEED_OUTAGE_DAYS = 4
MAX_EXTRA_OUTAGE_DAYS = 3
STANDING = {
    Status.APPLYING,
    Status.APPLIED,
    Status.PENDING_APPROVAL,
    Status.REJECTED,
    Status.DECLINED,
}
COUNTED = {Status.APPLIED, Status.APPLYING}  # what the caps count (in flight included)
DECIDED_AGAIN = {Happened.OFFERED, Happened.HANDED_OFF, Happened.DECLINED}

# Steps per rule, over every example of the run (reported at the end).
STEPS: Counter[str] = Counter()
CALLS: Counter[str] = Counter()  # use-case calls, by fault (a step may make several)
EXAMPLES: list[int] = [0]


class Crash(BaseException):
    """The process dies at a checkpoint of the apply path (raised by Deps.checkpoint)."""


def crash_at(point: str) -> Callable[[str], None]:
    def checkpoint(name: str) -> None:
        if name == point:
            raise Crash(point)

    return checkpoint


class ScriptedBss:
    """The SQL BSS behind a switch: the next posting may be refused, unanswered, or answered late.

    ``refuse``: the BSS says no (nothing posted); ``timeout`` / ``down``: no answer, nothing
    posted; ``lost_reply``: the BSS posts, then the answer is lost (ExternalTimeout).
    A fault is armed for one posting only.
    """

    def __init__(self, inner: SqlBss) -> None:
        self.inner = inner
        self.armed: str | None = None
        self.fired_on: str | None = None  # the key the armed fault hit

    def arm(self, fault: str | None) -> None:
        self.armed = fault if fault in BSS_FAULTS else None
        self.fired_on = None

    def disarm(self) -> str | None:
        """Clear the switch; the key the fault hit, if it hit one."""
        fired, self.armed, self.fired_on = self.fired_on, None, None
        return fired

    def _before(self, key: str) -> str | None:
        mode, self.armed = self.armed, None
        if mode is not None:
            self.fired_on = key
        if mode == "refuse":
            raise ExternalRefused("the BSS refused the posting (scripted)")
        if mode == "timeout":
            raise ExternalTimeout("the BSS did not answer (scripted)")
        if mode == "down":
            raise ExternalSystemError("the BSS is down (scripted)")
        return mode

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        mode = self._before(idempotency_key)
        receipt = self.inner.post_credit(account_id, bill_id, amount_cents, memo, idempotency_key)
        if mode == "lost_reply":
            raise ExternalTimeout("the BSS applied the credit but the answer was lost (scripted)")
        return receipt

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        mode = self._before(idempotency_key)
        self.inner.extend_due_date(account_id, bill_id, new_due_date, idempotency_key)
        if mode == "lost_reply":
            raise ExternalTimeout("the BSS extended the due date but the answer was lost")

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


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Everything the invariants look at, read in one go."""

    adjustments: dict[str, Adjustment]
    extensions: dict[str, PaymentExtension]
    transitions: list[tuple[Any, ...]]  # (seq, id, at, actor, subject, from, to, reason), by seq
    credits: dict[str, tuple[str, str, int, str]]  # key -> (account, bill, amount, reference)
    due_extensions: dict[str, tuple[str, str, date]]  # key -> (account, bill, new due date)
    extended_due: dict[str, date | None]  # bill -> extended due date

    def records(self) -> Iterable[R]:
        yield from self.adjustments.values()
        yield from self.extensions.values()


def open_connections(engine: Engine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


@dataclasses.dataclass(frozen=True)
class Seed:
    """What the seeded template holds (bills and payments never change in this test)."""

    current_bill: dict[str, str]  # account -> its current bill
    bill_total: dict[str, int]  # account -> the current bill's total
    billed_minus_paid: dict[str, int]  # account -> every bill line minus every payment
    balances: dict[str, int]  # account -> SqlBss.get_balance_cents on the template


def size(record: R) -> int:
    """What a record gives: cents for a credit, days for an extension."""
    return record.amount_cents if isinstance(record, Adjustment) else record.days


def decided(record: R) -> datetime:
    return record.decided_at or record.created_at


class LifecycleMachine(RuleBasedStateMachine):
    # Set by the test: the back end (tests/integration/lifecycle_backends.py) with one engine on
    # a database of the test's own. Every example starts from the seeded demo, put back by the
    # back end; one engine for all examples keeps SQLAlchemy's compiled statements (a new
    # engine per example recompiles every statement and doubles the time of a step).
    backend: Backend
    engine: Engine
    policy: Policy
    seed: Seed | None = None  # what the template holds, read by the first example

    def __init__(self) -> None:
        super().__init__()
        EXAMPLES[0] += 1
        assert open_connections(self.engine) == 0, "a connection was left open"
        self.backend.restore()
        self.clock = FakeClock(SEED_TIME)
        self.bss = ScriptedBss(SqlBss(self.engine, self.clock))
        self.deps = Deps(
            billing=self.bss,
            orders=self.bss.inner,
            network=self.bss,
            backoffice=SqlBackOfficeFactory(self.engine),
            clock=self.clock,
            policy=self.policy,
            apply_grace=timedelta(0),
        )
        self.known: list[str] = []  # every record id seen, in the order first seen
        self.told: dict[str, int] = {}  # id -> what the customer was last told (cents or days)
        self.bot_size: dict[str, int] = {}  # id -> what the bot last computed (the fingerprint)
        self.promised: dict[str, int] = {}  # key -> what the customer or a person agreed to
        self.status: dict[str, Status] = {}  # id -> status after the last step
        self.seen_transitions: list[tuple[Any, ...]] = []
        self.asked: dict[tuple[str, AdjustmentKind | int], str] = {}  # ask -> its record
        self.bss_holds_postings = False
        self.checked_version: int | None = None  # the database as the invariants last saw it
        if type(self).seed is None:  # every example starts from the same template
            type(self).seed = self.read_the_seed()
        seed = type(self).seed
        self.current_bill, self.bill_total = seed.current_bill, seed.bill_total
        self.billed_minus_paid = seed.billed_minus_paid
        # The BSS's own balances, asked again whenever an account's credits in the BSS change.
        self.bss_balance = dict(seed.balances)
        self.bss_credits_of: dict[str, frozenset[tuple[str, int]]] = {}
        self.kill_switch = False
        self.extra_outage_days = 0
        self.elsewhere = 0

    def read_the_seed(self) -> Seed:
        current_bill: dict[str, str] = {}
        bill_total: Counter[str] = Counter()
        billed_minus_paid: Counter[str] = Counter()
        with Session(self.engine) as s:
            lines = s.execute(
                select(
                    BssBill.account_id, BssBill.bill_id, BssBill.issued_at, BssBillLine.amount_cents
                ).join(BssBillLine, BssBillLine.bill_id == BssBill.bill_id)
            ).all()
            payments = s.execute(select(BssPayment.account_id, BssPayment.amount_cents)).all()
        latest: dict[str, datetime] = {}
        for account_id, bill_id, issued_at, _ in lines:
            if account_id not in latest or issued_at > latest[account_id]:
                latest[account_id], current_bill[account_id] = issued_at, bill_id
        for account_id, bill_id, _, cents in lines:
            billed_minus_paid[account_id] += cents
            if bill_id == current_bill[account_id]:
                bill_total[account_id] += cents
        for account_id, cents in payments:
            billed_minus_paid[account_id] -= cents
        balances = {a: self.bss.inner.get_balance_cents(a) for a in ACCOUNTS}
        return Seed(current_bill, dict(bill_total), dict(billed_minus_paid), balances)

    def teardown(self) -> None:
        assert open_connections(self.engine) == 0, "a connection was left open"

    # ----------------------------------------------------------------- reading the world

    def snapshot(self) -> Snapshot:
        # Core rows, not ORM entities: the invariants read everything after every step.
        with self.engine.connect() as s:
            adjustments = {
                r.id: Adjustment.model_validate(r._mapping) for r in s.execute(select(ADJUSTMENTS))
            }
            extensions = {
                r.id: PaymentExtension.model_validate(r._mapping)
                for r in s.execute(select(EXTENSIONS))
            }
            transitions = [
                tuple(row)
                for row in s.execute(
                    select(
                        TransitionRow.seq,
                        TransitionRow.id,
                        TransitionRow.at,
                        TransitionRow.actor,
                        TransitionRow.subject,
                        TransitionRow.from_status,
                        TransitionRow.to_status,
                        TransitionRow.reason,
                    ).order_by(TransitionRow.seq)
                )
            ]
            credits = {
                key: (account, bill, cents, reference)
                for key, account, bill, cents, reference in s.execute(
                    select(
                        BssCredit.idempotency_key,
                        BssCredit.account_id,
                        BssCredit.bill_id,
                        BssCredit.amount_cents,
                        BssCredit.reference,
                    )
                )
            }
            due_extensions = {
                key: (account, bill, new_due)
                for key, account, bill, new_due in s.execute(
                    select(
                        BssDueDateExtension.idempotency_key,
                        BssDueDateExtension.account_id,
                        BssDueDateExtension.bill_id,
                        BssDueDateExtension.new_due_date,
                    )
                )
            }
            extended_due = dict(
                s.execute(select(BssBill.bill_id, BssBill.extended_due_date)).tuples().all()
            )
        return Snapshot(adjustments, extensions, transitions, credits, due_extensions, extended_due)

    def record(self, record_id: str) -> R:
        table, model = (
            (ADJUSTMENTS, Adjustment)
            if record_id.startswith("adj_")
            else (EXTENSIONS, PaymentExtension)
        )
        with self.engine.connect() as s:
            row = s.execute(select(table).where(table.c.id == record_id)).one_or_none()
        assert row is not None, f"{record_id} vanished"
        found: R = model.model_validate(row._mapping)
        return found

    def posted(self) -> dict[str, tuple[Any, ...]]:
        """Every posting the BSS holds, credits and due-date extensions, by key (raw rows: only
        ever compared with each other)."""
        rows = [*self.backend.rows(POSTED_CREDITS), *self.backend.rows(POSTED_EXTENSIONS)]
        return {key: tuple(rest) for key, *rest in rows}

    def due_date(self, bill_id: str) -> date:
        with Session(self.engine) as s:
            bill = s.get(BssBill, bill_id)
            assert bill is not None
            return bill.extended_due_date or bill.due_date

    def ids(self, *statuses: Status) -> list[str]:
        return [i for i in self.known if not statuses or self.status.get(i) in statuses]

    @staticmethod
    def pick(candidates: list[str], index: int) -> str:
        return candidates[index % len(candidates)]

    def expected_credit(self, account_id: str, kind: AdjustmentKind) -> int:
        """What the demo operator owes for ``kind`` (DEMO_OPERATOR.md), outage grown included."""
        if kind is K.LATE_FEE_WAIVER:
            return 500 if account_id in ("100001", "100005", "100007") else 0
        if kind is K.DUPLICATE_CHARGE:
            return 1500 if account_id == "100002" else 0
        if kind is K.THIRD_PARTY_DISPUTE:
            return 18000 if account_id == "100004" else 0
        plan = {"100003": 6000, "100008": 6500}.get(account_id)
        if plan is None:
            return 0  # Ana's degraded service earns nothing; the others had no outage
        days = SEED_OUTAGE_DAYS + self.extra_outage_days
        return (plan * days * 2 + 30) // 60  # plan x days / 30, half up

    def find(self, account_id: str, ask: AdjustmentKind | int) -> R | None:
        """Our record for this ask on the current bill (one key, so at most one record)."""
        record_id = self.asked.get((account_id, ask))
        return None if record_id is None else self.record(record_id)

    def learn(self, step: Step) -> None:
        """What the bot just decided, on today's facts, and told (an offer, a case, a decline)."""
        record = step.record
        if record.id not in self.known:
            self.known.append(record.id)
        if record.status in (Status.OFFERED, Status.PENDING_APPROVAL, Status.DECLINED):
            self.bot_size[record.id] = size(record)
        if record.status is Status.OFFERED:
            self.told[record.id] = size(record)
            assert record.expires_at == self.clock.now() + self.deps.offer_ttl, record
        else:
            self.told.pop(record.id, None)
        if record.status is Status.PENDING_APPROVAL:
            assert step.handoff is not None and record.case_id == step.handoff.case.id, step
            if isinstance(record, Adjustment):
                assert step.handoff.case.proposed_amount_cents == record.amount_cents, step
        if isinstance(record, Adjustment):
            owed = self.expected_credit(record.account_id, record.kind)
            assert record.amount_cents == owed, ("not what the operator owes", owed, record)
        else:
            due = self.due_date(record.bill_id)
            assert record.new_due_date == due + timedelta(days=record.days), (due, record)

    def deps_for(self, fault: str | None) -> Deps:
        if fault in CRASHES:
            point = fault.removeprefix("crash_")
            return dataclasses.replace(self.deps, checkpoint=crash_at(point))
        return self.deps

    def expected_post(
        self, record: R, fault: str | None, posted: dict[str, tuple[Any, ...]]
    ) -> tuple[Status, bool]:
        """(status after, whether the BSS then holds the key) for one posting of ``record``."""
        already = record.idempotency_key in posted
        stale = (
            isinstance(record, PaymentExtension)
            and not already
            and record.new_due_date <= self.due_date(record.bill_id)
        )
        if fault == "refuse":
            return Status.FAILED, already
        if fault in ("timeout", "down"):
            return Status.APPLYING, already
        if stale:  # the BSS refuses a due date that is no later: nothing posted
            return Status.FAILED, False
        if fault == "lost_reply":
            return Status.APPLYING, True
        return Status.APPLIED, True

    def check_posting(
        self,
        step: Step,
        before: R,
        agreed: R,
        fault: str | None,
        fired: str | None,
        expected: tuple[Status, bool],
        actor: str,
    ) -> None:
        """A yes or an approval went to the BSS: the outcome follows from what the BSS did."""
        record = self.record(before.id)
        key = before.idempotency_key
        self.promised[key] = size(agreed)
        assert size(record) == size(agreed), ("applied other than agreed", agreed, record)
        assert record.decided_by == actor, (actor, record)
        bss_fault = fault if fault in BSS_FAULTS else None
        assert fired == (key if bss_fault else None), (fault, fired, key)
        status, holds = expected
        happened = {
            Status.APPLIED: Happened.APPLIED,
            Status.APPLYING: Happened.APPLYING,
            Status.FAILED: Happened.FAILED,
        }[status]
        got = (step.happened, record.status)
        assert got == (happened, status), (f"with {fault}: expected {status}", got, record)
        posted = self.posted()
        assert (key in posted) == holds, (f"with {fault}: the BSS holds it: {holds}?", record)
        if isinstance(record, Adjustment) and holds:
            assert posted[key][2] == record.amount_cents, (posted[key], record)
        if isinstance(record, Adjustment) and status is Status.APPLIED:
            assert record.bss_reference == posted[key][3], (posted[key], record)
        if status is Status.APPLIED:
            balance = self.bss.inner.get_balance_cents(record.account_id)
            assert step.balance_cents == balance, (step.balance_cents, balance)

    # ----------------------------------------------------------------- rules

    @initialize(daily_budget=st.sampled_from([None, 3000, 2600]))
    def choose_the_daily_budget(self, daily_budget: int | None) -> None:
        """The default policy; sometimes a tight daily budget, so the daily cap is reached too."""
        if daily_budget is not None:
            policy = self.deps.policy.model_copy(update={"daily_budget_cents": daily_budget})
            self.deps = dataclasses.replace(self.deps, policy=policy)

    @rule(
        ask=st.one_of(
            st.sampled_from(INTERESTING_CREDITS),
            st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(CREDIT_KINDS)),
        )
    )
    def offer(self, ask: tuple[str, AdjustmentKind]) -> None:
        STEPS["offer"] += 1
        self.ask(*ask)

    @rule(
        ask=st.one_of(
            st.sampled_from(INTERESTING_CREDITS[:3]),
            st.tuples(st.sampled_from(("100001", "100005", "100006")), st.sampled_from((7, 14))),
        ),
        fault=st.one_of(st.none(), st.sampled_from(FAULTS)),
        then=st.sampled_from(("yes", "yes twice", "yes too late", "no")),
    )
    def ask_and_answer(
        self, ask: tuple[str, AdjustmentKind | int], fault: str | None, then: str
    ) -> None:
        """The usual conversation: an ask the bot may grant, and the customer's answer."""
        STEPS["offer, then answer"] += 1
        step = self.ask(*ask)
        if step is None or step.happened is not Happened.OFFERED:
            return
        if then == "yes":
            self.say_yes(step.record.id, fault)
        elif then == "yes twice":
            self.yes_twice(step.record.id, fault)
        elif then == "yes too late":
            self.yes_too_late(step.record.id, timedelta(seconds=1))
        else:
            self.say_no(step.record.id)

    @rule(
        account_id=st.sampled_from(("100005", "100001", "100007", "100006")),
        days=st.sampled_from(EXTENSION_DAYS),
    )
    def offer_an_extension(self, account_id: str, days: int) -> None:
        STEPS["offer extension"] += 1
        self.ask(account_id, days)

    def ask(self, account_id: str, ask: AdjustmentKind | int) -> Step | None:
        existing = self.find(account_id, ask)
        expected = self.expected_credit(account_id, ask) if isinstance(ask, K) else ask
        now = self.clock.now()
        CALLS["offer_credit" if isinstance(ask, AdjustmentKind) else "offer_extension"] += 1
        try:
            if isinstance(ask, AdjustmentKind):
                step = offer_credit(self.deps, account_id, ask, ORIGIN)
            else:
                step = offer_extension(self.deps, account_id, ask, ORIGIN)
        except IdempotencyConflict:
            # The same key asked with other facts while an earlier decision stands.
            assert existing is not None and existing.status in STANDING, (ask, existing)
            assert self.bot_size[existing.id] != expected, ("same facts, conflict", existing)
            assert self.record(existing.id) == existing, "a conflict changed the record"
            return None
        if existing is not None and existing.status in STANDING:
            assert self.bot_size[existing.id] == expected, ("other facts, no conflict", existing)
            assert step.happened is Happened.STANDING, (existing, step)
            assert step.record == existing, (existing, step)
            return step
        if (
            existing is not None
            and existing.status is Status.OFFERED
            and existing.expires_at is not None
            and existing.expires_at > now
            and self.bot_size[existing.id] == expected
        ):
            assert step.happened is Happened.OFFERED and step.record == existing, (existing, step)
            return step
        assert step.happened in DECIDED_AGAIN, (existing, step)
        assert existing is None or step.record.id == existing.id, ("a second record", existing)
        assert size(step.record) == expected, (expected, step)
        self.asked[(account_id, ask)] = step.record.id
        self.learn(step)
        return step

    @precondition(lambda self: self.ids(Status.OFFERED))
    @rule(index=st.integers(0, 2**16), fault=st.one_of(st.none(), st.sampled_from(FAULTS)))
    def yes(self, index: int, fault: str | None) -> None:
        """A yes to an open offer, the BSS or the process perhaps failing on the way."""
        STEPS["yes"] += 1
        self.say_yes(self.pick(self.ids(Status.OFFERED), index), fault)

    @precondition(lambda self: self.known)
    @rule(index=st.integers(0, 2**16), yes=st.booleans())
    def an_answer_to_any_record(self, index: int, yes: bool) -> None:
        """A yes or a no to whatever record (decided ones included: nothing changes)."""
        STEPS["yes/no (any record)"] += 1
        record_id = self.pick(self.ids(), index)
        if yes:
            self.say_yes(record_id, None)
        else:
            self.say_no(record_id)

    @precondition(lambda self: self.ids(Status.OFFERED))
    @rule(index=st.integers(0, 2**16), fault=st.one_of(st.none(), st.sampled_from(BSS_FAULTS)))
    def the_same_yes_twice(self, index: int, fault: str | None) -> None:
        STEPS["yes twice"] += 1
        self.yes_twice(self.pick(self.ids(Status.OFFERED), index), fault)

    def yes_twice(self, record_id: str, fault: str | None) -> None:
        """The same yes delivered twice: the second decides nothing new."""
        first = self.say_yes(record_id, fault)
        between = self.record(record_id)
        posted = self.posted()
        balance = self.bss.inner.get_balance_cents(between.account_id)
        second = self.say_yes(record_id, None)
        if first is None or between.status is not Status.OFFERED:
            assert second is not None and second.happened is Happened.STANDING, second
            assert self.record(record_id) == between, "the second yes changed the record"
            assert self.posted() == posted, "the second yes posted"
            after = self.bss.inner.get_balance_cents(between.account_id)
            assert after == balance, ("the second yes moved the balance", balance, after)

    @precondition(lambda self: self.ids(Status.OFFERED))
    @rule(
        index=st.integers(0, 2**16),
        late=st.sampled_from([timedelta(seconds=1), timedelta(0), timedelta(hours=2)]),
    )
    def yes_after_the_offer_expired(self, index: int, late: timedelta) -> None:
        STEPS["yes after expiry"] += 1
        self.yes_too_late(self.pick(self.ids(Status.OFFERED), index), late)

    def yes_too_late(self, record_id: str, late: timedelta) -> None:
        offer = self.record(record_id)
        assert offer.expires_at is not None
        self.clock.moment = max(self.clock.now(), offer.expires_at + late)
        step = self.say_yes(record_id, None)
        assert step is not None, "no crash was asked for"
        assert step.happened not in (Happened.APPLIED, Happened.APPLYING), ("expired", step)

    def say_yes(self, record_id: str, fault: str | None) -> Step | None:
        """The customer's yes (None: the process crashed at the checkpoint)."""
        before = self.record(record_id)
        now = self.clock.now()
        if before.status is Status.OFFERED:
            told = self.told[record_id]
            assert told == size(before), ("the stored offer is not what was told", told, before)
        CALLS[f"accept_offer ({fault or 'no fault'})"] += 1
        posted_before = self.posted()
        expected = self.expected_post(before, fault if fault in BSS_FAULTS else None, posted_before)
        self.bss.arm(fault)
        try:
            step = accept_offer(self.deps_for(fault), record_id, ORIGIN)
        except Crash:
            self.bss.disarm()
            after = self.record(record_id)
            assert fault in CRASHES, fault
            assert not self.kill_switch, ("applying under the kill switch", after)
            assert before.status is Status.OFFERED and before.expires_at is not None, before
            assert before.expires_at > now, ("an expired offer went to applying", after)
            assert after.status is Status.APPLYING, after
            assert size(after) == self.told[record_id], ("applying other than told", after)
            assert self.posted() == posted_before, "a crash before the post posted something"
            self.promised[before.idempotency_key] = self.told.pop(record_id)
            return None
        fired = self.bss.disarm()
        after = self.record(record_id)
        if before.status is not Status.OFFERED:
            assert step.happened is Happened.STANDING, (before, step)
            assert after == before == step.record, ("a yes changed a decided record", after)
            assert fired is None and self.posted() == posted_before, "a yes to it posted"
            return step
        assert before.expires_at is not None
        if step.happened in (Happened.APPLIED, Happened.APPLYING, Happened.FAILED):
            assert before.expires_at > now, ("an expired offer was applied", step)
            assert not self.kill_switch, ("the bot applied under the kill switch", step)
            self.check_posting(step, before, before, fault, fired, expected, BOT)
            self.told.pop(record_id)
            return step
        assert fired is None and self.posted() == posted_before, ("posted, yet", step)
        assert step.was is not None and step.was.id == record_id, step
        assert size(step.was) == self.told[record_id], ("`was` is not what was told", step)
        assert step.record == after, (step, after)
        if before.expires_at <= now:
            expired = (Happened.REOFFERED, Happened.HANDED_OFF, Happened.DECLINED)
            assert step.happened in expired, ("a yes after the expiry", step)
        else:
            changed = (Happened.CHANGED, Happened.HANDED_OFF, Happened.DECLINED)
            assert step.happened in changed, step
            if step.happened is Happened.CHANGED:
                assert after.status is Status.OFFERED, after
                assert after.request_fingerprint != before.request_fingerprint, (before, after)
        self.learn(step)
        return step

    @precondition(lambda self: self.ids(Status.OFFERED))
    @rule(index=st.integers(0, 2**16))
    def no(self, index: int) -> None:
        STEPS["no"] += 1
        self.say_no(self.pick(self.ids(Status.OFFERED), index))

    def say_no(self, record_id: str) -> None:
        CALLS["withdraw_offer"] += 1
        before = self.record(record_id)
        posted = self.posted()
        step = withdraw_offer(self.deps, record_id, ORIGIN)
        after = self.record(record_id)
        if before.status is Status.OFFERED:
            assert step.happened is Happened.WITHDRAWN, step
            assert after.status is Status.WITHDRAWN, after
            self.told.pop(record_id)
        else:
            assert step.happened is Happened.STANDING, (before, step)
            assert after == before, ("a no changed a decided record", before, after)
        assert self.posted() == posted, "a no posted something"

    @precondition(lambda self: self.ids(Status.PENDING_APPROVAL))
    @rule(
        index=st.integers(0, 2**16),
        user=st.sampled_from(STAFF),
        change=st.one_of(st.none(), st.sampled_from(CHANGES)),
        crossed=st.integers(0, 9).map(lambda n: n == 0),
        fault=st.one_of(st.none(), st.sampled_from(FAULTS)),
    )
    def staff_approves(
        self, index: int, user: str, change: int | None, crossed: bool, fault: str | None
    ) -> None:
        """Within or above the person's limit, as proposed or changed, the BSS perhaps failing."""
        STEPS["approve"] += 1
        record_id = self.pick(self.ids(Status.PENDING_APPROVAL), index)
        self.approval(record_id, user, change, crossed, fault)

    @precondition(lambda self: self.ids(Status.PENDING_APPROVAL))
    @rule(index=st.integers(0, 2**16), user=st.sampled_from(STAFF), reason=st.sampled_from(REASONS))
    def staff_rejects(self, index: int, user: str, reason: str) -> None:
        STEPS["reject"] += 1
        self.rejection(self.pick(self.ids(Status.PENDING_APPROVAL), index), user, reason)

    @precondition(lambda self: self.known)
    @rule(
        index=st.integers(0, 2**16),
        user=st.sampled_from(STAFF),
        change=st.one_of(st.none(), st.sampled_from(CHANGES)),
        approving=st.booleans(),
    )
    def staff_decide_any_record(
        self, index: int, user: str, change: int | None, approving: bool
    ) -> None:
        """Staff acting on whatever record: anything not pending is AlreadyDecided."""
        STEPS["approve/reject (any record)"] += 1
        record_id = self.pick(self.ids(), index)
        if approving:
            self.approval(record_id, user, change, False, None)
        else:
            self.rejection(record_id, user, REASONS[0])

    def approval(
        self, record_id: str, user: str, change: int | None, crossed: bool, fault: str | None
    ) -> None:
        before = self.record(record_id)
        credit = isinstance(before, Adjustment)
        # A change is cents for a credit and days for an extension (``crossed``: the wrong one).
        amount = change if credit != crossed else None
        days = change if credit == crossed else None
        member = self.deps.policy.staff.get(user)
        errors: set[type[DomainError]] = set()
        if member is None:
            errors.add(ApprovalLimitExceeded)
        proposal: R = before
        if isinstance(before, Adjustment):
            if days is not None:
                errors.add(InvalidInput)
            if amount is not None and amount != before.amount_cents:
                if not 1 <= amount <= self.bill_total[before.account_id]:
                    errors.add(InvalidInput)
                proposal = before.model_copy(update={"amount_cents": amount})
            within = member is not None and size(proposal) <= member.approval_limit_cents
        else:
            if amount is not None:
                errors.add(InvalidInput)
            if days is not None and days != before.days:
                if days < 1:
                    errors.add(InvalidInput)
                moved = before.new_due_date + timedelta(days=days - before.days)
                proposal = before.model_copy(update={"days": days, "new_due_date": moved})
            within = member is not None and size(proposal) <= member.extension_limit_days
        if before.status is not Status.PENDING_APPROVAL:
            errors.add(AlreadyDecided)
        if member is not None and not within:
            errors.add(ApprovalLimitExceeded)
        posted_before = self.posted()
        expected = self.expected_post(
            proposal, fault if fault in BSS_FAULTS else None, posted_before
        )
        CALLS[f"approve ({'refused' if errors else fault or 'no fault'})"] += 1
        self.bss.arm(fault)
        try:
            step = approve(self.deps_for(fault), record_id, user, amount_cents=amount, days=days)
        except Crash:
            self.bss.disarm()
            assert fault in CRASHES, fault
            assert not errors, ("approved although", errors)
            after = self.record(record_id)
            assert after.status is Status.APPLYING, after
            assert size(after) == size(proposal), ("applying other than approved", after)
            assert after.decided_by is not None and after.decided_by.endswith(f":{user}"), after
            assert self.posted() == posted_before, "a crash before the post posted something"
            self.promised[before.idempotency_key] = size(proposal)
            self.check_case_resolved(after)
            return
        except DomainError as error:
            self.bss.disarm()
            assert type(error) in errors, (f"{error!r}; expected one of", errors, before)
            assert self.record(record_id) == before, "a refused approval changed the record"
            assert self.posted() == posted_before, "a refused approval posted"
            return
        fired = self.bss.disarm()
        assert not errors, ("approved although", errors, step)
        actor = f"{member.role}:{user}" if member else user
        self.check_posting(step, before, proposal, fault, fired, expected, actor)
        self.check_case_resolved(step.record)

    def check_case_resolved(self, record: R) -> None:
        if record.case_id is not None:
            with Session(self.engine) as s:
                case = s.get(CaseRow, record.case_id)
                assert case is not None and case.status == CaseStatus.RESOLVED.value

    def rejection(self, record_id: str, user: str, reason: str) -> None:
        before = self.record(record_id)
        member = self.deps.policy.staff.get(user)
        errors: set[type[DomainError]] = set()
        if not reason.strip():
            errors.add(InvalidInput)
        if member is None:
            errors.add(ApprovalLimitExceeded)
        if before.status is not Status.PENDING_APPROVAL:
            errors.add(AlreadyDecided)
        CALLS[f"reject ({'refused' if errors else 'decided'})"] += 1
        posted = self.posted()
        try:
            step = reject(self.deps, record_id, user, reason=reason)
        except DomainError as error:
            assert type(error) in errors, (f"{error!r}; expected one of", errors, before)
            assert self.record(record_id) == before, "a refused rejection changed the record"
            return
        finally:
            assert self.posted() == posted, "a rejection posted something"
        assert not errors, ("rejected although", errors, step)
        assert member is not None
        after = self.record(record_id)
        assert step.happened is Happened.REJECTED and after.status is Status.REJECTED, after
        assert after.decided_by == f"{member.role}:{user}", after
        assert size(after) == size(before), ("a rejection changed the proposal", after)
        self.check_case_resolved(after)

    @rule(
        wait=st.sampled_from([timedelta(seconds=1), timedelta(seconds=61), timedelta(minutes=3)]),
        fault=st.one_of(
            st.none(), st.sampled_from(("timeout", "down", "lost_reply", "crash_before_post"))
        ),
    )
    def reconciler_runs(self, wait: timedelta, fault: str | None) -> None:
        STEPS["reconcile"] += 1
        # Always some time later: every applying row is then strictly older than the grace (0).
        self.clock.advance(wait)
        now = self.clock.now()
        snap = self.snapshot()
        posted_before = self.posted()
        expiring = [
            r.id
            for r in snap.records()
            if r.status is Status.OFFERED and r.expires_at is not None and r.expires_at <= now
        ]
        claimable = [
            r
            for r in snap.records()
            if r.status is Status.APPLYING
            and decided(r) < now - self.deps.apply_grace
            and (r.lease_until is None or r.lease_until <= now)
        ]
        CALLS[f"reconcile ({fault or 'no fault'})"] += 1
        self.bss.arm(fault)
        crashed = False
        try:
            steps = reconcile(self.deps_for(fault))
        except Crash:
            crashed = True
            steps = []
        fired = self.bss.disarm()
        for record_id in expiring:
            expired = self.record(record_id)
            assert expired.status is Status.EXPIRED, ("an offer outlived its expiry", expired)
            self.told.pop(record_id, None)
        posted = self.posted()
        if crashed:
            assert fault == "crash_before_post" and claimable, (fault, claimable)
            for row in claimable:
                after = self.record(row.id)
                assert after.status is Status.APPLYING, after
                assert after.lease_until == now + self.deps.reconcile_lease, after
            assert posted == posted_before, "a crash before the post posted something"
            return
        finished = sorted(s.record.id for s in steps)
        assert finished == sorted(r.id for r in claimable), ("claimed", claimable, steps)
        assert (fired is not None) == bool(claimable and fault in BSS_FAULTS), (fault, fired)
        for row in claimable:
            after = self.record(row.id)
            assert size(after) == size(row), ("the reconciler changed the amount", row, after)
            assert after.decided_by == row.decided_by, (row, after)
            key = row.idempotency_key
            if key == fired and fault in ("timeout", "down"):
                assert after.status is Status.APPLYING, (fault, after)
                assert posted.get(key) == posted_before.get(key), (fault, after)
            elif key == fired:  # lost_reply: posted (or already), the answer lost
                assert after.status is Status.APPLYING and key in posted, (fault, after)
            elif after.status is Status.FAILED:
                # Only an extension the BSS refused as no later than the current due date.
                assert isinstance(after, PaymentExtension) and key not in posted, after
                assert after.new_due_date <= self.due_date(after.bill_id), after
            else:
                assert after.status is Status.APPLIED and key in posted, (fault, after)
                assert after.lease_until is None, after

    @rule(
        # Off twice as often as on: the kill switch is on about a third of the time.
        change=st.sampled_from(
            ("kill switch on", "kill switch off", "kill switch off", "outage grows")
        ),
        elsewhere=st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(ACCOUNTS), st.booleans(), st.sampled_from([2500, 500, 4200, 1])
            ),
        ),
    )
    def the_facts_change(self, change: str, elsewhere: tuple[str, bool, int] | None) -> None:
        """Between an offer and its yes: the kill switch, a longer outage, or a credit applied
        on another channel (a waiver used up, the rolling cap or the daily budget nearer)."""
        if elsewhere is not None:
            STEPS["facts change: applied elsewhere"] += 1
            self.apply_elsewhere(*elsewhere)
        elif change == "outage grows":
            STEPS["facts change: outage grows"] += 1
            self.outage_grows()
        else:
            STEPS[f"facts change: {change}"] += 1
            self.set_kill_switch(change == "kill switch on")

    def set_kill_switch(self, on: bool) -> None:
        with self.deps.backoffice() as office:
            office.flags.set_kill_switch(on)
            office.commit()
        self.kill_switch = on

    def apply_elsewhere(self, account_id: str, waiver: bool, wanted: int) -> None:
        """Another channel's bot applies a credit, within every cap."""
        now = self.clock.now()
        policy = self.deps.policy
        snap = self.snapshot()
        bot = [a for a in snap.adjustments.values() if a.decided_by == BOT and a.status in COUNTED]
        window = now - timedelta(days=policy.rolling_window_days)
        in_window = sum(
            a.amount_cents for a in bot if a.account_id == account_id and decided(a) >= window
        )
        today = self.deps.start_of_operator_day(now)
        spent_today = sum(a.amount_cents for a in bot if decided(a) >= today)
        waivers = [
            a
            for a in bot
            if a.account_id == account_id
            and a.kind is K.LATE_FEE_WAIVER
            and decided(a) >= now - timedelta(days=policy.late_fee_window_days)
        ]
        room = min(
            policy.per_adjustment_cap_cents,
            policy.rolling_cap_cents - in_window,
            policy.daily_budget_cents - spent_today,
        )
        amount = min(wanted, room)
        if amount <= 0 or (waiver and waivers) or account_id == "100007":
            return  # the bot elsewhere would not have applied it either
        self.elsewhere += 1
        key = f"elsewhere-{self.elsewhere}"
        kind = K.LATE_FEE_WAIVER if waiver else K.GOODWILL
        bill = self.current_bill[account_id]
        credit = Adjustment(
            id=f"adj_elsewhere_{self.elsewhere}",
            account_id=account_id,
            bill_id=bill,
            kind=kind,
            amount_cents=amount,
            status=Status.OFFERED,
            proposed_by=BOT,
            decided_by=None,
            policy_rule="elsewhere",
            rules_fired=("elsewhere",),
            policy_version=policy.version,
            idempotency_key=key,
            request_fingerprint=key,
            description=f"{kind.value} (another channel)",
            case_id=None,
            created_at=now,
            decided_at=None,
        )
        with self.deps.backoffice() as office:
            create(office, office.adjustments, credit, BOT, now, "asked on another channel")
            credit = move(
                office, office.adjustments, credit, Status.APPLYING,
                actor=BOT, at=now, reason="yes on another channel", decided_by=BOT, decided_at=now,
            )  # fmt: skip
            office.commit()
        self.promised[key] = amount
        receipt = self.bss.inner.post_credit(account_id, bill, amount, credit.description, key)
        with self.deps.backoffice() as office:
            move(
                office, office.adjustments, credit, Status.APPLIED,
                actor=BOT, at=now, reason="posted", bss_reference=receipt.bss_reference,
            )  # fmt: skip
            office.commit()

    def outage_grows(self) -> None:
        """One more full day without service in 60614 (Carla, Hiro): their credit grows."""
        if self.extra_outage_days >= MAX_EXTRA_OUTAGE_DAYS:
            return
        self.extra_outage_days += 1
        start = SEED_TIME.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
            days=26 - 2 * self.extra_outage_days
        )
        incident_id = f"INC-P{self.extra_outage_days}"
        with Session(self.engine) as s, s.begin():
            s.add(
                BssIncident(
                    incident_id=incident_id,
                    kind="full_outage",
                    starts_at=start,
                    ends_at=start + timedelta(days=1),
                )
            )
            s.flush()
            s.add(BssIncidentZip(incident_id=incident_id, zip_code=OUTAGE_ZIP))

    @precondition(lambda self: self.bss_holds_postings)
    @rule(index=st.integers(0, 2**16), delta=st.sampled_from([0, 1, -1, 100]))
    def the_bss_is_posted_again_under_a_known_key(self, index: int, delta: int) -> None:
        """A retry with the same key: the same amount is answered as the same posting; another
        amount (or due date) is an IdempotencyConflict and changes nothing."""
        STEPS["post again (same key)"] += 1
        snap = self.snapshot()
        keys = sorted({*snap.credits, *snap.due_extensions})
        key = keys[index % len(keys)]
        if key in snap.credits:
            account_id, bill, cents, reference = snap.credits[key]
            balance = self.bss.inner.get_balance_cents(account_id)
            if delta == 0 or cents + delta <= 0:
                receipt = self.deps.billing.post_credit(account_id, bill, cents, "retry", key)
                assert receipt.bss_reference == reference, ("a retry posted anew", receipt)
            else:
                with pytest.raises(IdempotencyConflict):
                    self.deps.billing.post_credit(account_id, bill, cents + delta, "retry", key)
            after_balance = self.bss.inner.get_balance_cents(account_id)
            assert after_balance == balance, ("a retry moved the balance", balance, after_balance)
        else:
            account_id, bill, new_due = snap.due_extensions[key]
            if delta == 0:
                self.deps.billing.extend_due_date(account_id, bill, new_due, key)
            else:
                with pytest.raises(IdempotencyConflict):
                    self.deps.billing.extend_due_date(
                        account_id, bill, new_due + timedelta(days=delta), key
                    )
        after = self.snapshot()
        held = (after.credits, after.due_extensions, after.extended_due)
        assert held == (snap.credits, snap.due_extensions, snap.extended_due), (
            "a retry under a known key changed the BSS",
            key,
        )

    @rule(
        wait=st.sampled_from(
            [
                timedelta(seconds=5),
                timedelta(minutes=1),
                timedelta(minutes=5),
                timedelta(minutes=16),
            ]
        )
    )
    def time_passes(self, wait: timedelta) -> None:
        STEPS["time passes"] += 1
        self.clock.advance(wait)

    # ----------------------------------------------------------------- invariants

    @invariant()
    def the_ledger_the_bss_and_the_policy_agree(self) -> None:
        # The invariants read only the database (and what the model learnt with its changes):
        # when no connection has committed a change since they last held, they still hold.
        version = self.backend.version()
        if version == self.checked_version:
            return
        snap = self.snapshot()
        for record in snap.records():
            self.status[record.id] = record.status
        self.bss_holds_postings = bool(snap.credits or snap.due_extensions)
        self.check_caps(snap)
        self.check_postings(snap)
        self.check_balances(snap)
        self.check_transitions(snap)
        report = verify_audit(self.deps)
        assert report.ok, report.broken
        self.checked_version = version

    def check_caps(self, snap: Snapshot) -> None:
        """No bot-applied credit (in flight included) breaks a cap, at any moment.

        Each counted record is checked against the ones counted before it (by the sequence
        number of the transition that made it count: several can share one moment).
        """
        entered: dict[str, int] = {}
        for seq, _id, _at, _actor, subject, from_status, to_status, _ in snap.transitions:
            if to_status == Status.APPLYING.value or (from_status, to_status) == (None, "applied"):
                entered[subject] = seq
        policy = self.deps.policy
        bot = [a for a in snap.adjustments.values() if a.decided_by == BOT and a.status in COUNTED]
        per_day: Counter[datetime] = Counter()
        for credit in bot:
            assert credit.amount_cents <= policy.per_adjustment_cap_cents, credit
            assert credit.account_id != "100007", "a flagged account got a bot credit"
            at, order = decided(credit), entered.get(subject_of(credit))
            assert order is not None, ("counted, but no transition made it count", credit)
            per_day[self.deps.start_of_operator_day(at)] += credit.amount_cents
            since = at - timedelta(days=policy.rolling_window_days)
            before = [
                o
                for o in bot
                if o.account_id == credit.account_id
                and since <= decided(o)
                and entered[subject_of(o)] <= order
            ]
            window = sum(o.amount_cents for o in before)
            assert window <= policy.rolling_cap_cents, (credit.account_id, window, before)
            if credit.kind is K.LATE_FEE_WAIVER:
                since = at - timedelta(days=policy.late_fee_window_days)
                waivers = [o for o in before if o.kind is K.LATE_FEE_WAIVER and since <= decided(o)]
                assert len(waivers) <= policy.late_fee_waivers_per_window, waivers
        for day, total in per_day.items():
            assert total <= policy.daily_budget_cents, (day, total)
        counted = [e for e in snap.extensions.values() if e.status in COUNTED]
        for extension in counted:
            if extension.decided_by != BOT:
                continue
            assert extension.days <= policy.extension_max_days, extension
            assert extension.account_id != "100007"
            since = decided(extension) - timedelta(days=policy.extension_window_days)
            earlier = [
                o
                for o in counted
                if o.account_id == extension.account_id
                and since <= decided(o)
                and entered[subject_of(o)] < entered[subject_of(extension)]
            ]
            assert len(earlier) < policy.extensions_per_window, (extension, earlier)

    def check_postings(self, snap: Snapshot) -> None:
        """Credit for credit, extension for extension: the BSS holds exactly what we applied."""
        by_key: dict[str, R] = {}
        for record in snap.records():
            assert record.idempotency_key not in by_key, "one key, two records"
            by_key[record.idempotency_key] = record
            if record.status in COUNTED and not record.idempotency_key.startswith("seed-"):
                assert self.promised.get(record.idempotency_key) == size(record), (
                    "applied without a yes or an approval for exactly this",
                    record,
                )
        for key, (account_id, bill, cents, reference) in snap.credits.items():
            credit = by_key.get(key)
            assert isinstance(credit, Adjustment), f"the BSS holds a credit we never made: {key}"
            assert credit.status in COUNTED, f"posted but {credit.status.value}: {credit}"
            ours = (credit.account_id, credit.bill_id, credit.amount_cents)
            assert ours == (account_id, bill, cents), ("the BSS holds another credit", key, credit)
            if credit.status is Status.APPLIED:
                assert credit.bss_reference == reference, (reference, credit)
        for key, (account_id, bill, new_due) in snap.due_extensions.items():
            extension = by_key.get(key)
            assert isinstance(extension, PaymentExtension), f"an extension we never made: {key}"
            assert extension.status in COUNTED, f"posted but {extension.status.value}"
            ours_ = (extension.account_id, extension.bill_id, extension.new_due_date)
            assert ours_ == (account_id, bill, new_due), ("another extension", key, extension)
        for record in snap.records():
            if record.status is Status.APPLIED and not record.idempotency_key.startswith("seed-"):
                held = snap.credits if isinstance(record, Adjustment) else snap.due_extensions
                assert record.idempotency_key in held, f"applied but not in the BSS: {record}"
        latest: dict[str, date] = {}
        for _, bill, new_due in snap.due_extensions.values():
            latest[bill] = max(latest.get(bill, new_due), new_due)
        for bill, extended in snap.extended_due.items():
            assert extended == latest.get(bill), (bill, extended, latest.get(bill))

    def check_balances(self, snap: Snapshot) -> None:
        """Balance = bill lines - payments - our applied credits (the in-flight ones the BSS
        already holds included)."""
        ours: Counter[str] = Counter()
        for credit in snap.adjustments.values():
            if credit.idempotency_key.startswith("seed-"):
                continue  # posted on a bill the BSS no longer shows
            if credit.status is Status.APPLIED or (
                credit.status is Status.APPLYING and credit.idempotency_key in snap.credits
            ):
                ours[credit.account_id] += credit.amount_cents
        credits_of: defaultdict[str, set[tuple[str, int]]] = defaultdict(set)
        for key, (account_id, _bill, cents, _reference) in snap.credits.items():
            credits_of[account_id].add((key, cents))
        for account_id in ACCOUNTS:
            now_held = frozenset(credits_of[account_id])
            if now_held != self.bss_credits_of.get(account_id, frozenset()):
                # Bills and payments never change here: only a new credit moves the balance.
                self.bss_balance[account_id] = self.bss.inner.get_balance_cents(account_id)
                self.bss_credits_of[account_id] = now_held
            expected = self.billed_minus_paid[account_id] - ours[account_id]
            balance = self.bss_balance[account_id]
            assert balance == expected, ("balance", account_id, balance, expected, ours)

    def check_transitions(self, snap: Snapshot) -> None:
        """Append-only, in order; every record's history is one path ending in its status."""
        seqs = [t[0] for t in snap.transitions]
        assert seqs == sorted(set(seqs)), "transition sequence numbers are not increasing"
        seen = len(self.seen_transitions)
        assert snap.transitions[:seen] == self.seen_transitions, "a transition was changed"
        self.seen_transitions = snap.transitions
        paths: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
        for _seq, _id, _at, _actor, subject, from_status, to_status, _reason in snap.transitions:
            paths[subject].append((from_status, to_status))
        for record in snap.records():
            path = paths.pop(subject_of(record), [])
            assert path and path[0][0] is None, ("a history that does not start", record, path)
            for (_, went), (came, _) in itertools.pairwise(path):
                assert came == went, ("a history with a jump", record.id, path)
            assert path[-1][1] == record.status.value, ("history and status differ", record, path)
            assert [to for _, to in path].count(Status.APPLIED.value) <= 1, ("applied twice", path)
        assert not paths, f"transitions of records that do not exist: {sorted(paths)}"


SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS_PER_EXAMPLE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class OnSqlite(LifecycleMachine):
    """On a SQLite file (the embedded stack's back office and BSS)."""


class OnPostgres(LifecycleMachine):
    """On a PostgreSQL database (the scaled stack's), advisory locks and all."""


def backend_for(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "sqlite":
        return SqliteBackend(request.getfixturevalue("seeded_template"), tmp_path / "lifecycle.db")
    postgres: TestCluster = request.getfixturevalue("postgres")
    return PostgresBackend(postgres.fresh(request.getfixturevalue("pg_seeded_template")))


# Each back end runs its own share of the examples (its machine's source differs, so Hypothesis
# draws other sequences for it): together they run at least MAX_EXAMPLES, MIN_STEPS steps.
MACHINES: dict[str, type[LifecycleMachine]] = {"sqlite": OnSqlite, "postgresql": OnPostgres}
SHARE = {"sqlite": 0.5, "postgresql": 0.5}


@pytest.mark.parametrize("name", list(MACHINES))
def test_no_sequence_of_asks_yeses_faults_and_staff_decisions_breaks_the_ledger(
    name: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    report_measurement: Callable[[str], None],
) -> None:
    STEPS.clear()
    CALLS.clear()
    EXAMPLES[0] = 0
    machine = MACHINES[name]
    backend = backend_for(name, request, tmp_path)
    machine.backend, machine.engine = backend, backend.engine
    machine.seed = None
    machine.policy = load_policy(POLICY_FILE)
    examples = math.ceil(MAX_EXAMPLES * SHARE[name])
    started = time.monotonic()
    try:
        run_state_machine_as_test(machine, settings=settings(SETTINGS, max_examples=examples))
    finally:
        backend.close()

    elapsed = time.monotonic() - started
    total = sum(STEPS.values())
    per_rule = ", ".join(f"{rule} {count:,}" for rule, count in STEPS.most_common())
    calls = ", ".join(f"{call} {count:,}" for call, count in sorted(CALLS.items()))
    report_measurement(
        f"lifecycle property test on {name}: {total:,} steps in {elapsed:.0f} s, "
        f"{EXAMPLES[0]:,} examples ({per_rule})"
    )
    report_measurement(f"lifecycle property test on {name}, use-case calls: {calls}")
    wanted = math.ceil(MIN_STEPS * SHARE[name])
    assert total >= wanted, f"only {total:,} steps ran; at least {wanted:,} are wanted"
