"""The back office over SQLAlchemy: one Session per BackOffice transaction.

Writers are serialised so that the caps hold under load: SQLite opens every transaction with
BEGIN IMMEDIATE (see app/db.py); PostgreSQL takes a transaction-level advisory lock first thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import serialised_sessions
from app.backoffice.tables import (
    AdjustmentRow,
    CaseRow,
    CounterRow,
    DecisionRow,
    LlmCallRow,
    OperatorFlagRow,
    PaymentExtensionRow,
    PinAttemptRow,
)
from domain.errors import ExternalSystemError, IdempotencyConflict, NotFound
from domain.llm import LlmCall
from domain.ports import (
    AdjustmentRepository,
    CaseRepository,
    DecisionLog,
    ExtensionRepository,
    OperatorFlags,
    PinAttemptLog,
)
from domain.records import (
    BOT,
    Adjustment,
    AdjustmentKind,
    Case,
    CaseStatus,
    DecisionRecord,
    PaymentExtension,
    PinAttempt,
    Status,
)

CASE_COUNTER = "case_reference"
FIRST_CASE_NUMBER = 1001
KILL_SWITCH = "kill_switch"
_COUNTED = (Status.APPLIED.value, Status.APPLYING.value)  # in flight counts: a crash mid-post


def _add(session: Session, row: Any) -> None:
    """Insert in a savepoint, so a duplicate key is a domain error and the transaction lives on."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise IdempotencyConflict(f"{type(row).__name__} already recorded") from error


class SqlAdjustments:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get_by_key(self, idempotency_key: str) -> Adjustment | None:
        row = self._s.scalar(
            select(AdjustmentRow).where(AdjustmentRow.idempotency_key == idempotency_key)
        )
        return None if row is None else from_row(Adjustment, row)

    def add(self, adjustment: Adjustment) -> None:
        _add(self._s, AdjustmentRow(**to_columns(adjustment)))

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
        _add(self._s, PaymentExtensionRow(**to_columns(extension)))

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


class SqlCases:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, case: Case) -> None:
        _add(self._s, CaseRow(**to_columns(case)))

    def get(self, case_id: str) -> Case | None:
        row = self._s.get(CaseRow, case_id)
        return None if row is None else from_row(Case, row)

    def next_reference(self) -> str:
        # Read-modify-write is safe: the whole back-office transaction is serialised.
        row = self._s.get(CounterRow, CASE_COUNTER)
        if row is None:
            row = CounterRow(name=CASE_COUNTER, value=FIRST_CASE_NUMBER)
            self._s.add(row)
        else:
            row.value += 1
        self._s.flush()
        return f"KM-{row.value}"

    def count_open(self) -> int:
        query = (
            select(func.count()).select_from(CaseRow).where(CaseRow.status == CaseStatus.OPEN.value)
        )
        return int(self._s.scalar(query) or 0)

    def for_account(self, account_id: str) -> list[Case]:
        rows = self._s.scalars(
            select(CaseRow)
            .where(CaseRow.account_id == account_id)
            .order_by(CaseRow.created_at, CaseRow.id)
        )
        return [from_row(Case, r) for r in rows]

    def set_summary(self, case_id: str, summary: str) -> None:
        row = self._s.get(CaseRow, case_id)
        if row is None:
            raise NotFound(f"no case {case_id}")
        row.summary = summary
        self._s.flush()


class SqlDecisions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, record: DecisionRecord) -> None:
        _add(self._s, DecisionRow(**to_columns(record)))

    def for_account(self, account_id: str) -> list[DecisionRecord]:
        rows = self._s.scalars(
            select(DecisionRow)
            .where(DecisionRow.account_id == account_id)
            .order_by(DecisionRow.at, DecisionRow.id)
        )
        return [from_row(DecisionRecord, r) for r in rows]


class SqlPinAttempts:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, attempt: PinAttempt) -> None:
        self._s.add(PinAttemptRow(**to_columns(attempt)))
        self._s.flush()

    def failures_in_conversation(self, conversation_id: str) -> int:
        query = (
            select(func.count())
            .select_from(PinAttemptRow)
            .where(
                PinAttemptRow.conversation_id == conversation_id, PinAttemptRow.succeeded.is_(False)
            )
        )
        return int(self._s.scalar(query) or 0)

    def failures_for_account_since(self, account_id: str, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(PinAttemptRow)
            .where(
                PinAttemptRow.account_id == account_id,
                PinAttemptRow.succeeded.is_(False),
                PinAttemptRow.at >= since,
            )
        )
        return int(self._s.scalar(query) or 0)


class SqlFlags:
    def __init__(self, session: Session) -> None:
        self._s = session

    def kill_switch(self) -> bool:
        row = self._s.get(OperatorFlagRow, KILL_SWITCH)
        return row is not None and row.value == "on"

    def set_kill_switch(self, on: bool) -> None:
        self._s.merge(OperatorFlagRow(key=KILL_SWITCH, value="on" if on else "off"))
        self._s.flush()


class SqlBackOffice:
    """One back-office transaction (satisfies domain.ports.BackOffice)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.adjustments: AdjustmentRepository = SqlAdjustments(session)
        self.extensions: ExtensionRepository = SqlExtensions(session)
        self.cases: CaseRepository = SqlCases(session)
        self.decisions: DecisionLog = SqlDecisions(session)
        self.pin_attempts: PinAttemptLog = SqlPinAttempts(session)
        self.flags: OperatorFlags = SqlFlags(session)

    def commit(self) -> None:
        self._session.commit()


class SqlBackOfficeFactory:
    """``with factory() as office: ...; office.commit()`` (no commit: everything rolls back)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = serialised_sessions(engine)

    @contextmanager
    def __call__(self) -> Iterator[SqlBackOffice]:
        with self._sessions() as session:
            try:
                yield SqlBackOffice(session)
            finally:
                session.rollback()  # a no-op after commit(); discards anything since


class SqlLlmCallLog:
    """The LLM call log over SQL (satisfies domain.ports.LlmCallLog).

    Its own short transaction per call, outside the serialised back-office transactions: a log
    write must never hold up, or be rolled back with, a money decision.
    """

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, call: LlmCall) -> None:
        try:
            with self._sessions() as session:
                session.add(LlmCallRow(**to_columns(call)))
                session.commit()
        except SQLAlchemyError as error:
            failure = type(error).__name__
            raise ExternalSystemError(f"could not record LLM call: {failure}") from error

    def for_conversation(self, conversation_id: str) -> list[LlmCall]:
        with self._sessions() as session:
            rows = session.scalars(
                select(LlmCallRow)
                .where(LlmCallRow.conversation_id == conversation_id)
                .order_by(LlmCallRow.at, LlmCallRow.id)
            )
            return [from_row(LlmCall, r) for r in rows]
