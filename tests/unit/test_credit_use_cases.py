"""The credit use cases on the demo operator, with in-memory adapters and a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ExternalTimeout
from domain.records import AdjustmentKind, Status
from domain.usecases.cases import Origin
from domain.usecases.credits import propose_credit
from domain.usecases.review import request_review
from domain.usecases.settle import settle_credit
from tests.unit.fakes import FakeClock, demo_deps

ORIGIN = Origin(conversation_id="conv-1", channel="rest")
K = AdjustmentKind


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
def test_every_row_of_the_outcome_table_settles_as_the_demo_operator_says(
    account: str, kind: AdjustmentKind, status: Status, amount: int
) -> None:
    deps = demo_deps()
    balance_before = deps.billing.get_balance_cents(account)

    settlement = settle_credit(deps, account, kind, ORIGIN)

    assert settlement.adjustment.status is status
    assert settlement.adjustment.amount_cents == amount
    applied = amount if status is Status.APPLIED else 0
    assert settlement.balance_cents == balance_before - applied
    assert (settlement.handoff is not None) == (status is Status.PENDING_APPROVAL)
    if settlement.handoff is not None:
        assert settlement.handoff.case.proposed_amount_cents == amount
        assert settlement.adjustment.case_id == settlement.handoff.case.id
    with deps.backoffice() as office:
        decisions = office.decisions.for_account(account)
    assert len(decisions) == 1
    assert decisions[0].policy_version == "2026-11-01"


def test_a_second_ask_for_the_same_credit_is_already_done_and_posts_nothing() -> None:
    deps = demo_deps()
    first = settle_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    again = settle_credit(
        deps, "100001", K.LATE_FEE_WAIVER, ORIGIN.model_copy(update={"conversation_id": "c2"})
    )

    assert again.already_decided
    assert again.adjustment.id == first.adjustment.id
    assert deps.billing.get_balance_cents("100001") == 11240 - 500
    assert propose_credit(deps, "100001", K.LATE_FEE_WAIVER).existing is not None


def test_the_kill_switch_turns_an_applicable_credit_into_a_case() -> None:
    deps = demo_deps()
    with deps.backoffice() as office:
        office.flags.set_kill_switch(True)
        office.commit()

    settlement = settle_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)

    assert settlement.adjustment.status is Status.PENDING_APPROVAL
    assert "kill_switch" in settlement.adjustment.rules_fired
    assert deps.billing.get_balance_cents("100001") == 11240


class RefusingBss:
    """The demo BSS, except that posting times out the first ``failures`` times."""

    def __init__(self, inner: object, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.posted = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def post_credit(self, *args: object) -> object:
        if self.failures:
            self.failures -= 1
            raise ExternalTimeout("BSS did not answer")
        self.posted += 1
        return self.inner.post_credit(*args)  # type: ignore[attr-defined]


def test_a_bss_timeout_marks_the_credit_failed_and_a_retry_applies_it_once() -> None:
    base = demo_deps()
    bss = RefusingBss(base.billing, failures=1)
    deps = base.__class__(**{**base.__dict__, "billing": bss})

    failed = settle_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    assert failed.adjustment.status is Status.FAILED
    assert deps.billing.get_balance_cents("100001") == 11240

    retried = settle_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)
    settle_credit(deps, "100001", K.LATE_FEE_WAIVER, ORIGIN)

    assert retried.adjustment.status is Status.APPLIED
    assert retried.adjustment.id == failed.adjustment.id
    assert bss.posted == 1
    assert deps.billing.get_balance_cents("100001") == 11240 - 500


def test_elena_insisting_after_a_decline_gets_a_case_proposing_the_waiver() -> None:
    deps = demo_deps()
    declined = settle_credit(deps, "100005", K.LATE_FEE_WAIVER, ORIGIN)

    review = request_review(deps, declined.adjustment.idempotency_key, ORIGIN)
    review_again = request_review(deps, declined.adjustment.idempotency_key, ORIGIN)

    assert review.adjustment.status is Status.PENDING_APPROVAL
    assert review.handoff is not None and review.handoff.case.proposed_amount_cents == 500
    assert review_again.already_decided
    assert deps.billing.get_balance_cents("100005") == 10810


def test_hiros_older_credits_leave_the_rolling_window_after_365_days() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    clock.advance(timedelta(days=200))  # the $20.00 at T-200d is now 400 days old

    settlement = settle_credit(deps, "100008", K.OUTAGE_CREDIT, ORIGIN)

    assert settlement.adjustment.status is Status.APPLIED
