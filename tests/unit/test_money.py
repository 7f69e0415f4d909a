"""Money is integer cents; rounding is half-up (away from zero) on exact fractions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from domain.money import format_cents, round_half_up


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Fraction(0), 0),
        (Fraction(5), 5),
        (Fraction(1, 2), 1),
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 3),
        (Fraction(26000, 30), 867),  # 866.666... -> 867
        (Fraction(24000, 30), 800),
        (Fraction(4999, 10), 500),
        (Fraction(4994, 10), 499),
        (Fraction(1, 3), 0),
        (Fraction(2, 3), 1),
    ],
)
def test_round_half_up_rounds_positive_fractions_to_the_nearest_cent_halves_up(value, cents):
    assert round_half_up(value) == cents


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Fraction(-1, 2), -1),
        (Fraction(-3, 2), -2),
        (Fraction(-5, 2), -3),
        (Fraction(-1, 3), 0),
        (Fraction(-2, 3), -1),
        (Fraction(-26000, 30), -867),
    ],
)
def test_round_half_up_rounds_negative_halves_away_from_zero(value, cents):
    assert round_half_up(value) == cents


def test_round_half_up_returns_an_int():
    assert type(round_half_up(Fraction(7, 2))) is int


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (500, "$5.00"),
        (867, "$8.67"),
        (11240, "$112.40"),
        (100_000, "$1,000.00"),
        (123_456_789, "$1,234,567.89"),
        (-500, "-$5.00"),
        (-1, "-$0.01"),
    ],
)
def test_format_cents_renders_dollars_with_thousands_separators(cents, text):
    assert format_cents(cents) == text


def test_format_cents_prefixes_other_currencies_with_their_code():
    assert format_cents(1050, "EUR") == "EUR 10.50"
    assert format_cents(-1050, "EUR") == "-EUR 10.50"
