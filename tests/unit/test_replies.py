"""The customer's wording of lifecycle steps: figures from the records, limits from the policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions.replies import decline_text, step_text, window
from app.policy_loader import load_policy
from domain.records import AdjustmentKind, Status
from domain.usecases.cases import Origin
from domain.usecases.lifecycle.offers import accept_offer, offer_credit
from domain.usecases.lifecycle.transitions import Happened, Step
from tests.unit.fakes import POLICY_FILE, FakeClock, demo_deps

POLICY = load_policy(POLICY_FILE)
ORIGIN = Origin(conversation_id="c", channel="rest")


@pytest.mark.parametrize(("days", "said"), [(365, "12 months"), (730, "2 years"), (90, "90 days")])
def test_policy_windows_are_said_as_a_person_would(days: int, said: str) -> None:
    assert window(days) == said


def test_a_decline_quotes_the_loaded_policy_not_a_number_of_its_own() -> None:
    assert "every 12 months" in decline_text("late_fee_waiver.once_per_window", POLICY)
    stricter = POLICY.model_copy(update={"late_fee_window_days": 180, "outage_full_day_hours": 12})
    assert "every 180 days" in decline_text("late_fee_waiver.once_per_window", stricter)
    assert "shorter than 12 hours" in decline_text("outage_credit.no_full_outage_day", stricter)


def test_an_offer_states_the_amount_and_the_balance_before_and_after() -> None:
    step = offer_credit(demo_deps(), "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    text = step_text(step, POLICY)
    assert "$5.00 credit" in text and "from $112.40 to $107.40" in text
    assert text.endswith("Shall I go ahead?")


def test_an_applied_credit_gives_the_reference_and_the_new_balance() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    done = accept_offer(deps, offer.record.id, ORIGIN)
    text = step_text(done, POLICY)
    assert text.startswith("Done.") and done.record.bss_reference in text  # type: ignore[union-attr]
    assert "new balance is $107.40" in text


def test_a_kill_switch_between_offer_and_yes_is_told_without_naming_internal_rules() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    with deps.backoffice() as office:
        office.flags.set_kill_switch(True)
        office.commit()
    text = step_text(accept_offer(deps, offer.record.id, ORIGIN), POLICY)
    assert "haven't applied the $5.00 credit" in text and "paused" in text and "KM-" in text
    assert "kill_switch" not in text


def test_an_expired_offer_is_said_to_have_expired_and_is_restated() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    offer = offer_credit(deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    clock.advance(timedelta(hours=1))
    text = step_text(accept_offer(deps, offer.record.id, ORIGIN), POLICY)
    assert text.startswith("That offer had expired") and "Shall I go ahead?" in text


def test_a_credit_still_being_applied_is_told_truthfully() -> None:
    deps = demo_deps()
    offer = offer_credit(deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ORIGIN)
    applying = offer.record.model_copy(update={"status": Status.APPLYING})
    text = step_text(Step(record=applying, happened=Happened.APPLYING), POLICY)
    assert "being applied" in text and "$5.00" in text and "Done" not in text
