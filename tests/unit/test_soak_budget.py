"""`make soak`'s budget check (app/cli/soak_checks.py): the day's budget of bot credits holds,
and a waiver goes to a person only once the budget has no room left for it."""

from __future__ import annotations

from datetime import datetime, timezone

from app.cli.soak_checks import Budget

UTC = timezone.utc
DAILY = 100_000  # the demo policy's $1,000.00


def test_a_run_within_one_operator_day_has_one_budget() -> None:
    start = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    end = datetime(2026, 12, 3, 17, 10, tzinfo=UTC)
    assert Budget.spanning(DAILY, "America/Chicago", start, end) == Budget(DAILY, 1)


def test_a_run_across_the_operators_midnight_has_two_budgets() -> None:
    start = datetime(2026, 12, 4, 5, 55, tzinfo=UTC)  # 23:55 in Chicago
    end = datetime(2026, 12, 4, 6, 5, tzinfo=UTC)  # 00:05 the next day
    assert Budget.spanning(DAILY, "America/Chicago", start, end).days == 2
    assert Budget.spanning(DAILY, "UTC", start, end).days == 1


def test_credits_up_to_the_budget_with_handoffs_after_it_is_spent_are_fine() -> None:
    assert Budget(DAILY, 1).problems(DAILY, handed_off=900, smallest_credit=500) == []
    assert Budget(DAILY, 1).problems(DAILY - 400, handed_off=3, smallest_credit=500) == []
    assert Budget(DAILY, 1).problems(25_000, handed_off=0, smallest_credit=500) == []


def test_credits_over_the_budget_are_a_problem() -> None:
    (problem,) = Budget(DAILY, 1).problems(DAILY + 500, handed_off=0, smallest_credit=500)
    assert "100500 cents credited" in problem


def test_a_handoff_while_the_budget_had_room_is_a_problem() -> None:
    (problem,) = Budget(DAILY, 1).problems(DAILY - 500, handed_off=1, smallest_credit=500)
    assert problem == "1 handed off with 99500 of 100000 spent"


def test_across_midnight_handoffs_are_not_judged_but_the_two_budgets_are() -> None:
    assert Budget(DAILY, 2).problems(DAILY + 500, handed_off=5, smallest_credit=500) == []
    assert Budget(DAILY, 2).problems(2 * DAILY + 500, handed_off=0, smallest_credit=500) != []
