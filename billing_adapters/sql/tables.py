"""Tables of the reference BSS (prefix ``bss_``), in their own MetaData.

They stand in for the operator's systems, so they are kept apart from our back office: the bot
only ever reaches them through the BillingSystem / OrderSystem / NetworkStatus ports.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from billing_adapters.sql.types import NAMING_CONVENTION, UtcDateTime

bss_metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BssBase(DeclarativeBase):
    metadata = bss_metadata


class BssAccount(BssBase):
    __tablename__ = "bss_accounts"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    plan: Mapped[str] = mapped_column(String(100))
    plan_price_cents: Mapped[int] = mapped_column(BigInteger)
    zip_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    # PBKDF2 of the PIN, hex; the PIN itself is never stored.
    pin_salt: Mapped[str] = mapped_column(String(64))
    pin_hash: Mapped[str] = mapped_column(String(128))
    pin_iterations: Mapped[int] = mapped_column(Integer)


class BssBill(BssBase):
    __tablename__ = "bss_bills"

    bill_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_accounts.account_id"), index=True)
    period_start: Mapped[datetime] = mapped_column(UtcDateTime())
    period_end: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    # Set by a payment extension; the original due date is kept for the record.
    extended_due_date: Mapped[date | None] = mapped_column(Date)


class BssBillLine(BssBase):
    __tablename__ = "bss_bill_lines"

    line_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bss_bills.bill_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int | None] = mapped_column(Integer)
    unit_cents: Mapped[int | None] = mapped_column(BigInteger)
    unit_label: Mapped[str | None] = mapped_column(String(32))


class BssPayment(BssBase):
    __tablename__ = "bss_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_accounts.account_id"), index=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bss_bills.bill_id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BssCredit(BssBase):
    __tablename__ = "bss_credits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_accounts.account_id"), index=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bss_bills.bill_id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BssDueDateExtension(BssBase):
    __tablename__ = "bss_due_date_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_accounts.account_id"), index=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bss_bills.bill_id"))
    new_due_date: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BssOrder(BssBase):
    __tablename__ = "bss_orders"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_accounts.account_id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    carrier: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BssIncident(BssBase):
    __tablename__ = "bss_incidents"

    incident_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BssIncidentZip(BssBase):
    __tablename__ = "bss_incident_zips"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("bss_incidents.incident_id"), primary_key=True
    )
    zip_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
