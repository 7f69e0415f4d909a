"""What may follow what, and the one function that changes a status (and appends to the ledger)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from domain.ids import new_id
from domain.ports import BackOffice, MoneyRecords
from domain.records import Adjustment, PaymentExtension, Status, Transition
from domain.usecases.cases import Handoff

R = TypeVar("R", Adjustment, PaymentExtension)

# Where a record may go from each status (None: it is being created).
_REOPEN = {Status.OFFERED, Status.PENDING_APPROVAL, Status.DECLINED}
ALLOWED: dict[Status | None, set[Status]] = {
    None: _REOPEN,
    Status.OFFERED: {
        Status.APPLYING,
        Status.OFFERED,  # the facts changed: the same row offers the new amount
        Status.WITHDRAWN,
        Status.EXPIRED,
        Status.PENDING_APPROVAL,
        Status.DECLINED,
    },
    Status.APPLYING: {Status.APPLIED, Status.FAILED},
    Status.FAILED: _REOPEN,
    Status.WITHDRAWN: _REOPEN,
    Status.EXPIRED: _REOPEN,
    Status.PENDING_APPROVAL: {Status.APPLYING, Status.REJECTED},
    Status.APPLIED: set(),
    Status.REJECTED: set(),
    Status.DECLINED: set(),
}
# An earlier decision on the same key stands: asking again answers it, deciding nothing new.
STANDING = {
    Status.APPLYING,
    Status.APPLIED,
    Status.PENDING_APPROVAL,
    Status.REJECTED,
    Status.DECLINED,
}


class Happened(str, Enum):
    """What one call of a lifecycle use case did, for the reply."""

    OFFERED = "offered"  # a new (or re-stated) offer waits for a yes
    CHANGED = "changed"  # the yes found other facts: nothing applied, see ``was``
    REOFFERED = "reoffered"  # the offer had expired: a fresh one waits for a yes
    APPLIED = "applied"
    APPLYING = "applying"  # accepted; the posting is not confirmed yet (the reconciler finishes)
    FAILED = "failed"
    HANDED_OFF = "handed_off"  # pending a person's approval, with a case
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    STANDING = "standing"  # an earlier decision stands; nothing new was decided


class Step(BaseModel):
    """The record after the call, what happened, and what the customer needs to hear."""

    model_config = ConfigDict(frozen=True)

    record: Adjustment | PaymentExtension
    happened: Happened
    handoff: Handoff | None = None
    was: Adjustment | PaymentExtension | None = None  # the offer before the facts changed
    balance_cents: int | None = None


class IllegalTransition(AssertionError):
    """A bug: the lifecycle never moves a record this way (never caught, never mapped)."""


def subject_of(record: Adjustment | PaymentExtension) -> str:
    kind = "adjustment" if isinstance(record, Adjustment) else "extension"
    return f"{kind}:{record.id}"


def _transition(
    record: Adjustment | PaymentExtension,
    from_status: Status | None,
    actor: str,
    at: datetime,
    reason: str,
) -> Transition:
    if record.status not in ALLOWED[from_status]:
        raise IllegalTransition(f"{subject_of(record)}: {from_status} -> {record.status.value}")
    return Transition(
        id=new_id("tr"),
        at=at,
        actor=actor,
        account_id=record.account_id,
        subject=subject_of(record),
        from_status=None if from_status is None else from_status.value,
        to_status=record.status.value,
        reason=reason,
    )


def create(
    office: BackOffice, records: MoneyRecords[R], record: R, actor: str, at: datetime, reason: str
) -> R:
    records.add(record)
    office.transitions.add(_transition(record, None, actor, at, reason))
    return record


def move(
    office: BackOffice,
    records: MoneyRecords[R],
    record: R,
    to: Status,
    *,
    actor: str,
    at: datetime,
    reason: str,
    **changes: Any,
) -> R:
    """Change ``record``'s status (and any other fields) and append the transition."""
    moved = record.model_copy(update={**changes, "status": to})
    transition = _transition(moved, record.status, actor, at, reason)
    records.update(moved)
    office.transitions.add(transition)
    return moved
