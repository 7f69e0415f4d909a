"""Seeding the demo operator: ``make reset`` and the first ``make run``.

One transaction deletes every row we own (BSS and back office: ledger, transitions, audit chain,
cases, their claims and notes, console sessions and the webhook outbox; not the staff) and
inserts the seed, so other processes see either the old state or the new one, never half.
The audit chain starts anew with the seeded history. The seed time T is kept in operator_flags
so ``make run`` can warn when the relative dates have gone stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.backoffice.codec import to_columns
from app.backoffice.sessions import serialised_sessions
from app.backoffice.sql_audit import SqlAuditChain, SqlTransitions
from app.backoffice.tables import AdjustmentRow, OperatorFlagRow, backoffice_metadata
from billing_adapters.demo_operator import demo_operator
from billing_adapters.sql.load import insert_demo
from billing_adapters.sql.tables import BssAccount, bss_metadata
from domain.records import Transition
from domain.usecases.lifecycle.transitions import subject_of

SEEDED_AT = "seeded_at"
STALE_AFTER = timedelta(days=7)


# People are not demo data: their accounts survive a reset (their sessions, claims, notes and the
# webhook outbox do not).
KEPT_ON_RESET = frozenset({"staff"})


def _wipe(session: Session) -> None:
    # Children before parents, so foreign keys hold at every step.
    for metadata in (bss_metadata, backoffice_metadata):
        for table in reversed(metadata.sorted_tables):
            if table.name not in KEPT_ON_RESET:
                session.execute(delete(table))


def _seed(session: Session, now: datetime) -> None:
    demo = demo_operator(now)
    insert_demo(session, demo)
    transitions = SqlTransitions(session, SqlAuditChain(session))  # the chain starts anew
    for adjustment in demo.history:
        session.add(AdjustmentRow(**to_columns(adjustment)))
        transitions.add(
            Transition(
                id=f"tr_seed_{adjustment.id}",
                at=adjustment.decided_at or adjustment.created_at,
                actor=adjustment.decided_by or "seed",
                account_id=adjustment.account_id,
                subject=subject_of(adjustment),
                from_status=None,
                to_status=adjustment.status.value,
                reason="seeded history of the demo operator",
            )
        )
    session.add(OperatorFlagRow(key=SEEDED_AT, value=demo.seeded_at.isoformat()))
    session.flush()


def reset_demo(engine: Engine, now: datetime) -> None:
    """Replace everything with the demo operator seeded at ``now``."""
    with serialised_sessions(engine)() as session, session.begin():
        _wipe(session)
        _seed(session, now)


def seed_if_empty(engine: Engine, now: datetime) -> bool:
    """Seed a database that has never been seeded; True if it did."""
    with serialised_sessions(engine)() as session, session.begin():
        # Checked inside the serialised transaction, so two starting processes seed once.
        if session.scalar(select(BssAccount.account_id).limit(1)) is not None:
            return False
        _wipe(session)
        _seed(session, now)
        return True


def seeded_at(engine: Engine) -> datetime | None:
    """When the demo was last seeded (T), or None if it never was."""
    with Session(engine) as session:
        row = session.get(OperatorFlagRow, SEEDED_AT)
    if row is None:
        return None
    return datetime.fromisoformat(row.value).astimezone(timezone.utc)


def seed_is_stale(engine: Engine, now: datetime) -> bool:
    """True when the seed is more than 7 days old (the demo's relative dates have drifted)."""
    at = seeded_at(engine)
    return at is not None and now - at > STALE_AFTER
