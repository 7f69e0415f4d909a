"""The supervisor dashboard's figures, computed on hand-made rows (no database)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.web.console.metrics import (
    CaseTimes,
    DecisionFact,
    MoneyDecision,
    PinCheck,
    Rows,
    UserTurn,
    day_bounds,
    day_figures,
    duration,
    last_days,
    median,
    percent,
    week_figures,
)
from app.web.console.rasa_events import fallback_threshold, user_turn
from app.web.console.svg_charts import Series, bar_chart, line_chart

UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
YESTERDAY = NOON - timedelta(days=1)


def turn(sender: str, at: datetime = NOON, intent: str = "ask_balance", confidence: float = 0.9):
    return UserTurn(sender_id=sender, at=at, intent=intent, confidence=confidence)


def figures(rows: Rows, day: date = DAY, zone: ZoneInfo = UTC, threshold: float = 0.45):
    return day_figures(rows, day, zone, threshold=threshold, budget_cents=100_000)


def case(conversation: str, created: datetime = NOON, claimed=None, resolved=None) -> CaseTimes:
    return CaseTimes(conversation, created, claimed, resolved)


def credit(account: str, cents: int, by: str = "bot", status: str = "applied", at=NOON):
    return MoneyDecision(account, by, status, cents, at)


def test_an_empty_day_has_zero_counts_and_no_shares_or_medians() -> None:
    day = figures(Rows())
    assert (day.conversations, day.verified, day.resolved_by_bot, day.handed_off) == (0, 0, 0, 0)
    assert (day.approvals, day.rejections, day.bot_credits_cents, day.user_turns) == (0, 0, 0, 0)
    assert day.containment is None and day.override_rate is None and day.drift is None
    assert day.median_claim_wait is None and day.median_decide_wait is None
    assert day.budget_cents == 100_000


def test_conversations_are_distinct_senders_with_a_user_message_that_day() -> None:
    rows = Rows(turns=[turn("a"), turn("a"), turn("b"), turn("c", at=YESTERDAY)])
    assert figures(rows).conversations == 2
    assert figures(rows, day=DAY - timedelta(days=1)).conversations == 1


def test_a_late_evening_message_in_new_york_counts_on_the_new_york_day() -> None:
    late = datetime(2026, 11, 21, 3, 30, tzinfo=timezone.utc)  # 22:30 on the 20th in New York
    rows = Rows(turns=[turn("a", at=late)], cases=[case("a", created=late)])
    assert figures(rows, day=DAY, zone=NEW_YORK).conversations == 1
    assert figures(rows, day=DAY, zone=NEW_YORK).handed_off == 1
    assert figures(rows, day=DAY, zone=UTC).conversations == 0
    assert figures(rows, day=date(2026, 11, 21), zone=UTC).conversations == 1


def test_a_day_starts_at_local_midnight_and_lasts_25_hours_when_the_clocks_go_back() -> None:
    start, end = day_bounds(date(2026, 11, 1), NEW_YORK)
    assert start == datetime(2026, 11, 1, 4, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(hours=25)


def test_verified_counts_conversations_with_a_successful_pin_check_that_day_once() -> None:
    checks = [
        PinCheck("a", "100001", True, NOON),
        PinCheck("a", "100001", True, NOON + timedelta(minutes=5)),
        PinCheck("b", None, False, NOON),
        PinCheck("c", "100002", True, YESTERDAY),
    ]
    assert figures(Rows(pin_checks=checks)).verified == 1


def test_handed_off_counts_the_distinct_conversations_of_the_cases_created_that_day() -> None:
    later = NOON + timedelta(hours=1)
    cases = [case("a"), case("a", created=later), case("b"), case("c", created=YESTERDAY)]
    assert figures(Rows(cases=cases)).handed_off == 2


def test_containment_is_the_share_of_conversations_without_a_handoff() -> None:
    rows = Rows(turns=[turn(s) for s in "abcd"], cases=[case("a"), case("voice-only")])
    day = figures(rows)
    assert day.containment == pytest.approx(0.75)
    assert percent(day.containment) == "75%"


def test_a_handed_off_conversation_whose_account_got_a_bot_credit_counts_as_resolved() -> None:
    rows = Rows(
        turns=[turn("a"), turn("b"), turn("c")],
        cases=[case("a"), case("b")],
        pin_checks=[PinCheck("a", "100001", True, NOON), PinCheck("b", "100002", True, NOON)],
        money=[credit("100001", 500), credit("100002", 900, by="agent:alex")],
    )
    assert figures(rows).resolved_by_bot == 2  # c (no handoff) and a (bot credit)


def test_a_bot_applied_extension_also_resolves_a_conversation_without_adding_cents() -> None:
    rows = Rows(
        turns=[turn("a")],
        cases=[case("a")],
        pin_checks=[PinCheck("a", "100001", True, NOON)],
        money=[MoneyDecision("100001", "bot", "applied", None, NOON)],
    )
    day = figures(rows)
    assert day.resolved_by_bot == 1 and day.bot_credits_cents == 0


def test_bot_credits_sum_the_bots_applied_and_applying_credits_decided_that_day() -> None:
    money = [
        credit("1", 1500),
        credit("2", 250, status="applying"),
        credit("3", 9999, status="offered"),
        credit("4", 9999, status="failed"),
        credit("5", 9999, by="agent:alex"),
        credit("6", 9999, at=YESTERDAY),
    ]
    assert figures(Rows(money=money)).bot_credits_cents == 1750


def test_approvals_and_rejections_count_only_the_decisions_of_people() -> None:
    decisions = [
        DecisionFact(NOON, "agent:alex", "apply", False),
        DecisionFact(NOON, "supervisor:sam", "apply", True),
        DecisionFact(NOON, "agent:alex", "decline", True),
        DecisionFact(NOON, "bot", "apply", False),
        DecisionFact(NOON, "bot", "human", False),
        DecisionFact(YESTERDAY, "agent:alex", "apply", False),
    ]
    day = figures(Rows(decisions=decisions))
    assert (day.approvals, day.rejections) == (2, 1)
    assert day.override_rate == pytest.approx(2 / 3)


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values() -> None:
    minutes = [timedelta(minutes=m) for m in (9, 1, 3, 5)]
    assert median(minutes) == timedelta(minutes=4)
    assert median(minutes[:3]) == timedelta(minutes=3)
    assert median([]) is None


def test_waits_run_from_the_handoff_to_the_claim_and_to_the_decision() -> None:
    cases = [
        case("a", claimed=NOON + timedelta(minutes=2), resolved=NOON + timedelta(minutes=10)),
        case("b", claimed=NOON + timedelta(minutes=4), resolved=NOON + timedelta(minutes=20)),
        case("c"),  # still waiting: no wait to measure yet
    ]
    day = figures(Rows(cases=cases))
    assert day.median_claim_wait == timedelta(minutes=3)
    assert day.median_decide_wait == timedelta(minutes=15)
    assert duration(day.median_claim_wait) == "3 min 00 s"


def test_drift_is_the_share_of_user_turns_below_the_fallback_threshold() -> None:
    turns = [
        turn("a", confidence=0.9),
        turn("a", confidence=0.45),  # at the threshold: understood
        turn("b", confidence=0.44),
        turn("c", intent="nlu_fallback", confidence=0.45),
        UserTurn("d", NOON, None, None),  # no intent at all: not understood
        turn("e", at=YESTERDAY, confidence=0.1),
    ]
    day = figures(Rows(turns=turns))
    assert (day.user_turns, day.turns_below_threshold) == (5, 3)
    assert day.drift == pytest.approx(0.6)


def test_the_week_is_the_seven_days_ending_today_oldest_first() -> None:
    assert last_days(DAY) == [DAY - timedelta(days=n) for n in range(6, -1, -1)]
    week = week_figures(Rows(turns=[turn("a")]), DAY, UTC, threshold=0.45, budget_cents=1)
    assert [d.day for d in week] == last_days(DAY)
    assert [d.conversations for d in week] == [0, 0, 0, 0, 0, 0, 1]


def test_durations_read_as_seconds_minutes_or_hours() -> None:
    assert duration(None) == "–"
    assert duration(timedelta(seconds=42)) == "42 s"
    assert duration(timedelta(hours=1, minutes=5)) == "1 h 05 min"


def test_the_fallback_threshold_comes_from_the_bots_pipeline() -> None:
    assert fallback_threshold() == pytest.approx(0.45)


def test_a_broker_row_of_a_user_event_becomes_a_user_turn_and_others_are_skipped() -> None:
    event = {
        "event": "user",
        "timestamp": NOON.timestamp(),
        "text": "what do I owe",
        "parse_data": {"intent": {"name": "ask_balance", "confidence": 0.93}},
    }
    assert user_turn("s1", json.dumps(event)) == UserTurn("s1", NOON, "ask_balance", 0.93)
    assert user_turn("s1", json.dumps({"event": "bot", "timestamp": 1.0})) is None
    assert user_turn("s1", "not json") is None


def test_a_bar_chart_names_itself_and_writes_every_value_and_day_as_text() -> None:
    svg = bar_chart(
        "convs",
        "Conversations <per day>",
        "Conversations and handoffs of the last 2 days",
        ["Thu 19", "Fri 20"],
        [Series("conversations", [3, 5], ["3", "5"]), Series("handed off", [1, None], ["1", "–"])],
        limit=4,
        limit_label="budget",
    )
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in svg
    assert '<title id="convs-title">Conversations &lt;per day&gt;</title>' in svg
    for text in (">3<", ">5<", ">1<", ">–<", ">Thu 19<", ">Fri 20<", ">budget<"):
        assert text in svg
    assert "style=" not in svg  # the console's CSP refuses inline style


def test_a_line_chart_breaks_its_line_on_a_day_without_a_value() -> None:
    svg = line_chart(
        "drift",
        "Drift",
        "Share of user turns below the threshold",
        ["a", "b", "c", "d"],
        [Series("drift", [0.1, 0.2, None, 0.4], ["10%", "20%", "–", "40%"])],
    )
    assert svg.count("<polyline") == 1  # a-b joined; d stands alone
    assert svg.count("<circle") == 3 and ">–<" in svg
