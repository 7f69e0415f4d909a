"""The default autonomy policy, rule by rule, and the seed's outcome table (DEMO_OPERATOR.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from domain.assessments import duplicate_charge, late_fee, outage_credit, third_party_charges
from domain.policy import (
    CreditAsk,
    Decision,
    ExtensionAsk,
    Facts,
    Policy,
    decide_credit,
    decide_extension,
)
from domain.records import AdjustmentKind, Outcome
from tests.unit.policy_fixtures import (
    ACCOUNTS,
    load_policy,
    seed_current_bills,
    seed_facts,
    seed_incidents,
)

APPLY, HUMAN, DECLINE = Outcome.APPLY, Outcome.HUMAN, Outcome.DECLINE
WAIVER = AdjustmentKind.LATE_FEE_WAIVER
DUPLICATE = AdjustmentKind.DUPLICATE_CHARGE
OUTAGE = AdjustmentKind.OUTAGE_CREDIT
THIRD_PARTY = AdjustmentKind.THIRD_PARTY_DISPUTE
GOODWILL = AdjustmentKind.GOODWILL


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def credit(kind: AdjustmentKind, cents: int, policy: Policy, **facts: object) -> Decision:
    return decide_credit(CreditAsk(kind=kind, amount_cents=cents), Facts(**facts), policy)


def extension(days: int, policy: Policy, **facts: object) -> Decision:
    return decide_extension(ExtensionAsk(days=days), Facts(**facts), policy)


# --------------------------------------------------------------------------- the seed table


def _waiver(name: str, policy: Policy) -> tuple[AdjustmentKind, int]:
    return WAIVER, late_fee(seed_current_bills()[name]).amount_cents


def _duplicate(name: str, policy: Policy) -> tuple[AdjustmentKind, int]:
    return DUPLICATE, duplicate_charge(seed_current_bills()[name]).amount_cents


def _outage(name: str, policy: Policy) -> tuple[AdjustmentKind, int]:
    account = ACCOUNTS[name]
    assessment = outage_credit(
        seed_incidents(),
        seed_current_bills()[name],
        account.zip_code,
        account.plan_price_cents,
        policy,
    )
    return OUTAGE, assessment.amount_cents


def _third_party(name: str, policy: Policy) -> tuple[AdjustmentKind, int]:
    return THIRD_PARTY, third_party_charges(seed_current_bills()[name]).amount_cents


@dataclass(frozen=True)
class SeedCreditRow:
    name: str
    assess: Callable[[str, Policy], tuple[AdjustmentKind, int]]
    amount_cents: int
    outcome: Outcome
    deciding_rule: str


SEED_CREDIT_ROWS = {
    "ana_gets_her_five_dollar_late_fee_waived_by_the_bot": SeedCreditRow(
        "ana", _waiver, 500, APPLY, "late_fee_waiver.eligible"
    ),
    "ben_gets_his_doubled_device_protection_credited_by_the_bot": SeedCreditRow(
        "ben", _duplicate, 1500, APPLY, "duplicate_charge.credit_n_minus_1"
    ),
    "carla_gets_eight_dollars_for_four_outage_days_by_the_bot": SeedCreditRow(
        "carla", _outage, 800, APPLY, "outage_credit.full_days"
    ),
    "davids_trivafun_charge_goes_to_a_human_proposing_180_dollars": SeedCreditRow(
        "david", _third_party, 18000, HUMAN, "third_party_charge.always_human"
    ),
    "elenas_second_waiver_within_a_year_is_declined": SeedCreditRow(
        "elena", _waiver, 500, DECLINE, "late_fee_waiver.once_per_window"
    ),
    "graces_waiver_goes_to_a_human_because_she_is_flagged": SeedCreditRow(
        "grace", _waiver, 500, HUMAN, "flagged_account"
    ),
    "hiros_outage_goes_to_a_human_because_867_would_pass_the_rolling_cap": SeedCreditRow(
        "hiro", _outage, 867, HUMAN, "rolling_cap"
    ),
}


@pytest.mark.parametrize("row", SEED_CREDIT_ROWS.values(), ids=SEED_CREDIT_ROWS.keys())
def test_the_seed_credit_asks_get_the_outcomes_in_the_demo_operator_table(row, policy):
    kind, amount = row.assess(row.name, policy)
    assert amount == row.amount_cents

    decision = decide_credit(
        CreditAsk(kind=kind, amount_cents=amount), seed_facts(row.name, policy), policy
    )

    assert decision.outcome is row.outcome
    assert decision.deciding_rule == row.deciding_rule
    assert decision.policy_version == "2026-11-01"


SEED_EXTENSION_ROWS = {
    "elena_gets_a_14_day_extension_from_the_bot": (14, APPLY, "payment_extension.within_max_days"),
    "elenas_30_day_extension_goes_to_a_human": (30, HUMAN, "payment_extension.over_max_days"),
}


@pytest.mark.parametrize(
    ("days", "outcome", "rule"), SEED_EXTENSION_ROWS.values(), ids=SEED_EXTENSION_ROWS.keys()
)
def test_elenas_extensions_get_the_outcomes_in_the_demo_operator_table(days, outcome, rule, policy):
    decision = decide_extension(ExtensionAsk(days=days), seed_facts("elena", policy), policy)

    assert decision.outcome is outcome
    assert decision.deciding_rule == rule


def test_hiro_already_has_45_dollars_of_bot_credits_in_the_window(policy):
    assert seed_facts("hiro", policy).bot_credits_in_window_cents == 4500


def test_the_policy_file_parses_into_the_documented_defaults(policy):
    assert policy.version == "2026-11-01"
    assert policy.per_adjustment_cap_cents == 2500
    assert policy.rolling_cap_cents == 5000
    assert policy.rolling_window_days == 365
    assert policy.daily_budget_cents == 100_000
    assert policy.late_fee_waivers_per_window == 1
    assert policy.late_fee_window_days == 365
    assert policy.extension_max_days == 14
    assert policy.extensions_per_window == 1
    assert policy.extension_window_days == 90
    assert policy.staff["alex"].approval_limit_cents == 20_000
    assert policy.staff["sam"].approval_limit_cents == 500_000


# --------------------------------------------------------------------------- rule by rule


def test_the_bot_applies_exactly_25_dollars_by_itself(policy):
    assert credit(DUPLICATE, 2500, policy).outcome is APPLY


def test_one_cent_over_25_dollars_goes_to_a_human(policy):
    decision = credit(DUPLICATE, 2501, policy)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "per_adjustment_cap"


def test_a_credit_that_brings_the_rolling_total_to_exactly_50_dollars_is_applied(policy):
    assert credit(OUTAGE, 1000, policy, bot_credits_in_window_cents=4000).outcome is APPLY


def test_a_credit_one_cent_past_the_50_dollar_rolling_cap_goes_to_a_human(policy):
    decision = credit(OUTAGE, 1001, policy, bot_credits_in_window_cents=4000)

    assert decision.outcome is HUMAN
    assert decision.rules_fired == ("outage_credit.full_days", "rolling_cap")


def test_a_credit_that_uses_up_exactly_the_daily_budget_is_applied(policy):
    assert credit(WAIVER, 500, policy, bot_credits_today_cents=99_500).outcome is APPLY


def test_a_credit_one_cent_past_the_daily_budget_goes_to_a_human(policy):
    decision = credit(WAIVER, 500, policy, bot_credits_today_cents=99_501)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "daily_budget"


@pytest.mark.parametrize("kind", [WAIVER, DUPLICATE, OUTAGE])
def test_the_kill_switch_turns_every_credit_the_bot_would_apply_into_a_human_case(kind, policy):
    assert credit(kind, 500, policy).outcome is APPLY

    decision = credit(kind, 500, policy, kill_switch=True)

    assert decision.outcome is HUMAN
    assert "kill_switch" in decision.rules_fired


def test_the_kill_switch_turns_an_extension_the_bot_would_grant_into_a_human_case(policy):
    assert extension(7, policy).outcome is APPLY

    decision = extension(7, policy, kill_switch=True)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "kill_switch"


@pytest.mark.parametrize("kind", [WAIVER, DUPLICATE, OUTAGE])
def test_a_flagged_account_gets_no_self_service_credit(kind, policy):
    decision = credit(kind, 500, policy, account_flagged=True)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "flagged_account"


def test_a_flagged_account_gets_no_self_service_extension(policy):
    decision = extension(3, policy, account_flagged=True)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "flagged_account"


def test_a_first_late_fee_waiver_in_365_days_is_applied(policy):
    assert credit(WAIVER, 500, policy, late_fee_waivers_in_window=0).outcome is APPLY


def test_a_second_late_fee_waiver_within_365_days_is_declined(policy):
    decision = credit(WAIVER, 500, policy, late_fee_waivers_in_window=1)

    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "late_fee_waiver.once_per_window"


def test_a_waiver_with_no_late_fee_on_the_bill_is_declined(policy):
    bill = seed_current_bills()["carla"]

    decision = credit(WAIVER, late_fee(bill).amount_cents, policy)

    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "late_fee_waiver.no_late_fee"


def test_a_duplicate_charge_claim_with_no_duplicate_found_is_declined(policy):
    bill = seed_current_bills()["farid"]

    decision = credit(DUPLICATE, duplicate_charge(bill).amount_cents, policy)

    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "duplicate_charge.none_found"


def test_anas_degraded_speeds_earn_no_outage_credit_and_are_declined(policy):
    account = ACCOUNTS["ana"]
    bill = seed_current_bills()["ana"]
    amount = outage_credit(
        seed_incidents(), bill, account.zip_code, account.plan_price_cents, policy
    ).amount_cents

    decision = credit(OUTAGE, amount, policy)

    assert amount == 0
    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "outage_credit.no_full_outage_day"


def test_an_outage_shorter_than_a_full_day_is_declined(policy):
    # full_outage_days rounds a 23-hour outage down to 0 (see test_assessments); 0 is declined.
    decision = credit(OUTAGE, 0, policy)

    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "outage_credit.no_full_outage_day"


def test_an_extension_of_exactly_14_days_is_granted_by_the_bot(policy):
    decision = extension(14, policy)

    assert decision.outcome is APPLY
    assert decision.deciding_rule == "payment_extension.within_max_days"


def test_an_extension_of_15_days_goes_to_a_human(policy):
    decision = extension(15, policy)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "payment_extension.over_max_days"


def test_a_second_extension_within_90_days_goes_to_a_human(policy):
    decision = extension(5, policy, extensions_in_window=1)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "payment_extension.second_within_window"


def test_third_party_charges_always_go_to_a_human_even_when_small(policy):
    decision = credit(THIRD_PARTY, 100, policy)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "third_party_charge.always_human"


def test_when_several_rules_fire_all_are_recorded_and_decline_beats_human(policy):
    decision = credit(
        WAIVER,
        5000,
        policy,
        late_fee_waivers_in_window=1,
        account_flagged=True,
        kill_switch=True,
        bot_credits_in_window_cents=4000,
        bot_credits_today_cents=99_000,
    )

    assert decision.outcome is DECLINE
    assert decision.deciding_rule == "late_fee_waiver.once_per_window"
    assert set(decision.rules_fired) == {
        "late_fee_waiver.once_per_window",
        "kill_switch",
        "flagged_account",
        "per_adjustment_cap",
        "rolling_cap",
        "daily_budget",
    }


def test_when_several_rules_fire_human_beats_apply_and_all_are_recorded(policy):
    decision = credit(DUPLICATE, 3000, policy, bot_credits_in_window_cents=2500)

    assert decision.outcome is HUMAN
    assert decision.deciding_rule == "per_adjustment_cap"
    assert decision.rules_fired == (
        "duplicate_charge.credit_n_minus_1",
        "per_adjustment_cap",
        "rolling_cap",
    )


def test_an_extension_over_14_days_and_second_in_90_days_records_both_rules(policy):
    decision = extension(30, policy, extensions_in_window=1)

    assert decision.outcome is HUMAN
    assert decision.rules_fired == (
        "payment_extension.over_max_days",
        "payment_extension.second_within_window",
    )


def test_decisions_carry_the_policy_version_and_the_deciding_rule(policy):
    bumped = policy.model_copy(update={"version": "2027-01-15"})

    for decision in (
        credit(DUPLICATE, 1500, bumped),
        credit(DUPLICATE, 0, bumped),
        credit(THIRD_PARTY, 18000, bumped),
        extension(14, bumped),
        extension(30, bumped),
    ):
        assert decision.policy_version == "2027-01-15"
        assert decision.deciding_rule in decision.rules_fired


def test_the_policy_numbers_come_from_the_data_not_the_code(policy):
    stricter = policy.model_copy(update={"per_adjustment_cap_cents": 1000})

    assert credit(DUPLICATE, 1500, policy).outcome is APPLY
    assert credit(DUPLICATE, 1500, stricter).outcome is HUMAN
