"""What a customer is owed, before any policy: duplicates, outages, late fees, third parties."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.assessments import (
    duplicate_charge,
    duplicate_lines,
    full_outage_days,
    late_fee,
    outage_credit,
    third_party_charges,
)
from domain.model import Bill, Incident, IncidentKind, LineCategory
from domain.policy import Policy
from tests.unit.policy_fixtures import (
    ACCOUNTS,
    ADDON,
    LATE,
    PLAN,
    TAXES,
    THIRD,
    current_bill,
    load_policy,
    seed_current_bills,
    seed_incidents,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def bill() -> Bill:
    """A bill with no lines that matter: only its period is used by the outage tests."""
    return current_bill("900001", ("Unlimited plan", PLAN, 6000), ("Taxes", TAXES, 840))


def full_outage(
    starts_at: datetime,
    ends_at: datetime,
    zips: tuple[str, ...] = ("60614",),
    incident_id: str = "INC-1",
) -> Incident:
    return Incident(
        incident_id=incident_id,
        zip_codes=zips,
        kind=IncidentKind.FULL_OUTAGE,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def days(incidents: list[Incident], bill: Bill, zip_code: str = "60614") -> int:
    return full_outage_days(incidents, bill, zip_code, 24)


# --------------------------------------------------------------------------- duplicates


def test_bens_doubled_device_protection_credits_one_copy_and_ignores_taxes():
    assessment = duplicate_charge(seed_current_bills()["ben"])

    assert assessment.amount_cents == 1500
    assert "Device Protection" in assessment.description


@pytest.mark.parametrize("copies", [1, 2, 3, 5])
def test_n_copies_of_the_same_line_credit_n_minus_1_of_them(copies):
    bill = current_bill(
        "900002",
        ("Essentials plan", PLAN, 4500),
        *[("Device Protection", ADDON, 1500)] * copies,
        ("Taxes and surcharges", TAXES, 630),
    )

    assert duplicate_charge(bill).amount_cents == 1500 * (copies - 1)
    assert len(duplicate_lines(bill)) == copies - 1


def test_repeated_tax_lines_are_never_credited_as_duplicates():
    bill = current_bill(
        "900003",
        ("Unlimited plan", PLAN, 6000),
        ("Taxes and surcharges", TAXES, 840),
        ("Taxes and surcharges", TAXES, 840),
    )

    assert duplicate_charge(bill).amount_cents == 0


def test_same_description_with_a_different_amount_is_not_a_duplicate():
    bill = current_bill(
        "900004",
        ("Device Protection", ADDON, 1500),
        ("Device Protection", ADDON, 1200),
    )

    assert duplicate_charge(bill).amount_cents == 0


def test_same_amount_with_a_different_description_is_not_a_duplicate():
    bill = current_bill(
        "900005",
        ("Device Protection", ADDON, 1500),
        ("Cloud Storage", ADDON, 1500),
    )

    assert duplicate_charge(bill).amount_cents == 0


def test_several_duplicated_lines_are_all_credited():
    bill = current_bill(
        "900006",
        ("Device Protection", ADDON, 1500),
        ("Cloud Storage", ADDON, 300),
        ("Device Protection", ADDON, 1500),
        ("Cloud Storage", ADDON, 300),
        ("Cloud Storage", ADDON, 300),
    )

    assessment = duplicate_charge(bill)

    assert assessment.amount_cents == 1500 + 2 * 300
    assert "Cloud Storage" in assessment.description
    assert "Device Protection" in assessment.description


def test_a_bill_without_duplicates_assesses_zero():
    assert duplicate_charge(seed_current_bills()["farid"]).amount_cents == 0


# --------------------------------------------------------------------------- outages


def test_carla_gets_60_dollars_times_4_full_days_over_30_for_the_seed_outage(policy):
    carla = ACCOUNTS["carla"]
    bill = seed_current_bills()["carla"]
    incidents = seed_incidents()

    assert days(incidents, bill, carla.zip_code) == 4
    assessment = outage_credit(incidents, bill, carla.zip_code, carla.plan_price_cents, policy)
    assert assessment.amount_cents == 800
    assert "INC-7781" in assessment.detail


def test_hiro_gets_65_dollars_times_4_over_30_rounded_half_up_to_867(policy):
    hiro = ACCOUNTS["hiro"]
    bill = seed_current_bills()["hiro"]

    assessment = outage_credit(seed_incidents(), bill, hiro.zip_code, hiro.plan_price_cents, policy)

    assert assessment.amount_cents == 867  # 6500 * 4 / 30 = 866.67


def test_overlapping_incidents_are_merged_before_counting_full_days(bill):
    start = bill.period_start + 5 * DAY
    incidents = [
        full_outage(start, start + 36 * HOUR, incident_id="INC-A"),
        full_outage(start + 24 * HOUR, start + 72 * HOUR, incident_id="INC-B"),
    ]

    # Separately: 1 + 2 = 3 full days from 36h + 48h; merged they are one 72h block = 3 days.
    assert days(incidents, bill) == 3


def test_two_overlapping_partial_days_merge_into_a_full_day(bill):
    start = bill.period_start + 5 * DAY
    incidents = [
        full_outage(start, start + 14 * HOUR, incident_id="INC-A"),
        full_outage(start + 10 * HOUR, start + 25 * HOUR, incident_id="INC-B"),
    ]

    assert days(incidents, bill) == 1


def test_back_to_back_incidents_join_into_one_outage(bill):
    start = bill.period_start + 5 * DAY
    incidents = [
        full_outage(start, start + 12 * HOUR, incident_id="INC-A"),
        full_outage(start + 12 * HOUR, start + 24 * HOUR, incident_id="INC-B"),
    ]

    assert days(incidents, bill) == 1


def test_a_contained_incident_does_not_add_days(bill):
    start = bill.period_start + 5 * DAY
    incidents = [
        full_outage(start, start + 3 * DAY, incident_id="INC-A"),
        full_outage(start + DAY, start + 2 * DAY, incident_id="INC-B"),
    ]

    assert days(incidents, bill) == 3


def test_separate_partial_days_do_not_add_up_to_a_full_day(bill):
    start = bill.period_start + 5 * DAY
    incidents = [
        full_outage(start, start + 12 * HOUR, incident_id="INC-A"),
        full_outage(start + DAY, start + DAY + 12 * HOUR, incident_id="INC-B"),
    ]

    assert days(incidents, bill) == 0


def test_an_incident_starting_before_the_period_only_counts_its_days_inside(bill):
    incident = full_outage(bill.period_start - 2 * DAY, bill.period_start + 3 * DAY + 5 * HOUR)

    assert days([incident], bill) == 3


def test_an_incident_running_past_the_period_end_only_counts_its_days_inside(bill):
    incident = full_outage(bill.period_end - 2 * DAY - HOUR, bill.period_end + 4 * DAY)

    assert days([incident], bill) == 2


def test_incidents_entirely_outside_the_period_count_nothing(bill):
    incidents = [
        full_outage(bill.period_start - 5 * DAY, bill.period_start - DAY, incident_id="INC-A"),
        full_outage(bill.period_end + DAY, bill.period_end + 5 * DAY, incident_id="INC-B"),
    ]

    assert days(incidents, bill) == 0


def test_an_incident_outside_the_period_does_not_bridge_into_one_inside(bill):
    incidents = [
        full_outage(bill.period_start - 3 * DAY, bill.period_start - DAY, incident_id="INC-A"),
        full_outage(bill.period_start, bill.period_start + 30 * HOUR, incident_id="INC-B"),
        full_outage(bill.period_end + HOUR, bill.period_end + 3 * DAY, incident_id="INC-C"),
    ]

    assert days(incidents, bill) == 1


def test_a_23_hour_outage_earns_nothing(bill, policy):
    start = bill.period_start + 5 * DAY
    incident = full_outage(start, start + 23 * HOUR)

    assert days([incident], bill) == 0
    assert outage_credit([incident], bill, "60614", 6000, policy).amount_cents == 0


def test_exactly_24_hours_is_one_full_day(bill, policy):
    start = bill.period_start + 5 * DAY
    incident = full_outage(start, start + 24 * HOUR)

    assert outage_credit([incident], bill, "60614", 6000, policy).amount_cents == 200


def test_degraded_service_earns_nothing_however_long(bill, policy):
    start = bill.period_start + 2 * DAY
    incident = Incident(
        incident_id="INC-D",
        zip_codes=("60614",),
        kind=IncidentKind.DEGRADED,
        starts_at=start,
        ends_at=start + 10 * DAY,
    )

    assert outage_credit([incident], bill, "60614", 6000, policy).amount_cents == 0


def test_anas_three_hours_of_degraded_speeds_earn_nothing(policy):
    ana = ACCOUNTS["ana"]
    bill = seed_current_bills()["ana"]

    assessment = outage_credit(seed_incidents(), bill, ana.zip_code, ana.plan_price_cents, policy)

    assert assessment.amount_cents == 0


def test_an_outage_in_another_zip_earns_nothing(bill, policy):
    start = bill.period_start + 2 * DAY
    incident = full_outage(start, start + 4 * DAY, zips=("60614", "60615"))

    assert outage_credit([incident], bill, "94110", 6000, policy).amount_cents == 0
    assert outage_credit([incident], bill, "60615", 6000, policy).amount_cents == 800


def test_a_zip_is_matched_exactly_not_by_prefix(bill):
    start = bill.period_start + 2 * DAY
    incident = full_outage(start, start + 4 * DAY, zips=("606140",))

    assert days([incident], bill, "60614") == 0


# --------------------------------------------------------------------------- late fee


def test_the_late_fee_finds_anas_five_dollar_line():
    bill = seed_current_bills()["ana"]

    assessment = late_fee(bill)

    assert assessment.amount_cents == 500
    assert assessment.detail == next(
        line.line_id for line in bill.lines if line.category is LineCategory.LATE_FEE
    )


def test_a_bill_without_a_late_fee_assesses_zero():
    assert late_fee(seed_current_bills()["carla"]).amount_cents == 0


# --------------------------------------------------------------------------- third party


def test_davids_trivafun_charge_is_the_third_party_total():
    assessment = third_party_charges(seed_current_bills()["david"])

    assert assessment.amount_cents == 18000
    assert "TrivaFun" in assessment.description


def test_third_party_charges_are_summed():
    bill = current_bill(
        "900007",
        ("Unlimited plan", PLAN, 6000),
        ("TrivaFun", THIRD, 18000),
        ("Horoscope SMS", THIRD, 499),
        ("Late fee", LATE, 500),
        ("Taxes", TAXES, 900),
    )

    assert third_party_charges(bill).amount_cents == 18499


def test_assessment_targets_are_stable_per_bill_and_kind():
    bill = seed_current_bills()["ben"]

    assert duplicate_charge(bill).target == duplicate_charge(bill).target
    targets = {
        late_fee(bill).target,
        duplicate_charge(bill).target,
        third_party_charges(bill).target,
    }
    assert len(targets) == 3
    assert all(target.startswith(bill.bill_id) for target in targets)
