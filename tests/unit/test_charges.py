"""Which charge a customer means, and what that one line is, from the bill alone."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.charges import amounts_in, distinct_lines, explain_line, lines_meant
from domain.model import Bill, BillLine, LineCategory
from domain.money_requests import LONGEST_MONEY_REQUEST, asked_for_money

T = datetime(2026, 11, 1, tzinfo=timezone.utc)


def line(n: int, description: str, category: LineCategory, cents: int, **extra: object) -> BillLine:
    return BillLine(
        line_id=f"B1-L{n}", description=description, category=category, amount_cents=cents, **extra
    )


PLAN = line(1, "Unlimited Plus plan", LineCategory.PLAN, 6500)
ROAMING = line(
    2,
    "International roaming, Canada",
    LineCategory.ROAMING,
    3200,
    quantity=4,
    unit_cents=800,
    unit_label="day",
)
LATE = line(3, "Late fee", LineCategory.LATE_FEE, 500)
TAXES = line(4, "Taxes and surcharges", LineCategory.TAXES, 1040)
PROTECTION = line(5, "Device Protection", LineCategory.ADDON, 1500)
PROTECTION_AGAIN = line(6, "Device Protection", LineCategory.ADDON, 1500)
TRIVAFUN = line(7, 'Premium SMS subscription "TrivaFun"', LineCategory.THIRD_PARTY, 18000)


def bill(*lines: BillLine, paid_at: datetime | None = None, due: date = date(2026, 11, 22)) -> Bill:
    return Bill(
        bill_id="B1",
        account_id="100001",
        period_start=T,
        period_end=T,
        issued_at=T,
        due_date=due,
        lines=lines,
        paid_at=paid_at,
    )


ANA = bill(PLAN, ROAMING, LATE, TAXES)
ANA_BEFORE = bill(
    PLAN, TAXES, paid_at=datetime(2026, 10, 19, tzinfo=timezone.utc), due=date(2026, 10, 13)
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("what is this $32 line?", {3200}),
        ("whats the 32.00 charge", {3200}),
        ("what's the thirty two dollars for", {3200}),
        ("what is this one hundred eighty dollars", {18000}),
        ("the 5 dollar fee", {500}),
        ("my pin is 4321", set()),
        ("account 100001", set()),
    ],
)
def test_amounts_are_read_from_digits_and_words_but_not_from_pins_or_account_numbers(
    text: str, cents: set[int]
) -> None:
    assert amounts_in(text) == cents


def test_a_charge_named_by_its_amount_is_that_line() -> None:
    assert lines_meant(ANA, "what is this $32 line?") == (ROAMING,)


def test_a_charge_named_by_its_unit_price_is_that_line() -> None:
    assert lines_meant(ANA, "why am i paying 8 dollars a day") == (ROAMING,)


def test_a_charge_named_in_words_is_found_by_its_kind() -> None:
    assert lines_meant(ANA, "what's this international roaming thing") == (ROAMING,)
    assert lines_meant(ANA, "what does the late fee mean") == (LATE,)


def test_a_charge_billed_twice_is_one_line_to_explain() -> None:
    assert lines_meant(bill(PLAN, PROTECTION, PROTECTION_AGAIN), "what is device protection") == (
        PROTECTION,
    )
    assert distinct_lines([PROTECTION, PROTECTION_AGAIN, TAXES]) == (PROTECTION, TAXES)


def test_an_unclear_question_points_at_no_line() -> None:
    assert lines_meant(ANA, "what is this charge") == ()


def test_roaming_is_explained_with_its_days_and_daily_price() -> None:
    text = explain_line(ROAMING, ANA, ANA_BEFORE)
    assert text == (
        "The $32.00 line is International roaming, Canada: 4 days at $8.00 a day, charged for "
        "using your phone abroad."
    )


def test_a_late_fee_is_explained_with_the_dates_and_how_to_ask_for_a_waiver() -> None:
    text = explain_line(LATE, ANA, ANA_BEFORE)
    assert "$5.00" in text and "late fee" in text
    assert "was due October 13 and was paid on October 19" in text
    assert text.endswith("If you'd like, I can check whether it can be waived: just ask.")


def test_a_duplicate_is_explained_as_one_and_the_customer_told_how_to_ask() -> None:
    text = explain_line(PROTECTION, bill(PLAN, PROTECTION, PROTECTION_AGAIN), None)
    assert "appears 2 times in the same period" in text
    assert "just ask" in text


def test_a_third_party_charge_says_who_bills_it_and_how_to_dispute() -> None:
    text = explain_line(TRIVAFUN, bill(PLAN, TRIVAFUN), None)
    assert "$180.00" in text and "third-party" in text
    assert "If you didn't sign up for it" in text


def test_a_plain_charge_gets_no_invitation_to_ask_for_money() -> None:
    assert explain_line(TAXES, ANA, ANA_BEFORE) == (
        "The $10.40 line is the taxes and surcharges on this bill's services."
    )


def test_a_money_request_needs_the_confidence_and_a_request_sized_text() -> None:
    assert asked_for_money(0.8, "please waive my late fee", 0.5)
    assert not asked_for_money(0.49, "please waive my late fee", 0.5)
    assert not asked_for_money(0.99, "x" * (LONGEST_MONEY_REQUEST + 1), 0.5)
    assert asked_for_money(0.99, "x" * LONGEST_MONEY_REQUEST, 0.5)
