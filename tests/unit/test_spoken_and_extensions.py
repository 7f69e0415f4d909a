"""Spoken numbers, durations and dates; payment extensions and order status on the demo data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.records import Status
from domain.spoken import digits_from_words, extension_days, parse_days
from domain.usecases.cases import Origin
from domain.usecases.lifecycle.offers import accept_offer, offer_extension
from domain.usecases.lifecycle.transitions import Happened
from domain.usecases.orders import order_status
from tests.unit.fakes import demo_deps

ORIGIN = Origin(conversation_id="conv", channel="rest")
DUE = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("four three two one", "4321"),
        ("uh nine nine nine nine", "9999"),
        ("five five five oh one oh oh oh oh one", "5550100001"),
        ("one zero zero zero zero one", "100001"),
    ],
)
def test_digits_said_one_by_one_become_digits(said: str, digits: str) -> None:
    assert digits_from_words(said).replace(" ", "").endswith(digits)


@pytest.mark.parametrize(
    ("said", "days"),
    [
        ("two weeks", 14),
        ("can i get 2 more weeks", 14),
        ("i need 30 days", 30),
        ("thirty days please", 30),
        ("twenty one days", 21),
        ("a month", 30),
        ("a couple of weeks", 14),
        ("10 days", 10),
    ],
)
def test_durations_in_words_or_digits_are_read_in_days(said: str, days: int) -> None:
    assert parse_days(said) == days


@pytest.mark.parametrize(
    ("said", "days"),
    [
        ("until the 15th", 14),
        ("until december 20", 19),
        ("can i pay on 12/10", 9),
        ("till the 3rd", 2),
    ],
)
def test_a_target_date_is_read_as_days_past_the_due_date(said: str, days: int) -> None:
    assert extension_days(said, DUE) == days


def test_nothing_like_a_duration_gives_none() -> None:
    assert extension_days("can I pay later", DUE) is None


def test_elena_gets_fourteen_days_from_the_bot_and_the_bss_moves_the_due_date() -> None:
    deps = demo_deps()
    due_before = deps.billing.get_bills("100005")[0].due_date
    offer = offer_extension(deps, "100005", 14, ORIGIN)
    assert offer.happened is Happened.OFFERED
    assert offer.record.new_due_date == due_before + timedelta(days=14)
    assert deps.billing.get_bills("100005")[0].due_date == due_before  # nothing before the yes

    accepted = accept_offer(deps, offer.record.id, ORIGIN)

    assert accepted.record.status is Status.APPLIED
    assert accepted.record.decided_by == "bot"
    assert deps.billing.get_bills("100005")[0].due_date == due_before + timedelta(days=14)
    assert offer_extension(deps, "100005", 14, ORIGIN).happened is Happened.STANDING


def test_thirty_days_or_a_second_extension_go_to_a_person() -> None:
    deps = demo_deps()
    thirty = offer_extension(deps, "100005", 30, ORIGIN)
    assert thirty.record.status is Status.PENDING_APPROVAL
    assert thirty.handoff is not None and thirty.handoff.case.proposed_amount_cents is None

    accept_offer(deps, offer_extension(deps, "100001", 7, ORIGIN).record.id, ORIGIN)
    second = offer_extension(deps, "100001", 5, ORIGIN)
    assert second.record.status is Status.PENDING_APPROVAL
    assert "payment_extension.second_within_window" in second.record.rules_fired


def test_a_flagged_account_gets_no_self_service_extension() -> None:
    deps = demo_deps()
    step = offer_extension(deps, "100007", 7, ORIGIN)
    assert step.record.status is Status.PENDING_APPROVAL
    assert step.record.policy_rule == "flagged_account"


def test_order_status_names_every_order_with_tracking_and_backorder() -> None:
    text = order_status(demo_deps(), "100006")
    assert "ORD-5001" in text and "1Z999AA10123456784" in text and "UPS" in text
    assert "ORD-5002" in text and "backordered" in text


def test_an_unknown_order_id_is_said_so_and_the_real_orders_are_listed() -> None:
    text = order_status(demo_deps(), "100006", "ORD-9999")
    assert text.startswith("I don't see an order ORD-9999")
    assert "ORD-5001" in text


def test_an_account_without_orders_hears_so() -> None:
    assert order_status(demo_deps(), "100001") == "There are no orders on your account."
