"""The money records over SQL: adjustments and payment extensions, and the counts the caps use.

In-flight postings (APPLYING) count as applied, so a crash mid-post cannot lift a cap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import insert_once
from app.backoffice.tables import AdjustmentRow, PaymentExtensionRow
from domain.errors import NotFound
from domain.records import BOT, Adjustment, AdjustmentKind, PaymentExtension, Status

_COUNTED = (Status.APPLIED.value, Status.APPLYING.value)  # in flight counts: a crash mid-post


class SqlAdjustments:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get_by_key(self, idempotency_key: str) -> Adjustment | None:
        row = self._s.scalar(
            select(AdjustmentRow).where(AdjustmentRow.idempotency_key == idempotency_key)
        )
        return None if row is None else from_row(Adjustment, row)

    def add(self, adjustment: Adjustment) -> None:
        insert_once(self._s, AdjustmentRow(**to_columns(adjustment)))

    def update(self, adjustment: Adjustment) -> None:
        row = self._s.get(AdjustmentRow, adjustment.id)
        if row is None:
            raise NotFound(f"adjustment {adjustment.id}")
        for name, value in to_columns(adjustment).items():
            setattr(row, name, value)
        self._s.flush()

    def for_account(self, account_id: str) -> list[Adjustment]:
        rows = self._s.scalars(
            select(AdjustmentRow)
            .where(AdjustmentRow.account_id == account_id)
            .order_by(AdjustmentRow.created_at, AdjustmentRow.id)
        )
        return [from_row(Adjustment, r) for r in rows]

    def _counted_since(self, since: datetime) -> Any:
        decided = func.coalesce(AdjustmentRow.decided_at, AdjustmentRow.created_at)
        return (AdjustmentRow.status.in_(_COUNTED)) & (decided >= since)

    def bot_applied_cents_since(self, since: datetime, account_id: str | None = None) -> int:
        query = select(func.coalesce(func.sum(AdjustmentRow.amount_cents), 0)).where(
            self._counted_since(since), AdjustmentRow.decided_by == BOT
        )
        if account_id is not None:
            query = query.where(AdjustmentRow.account_id == account_id)
        return int(self._s.scalar(query) or 0)

    def count_since(self, account_id: str, kind: AdjustmentKind, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(AdjustmentRow)
            .where(
                self._counted_since(since),
                AdjustmentRow.account_id == account_id,
                AdjustmentRow.kind == kind.value,
            )
        )
        return int(self._s.scalar(query) or 0)


class SqlExtensions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get_by_key(self, idempotency_key: str) -> PaymentExtension | None:
        row = self._s.scalar(
            select(PaymentExtensionRow).where(
                PaymentExtensionRow.idempotency_key == idempotency_key
            )
        )
        return None if row is None else from_row(PaymentExtension, row)

    def add(self, extension: PaymentExtension) -> None:
        insert_once(self._s, PaymentExtensionRow(**to_columns(extension)))

    def update(self, extension: PaymentExtension) -> None:
        row = self._s.get(PaymentExtensionRow, extension.id)
        if row is None:
            raise NotFound(f"extension {extension.id}")
        for name, value in to_columns(extension).items():
            setattr(row, name, value)
        self._s.flush()

    def for_account(self, account_id: str) -> list[PaymentExtension]:
        rows = self._s.scalars(
            select(PaymentExtensionRow)
            .where(PaymentExtensionRow.account_id == account_id)
            .order_by(PaymentExtensionRow.created_at, PaymentExtensionRow.id)
        )
        return [from_row(PaymentExtension, r) for r in rows]

    def count_applied_since(self, account_id: str, since: datetime) -> int:
        decided = func.coalesce(PaymentExtensionRow.decided_at, PaymentExtensionRow.created_at)
        query = (
            select(func.count())
            .select_from(PaymentExtensionRow)
            .where(
                PaymentExtensionRow.account_id == account_id,
                PaymentExtensionRow.status.in_(_COUNTED),
                decided >= since,
            )
        )
        return int(self._s.scalar(query) or 0)
