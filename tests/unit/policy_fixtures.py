"""Shared builders for the policy and assessment unit tests.

The demo operator's seed (docs: /work/shared/DEMO_OPERATOR.md) rebuilt as domain values, relative
to a fixed seeding moment ``T``, plus a tiny in-memory ledger from which the policy ``Facts`` are
computed the way the contract says: bot-applied credits of every kind count toward the caps, the
windows reach back exactly 365 (or 90) days from now and the daily budget is the calendar day in
the operator's timezone (UTC here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from domain.model import Bill, BillLine, Incident, IncidentKind, LineCategory
from domain.policy import Facts, Policy
from domain.records import AdjustmentKind

POLICY_FILE = Path(__file__).resolve().parents[2] / "app" / "autonomy-policy.yml"

# The moment of seeding. Mid-morning, so "T-30d 00:00" is a different instant from "T-30d".
T = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)

PLAN_PRICES_CENTS = {"Unlimited Plus": 6500, "Unlimited": 6000, "Essentials": 4500}


def load_policy(path: Path = POLICY_FILE) -> Policy:
    with path.open(encoding="utf-8") as fh:
        return Policy.model_validate(yaml.safe_load(fh))


def days_ago(days: int, *, now: datetime = T) -> datetime:
    return now - timedelta(days=days)


def midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------- seed accounts


@dataclass(frozen=True)
class SeedAccount:
    account_id: str
    name: str
    plan: str
    zip_code: str
    flagged: bool = False

    @property
    def plan_price_cents(self) -> int:
        return PLAN_PRICES_CENTS[self.plan]


ACCOUNTS = {
    "ana": SeedAccount("100001", "Ana Pereira", "Unlimited Plus", "94110"),
    "ben": SeedAccount("100002", "Ben Okafor", "Essentials", "10001"),
    "carla": SeedAccount("100003", "Carla Mendes", "Unlimited", "60614"),
    "david": SeedAccount("100004", "David Kim", "Unlimited Plus", "98101"),
    "elena": SeedAccount("100005", "Elena Rossi", "Essentials", "33101"),
    "farid": SeedAccount("100006", "Farid Haddad", "Unlimited", "73301"),
    "grace": SeedAccount("100007", "Grace Liu", "Unlimited", "02108", flagged=True),
    "hiro": SeedAccount("100008", "Hiro Tanaka", "Unlimited Plus", "60614"),
}


def line(
    line_id: str,
    description: str,
    category: LineCategory,
    amount_cents: int,
    **extra: object,
) -> BillLine:
    return BillLine.model_validate(
        {
            "line_id": line_id,
            "description": description,
            "category": category,
            "amount_cents": amount_cents,
            **extra,
        }
    )


def current_bill(account_id: str, *lines: tuple[object, ...], now: datetime = T) -> Bill:
    """The current bill: service period T-40d .. T-10d, issued T-10d, due T+11d.

    Each line is ``(description, category, amount_cents)`` optionally followed by a dict of extra
    BillLine fields (quantity, unit price...).
    """
    built = []
    for n, spec in enumerate(lines, 1):
        desc, cat, cents, *rest = spec
        extra = rest[0] if rest else {}
        built.append(line(f"L-{account_id}-{n}", desc, cat, cents, **extra))  # type: ignore[arg-type]
    return Bill(
        bill_id=f"B-{account_id}-cur",
        account_id=account_id,
        period_start=days_ago(40, now=now),
        period_end=days_ago(10, now=now),
        issued_at=days_ago(10, now=now),
        due_date=(now + timedelta(days=11)).date(),
        lines=tuple(built),
    )


PLAN, ADDON, ROAMING, LATE, THIRD, TAXES = (
    LineCategory.PLAN,
    LineCategory.ADDON,
    LineCategory.ROAMING,
    LineCategory.LATE_FEE,
    LineCategory.THIRD_PARTY,
    LineCategory.TAXES,
)


def seed_current_bills(now: datetime = T) -> dict[str, Bill]:
    """Every seeded current bill, line by line as DEMO_OPERATOR.md lists them."""
    a = ACCOUNTS
    return {
        "ana": current_bill(
            a["ana"].account_id,
            ("Unlimited Plus plan", PLAN, 6500),
            (
                "International roaming, Canada",
                ROAMING,
                3200,
                {"quantity": 4, "unit_cents": 800, "unit_label": "day"},
            ),
            ("Late fee", LATE, 500),
            ("Taxes and surcharges", TAXES, 1040),
            now=now,
        ),
        "ben": current_bill(
            a["ben"].account_id,
            ("Essentials plan", PLAN, 4500),
            ("Device Protection", ADDON, 1500),
            ("Device Protection", ADDON, 1500),
            ("Taxes and surcharges", TAXES, 630),
            now=now,
        ),
        "carla": current_bill(
            a["carla"].account_id,
            ("Unlimited plan", PLAN, 6000),
            ("Taxes and surcharges", TAXES, 840),
            now=now,
        ),
        "david": current_bill(
            a["david"].account_id,
            ("Unlimited Plus plan", PLAN, 6500),
            ('Premium SMS subscription "TrivaFun"', THIRD, 18000),
            ("Taxes and surcharges", TAXES, 910),
            now=now,
        ),
        "elena": current_bill(
            a["elena"].account_id,
            ("Essentials plan", PLAN, 4500),
            ("Late fee", LATE, 500),
            ("Taxes and surcharges", TAXES, 580),
            now=now,
        ),
        "farid": current_bill(
            a["farid"].account_id,
            ("Unlimited plan", PLAN, 6000),
            ("Taxes and surcharges", TAXES, 840),
            now=now,
        ),
        "grace": current_bill(
            a["grace"].account_id,
            ("Unlimited plan", PLAN, 6000),
            ("Late fee", LATE, 500),
            ("Taxes and surcharges", TAXES, 840),
            now=now,
        ),
        "hiro": current_bill(
            a["hiro"].account_id,
            ("Unlimited Plus plan", PLAN, 6500),
            ("Taxes and surcharges", TAXES, 910),
            now=now,
        ),
    }


def seed_incidents(now: datetime = T) -> list[Incident]:
    return [
        Incident(
            incident_id="INC-7781",
            zip_codes=("60614",),
            kind=IncidentKind.FULL_OUTAGE,
            starts_at=midnight(days_ago(30, now=now)),
            ends_at=midnight(days_ago(26, now=now)),
        ),
        Incident(
            incident_id="INC-7790",
            zip_codes=("94110",),
            kind=IncidentKind.DEGRADED,
            starts_at=midnight(days_ago(20, now=now)) + timedelta(hours=10),
            ends_at=midnight(days_ago(20, now=now)) + timedelta(hours=13),
        ),
    ]


# --------------------------------------------------------------------------- ledger -> facts


@dataclass(frozen=True)
class LedgerCredit:
    """A credit the bot applied (only bot-applied credits count toward the caps)."""

    account_id: str
    kind: AdjustmentKind
    amount_cents: int
    at: datetime


@dataclass(frozen=True)
class LedgerExtension:
    account_id: str
    days: int
    at: datetime


def seed_ledger(now: datetime = T) -> list[LedgerCredit]:
    """The seeded history: Elena's waiver at T-95d and Hiro's two bot credits."""
    return [
        LedgerCredit(
            ACCOUNTS["elena"].account_id, AdjustmentKind.LATE_FEE_WAIVER, 500, days_ago(95, now=now)
        ),
        LedgerCredit(
            ACCOUNTS["hiro"].account_id, AdjustmentKind.GOODWILL, 2000, days_ago(200, now=now)
        ),
        LedgerCredit(
            ACCOUNTS["hiro"].account_id, AdjustmentKind.OUTAGE_CREDIT, 2500, days_ago(120, now=now)
        ),
    ]


def in_window(at: datetime, now: datetime, days: int) -> bool:
    """``at`` lies within the ``days`` that reach back exactly from ``now``: (now - days, now]."""
    return now - timedelta(days=days) < at <= now


def same_calendar_day(at: datetime, now: datetime, tz: timezone = timezone.utc) -> bool:
    return at.astimezone(tz).date() == now.astimezone(tz).date()


def facts_from_ledger(
    account_id: str,
    now: datetime,
    policy: Policy,
    credits: Sequence[LedgerCredit],
    extensions: Sequence[LedgerExtension] = (),
    *,
    flagged: bool = False,
    kill_switch: bool = False,
    tz: timezone = timezone.utc,
) -> Facts:
    mine = [c for c in credits if c.account_id == account_id]
    return Facts(
        account_flagged=flagged,
        kill_switch=kill_switch,
        bot_credits_in_window_cents=sum(
            c.amount_cents for c in mine if in_window(c.at, now, policy.rolling_window_days)
        ),
        bot_credits_today_cents=sum(
            c.amount_cents for c in credits if c.at <= now and same_calendar_day(c.at, now, tz)
        ),
        late_fee_waivers_in_window=sum(
            1
            for c in mine
            if c.kind is AdjustmentKind.LATE_FEE_WAIVER
            and in_window(c.at, now, policy.late_fee_window_days)
        ),
        extensions_in_window=sum(
            1
            for e in extensions
            if e.account_id == account_id and in_window(e.at, now, policy.extension_window_days)
        ),
    )


def seed_facts(name: str, policy: Policy, now: datetime = T) -> Facts:
    account = ACCOUNTS[name]
    return facts_from_ledger(
        account.account_id, now, policy, seed_ledger(now), flagged=account.flagged
    )
