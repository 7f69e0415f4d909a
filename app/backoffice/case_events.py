"""The webhook outbox (table ``case_events``) as the sender sees it: claim a due event, record how
its delivery went.

Several web app processes may run a sender each. A claim happens inside the back office's
serialised transaction (BEGIN IMMEDIATE on SQLite, the advisory lock on PostgreSQL) and leases the
row by moving ``next_attempt_at`` past the time a delivery can take, while counting the attempt;
so no two senders post the same event at once. The attempt count is the lease's token: a result is
recorded only if the row still carries the count of our claim (a sender whose lease ran out, and
whose row another sender took, writes nothing). Delivery is at least once: a process that dies
between the post and the record posts again after the lease; receivers deduplicate on the id.

Events of one case go out in order: an event is due only when no older event of its case is still
pending (a failing event holds back its own case, never the others).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.backoffice.sessions import serialised_sessions
from app.backoffice.tables import CaseEventRow

PENDING, DELIVERED, FAILED, SKIPPED = "pending", "delivered", "failed", "skipped"
MAX_ERROR_CHARS = 500  # last_error is for a person reading the table, not a dump


@dataclass(frozen=True)
class ClaimedEvent:
    """An event this sender holds until ``lease_until``; ``attempt`` counts this one (1 = first)."""

    id: str
    kind: str
    case_id: str
    at: datetime
    attempt: int
    lease_until: datetime


def _no_older_pending_event_of_the_case() -> ColumnElement[bool]:
    older = aliased(CaseEventRow)
    return ~exists().where(
        older.case_id == CaseEventRow.case_id,
        older.status == PENDING,
        or_(
            older.at < CaseEventRow.at,
            and_(older.at == CaseEventRow.at, older.id < CaseEventRow.id),
        ),
    )


class CaseEventStore:
    """SQL access to the outbox, each method one serialised transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._sessions: sessionmaker[Session] = serialised_sessions(engine)

    def claim_next(
        self,
        now: datetime,
        lease: timedelta,
        max_attempts: int,
        exclude: Collection[str] = (),
    ) -> ClaimedEvent | None:
        """The oldest due event, leased to the caller; None when nothing is due.

        ``exclude``: events already tried in this pass (so a failing one is not retried at once
        ahead of the others). A due row that has used up its attempts (its last sender died after
        claiming it) is marked failed on the way.
        """
        with self._sessions() as session, session.begin():
            while True:
                query = (
                    select(CaseEventRow)
                    .where(
                        CaseEventRow.status == PENDING,
                        or_(
                            CaseEventRow.next_attempt_at.is_(None),
                            CaseEventRow.next_attempt_at <= now,
                        ),
                        _no_older_pending_event_of_the_case(),
                    )
                    .order_by(CaseEventRow.at, CaseEventRow.id)
                    .limit(1)
                )
                if exclude:
                    query = query.where(CaseEventRow.id.not_in(list(exclude)))
                row = session.scalars(query).first()
                if row is None:
                    return None
                if row.attempts >= max_attempts:
                    row.status = FAILED
                    row.last_error = row.last_error or "no result of the last attempt"
                    session.flush()
                    continue
                row.attempts += 1
                row.next_attempt_at = now + lease
                session.flush()
                return ClaimedEvent(
                    id=row.id,
                    kind=row.kind,
                    case_id=row.case_id,
                    at=row.at,
                    attempt=row.attempts,
                    lease_until=now + lease,
                )

    def mark_delivered(self, event: ClaimedEvent, at: datetime) -> bool:
        return self._finish(event, status=DELIVERED, delivered_at=at, next_attempt_at=None)

    def retry_later(self, event: ClaimedEvent, error: str, next_attempt_at: datetime) -> bool:
        return self._finish(
            event,
            status=PENDING,
            last_error=error[:MAX_ERROR_CHARS],
            next_attempt_at=next_attempt_at,
        )

    def mark_failed(self, event: ClaimedEvent, error: str) -> bool:
        return self._finish(
            event, status=FAILED, last_error=error[:MAX_ERROR_CHARS], next_attempt_at=None
        )

    def skip_pending(self) -> int:
        """No webhook configured: every pending event is dropped (the table must not grow)."""
        with self._sessions() as session, session.begin():
            result = session.execute(
                update(CaseEventRow)
                .where(CaseEventRow.status == PENDING)
                .values(status=SKIPPED, next_attempt_at=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _finish(self, event: ClaimedEvent, **values: object) -> bool:
        """Write the result if the row is still ours (pending, with our claim's attempt count)."""
        with self._sessions() as session, session.begin():
            result = session.execute(
                update(CaseEventRow)
                .where(
                    CaseEventRow.id == event.id,
                    CaseEventRow.status == PENDING,
                    CaseEventRow.attempts == event.attempt,
                )
                .values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
