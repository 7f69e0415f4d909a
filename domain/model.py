"""What the operator's systems and our back office hold, as immutable values."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class AccountStatus(str, Enum):
    GOOD_STANDING = "good_standing"
    PAST_DUE = "past_due"
    FLAGGED = "flagged"


class Account(Frozen):
    account_id: str
    name: str
    phone: str
    plan: str
    plan_price_cents: int
    zip_code: str
    status: AccountStatus
    currency: str = "USD"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class LineCategory(str, Enum):
    PLAN = "plan"
    ADDON = "addon"
    ROAMING = "roaming"
    LATE_FEE = "late_fee"
    THIRD_PARTY = "third_party"
    TAXES = "taxes"


class BillLine(Frozen):
    line_id: str
    description: str
    category: LineCategory
    amount_cents: int
    quantity: int | None = None
    unit_cents: int | None = None
    unit_label: str | None = None


class Bill(Frozen):
    bill_id: str
    account_id: str
    period_start: datetime
    period_end: datetime
    issued_at: datetime
    due_date: date
    lines: tuple[BillLine, ...]
    paid_at: datetime | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def lines_in(self, category: LineCategory) -> tuple[BillLine, ...]:
        return tuple(line for line in self.lines if line.category == category)


class OrderStatus(str, Enum):
    PROCESSING = "processing"
    SHIPPED = "shipped"
    BACKORDERED = "backordered"
    DELIVERED = "delivered"


class Order(Frozen):
    order_id: str
    account_id: str
    item: str
    status: OrderStatus
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    expected_at: datetime | None = None


class IncidentKind(str, Enum):
    FULL_OUTAGE = "full_outage"
    DEGRADED = "degraded"


class Incident(Frozen):
    incident_id: str
    zip_codes: tuple[str, ...]
    kind: IncidentKind
    starts_at: datetime
    ends_at: datetime


class PostingReceipt(Frozen):
    """What the BSS answers when it accepts a credit: its own reference."""

    bss_reference: str
    idempotency_key: str
    amount_cents: int
