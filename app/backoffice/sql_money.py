"""The money records over SQL: adjustments and payment extensions share one repository shape.

In-flight postings (APPLYING) count as applied, so a crash mid-post cannot lift a cap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import insert_once
from app.backoffice.tables import AdjustmentRow, PaymentExtensionRow
from domain.errors import NotFound
from domain.records import BOT, Adjustment, AdjustmentKind, PaymentExtension, Status

_COUNTED = (Status.APPLIED.value, Status.APPLYING.value)  # in flight counts: a crash mid-post

R = TypeVar("R", Adjustment, PaymentExtension)


class SqlMoneyRecords(Generic[R]):
    """One table of money records (satisfies domain.ports.MoneyRecords)."""

    row_type: ClassVar[Any]
    record_type: type[R]

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, record_id: str) -> R | None:
        row = self._s.get(self.row_type, record_id)
        return None if row is None else from_row(self.record_type, row)

    def get_by_key(self, idempotency_key: str) -> R | None:
        row = self._s.scalar(
            select(self.row_type).where(self.row_type.idempotency_key == idempotency_key)
        )
        return None if row is None else from_row(self.record_type, row)

    def add(self, record: R) -> None:
        insert_once(self._s, self.row_type(**to_columns(record)))

    def update(self, record: R) -> None:
        row = self._s.get(self.row_type, record.id)
        if row is None:
            raise NotFound(f"{self.record_type.__name__} {record.id}")
        for name, value in to_columns(record).items():
            setattr(row, name, value)
        self._s.flush()

    def for_account(self, account_id: str) -> list[R]:
        return self._where(self.row_type.account_id == account_id)

    def applying_before(self, cutoff: datetime) -> list[R]:
        decided = func.coalesce(self.row_type.decided_at, self.row_type.created_at)
        return self._where(self.row_type.status == Status.APPLYING.value, decided <= cutoff)

    def offers_expired_by(self, moment: datetime) -> list[R]:
        return self._where(
            self.row_type.status == Status.OFFERED.value, self.row_type.expires_at <= moment
        )

    def _where(self, *conditions: Any) -> list[R]:
        rows = self._s.scalars(
            select(self.row_type)
            .where(*conditions)
            .order_by(self.row_type.created_at, self.row_type.id)
        )
        return [from_row(self.record_type, r) for r in rows]

    def _counted_since(self, since: datetime) -> Any:
        decided = func.coalesce(self.row_type.decided_at, self.row_type.created_at)
        return (self.row_type.status.in_(_COUNTED)) & (decided >= since)


class SqlAdjustments(SqlMoneyRecords[Adjustment]):
    row_type = AdjustmentRow
    record_type = Adjustment

    def bot_applied_cents_since(self, since: datetime, account_id: str | None = None) -> int:
        query = select(func.coalesce(func.sum(AdjustmentRow.amount_cents), 0)).where(
            self._counted_since(since), AdjustmentRow.decided_by == BOT
        )
        if account_id is not None:
            query = query.where(AdjustmentRow.account_id == account_id)
        return int(self._s.scalar(query) or 0)

    def count_since(self, account_id: str, kind: AdjustmentKind, since: datetime) -> int:
        return self._count(
            self._counted_since(since),
            AdjustmentRow.account_id == account_id,
            AdjustmentRow.kind == kind.value,
        )

    def _count(self, *conditions: Any) -> int:
        query = select(func.count()).select_from(self.row_type).where(*conditions)
        return int(self._s.scalar(query) or 0)


class SqlExtensions(SqlMoneyRecords[PaymentExtension]):
    row_type = PaymentExtensionRow
    record_type = PaymentExtension

    def count_applied_since(self, account_id: str, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(PaymentExtensionRow)
            .where(self._counted_since(since), PaymentExtensionRow.account_id == account_id)
        )
        return int(self._s.scalar(query) or 0)
