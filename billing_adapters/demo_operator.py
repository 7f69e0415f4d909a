"""Kestrel Mobile, the demo operator: the seed of shared/DEMO_OPERATOR.md as pure data.

``demo_operator(t)`` returns the same data for the same T, so seeding, the in-memory adapter and
the tests all agree on one contract. Dates are relative to T (UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict

from domain.model import (
    Account,
    AccountStatus,
    Bill,
    BillLine,
    Incident,
    IncidentKind,
    LineCategory,
    Order,
    OrderStatus,
)
from domain.records import BOT, Adjustment, AdjustmentKind, Status

POLICY_VERSION = "2026-11-01"
PLANS = {"Unlimited Plus": 6500, "Unlimited": 6000, "Essentials": 4500}
DAY = timedelta(days=1)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DemoAccount(_Frozen):
    account: Account
    pin: str  # clear, only so the seeder can hash it; never stored


class Payment(_Frozen):
    account_id: str
    bill_id: str
    amount_cents: int
    paid_at: datetime


class DemoOperator(_Frozen):
    seeded_at: datetime
    accounts: tuple[DemoAccount, ...]
    bills: tuple[Bill, ...]  # per account: previous, then current
    payments: tuple[Payment, ...]
    orders: tuple[Order, ...]
    incidents: tuple[Incident, ...]
    history: tuple[Adjustment, ...]  # back-office rows, not BSS postings


# account, name, PIN, plan, ZIP, status
_CUSTOMERS = (
    ("100001", "Ana Pereira", "4321", "Unlimited Plus", "94110", AccountStatus.GOOD_STANDING),
    ("100002", "Ben Okafor", "8765", "Essentials", "10001", AccountStatus.GOOD_STANDING),
    ("100003", "Carla Mendes", "2468", "Unlimited", "60614", AccountStatus.GOOD_STANDING),
    ("100004", "David Kim", "1357", "Unlimited Plus", "98101", AccountStatus.GOOD_STANDING),
    ("100005", "Elena Rossi", "9999", "Essentials", "33101", AccountStatus.PAST_DUE),
    ("100006", "Farid Haddad", "1111", "Unlimited", "73301", AccountStatus.GOOD_STANDING),
    ("100007", "Grace Liu", "2020", "Unlimited", "02108", AccountStatus.FLAGGED),
    ("100008", "Hiro Tanaka", "5678", "Unlimited Plus", "60614", AccountStatus.GOOD_STANDING),
)

# A line spec: (category, description, amount, quantity, unit_cents, unit_label).
_Spec = tuple[LineCategory, str, int, int | None, int | None, str | None]
_PROTECTION: _Spec = (LineCategory.ADDON, "Device Protection", 1500, None, None, None)
_ROAMING: _Spec = (LineCategory.ROAMING, "International roaming, Canada", 3200, 4, 800, "day")
_LATE_FEE: _Spec = (LineCategory.LATE_FEE, "Late fee", 500, None, None, None)
_TRIVAFUN: _Spec = (
    LineCategory.THIRD_PARTY,
    "Premium SMS subscription TrivaFun",
    18000,
    None,
    None,
    None,
)


def _taxes(cents: int) -> _Spec:
    return (LineCategory.TAXES, "Taxes and surcharges", cents, None, None, None)


# account -> (previous extras + taxes, current extras + taxes); the plan line is added for all.
_BILLS: dict[str, tuple[tuple[_Spec, ...], tuple[_Spec, ...]]] = {
    "100001": ((_taxes(515),), (_ROAMING, _LATE_FEE, _taxes(1040))),
    "100002": ((_PROTECTION, _taxes(540)), (_PROTECTION, _PROTECTION, _taxes(630))),
    "100003": ((_taxes(840),), (_taxes(840),)),
    "100004": ((_taxes(910),), (_TRIVAFUN, _taxes(910))),
    "100005": ((_taxes(730),), (_LATE_FEE, _taxes(580))),
    "100006": ((_taxes(840),), (_taxes(840),)),
    "100007": ((_taxes(840),), (_LATE_FEE, _taxes(840))),
    "100008": ((_taxes(910),), (_taxes(910),)),
}

# When each previous bill (due T-19d) was paid, in days before T; None = unpaid.
# "On time" is T-22d. Current bills (due T+11d) are all still open.
_PREVIOUS_PAID_DAYS_AGO: dict[str, int | None] = {
    "100001": 13,
    "100002": 22,
    "100003": 22,
    "100004": 22,
    "100005": None,
    "100006": 22,
    "100007": 16,
    "100008": 22,
}


def _bill(
    t: datetime, account: Account, index: int, specs: tuple[_Spec, ...], paid_at: datetime | None
) -> Bill:
    """Bill ``index`` (1 = previous, 2 = current) of ``account``; periods are 30 days."""
    end = t - (10 if index == 2 else 40) * DAY
    bill_id = f"B-{account.account_id}-{index}"
    plan: _Spec = (
        LineCategory.PLAN,
        f"{account.plan} plan",
        account.plan_price_cents,
        None,
        None,
        None,
    )
    lines = tuple(
        BillLine(
            line_id=f"{bill_id}-L{n}",
            description=desc,
            category=cat,
            amount_cents=cents,
            quantity=qty,
            unit_cents=unit,
            unit_label=label,
        )
        for n, (cat, desc, cents, qty, unit, label) in enumerate((plan, *specs), start=1)
    )
    return Bill(
        bill_id=bill_id,
        account_id=account.account_id,
        period_start=end - 30 * DAY,
        period_end=end,
        issued_at=end,
        due_date=(end + 21 * DAY).date(),
        lines=lines,
        paid_at=paid_at,
    )


def _seed_adjustment(
    account_id: str, kind: AdjustmentKind, cents: int, at: datetime, description: str
) -> Adjustment:
    key = f"seed-{account_id}-{kind.value}-{at.date().isoformat()}"
    return Adjustment(
        id=f"adj_seed_{account_id}_{kind.value}",
        account_id=account_id,
        kind=kind,
        amount_cents=cents,
        status=Status.APPLIED,
        proposed_by=BOT,
        decided_by=BOT,
        policy_rule="seed.history",
        rules_fired=("seed.history",),
        policy_version=POLICY_VERSION,
        idempotency_key=key,
        request_fingerprint=key,
        bill_id=None,  # posted on a bill older than the two the BSS still shows
        description=description,
        case_id=None,
        created_at=at,
        decided_at=at,
        bss_reference=f"CR-SEED-{account_id}-{kind.value}",
    )


def _midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def demo_operator(t: datetime) -> DemoOperator:
    """The demo operator as seeded at ``t`` (any timezone; normalised to UTC)."""
    if t.tzinfo is None:
        raise ValueError("the seed time must be timezone-aware")
    t = t.astimezone(timezone.utc)
    demo_accounts, bills, payments = [], [], []
    for account_id, name, pin, plan, zip_code, status in _CUSTOMERS:
        account = Account(
            account_id=account_id,
            name=name,
            phone=f"+1555010{account_id[-4:]}",
            plan=plan,
            plan_price_cents=PLANS[plan],
            zip_code=zip_code,
            status=status,
        )
        demo_accounts.append(DemoAccount(account=account, pin=pin))
        previous_specs, current_specs = _BILLS[account_id]
        days_ago = _PREVIOUS_PAID_DAYS_AGO[account_id]
        paid_at = None if days_ago is None else t - days_ago * DAY
        previous = _bill(t, account, 1, previous_specs, paid_at)
        bills += [previous, _bill(t, account, 2, current_specs, None)]
        if paid_at is not None:
            payments.append(
                Payment(
                    account_id=account_id,
                    bill_id=previous.bill_id,
                    amount_cents=previous.total_cents,
                    paid_at=paid_at,
                )
            )
    orders = (
        Order(
            order_id="ORD-5001",
            account_id="100006",
            item="Pixel 9a phone",
            status=OrderStatus.SHIPPED,
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            shipped_at=t - 2 * DAY,
            expected_at=t + 2 * DAY,
        ),
        Order(
            order_id="ORD-5002",
            account_id="100006",
            item="Replacement SIM card",
            status=OrderStatus.BACKORDERED,
            expected_at=t + 9 * DAY,
        ),
    )
    outage_start = _midnight(t - 30 * DAY)
    incidents = (
        Incident(
            incident_id="INC-7781",
            zip_codes=("60614",),
            kind=IncidentKind.FULL_OUTAGE,
            starts_at=outage_start,
            ends_at=outage_start + 4 * DAY,
        ),
        Incident(
            incident_id="INC-7790",
            zip_codes=("94110",),
            kind=IncidentKind.DEGRADED,
            starts_at=t - 20 * DAY,
            ends_at=t - 20 * DAY + timedelta(hours=3),
        ),
    )
    history = (
        _seed_adjustment("100008", AdjustmentKind.GOODWILL, 2000, t - 200 * DAY, "goodwill credit"),
        _seed_adjustment(
            "100008", AdjustmentKind.OUTAGE_CREDIT, 2500, t - 120 * DAY, "outage credit"
        ),
        _seed_adjustment(
            "100005", AdjustmentKind.LATE_FEE_WAIVER, 500, t - 95 * DAY, "late fee waiver"
        ),
    )
    return DemoOperator(
        seeded_at=t,
        accounts=tuple(demo_accounts),
        bills=tuple(bills),
        payments=tuple(payments),
        orders=orders,
        incidents=incidents,
        history=history,
    )
