"""Pure calculations of what a customer is owed, before any policy is applied."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from domain.model import Bill, BillLine, Incident, IncidentKind, LineCategory
from domain.money import round_half_up
from domain.policy import Policy


class Assessment(BaseModel):
    """An amount owed (0 when nothing is owed) and the facts it was computed from."""

    model_config = ConfigDict(frozen=True)

    amount_cents: int
    target: str  # what the credit is for, stable across asks: the natural idempotency target
    description: str
    detail: str = ""


def late_fee(bill: Bill) -> Assessment:
    fees = bill.lines_in(LineCategory.LATE_FEE)
    amount = sum(line.amount_cents for line in fees)
    return Assessment(
        amount_cents=amount,
        target=f"{bill.bill_id}:late_fee",
        description="late fee waiver",
        detail=", ".join(line.line_id for line in fees),
    )


def duplicate_lines(bill: Bill) -> list[BillLine]:
    """The N-1 extra copies of every line that appears N times (same description and amount)."""
    seen: Counter[tuple[str, int]] = Counter()
    extras = []
    for line in bill.lines:
        if line.category is LineCategory.TAXES:
            continue
        key = (line.description, line.amount_cents)
        if seen[key]:
            extras.append(line)
        seen[key] += 1
    return extras


def duplicate_charge(bill: Bill) -> Assessment:
    extras = duplicate_lines(bill)
    names = sorted({line.description for line in extras})
    return Assessment(
        amount_cents=sum(line.amount_cents for line in extras),
        target=f"{bill.bill_id}:duplicates",
        description="duplicate charge credit" + (f" ({', '.join(names)})" if names else ""),
        detail=", ".join(line.line_id for line in extras),
    )


def _merged(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def full_outage_days(incidents: list[Incident], bill: Bill, zip_code: str, hours: int) -> int:
    """Whole ``hours``-long blocks of full outage at ``zip_code`` inside the bill's period."""
    windows = [
        (max(i.starts_at, bill.period_start), min(i.ends_at, bill.period_end))
        for i in incidents
        if i.kind is IncidentKind.FULL_OUTAGE and zip_code in i.zip_codes
    ]
    block = timedelta(hours=hours)
    return sum((end - start) // block for start, end in _merged(windows) if end > start)


def outage_credit(
    incidents: list[Incident], bill: Bill, zip_code: str, plan_price_cents: int, policy: Policy
) -> Assessment:
    days = full_outage_days(incidents, bill, zip_code, policy.outage_full_day_hours)
    amount = round_half_up(Fraction(plan_price_cents * days, policy.outage_days_per_month))
    ids = sorted(i.incident_id for i in incidents if zip_code in i.zip_codes)
    return Assessment(
        amount_cents=amount,
        target=f"{bill.bill_id}:outage",
        description=f"outage credit ({days} full day{'s' if days != 1 else ''} without service)",
        detail=", ".join(ids),
    )


def third_party_charges(bill: Bill) -> Assessment:
    lines = bill.lines_in(LineCategory.THIRD_PARTY)
    return Assessment(
        amount_cents=sum(line.amount_cents for line in lines),
        target=f"{bill.bill_id}:third_party",
        description="third-party charge dispute ("
        + ", ".join(line.description for line in lines)
        + ")",
        detail=", ".join(line.line_id for line in lines),
    )
