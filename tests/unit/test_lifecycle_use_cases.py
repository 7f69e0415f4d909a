"""The adjustment lifecycle on the demo operator: in-memory BSS, SQLite back office, fixed clock."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from domain.errors import (
    AlreadyDecided,
    ApprovalLimitExceeded,
    ExternalRefused,
    ExternalTimeout,
    InvalidInput,
    NotFound,
)
from domain.model import Incident, IncidentKind
from domain.records import AdjustmentKind, Status
from domain.usecases.audit import verify_audit
from domain.usecases.cases import Origin
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import accept_offer, offer_credit, withdraw_offer
from domain.usecases.lifecycle.reconcile import reconcile
from domain.usecases.lifecycle.staff import approve, reject
from domain.usecases.lifecycle.transitions import Happened, subject_of
from domain.usecases.review import request_review
from tests.unit.fakes import FakeClock, T, ask_and_accept, demo_deps

ORIGIN = Origin(conversation_id="conv-1", channel="rest")
K = AdjustmentKind


def statuses(deps: Deps, record: Any) -> list[tuple[str | None, str]]:
    with deps.backoffice() as office:
        return [
            (t.from_status, t.to_status) for t in office.transitions.for_subject(subject_of(record))
        ]


def kill_switch(deps: Deps, on: bool) -> None:
    with deps.backoffice() as office:
        office.flags.set_kill_switch(on)
        office.commit()


@pytest.mark.parametrize(
    ("account", "kind", "status", "amount"),
    [
        ("100001", K.LATE_FEE_WAIVER, Status.APPLIED, 500),
        ("100002", K.DUPLICATE_CHARGE, Status.APPLIED, 1500),
        ("100003", K.OUTAGE_CREDIT, Status.APPLIED, 800),
        ("100004", K.THIRD_PARTY_DISPUTE, Status.PENDING_APPROVAL, 18000),
        ("100005", K.LATE_FEE_WAIVER, Status.DECLINED, 500),
        ("100007", K.LATE_FEE_WAIVER, Status.PENDING_APPROVAL, 500),
        ("100008", K.OUTAGE_CREDIT, Status.PENDING_APPROVAL, 867),
    ],
)
def test_every_row_of_the_outcome_table_ends_as_the_demo_operator_says(
    account: str, kind: AdjustmentKind, status: Status, amount: int
) -> None:
    deps = demo_deps()
    before = deps.billing.get_balance_cents(account)

    step = ask_and_accept(deps, account, kind, ORIGIN)

    assert (step.record.status, step.record.amount_cents) == (status, amount)
    applied = amount if status is Status.APPLIED else 0
    assert deps.billing.get_balance_cents(account) == before - applied
    assert (step.handoff is not None) == (status is Status.PENDING_APPROVAL)
    if step.handoff is not None:
        assert step.handoff.case.proposed_amount_cents == amount
        assert step.record.case_id == step.handoff.case.id
    assert verify_audit(deps).ok


def test_an_offer_moves_no_money_until_the_customer_says_yes() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)

    assert offer.happened is Happened.OFFERED and offer.record.status is Status.OFFERED
    assert offer.record.expires_at == T + timedelta(minutes=15)
    assert offer.record.facts["kill_switch"] is False
    assert deps.billing.get_balance_cents("100001") == 11240
    assert offer.record.decided_by is None

    done = accept_offer(deps, offer.record.id, ORIGIN)

    assert done.happened is Happened.APPLIED and done.record.decided_by == "bot"
    assert done.balance_cents == 11240 - 500
    assert statuses(deps, done.record) == [
        (None, "offered"), ("offered", "applying"), ("applying", "applied"),
    ]  # fmt: skip


def test_asking_again_for_an_applied_credit_is_already_done_and_posts_nothing() -> None:
    deps = demo_deps()
    first = ask_and_accept(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    again = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    yes_again = accept_offer(deps, first.record.id, ORIGIN)

    assert again.happened is Happened.STANDING and again.record.id == first.record.id
    assert yes_again.happened is Happened.STANDING
    assert deps.billing.get_balance_cents("100001") == 11240 - 500


def test_asking_twice_before_the_yes_restates_the_same_offer() -> None:
    deps = demo_deps()
    first = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    second = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert second.happened is Happened.OFFERED and second.record == first.record


def test_the_kill_switch_turned_on_between_offer_and_yes_applies_nothing_and_hands_off() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    kill_switch(deps, True)

    step = accept_offer(deps, offer.record.id, ORIGIN)

    assert step.happened is Happened.HANDED_OFF and step.was == offer.record
    assert (
        step.record.status is Status.PENDING_APPROVAL and "kill_switch" in step.record.rules_fired
    )
    assert step.handoff is not None and step.handoff.case.proposed_amount_cents == 500
    assert deps.billing.get_balance_cents("100001") == 11240


def test_a_changed_amount_between_offer_and_yes_is_offered_again_not_applied() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100003", K.OUTAGE_CREDIT, ORIGIN)
    assert offer.record.amount_cents == 800
    current = deps.billing.get_bills("100003")[0]
    deps.billing._incidents.append(  # type: ignore[attr-defined]  # another full day of outage
        Incident(
            incident_id="INC-9000", zip_codes=("60614",), kind=IncidentKind.FULL_OUTAGE,
            starts_at=current.period_start + timedelta(days=1),
            ends_at=current.period_start + timedelta(days=2),
        )
    )  # fmt: skip

    changed = accept_offer(deps, offer.record.id, ORIGIN)

    assert changed.happened is Happened.CHANGED and changed.was is not None
    assert (changed.was.amount_cents, changed.record.amount_cents) == (800, 1000)
    assert changed.record.status is Status.OFFERED and changed.record.id == offer.record.id
    assert deps.billing.get_balance_cents("100003") == 6840
    applied = accept_offer(deps, offer.record.id, ORIGIN)
    assert applied.happened is Happened.APPLIED and applied.record.amount_cents == 1000
    assert deps.billing.get_balance_cents("100003") == 6840 - 1000


def test_an_expired_offer_is_never_applied_and_is_offered_again() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    clock.advance(timedelta(minutes=15))

    late = accept_offer(deps, offer.record.id, ORIGIN)

    assert late.happened is Happened.REOFFERED and late.record.status is Status.OFFERED
    assert late.record.expires_at == clock.now() + timedelta(minutes=15)
    assert deps.billing.get_balance_cents("100001") == 11240
    assert statuses(deps, late.record)[-2:] == [("offered", "expired"), ("expired", "offered")]
    assert accept_offer(deps, offer.record.id, ORIGIN).happened is Happened.APPLIED


def test_the_reconciler_expires_offers_nobody_accepted() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    clock.advance(timedelta(minutes=16))
    reconcile(deps)
    with deps.backoffice() as office:
        assert office.adjustments.get(offer.record.id).status is Status.EXPIRED  # type: ignore[union-attr]


def test_a_no_withdraws_the_offer_and_a_later_yes_to_it_applies_nothing() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    withdrawn = withdraw_offer(deps, offer.record.id, ORIGIN)
    assert withdrawn.record.status is Status.WITHDRAWN

    assert accept_offer(deps, offer.record.id, ORIGIN).happened is Happened.STANDING
    assert deps.billing.get_balance_cents("100001") == 11240
    again = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert again.happened is Happened.OFFERED and again.record.id == offer.record.id


class FlakyBss:
    """The demo BSS, except that posting fails the first ``failures`` times with ``error``."""

    def __init__(self, inner: Any, error: Exception, failures: int = 1, after: bool = False):
        self.inner, self.error, self.failures, self.after = inner, error, failures, after
        self.posted = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def post_credit(self, *args: Any) -> Any:
        self.posted += 1
        if self.failures:
            self.failures -= 1
            if self.after:
                self.inner.post_credit(*args)
            raise self.error
        return self.inner.post_credit(*args)


def with_billing(deps: Deps, billing: Any) -> Deps:
    return dataclasses.replace(deps, billing=billing)


def test_a_refused_posting_fails_and_a_later_ask_offers_and_applies_it_once() -> None:
    base = demo_deps()
    deps = with_billing(base, FlakyBss(base.billing, ExternalRefused("no")))

    failed = ask_and_accept(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert failed.happened is Happened.FAILED and failed.record.status is Status.FAILED
    assert deps.billing.get_balance_cents("100001") == 11240

    retried = ask_and_accept(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert retried.record.status is Status.APPLIED and retried.record.id == failed.record.id
    assert deps.billing.get_balance_cents("100001") == 11240 - 500


def test_a_timeout_after_the_bss_applied_stays_applying_until_reconciled_once() -> None:
    base = demo_deps()
    bss = FlakyBss(base.billing, ExternalTimeout("no answer"), after=True)
    deps = dataclasses.replace(base, billing=bss, apply_grace=timedelta(0))

    step = ask_and_accept(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert step.happened is Happened.APPLYING and step.record.status is Status.APPLYING
    asked = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert asked.happened is Happened.STANDING and asked.record.status is Status.APPLYING

    (finished,) = reconcile(deps)

    assert finished.record.status is Status.APPLIED and bss.posted == 2
    assert deps.billing.get_balance_cents("100001") == 11240 - 500  # the BSS deduplicated
    assert reconcile(deps) == []


def test_a_crash_between_record_and_post_is_finished_by_the_reconciler() -> None:
    base = demo_deps()

    def crash(point: str) -> None:
        if point == "after_record":
            raise SystemExit("crash")

    crashing = dataclasses.replace(base, checkpoint=crash, apply_grace=timedelta(0))
    offer = offer_credit(crashing, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    with pytest.raises(SystemExit):
        accept_offer(crashing, offer.record.id, ORIGIN)
    assert deps_status(base, offer.record.id) is Status.APPLYING

    restarted = dataclasses.replace(base, apply_grace=timedelta(0))
    (step,) = reconcile(restarted)
    assert step.record.status is Status.APPLIED
    assert base.billing.get_balance_cents("100001") == 11240 - 500


def deps_status(deps: Deps, adjustment_id: str) -> Status:
    with deps.backoffice() as office:
        row = office.adjustments.get(adjustment_id)
    assert row is not None
    return row.status


def test_a_reconciler_leaves_a_young_applying_row_to_the_process_posting_it() -> None:
    base = demo_deps()
    bss = FlakyBss(base.billing, ExternalTimeout("slow"))
    deps = with_billing(base, bss)
    ask_and_accept(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert reconcile(deps) == []  # inside the grace period


def david_case(deps: Deps) -> Any:
    return offer_credit(deps, "100004", K.THIRD_PARTY_DISPUTE, ORIGIN)


def test_alex_approves_davids_proposal_and_the_credit_is_applied_by_him() -> None:
    deps = demo_deps()
    pending = david_case(deps)

    step = approve(deps, pending.record.id, "alex")

    assert step.happened is Happened.APPLIED
    assert step.record.decided_by == "agent:alex" and step.record.amount_cents == 18000
    assert deps.billing.get_balance_cents("100004") == 25410 - 18000
    with deps.backoffice() as office:
        decision = office.decisions.for_account("100004")[-1]
        case = office.cases.get(pending.record.case_id or "")
    assert decision.actor == "agent:alex" and not decision.override
    assert case is not None and case.status.value == "resolved"


def test_a_changed_amount_above_alexs_limit_is_refused_and_sam_may_approve_it() -> None:
    deps = demo_deps()
    pending = david_case(deps)

    with pytest.raises(ApprovalLimitExceeded):
        approve(deps, pending.record.id, "alex", amount_cents=25000)
    assert deps_status(deps, pending.record.id) is Status.PENDING_APPROVAL

    step = approve(deps, pending.record.id, "sam", amount_cents=25000)
    assert step.record.amount_cents == 25000 and step.record.decided_by == "supervisor:sam"
    with deps.backoffice() as office:
        assert office.decisions.for_account("100004")[-1].override


@pytest.mark.parametrize("amount", [0, -5, 25411])
def test_a_changed_amount_must_be_between_one_cent_and_the_bill_total(amount: int) -> None:
    deps = demo_deps()
    pending = david_case(deps)
    with pytest.raises(InvalidInput):
        approve(deps, pending.record.id, "sam", amount_cents=amount)


def test_deciding_twice_decides_once() -> None:
    deps = demo_deps()
    pending = david_case(deps)
    approve(deps, pending.record.id, "alex")
    with pytest.raises(AlreadyDecided):
        approve(deps, pending.record.id, "sam")
    with pytest.raises(AlreadyDecided):
        reject(deps, pending.record.id, "sam", reason="changed my mind")
    assert deps.billing.get_balance_cents("100004") == 25410 - 18000


def test_a_rejection_needs_a_reason_and_counts_as_an_override() -> None:
    deps = demo_deps()
    pending = david_case(deps)
    with pytest.raises(InvalidInput):
        reject(deps, pending.record.id, "alex", reason="  ")

    step = reject(deps, pending.record.id, "alex", reason="customer confirmed the subscription")

    assert step.record.status is Status.REJECTED and step.record.decided_by == "agent:alex"
    with deps.backoffice() as office:
        assert office.decisions.for_account("100004")[-1].override
    assert deps.billing.get_balance_cents("100004") == 25410


def test_someone_outside_the_staff_table_cannot_decide() -> None:
    deps = demo_deps()
    pending = david_case(deps)
    with pytest.raises(ApprovalLimitExceeded):
        approve(deps, pending.record.id, "mallory")
    with pytest.raises(NotFound):
        approve(deps, "adj_missing", "alex")


def test_extension_limits_are_in_days_alex_to_thirty_sam_to_sixty() -> None:
    from domain.usecases.lifecycle.offers import offer_extension

    deps = demo_deps()
    thirty = offer_extension(deps, "100005", 30, ORIGIN)
    assert approve(deps, thirty.record.id, "alex").record.status is Status.APPLIED

    other = demo_deps()
    forty_five = offer_extension(other, "100005", 45, ORIGIN)
    with pytest.raises(ApprovalLimitExceeded):
        approve(other, forty_five.record.id, "alex")
    with pytest.raises(ApprovalLimitExceeded):
        approve(other, forty_five.record.id, "sam", days=61)
    step = approve(other, forty_five.record.id, "sam", days=40)
    assert step.record.days == 40
    due = other.billing.get_bills("100005")[0].due_date
    assert step.record.new_due_date == due


def test_elena_insisting_after_a_decline_gets_one_case_a_person_can_approve() -> None:
    deps = demo_deps()
    declined = offer_credit(deps, "100005", K.LATE_FEE_WAIVER, ORIGIN)

    review = request_review(deps, declined.record.idempotency_key, ORIGIN)
    again = request_review(deps, declined.record.idempotency_key, ORIGIN)

    assert review.record.status is Status.PENDING_APPROVAL and again.happened is Happened.STANDING
    assert approve(deps, review.record.id, "alex").record.status is Status.APPLIED
    assert deps.billing.get_balance_cents("100005") == 10810 - 500


def test_hiros_older_credits_leave_the_rolling_window_after_365_days() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    clock.advance(timedelta(days=200))  # the $20.00 at T-200d is now 400 days old

    assert ask_and_accept(deps, "100008", K.OUTAGE_CREDIT, ORIGIN).record.status is Status.APPLIED


def test_asking_again_after_an_offer_expired_records_the_expiry_then_a_fresh_offer() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    first = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    clock.advance(timedelta(minutes=20))

    again = offer_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)

    assert again.happened is Happened.OFFERED and again.record.id == first.record.id
    assert again.record.expires_at == clock.now() + timedelta(minutes=15)
    assert statuses(deps, again.record) == [
        (None, "offered"), ("offered", "expired"), ("expired", "offered"),
    ]  # fmt: skip
