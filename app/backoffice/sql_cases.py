"""Cases, their notes and their outbox events over SQLAlchemy, inside the back office's
serialised transaction (see sql.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row, to_columns
from app.backoffice.sessions import insert_once
from app.backoffice.tables import CaseEventRow, CaseNoteRow, CaseRow, CounterRow
from domain.errors import NotFound
from domain.records import Case, CaseEvent, CaseNote, CaseStatus

CASE_COUNTER = "case_reference"
FIRST_CASE_NUMBER = 1001
SETTLED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
OPEN_VALUES = (CaseStatus.OPEN.value, CaseStatus.CLAIMED.value)  # a held case is still open


class SqlCases:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, case: Case) -> None:
        insert_once(self._s, CaseRow(**to_columns(case)))

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

    def listed(
        self, *, status: CaseStatus | None = None, verified: bool | None = None
    ) -> list[Case]:
        query = select(CaseRow).order_by(CaseRow.created_at, CaseRow.id)
        if status is not None:
            query = query.where(CaseRow.status == status.value)
        if verified is not None:
            query = query.where(CaseRow.verified.is_(verified))
        return [from_row(Case, r) for r in self._s.scalars(query)]

    def attach_customer(
        self, conversation_id: str, account_id: str, verified_at: datetime, verified_by: str
    ) -> list[str]:
        rows = list(
            self._s.scalars(
                select(CaseRow).where(
                    CaseRow.conversation_id == conversation_id,
                    CaseRow.status.in_(OPEN_VALUES),
                    CaseRow.verified.is_(False),
                )
            )
        )
        for row in rows:
            row.account_id = account_id
            row.verified = True
            row.verified_at = verified_at
            row.verified_by = verified_by
        self._s.flush()
        return [row.id for row in rows]

    def set_summary(self, case_id: str, summary: str) -> None:
        row = self._s.get(CaseRow, case_id)
        if row is None:
            raise NotFound(f"no case {case_id}")
        row.summary = summary
        self._s.flush()

    def set_status(self, case_id: str, status: CaseStatus, at: datetime | None = None) -> None:
        row = self._row(case_id)
        row.status = status.value
        if status in SETTLED and at is not None:
            row.resolved_at = at
        self._s.flush()

    def set_claim(self, case_id: str, user: str | None, at: datetime | None) -> None:
        row = self._row(case_id)
        row.claimed_by, row.claimed_at = user, at
        if row.status in (CaseStatus.OPEN.value, CaseStatus.CLAIMED.value):
            row.status = (CaseStatus.CLAIMED if user else CaseStatus.OPEN).value
        self._s.flush()

    def _row(self, case_id: str) -> CaseRow:
        row = self._s.get(CaseRow, case_id)
        if row is None:
            raise NotFound(f"no case {case_id}")
        return row


class SqlCaseNotes:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, note: CaseNote) -> None:
        insert_once(self._s, CaseNoteRow(**to_columns(note)))

    def for_case(self, case_id: str) -> list[CaseNote]:
        rows = self._s.scalars(
            select(CaseNoteRow)
            .where(CaseNoteRow.case_id == case_id)
            .order_by(CaseNoteRow.at, CaseNoteRow.id)
        )
        return [from_row(CaseNote, r) for r in rows]


class SqlCaseOutbox:
    """Queues case events for the webhook sender (app/web/webhooks.py) in this transaction."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def publish(self, event: CaseEvent) -> None:
        row = CaseEventRow(
            **to_columns(event), status="pending", attempts=0, next_attempt_at=event.at
        )
        insert_once(self._s, row)
