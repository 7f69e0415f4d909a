"""What a person does with a case in the console: claim, release, assign, note, decide.

Deciding goes through the lifecycle's staff use cases (one apply path, one decision record);
these functions only find the case's proposal and check who holds the case.
"""

from __future__ import annotations

from typing import Literal

from domain.errors import AlreadyDecided, Conflict, InvalidInput, NotFound, NotPermitted
from domain.ids import new_id
from domain.policy import StaffMember
from domain.ports import BackOffice
from domain.records import Adjustment, Case, CaseNote, CaseStatus, PaymentExtension, Status
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.staff import approve, reject
from domain.usecases.lifecycle.transitions import Step

LONGEST_NOTE = 2000
SUPERVISOR = "supervisor"
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.CLAIMED)
HIGH, NORMAL = 1, 2


def staff_member(deps: Deps, user: str) -> StaffMember:
    """The policy's entry for a signed-in person; anyone else has no authority at all."""
    member = deps.policy.staff.get(user)
    if member is None:
        raise NotPermitted(f"{user!r} is not on the policy's staff table")
    return member


def is_supervisor(deps: Deps, user: str) -> bool:
    return staff_member(deps, user).role == SUPERVISOR


def priority_of(case: Case) -> int:
    """1 (high) when money the customer was told about waits for a person, else 2."""
    return HIGH if case.proposed_amount_cents is not None else NORMAL


def queue_order(cases: list[Case]) -> list[Case]:
    """Open and claimed cases, highest priority first, then the longest waiting."""
    waiting = [c for c in cases if c.status in OPEN_STATUSES]
    return sorted(waiting, key=lambda c: (priority_of(c), c.created_at, c.id))


def _case_in(office: BackOffice, case_id: str) -> Case:
    case = office.cases.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def _still_open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise AlreadyDecided(f"{case.reference} is {case.status.value}")


def get_case(deps: Deps, case_id: str) -> Case:
    with deps.backoffice() as office:
        return _case_in(office, case_id)


def claim_case(deps: Deps, case_id: str, user: str) -> Case:
    """Take the case (again, if it is already yours); someone else's gets a conflict."""
    staff_member(deps, user)
    with deps.backoffice() as office:
        case = _case_in(office, case_id)
        _still_open(case)
        if case.claimed_by not in (None, user):
            raise Conflict(f"{case.reference} is held by {case.claimed_by}")
        if case.claimed_by is None:
            office.cases.set_claim(case_id, user, deps.clock.now())
        claimed = _case_in(office, case_id)
        office.commit()
    return claimed


def release_case(deps: Deps, case_id: str, user: str) -> Case:
    """Hand the case back to the queue (and its chat to the bot). A supervisor may release any."""
    with deps.backoffice() as office:
        case = _case_in(office, case_id)
        if case.claimed_by not in (None, user) and not is_supervisor(deps, user):
            raise NotPermitted(f"{case.reference} is held by {case.claimed_by}, not by {user}")
        office.cases.set_claim(case_id, None, None)
        released = _case_in(office, case_id)
        office.commit()
    return released


def assign_case(deps: Deps, case_id: str, user: str, to_user: str) -> Case:
    """Give the case to another person: yours or an unclaimed one (a supervisor: any)."""
    staff_member(deps, to_user)
    with deps.backoffice() as office:
        case = _case_in(office, case_id)
        _still_open(case)
        if case.claimed_by not in (None, user) and not is_supervisor(deps, user):
            raise NotPermitted(f"{case.reference} is held by {case.claimed_by}, not by {user}")
        office.cases.set_claim(case_id, to_user, deps.clock.now())
        assigned = _case_in(office, case_id)
        office.commit()
    return assigned


def add_note(deps: Deps, case_id: str, user: str, text: str) -> CaseNote:
    staff_member(deps, user)
    text = text.strip()
    if not 1 <= len(text) <= LONGEST_NOTE:
        raise InvalidInput(f"a note has 1 to {LONGEST_NOTE} characters")
    note = CaseNote(id=new_id("note"), case_id=case_id, author=user, text=text, at=deps.clock.now())
    with deps.backoffice() as office:
        _case_in(office, case_id)
        office.notes.add(note)
        office.commit()
    return note


def case_notes(deps: Deps, case_id: str) -> list[CaseNote]:
    with deps.backoffice() as office:
        _case_in(office, case_id)
        return office.notes.for_case(case_id)


def proposal_of(office: BackOffice, case: Case) -> Adjustment | PaymentExtension | None:
    """The adjustment or extension the case was opened for (the newest, if asked again)."""
    if case.account_id is None:
        return None
    records: list[Adjustment | PaymentExtension] = [
        *office.adjustments.for_account(case.account_id),
        *office.extensions.for_account(case.account_id),
    ]
    mine = [r for r in records if r.case_id == case.id]
    return max(mine, key=lambda r: (r.created_at, r.id)) if mine else None


def case_proposal(deps: Deps, case_id: str) -> Adjustment | PaymentExtension | None:
    with deps.backoffice() as office:
        return proposal_of(office, _case_in(office, case_id))


def decide_case(
    deps: Deps,
    case_id: str,
    user: str,
    action: Literal["approve", "reject"],
    *,
    amount_cents: int | None = None,
    days: int | None = None,
    reason: str = "",
) -> Step:
    """Approve (maybe changed) or reject the case's proposal, within ``user``'s own limit."""
    staff_member(deps, user)
    with deps.backoffice() as office:
        case = _case_in(office, case_id)
        record = proposal_of(office, case)
    if record is None:
        raise InvalidInput(f"{case.reference} has no proposal to decide")
    if record.status is not Status.PENDING_APPROVAL:
        raise AlreadyDecided(f"{case.reference}'s proposal is {record.status.value}")
    if action == "reject":
        return reject(deps, record.id, user, reason=reason)
    return approve(deps, record.id, user, amount_cents=amount_cents, days=days)
