"""The supervisor dashboard's figures of one operator day, computed from plain rows.

Pure: the readers (app/web/console/rasa_events.py for Rasa's event broker, app/backoffice/
console_reads.py for the back office) hand in rows; nothing here touches a database, so every
figure is unit-tested on hand-made rows. A day is a calendar day in the operator's timezone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.records import BOT, Outcome, Status

FALLBACK_INTENT = "nlu_fallback"
PEOPLE = ("agent:", "supervisor:")
# In-flight postings count as applied, as they do for the daily budget (app/backoffice/sql_money).
BOT_APPLIED = frozenset({Status.APPLIED.value, Status.APPLYING.value})


@dataclass(frozen=True)
class UserTurn:
    """A customer's message as Rasa's event broker recorded it."""

    sender_id: str
    at: datetime
    intent: str | None
    confidence: float | None


@dataclass(frozen=True)
class PinCheck:
    conversation_id: str
    account_id: str | None
    succeeded: bool
    at: datetime


@dataclass(frozen=True)
class CaseTimes:
    conversation_id: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class MoneyDecision:
    """An adjustment (amount in cents) or a payment extension (amount None) and who decided it."""

    account_id: str
    decided_by: str | None
    status: str
    amount_cents: int | None
    decided_at: datetime


@dataclass(frozen=True)
class DecisionFact:
    at: datetime
    actor: str
    outcome: str
    override: bool


@dataclass(frozen=True)
class Rows:
    """Everything the figures are computed from (usually the rows of the charted days)."""

    turns: Sequence[UserTurn] = ()
    pin_checks: Sequence[PinCheck] = ()
    cases: Sequence[CaseTimes] = ()
    money: Sequence[MoneyDecision] = ()
    decisions: Sequence[DecisionFact] = ()


@dataclass(frozen=True)
class DayFigures:
    day: date
    conversations: int
    verified: int
    resolved_by_bot: int
    handed_off: int
    containment: float | None  # None: no conversations that day
    bot_credits_cents: int
    budget_cents: int
    approvals: int
    rejections: int
    override_rate: float | None  # None: no decision by a person
    median_claim_wait: timedelta | None
    median_decide_wait: timedelta | None
    user_turns: int
    turns_below_threshold: int
    drift: float | None  # None: no user turn


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in the operator's timezone (23 or 25 hours across a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    # In UTC: subtracting two datetimes of one zone ignores a change of offset between them.
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def last_days(today: date, count: int = 7) -> list[date]:
    """The ``count`` days ending with ``today``, oldest first."""
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def median(values: Iterable[timedelta]) -> timedelta | None:
    """The middle value; of an even count, the mean of the two middle ones. None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def is_person(actor: str) -> bool:
    return actor.startswith(PEOPLE)


def below_threshold(turn: UserTurn, threshold: float) -> bool:
    """The NLU was unsure: the fallback intent, a confidence under the threshold, or no intent."""
    if turn.intent == FALLBACK_INTENT:
        return True
    return turn.confidence is None or turn.confidence < threshold


def conversations(turns: Iterable[UserTurn], day: date, zone: ZoneInfo) -> set[str]:
    """Senders with at least one user message that day."""
    return {t.sender_id for t in turns if local_day(t.at, zone) == day}


def verified(checks: Iterable[PinCheck], day: date, zone: ZoneInfo) -> set[str]:
    return {c.conversation_id for c in checks if c.succeeded and local_day(c.at, zone) == day}


def handed_off(cases: Iterable[CaseTimes], day: date, zone: ZoneInfo) -> set[str]:
    return {c.conversation_id for c in cases if local_day(c.created_at, zone) == day}


def bot_applied(money: Iterable[MoneyDecision], day: date, zone: ZoneInfo) -> list[MoneyDecision]:
    return [
        m
        for m in money
        if m.decided_by == BOT and m.status in BOT_APPLIED and local_day(m.decided_at, zone) == day
    ]


def resolved_by_bot(
    talked: set[str],
    handoffs: set[str],
    checks: Iterable[PinCheck],
    applied: Iterable[MoneyDecision],
) -> set[str]:
    """Conversations without a handoff, or whose verified account got a bot-applied credit or
    extension that day (money records carry the account, not the conversation: the successful
    PIN check links the two)."""
    accounts = {m.account_id for m in applied}
    credited = {c.conversation_id for c in checks if c.succeeded and c.account_id in accounts}
    return {c for c in talked if c not in handoffs or c in credited}


def bot_credits_cents(applied: Iterable[MoneyDecision]) -> int:
    """Cents of the bot's applied credits (extensions carry no amount)."""
    return sum(m.amount_cents for m in applied if m.amount_cents is not None)


def people_decisions(
    decisions: Iterable[DecisionFact], day: date, zone: ZoneInfo
) -> list[DecisionFact]:
    return [d for d in decisions if is_person(d.actor) and local_day(d.at, zone) == day]


def claim_waits(cases: Iterable[CaseTimes], day: date, zone: ZoneInfo) -> list[timedelta]:
    """Handoff to claim, for the cases handed off that day and claimed since."""
    return [
        c.claimed_at - c.created_at
        for c in cases
        if c.claimed_at is not None and local_day(c.created_at, zone) == day
    ]


def decide_waits(cases: Iterable[CaseTimes], day: date, zone: ZoneInfo) -> list[timedelta]:
    """Handoff to decision, for the cases handed off that day and decided since."""
    return [
        c.resolved_at - c.created_at
        for c in cases
        if c.resolved_at is not None and local_day(c.created_at, zone) == day
    ]


def day_figures(
    rows: Rows, day: date, zone: ZoneInfo, *, threshold: float, budget_cents: int
) -> DayFigures:
    talked = conversations(rows.turns, day, zone)
    handoffs = handed_off(rows.cases, day, zone)
    applied = bot_applied(rows.money, day, zone)
    people = people_decisions(rows.decisions, day, zone)
    turns = [t for t in rows.turns if local_day(t.at, zone) == day]
    unsure = sum(1 for t in turns if below_threshold(t, threshold))
    contained = len(talked - handoffs)
    return DayFigures(
        day=day,
        conversations=len(talked),
        verified=len(verified(rows.pin_checks, day, zone)),
        resolved_by_bot=len(resolved_by_bot(talked, handoffs, rows.pin_checks, applied)),
        handed_off=len(handoffs),
        containment=share(contained, len(talked)),
        bot_credits_cents=bot_credits_cents(applied),
        budget_cents=budget_cents,
        approvals=sum(1 for d in people if d.outcome == Outcome.APPLY.value),
        rejections=sum(1 for d in people if d.outcome == Outcome.DECLINE.value),
        override_rate=share(sum(1 for d in people if d.override), len(people)),
        median_claim_wait=median(claim_waits(rows.cases, day, zone)),
        median_decide_wait=median(decide_waits(rows.cases, day, zone)),
        user_turns=len(turns),
        turns_below_threshold=unsure,
        drift=share(unsure, len(turns)),
    )


def week_figures(
    rows: Rows, today: date, zone: ZoneInfo, *, threshold: float, budget_cents: int, days: int = 7
) -> list[DayFigures]:
    """The figures of the ``days`` days ending today, oldest first."""
    return [
        day_figures(rows, day, zone, threshold=threshold, budget_cents=budget_cents)
        for day in last_days(today, days)
    ]


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def duration(value: timedelta | None) -> str:
    """``4 min 30 s``, ``1 h 05 min``; a dash when there is nothing to measure."""
    if value is None:
        return "–"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
