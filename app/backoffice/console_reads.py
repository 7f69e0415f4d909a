"""What the supervisor dashboard and the audit view read from the back office, and the one thing
they write: the kill switch, together with the record of who switched it.

The reads are plain SELECTs with SQLAlchemy Core, outside the domain's ports on purpose: they are
reports over many rows (a day's cases, a page of decisions), not something a use case decides on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.backoffice.codec import from_row
from app.backoffice.sessions import serialised_sessions
from app.backoffice.sql import KILL_SWITCH, SqlBackOffice
from app.backoffice.tables import (
    AdjustmentRow,
    CaseRow,
    DecisionRow,
    OperatorActionRow,
    OperatorFlagRow,
    PaymentExtensionRow,
    PinAttemptRow,
)
from app.web.console.metrics import CaseTimes, DecisionFact, MoneyDecision, PinCheck, Rows
from domain.errors import StorageUnavailable
from domain.records import BOT, DecisionRecord

log = logging.getLogger(__name__)

KILL_SWITCH_ON, KILL_SWITCH_OFF = "kill_switch_on", "kill_switch_off"


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # "bot", "agent:alex", "supervisor:sam"
    account_id: str | None = None
    outcome: str | None = None  # "apply", "human", "decline"
    override_only: bool = False
    since: datetime | None = None
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditPage:
    decisions: list[tuple[DecisionRecord, int]]  # and its place in the audit chain
    total: int


@dataclass(frozen=True)
class OperatorAction:
    at: datetime
    actor: str
    action: str
    detail: str


def _utc(moment: datetime) -> datetime:
    """coalesce() keeps the column's type, so this is already aware; a naive one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def dashboard_rows(engine: Engine, since: datetime, until: datetime) -> Rows:
    """The back-office rows of [since, until) the dashboard's figures need (no user turns)."""
    adjusted = func.coalesce(AdjustmentRow.decided_at, AdjustmentRow.created_at)
    extended = func.coalesce(PaymentExtensionRow.decided_at, PaymentExtensionRow.created_at)
    try:
        with engine.connect() as connection:
            checks = connection.execute(
                select(
                    PinAttemptRow.conversation_id,
                    PinAttemptRow.account_id,
                    PinAttemptRow.succeeded,
                    PinAttemptRow.at,
                ).where(
                    PinAttemptRow.succeeded.is_(True),
                    PinAttemptRow.at >= since,
                    PinAttemptRow.at < until,
                )
            ).all()
            cases = connection.execute(
                select(
                    CaseRow.conversation_id,
                    CaseRow.created_at,
                    CaseRow.claimed_at,
                    CaseRow.resolved_at,
                ).where(CaseRow.created_at >= since, CaseRow.created_at < until)
            ).all()
            credits = connection.execute(
                select(
                    AdjustmentRow.account_id,
                    AdjustmentRow.decided_by,
                    AdjustmentRow.status,
                    AdjustmentRow.amount_cents,
                    adjusted.label("decided_at"),
                ).where(AdjustmentRow.decided_by == BOT, adjusted >= since, adjusted < until)
            ).all()
            extensions = connection.execute(
                select(
                    PaymentExtensionRow.account_id,
                    PaymentExtensionRow.decided_by,
                    PaymentExtensionRow.status,
                    extended.label("decided_at"),
                ).where(PaymentExtensionRow.decided_by == BOT, extended >= since, extended < until)
            ).all()
            decisions = connection.execute(
                select(
                    DecisionRow.at, DecisionRow.actor, DecisionRow.outcome, DecisionRow.override
                ).where(DecisionRow.at >= since, DecisionRow.at < until)
            ).all()
    except SQLAlchemyError as error:
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
    return Rows(
        pin_checks=[PinCheck(r.conversation_id, r.account_id, r.succeeded, r.at) for r in checks],
        cases=[
            CaseTimes(r.conversation_id, r.created_at, r.claimed_at, r.resolved_at) for r in cases
        ],
        money=[
            *(
                MoneyDecision(
                    r.account_id, r.decided_by, r.status, r.amount_cents, _utc(r.decided_at)
                )
                for r in credits
            ),
            *(
                MoneyDecision(r.account_id, r.decided_by, r.status, None, _utc(r.decided_at))
                for r in extensions
            ),
        ],
        decisions=[DecisionFact(r.at, r.actor, r.outcome, bool(r.override)) for r in decisions],
    )


def kill_switch_on(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            value = connection.scalar(
                select(OperatorFlagRow.value).where(OperatorFlagRow.key == KILL_SWITCH)
            )
    except SQLAlchemyError as error:
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
    return value == "on"


def decision_page(engine: Engine, wanted: AuditFilter, page: int, per_page: int = 50) -> AuditPage:
    """One page (from 1) of the decisions that match, newest first (by chain order)."""
    conditions = []
    if wanted.actor:
        conditions.append(DecisionRow.actor == wanted.actor)
    if wanted.account_id:
        conditions.append(DecisionRow.account_id == wanted.account_id)
    if wanted.outcome:
        conditions.append(DecisionRow.outcome == wanted.outcome)
    if wanted.override_only:
        conditions.append(DecisionRow.override.is_(True))
    if wanted.since is not None:
        conditions.append(DecisionRow.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(DecisionRow.at < wanted.until)
    query = (
        select(DecisionRow)
        .where(*conditions)
        .order_by(DecisionRow.seq.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    try:
        with Session(engine) as session:
            total = session.scalar(select(func.count()).select_from(DecisionRow).where(*conditions))
            rows = session.scalars(query).all()
            decisions = [(from_row(DecisionRecord, row), row.seq) for row in rows]
    except SQLAlchemyError as error:
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
    return AuditPage(decisions=decisions, total=int(total or 0))


def decision_actors(engine: Engine) -> list[str]:
    """Everyone who ever decided (for the audit view's actor filter)."""
    try:
        with engine.connect() as connection:
            actors = connection.scalars(
                select(DecisionRow.actor).distinct().order_by(DecisionRow.actor)
            ).all()
    except SQLAlchemyError as error:
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
    return list(actors)


def operator_actions(engine: Engine, limit: int = 50) -> list[OperatorAction]:
    """The newest operator actions first (kill switch on/off: who, when, why)."""
    query = (
        select(OperatorActionRow)
        .order_by(OperatorActionRow.at.desc(), OperatorActionRow.id.desc())
        .limit(limit)
    )
    try:
        with Session(engine) as session:
            rows = session.scalars(query).all()
            return [OperatorAction(r.at, r.actor, r.action, r.detail) for r in rows]
    except SQLAlchemyError as error:
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error


def set_kill_switch(engine: Engine, on: bool, actor: str, detail: str, at: datetime) -> None:
    """Switch through the back office's flags and record who did it, in one transaction: the
    switch never changes without its record, nor is recorded without changing."""
    try:
        with serialised_sessions(engine)() as session:
            office = SqlBackOffice(session)
            office.flags.set_kill_switch(on)
            session.add(
                OperatorActionRow(
                    at=at,
                    actor=actor,
                    action=KILL_SWITCH_ON if on else KILL_SWITCH_OFF,
                    detail=detail,
                )
            )
            office.commit()
    except SQLAlchemyError as error:
        log.error("kill switch not changed: %s", error.__class__.__name__, exc_info=True)
        raise StorageUnavailable(f"back-office database: {type(error).__name__}") from error
