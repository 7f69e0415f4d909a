"""The back office over SQLAlchemy: one Session per BackOffice transaction.

Writers are serialised so that the caps hold under load: SQLite opens every transaction with
BEGIN IMMEDIATE (see app/db.py); PostgreSQL takes a transaction-level advisory lock first thing.
The money repositories live in app/backoffice/sql_money.py, decisions, transitions and the audit
chain in app/backoffice/sql_audit.py; the LLM call log, which runs outside these transactions, in
app/backoffice/llm_call_log.py. Every SQLAlchemy error leaves a transaction as StorageUnavailable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import serialised_sessions
from app.backoffice.sql_audit import SqlAuditChain, SqlDecisions, SqlTransitions
from app.backoffice.sql_cases import SqlCaseNotes, SqlCaseOutbox, SqlCases
from app.backoffice.sql_money import SqlAdjustments, SqlExtensions
from app.backoffice.tables import OperatorFlagRow, PinAttemptRow
from domain.errors import StorageUnavailable
from domain.ports import (
    AdjustmentRepository,
    AuditTrail,
    CaseEventOutbox,
    CaseNotes,
    CaseRepository,
    DecisionLog,
    ExtensionRepository,
    OperatorFlags,
    PinAttemptLog,
    TransitionLog,
)
from domain.records import PinAttempt

log = logging.getLogger(__name__)

KILL_SWITCH = "kill_switch"


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

    def last_success_in_conversation(self, conversation_id: str) -> PinAttempt | None:
        row = self._s.scalars(
            select(PinAttemptRow)
            .where(
                PinAttemptRow.conversation_id == conversation_id, PinAttemptRow.succeeded.is_(True)
            )
            .order_by(PinAttemptRow.at.desc(), PinAttemptRow.id.desc())
            .limit(1)
        ).first()
        return None if row is None else from_row(PinAttempt, row)


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
        chain = SqlAuditChain(session)
        self.audit: AuditTrail = chain
        self.decisions: DecisionLog = SqlDecisions(session, chain)
        self.transitions: TransitionLog = SqlTransitions(session, chain)
        self.pin_attempts: PinAttemptLog = SqlPinAttempts(session)
        self.flags: OperatorFlags = SqlFlags(session)
        self.notes: CaseNotes = SqlCaseNotes(session)
        self.outbox: CaseEventOutbox = SqlCaseOutbox(session)

    def commit(self) -> None:
        self._session.commit()


class SqlBackOfficeFactory:
    """``with factory() as office: ...; office.commit()`` (no commit: everything rolls back)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = serialised_sessions(engine)

    @contextmanager
    def __call__(self) -> Iterator[SqlBackOffice]:
        try:
            with self._sessions() as session:
                try:
                    yield SqlBackOffice(session)
                finally:
                    session.rollback()  # a no-op after commit(); discards anything since
        except SQLAlchemyError as error:
            # Locked past the busy timeout, file gone, server down: the domain's word for it.
            log.error("back-office database error: %s", error.__class__.__name__, exc_info=True)
            raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
