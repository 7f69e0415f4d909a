"""The reference BSS's own database: the ``bss_`` tables, its seed time, and the reads SqlBss lacks.

The data is served through SqlBss (unchanged); what the TMF wire needs beyond the ports (payment
totals per bill, the stored answer of a posting, which account a bill belongs to) is read here.
``reset_reference`` is what ``make reset``, the end-to-end tests and ``POST /admin/reset`` use;
other processes may call it while the server runs (the server keeps nothing of the data).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Column, Engine, Integer, MetaData, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from app.backoffice.sessions import serialised_sessions
from app.db import make_engine
from billing_adapters.demo_operator import demo_operator
from billing_adapters.sql import SqlBss
from billing_adapters.sql.load import insert_demo
from billing_adapters.sql.tables import (
    BssAccount,
    BssBill,
    BssBillLine,
    BssCredit,
    BssDueDateExtension,
    BssOrder,
    BssPayment,
    bss_metadata,
)
from billing_adapters.sql.types import NAMING_CONVENTION, UtcDateTime

reference_metadata = MetaData(naming_convention=NAMING_CONVENTION)

# One row: when the data was seeded (T), so a stale seed can be told from the back office's.
seed_table = Table(
    "tmf_reference_seed",
    reference_metadata,
    Column("id", Integer, primary_key=True),
    Column("seeded_at", UtcDateTime(), nullable=False),
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def reference_engine(database_url: str) -> Engine:
    """One engine per URL in this process (SQLite pragmas and busy timeout from app.db)."""
    with _engines_lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = _engines[database_url] = make_engine(database_url)
        return engine


def dispose_engine(database_url: str) -> None:
    """Close this process's connections to ``database_url`` (tests, before deleting the file)."""
    with _engines_lock:
        engine = _engines.pop(database_url, None)
    if engine is not None:
        engine.dispose()


def ensure_schema(engine: Engine) -> None:
    """Create the tables that are missing (the reference BSS has no migrations: it is a seed)."""
    bss_metadata.create_all(engine)
    reference_metadata.create_all(engine)


def _wipe_and_seed(session: Session, seeded_at: datetime) -> None:
    # Children before parents, so foreign keys hold at every step.
    for table in reversed(bss_metadata.sorted_tables):
        session.execute(delete(table))
    session.execute(delete(seed_table))
    insert_demo(session, demo_operator(seeded_at))
    session.execute(insert(seed_table).values(id=1, seeded_at=seeded_at))


def reset_reference(database_url: str, seeded_at: datetime) -> None:
    """Replace all the data with the demo operator seeded at ``seeded_at``, in one transaction
    (readers see the old data or the new, never half)."""
    if seeded_at.tzinfo is None:
        raise ValueError("the seed time must be timezone-aware")
    engine = reference_engine(database_url)
    ensure_schema(engine)
    with serialised_sessions(engine)() as session, session.begin():
        _wipe_and_seed(session, seeded_at)


def seed_reference_if_stale(database_url: str, seeded_at: datetime) -> bool:
    """Seed when the database is empty or was seeded at another time; True if it did."""
    if seeded_at.tzinfo is None:
        raise ValueError("the seed time must be timezone-aware")
    engine = reference_engine(database_url)
    ensure_schema(engine)
    with serialised_sessions(engine)() as session, session.begin():
        # Checked inside the serialised transaction, so two starting processes seed once.
        current = session.scalar(select(seed_table.c.seeded_at))
        has_accounts = session.scalar(select(BssAccount.account_id).limit(1)) is not None
        if has_accounts and current == seeded_at.astimezone(timezone.utc):
            return False
        _wipe_and_seed(session, seeded_at)
        return True


@dataclass(frozen=True)
class Paid:
    """The payments on one bill: their total and the last one's time."""

    cents: int
    last_at: datetime | None


@dataclass(frozen=True)
class CreditRecord:
    reference: str
    account_id: str
    bill_id: str
    amount_cents: int
    memo: str
    posted_at: datetime


@dataclass(frozen=True)
class ExtensionRecord:
    number: int
    account_id: str
    bill_id: str
    new_due_date: date
    created_at: datetime


class ReferenceStore:
    """SqlBss over the reference database, and the direct reads the wire needs."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine = reference_engine(database_url)
        self.bss = SqlBss(self._engine)

    def ensure_schema(self) -> None:
        ensure_schema(self._engine)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def seeded_at(self) -> datetime | None:
        with self._session() as s:
            return s.scalar(select(seed_table.c.seeded_at))

    def account_ids(self) -> list[str]:
        with self._session() as s:
            return list(s.scalars(select(BssAccount.account_id).order_by(BssAccount.account_id)))

    def paid_by_bill(self, bill_ids: list[str]) -> dict[str, Paid]:
        with self._session() as s:
            rows = s.execute(
                select(
                    BssPayment.bill_id,
                    func.sum(BssPayment.amount_cents),
                    func.max(BssPayment.paid_at),
                )
                .where(BssPayment.bill_id.in_(bill_ids))
                .group_by(BssPayment.bill_id)
            ).all()
        # max() over a UtcDateTime column comes back through the column's type on SQLAlchemy 2.
        return {bill: Paid(int(cents or 0), _aware(last)) for bill, cents, last in rows}

    def account_of_bill(self, bill_id: str) -> str | None:
        with self._session() as s:
            return s.scalar(select(BssBill.account_id).where(BssBill.bill_id == bill_id))

    def bill_of_line(self, line_id: str) -> tuple[str, str] | None:
        """(bill id, account id) of a bill line, or None."""
        with self._session() as s:
            row = s.execute(
                select(BssBill.bill_id, BssBill.account_id)
                .join(BssBillLine, BssBillLine.bill_id == BssBill.bill_id)
                .where(BssBillLine.line_id == line_id)
            ).first()
        return None if row is None else (row[0], row[1])

    def account_of_order(self, order_id: str) -> str | None:
        with self._session() as s:
            return s.scalar(select(BssOrder.account_id).where(BssOrder.order_id == order_id))

    def credit(self, idempotency_key: str) -> CreditRecord | None:
        with self._session() as s:
            row = s.scalar(select(BssCredit).where(BssCredit.idempotency_key == idempotency_key))
        if row is None:
            return None
        return CreditRecord(
            row.reference, row.account_id, row.bill_id, row.amount_cents, row.memo, row.posted_at
        )

    def extension(self, idempotency_key: str) -> ExtensionRecord | None:
        with self._session() as s:
            row = s.scalar(
                select(BssDueDateExtension).where(
                    BssDueDateExtension.idempotency_key == idempotency_key
                )
            )
        if row is None:
            return None
        return ExtensionRecord(
            row.id, row.account_id, row.bill_id, row.new_due_date, row.created_at
        )

    def posting_counts(self) -> tuple[int, int]:
        """Rows in bss_credits and bss_due_date_extensions."""
        with self._session() as s:
            credits = s.scalar(select(func.count()).select_from(BssCredit))
            extensions = s.scalar(select(func.count()).select_from(BssDueDateExtension))
        return int(credits or 0), int(extensions or 0)


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # an aggregate the driver returned untyped
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
