"""One contract for every BackOffice factory: SQL on a migrated SQLite file and on a migrated
PostgreSQL database (the scaled stack's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.backoffice.sql import SqlBackOfficeFactory
from domain.audit import verify_chain
from domain.errors import IdempotencyConflict, NotFound, StorageUnavailable
from domain.records import (
    Adjustment,
    AdjustmentKind,
    Case,
    CaseStatus,
    DecisionRecord,
    Outcome,
    PaymentExtension,
    PinAttempt,
    Status,
    Transition,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)


ENGINES = {"sqlite": "engine", "postgresql": "pg_engine"}


@pytest.fixture(params=list(ENGINES))
def office(request: pytest.FixtureRequest):
    return SqlBackOfficeFactory(request.getfixturevalue(ENGINES[request.param]))


def adjustment(n: int = 1, **changes) -> Adjustment:
    values = dict(
        id=f"adj_{n}", account_id="100001", kind=AdjustmentKind.LATE_FEE_WAIVER, amount_cents=500,
        status=Status.APPLIED, proposed_by="bot", decided_by="bot",
        policy_rule="late_fee_waiver.eligible", rules_fired=("late_fee_waiver.eligible",),
        policy_version="2026-11-01", idempotency_key=f"key-{n}", request_fingerprint="fp",
        bill_id="B-100001-2", description="late fee waiver", case_id=None,
        created_at=NOW, decided_at=NOW,
    )  # fmt: skip
    values.update(changes)
    return Adjustment(**values)


def extension(n: int = 1, **changes) -> PaymentExtension:
    values = dict(
        id=f"ext_{n}", account_id="100005", bill_id="B-100005-2", days=14,
        new_due_date=date(2026, 12, 17), status=Status.APPLIED, proposed_by="bot",
        decided_by="bot", policy_rule="payment_extension.within_max_days",
        rules_fired=("payment_extension.within_max_days",), policy_version="2026-11-01",
        idempotency_key=f"ext-key-{n}", request_fingerprint="fp", case_id=None,
        created_at=NOW, decided_at=NOW,
    )  # fmt: skip
    values.update(changes)
    return PaymentExtension(**values)


def case(n: int, reference: str, **changes) -> Case:
    values = dict(
        id=f"case_{n}", reference=reference, account_id="100004", conversation_id="conv-1",
        status=CaseStatus.OPEN, reason="third-party charge", proposed_amount_cents=18000,
        summary="TrivaFun dispute", channel="rest", created_at=NOW + timedelta(seconds=n),
    )  # fmt: skip
    values.update(changes)
    return Case(**values)


def test_an_adjustment_is_added_read_back_and_updated(office):
    with office() as bo:
        bo.adjustments.add(adjustment(status=Status.APPLYING))
        bo.commit()
    with office() as bo:
        assert bo.adjustments.get_by_key("key-1") == adjustment(status=Status.APPLYING)
        bo.adjustments.update(adjustment(bss_reference="CR-1"))
        bo.commit()
    with office() as bo:
        assert bo.adjustments.for_account("100001") == [adjustment(bss_reference="CR-1")]
        assert bo.adjustments.get_by_key("missing") is None
        assert bo.adjustments.for_account("100002") == []


def test_a_second_adjustment_with_the_same_key_is_refused(office):
    with office() as bo:
        bo.adjustments.add(adjustment(1))
        with pytest.raises(IdempotencyConflict):
            bo.adjustments.add(adjustment(2, idempotency_key="key-1"))
        bo.commit()
    with office() as bo:
        assert [a.id for a in bo.adjustments.for_account("100001")] == ["adj_1"]


def test_leaving_without_commit_rolls_everything_back(office):
    with office() as bo:
        bo.adjustments.add(adjustment())
        bo.extensions.add(extension())
        bo.flags.set_kill_switch(True)
        assert bo.cases.next_reference() == "KM-1001"
    with office() as bo:
        assert bo.adjustments.get_by_key("key-1") is None
        assert bo.extensions.get_by_key("ext-key-1") is None
        assert not bo.flags.kill_switch()
        assert bo.cases.next_reference() == "KM-1001"


def test_an_exception_inside_the_block_rolls_back(office):
    with pytest.raises(RuntimeError), office() as bo:
        bo.adjustments.add(adjustment())
        raise RuntimeError("boom")
    with office() as bo:
        assert bo.adjustments.get_by_key("key-1") is None


def test_bot_credits_count_toward_caps_from_the_window_boundary_on(office):
    since = NOW - timedelta(days=365)
    with office() as bo:
        bo.adjustments.add(adjustment(1, amount_cents=2000, decided_at=since))  # on the boundary
        bo.adjustments.add(adjustment(2, amount_cents=700, decided_at=since - timedelta(seconds=1)))
        bo.adjustments.add(adjustment(3, amount_cents=300, status=Status.APPLYING, decided_at=None))
        bo.adjustments.add(adjustment(4, amount_cents=1800, decided_by="agent:alex"))
        bo.adjustments.add(
            adjustment(5, amount_cents=900, status=Status.PENDING_APPROVAL, decided_by=None)
        )
        bo.adjustments.add(adjustment(6, amount_cents=400, status=Status.DECLINED))
        bo.adjustments.add(adjustment(7, amount_cents=1100, account_id="100002"))
        bo.commit()
    with office() as bo:
        assert bo.adjustments.bot_applied_cents_since(since, "100001") == 2000 + 300
        assert bo.adjustments.bot_applied_cents_since(since) == 2000 + 300 + 1100
        assert bo.adjustments.bot_applied_cents_since(NOW + timedelta(seconds=1)) == 0


def test_count_since_counts_applied_and_applying_of_one_kind(office):
    since = NOW - timedelta(days=365)
    with office() as bo:
        bo.adjustments.add(adjustment(1, decided_by="agent:alex"))
        bo.adjustments.add(adjustment(2, status=Status.APPLYING))
        bo.adjustments.add(adjustment(3, status=Status.DECLINED))
        bo.adjustments.add(adjustment(4, kind=AdjustmentKind.GOODWILL))
        bo.adjustments.add(adjustment(5, decided_at=since - timedelta(days=1)))
        bo.commit()
    with office() as bo:
        assert bo.adjustments.count_since("100001", AdjustmentKind.LATE_FEE_WAIVER, since) == 2
        assert bo.adjustments.count_since("100002", AdjustmentKind.LATE_FEE_WAIVER, since) == 0


def test_extensions_are_counted_when_applied_inside_the_window(office):
    since = NOW - timedelta(days=90)
    with office() as bo:
        bo.extensions.add(
            extension(1, status=Status.PENDING_APPROVAL, decided_by=None, decided_at=None)
        )
        bo.extensions.add(extension(2, decided_at=since - timedelta(days=1)))
        bo.commit()
        assert bo.extensions.count_applied_since("100005", since) == 0
        bo.extensions.update(extension(1))
        bo.commit()
    with office() as bo:
        assert bo.extensions.count_applied_since("100005", since) == 1
        assert [e.id for e in bo.extensions.for_account("100005")] == ["ext_1", "ext_2"]


def test_case_references_run_in_sequence_across_transactions(office):
    with office() as bo:
        first, second = bo.cases.next_reference(), bo.cases.next_reference()
        bo.cases.add(case(1, first))
        bo.cases.add(case(2, second, status=CaseStatus.RESOLVED))
        bo.commit()
    with office() as bo:
        assert (first, second, bo.cases.next_reference()) == ("KM-1001", "KM-1002", "KM-1003")
        assert bo.cases.get("case_1") == case(1, "KM-1001")
        assert bo.cases.get("case_9") is None
        assert bo.cases.count_open() == 1
        assert [c.reference for c in bo.cases.for_account("100004")] == ["KM-1001", "KM-1002"]


def test_decisions_keep_request_facts_and_rules(office):
    record = DecisionRecord(
        id="dec_1", at=NOW, actor="bot", account_id="100001", subject="adjustment:adj_1",
        request={"kind": "late_fee_waiver", "amount_cents": 500, "bill": {"id": "B-100001-2"}},
        facts={"kill_switch": False, "bot_credits_in_window_cents": 0},
        policy_version="2026-11-01", rules_fired=("late_fee_waiver.eligible",),
        outcome=Outcome.APPLY,
    )  # fmt: skip
    with office() as bo:
        bo.decisions.add(record)
        bo.commit()
    with office() as bo:
        assert bo.decisions.for_account("100001") == [record]
        assert bo.decisions.for_account("100002") == []


def test_pin_failures_are_counted_per_conversation_and_per_account(office):
    attempts = [
        PinAttempt(conversation_id="c1", account_id="100001", succeeded=False, at=NOW),
        PinAttempt(conversation_id="c1", account_id=None, succeeded=False, at=NOW),
        PinAttempt(conversation_id="c1", account_id="100001", succeeded=True, at=NOW),
        PinAttempt(conversation_id="c2", account_id="100001", succeeded=False,
                   at=NOW - timedelta(hours=25)),
    ]  # fmt: skip
    with office() as bo:
        for attempt in attempts:
            bo.pin_attempts.add(attempt)
        bo.commit()
    with office() as bo:
        assert bo.pin_attempts.failures_in_conversation("c1") == 2
        assert bo.pin_attempts.failures_in_conversation("c3") == 0
        since = NOW - timedelta(hours=24)
        assert bo.pin_attempts.failures_for_account_since("100001", since) == 1
        assert bo.pin_attempts.failures_for_account_since("100001", since - timedelta(2)) == 2


def test_the_kill_switch_is_off_until_an_operator_turns_it_on(office):
    with office() as bo:
        assert not bo.flags.kill_switch()
        bo.flags.set_kill_switch(True)
        bo.commit()
    with office() as bo:
        assert bo.flags.kill_switch()
        bo.flags.set_kill_switch(False)
        bo.commit()
    with office() as bo:
        assert not bo.flags.kill_switch()


def test_concurrent_transactions_cannot_overshoot_a_cap(office):
    """Eight writers race to spend a 2000-cent budget in 500-cent steps: exactly four win."""
    import threading

    def spend(n: int) -> None:
        with office() as bo:
            if bo.adjustments.bot_applied_cents_since(NOW - timedelta(days=1)) + 500 <= 2000:
                bo.adjustments.add(adjustment(n))
                bo.commit()

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with office() as bo:
        assert bo.adjustments.bot_applied_cents_since(NOW - timedelta(days=1)) == 2000


def transition(n: int, **changes) -> Transition:
    values = dict(
        id=f"tr_{n}", at=NOW + timedelta(seconds=n), actor="bot", account_id="100001",
        subject="adjustment:adj_1", from_status="offered", to_status="applying",
        reason="the customer said yes",
    )  # fmt: skip
    values.update(changes)
    return Transition(**values)


def decision(n: int) -> DecisionRecord:
    return DecisionRecord(
        id=f"dec_{n}", at=NOW, actor="bot", account_id="100001", subject="adjustment:adj_1",
        request={"amount_cents": 500}, facts={}, policy_version="2026-11-01",
        rules_fired=("late_fee_waiver.eligible",), outcome=Outcome.APPLY,
    )  # fmt: skip


def test_an_adjustment_is_read_back_by_id_and_missing_ids_are_none(office):
    with office() as bo:
        bo.adjustments.add(adjustment(facts={"kill_switch": False}))
        bo.commit()
    with office() as bo:
        assert bo.adjustments.get("adj_1") == adjustment(facts={"kill_switch": False})
        assert bo.adjustments.get("adj_9") is None
        with pytest.raises(NotFound):
            bo.adjustments.update(adjustment(9))


def test_the_reconcilers_queries_find_old_applying_rows_and_expired_offers(office):
    with office() as bo:
        bo.adjustments.add(adjustment(1, status=Status.APPLYING, decided_at=NOW))
        bo.adjustments.add(adjustment(2, status=Status.APPLYING, decided_at=NOW + timedelta(1)))
        bo.adjustments.add(adjustment(3, status=Status.OFFERED, expires_at=NOW))
        bo.adjustments.add(adjustment(4, status=Status.OFFERED, expires_at=NOW + timedelta(1)))
        bo.extensions.add(extension(1, status=Status.APPLYING, decided_at=NOW))
        bo.commit()
    with office() as bo:
        assert [a.id for a in bo.adjustments.applying_before(NOW)] == ["adj_1"]
        assert [a.id for a in bo.adjustments.offers_expired_by(NOW)] == ["adj_3"]
        assert [e.id for e in bo.extensions.applying_before(NOW)] == ["ext_1"]
        assert bo.extensions.offers_expired_by(NOW) == []


def test_decisions_and_transitions_form_one_chain_ending_at_the_stored_head(office):
    with office() as bo:
        bo.decisions.add(decision(1))
        bo.transitions.add(transition(1))
        bo.transitions.add(transition(2, account_id="100002", subject="adjustment:adj_2"))
        bo.decisions.add(decision(2))
        bo.commit()
    with office() as bo:
        entries = bo.audit.entries()
        head = bo.audit.head()
        assert [(e.seq, e.table) for e in entries] == [
            (1, "decisions"), (2, "transitions"), (3, "transitions"), (4, "decisions"),
        ]  # fmt: skip
        assert head is not None and (head.seq, head.hash) == (4, entries[-1].hash)
        assert verify_chain(entries, head) is None
        assert [e.seq for e in bo.audit.entries("100001")] == [1, 2, 4]
        assert bo.transitions.for_subject("adjustment:adj_1") == [transition(1)]


def test_a_rolled_back_transaction_leaves_the_chain_as_it_was(office):
    with office() as bo:
        bo.transitions.add(transition(1))
        bo.commit()
    with office() as bo:
        bo.transitions.add(transition(2))
    with office() as bo:
        bo.transitions.add(transition(3))
        bo.commit()
    with office() as bo:
        assert [e.row_id for e in bo.audit.entries()] == ["tr_1", "tr_3"]
        assert verify_chain(bo.audit.entries(), bo.audit.head()) is None


def test_a_case_status_can_be_changed_and_an_unknown_case_is_not_found(office):
    with office() as bo:
        bo.cases.add(case(1, bo.cases.next_reference()))
        bo.cases.set_status("case_1", CaseStatus.RESOLVED)
        with pytest.raises(NotFound):
            bo.cases.set_status("case_9", CaseStatus.RESOLVED)
        bo.commit()
    with office() as bo:
        assert bo.cases.get("case_1").status is CaseStatus.RESOLVED
        assert bo.cases.count_open() == 0


def test_a_database_locked_past_the_busy_timeout_is_storage_unavailable(engine, tmp_path):
    import sqlite3

    from app.db import make_engine

    path = engine.url.database
    impatient = SqlBackOfficeFactory(make_engine(f"sqlite:///{path}", busy_timeout_s=0.2))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailable), impatient() as bo:
            bo.flags.kill_switch()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with impatient() as bo:  # and it recovers as soon as the lock is gone
        assert not bo.flags.kill_switch()
