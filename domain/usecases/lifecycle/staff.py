"""Staff decisions on a pending adjustment or extension: approve (maybe changed) or reject.

Both go through the same apply path as the bot's, within the person's approval limit from the
policy's staff table; a person changing or rejecting the bot's proposal counts as an override.
Deciding twice decides once: the second gets AlreadyDecided.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.errors import AlreadyDecided, ApprovalLimitExceeded, InvalidInput, NotFound
from domain.money import format_cents
from domain.policy import Decision, StaffMember
from domain.ports import BackOffice
from domain.records import Adjustment, CaseStatus, Outcome, PaymentExtension, Status
from domain.usecases.billing import current_and_previous
from domain.usecases.cases import CASE_DECIDED, publish_case_event
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.apply import begin_applying, post_and_record, record_decision
from domain.usecases.lifecycle.kinds import Track, load_record, track_of_id
from domain.usecases.lifecycle.transitions import Happened, Step, move

APPROVED_RULE = "staff.approved"
CHANGED_RULE = "staff.approved_changed"
REJECTED_RULE = "staff.rejected"


def staff_actor(deps: Deps, user: str) -> tuple[str, StaffMember]:
    """``agent:alex`` / ``supervisor:sam`` and their limits; unknown people have no authority."""
    member = deps.policy.staff.get(user)
    if member is None:
        raise ApprovalLimitExceeded(f"{user!r} is not on the policy's staff table")
    return f"{member.role}:{user}", member


def _pending_in(
    office: BackOffice, track: Track[Any], record_id: str
) -> Adjustment | PaymentExtension:
    """Inside the lock: the record a person decides on, still waiting for one."""
    record: Adjustment | PaymentExtension | None = track.records(office).get(record_id)
    if record is None:
        raise NotFound(f"no adjustment or extension {record_id}")
    if record.status is not Status.PENDING_APPROVAL:
        raise AlreadyDecided(f"{record_id} is {record.status.value}, not pending approval")
    return record


def _changes(
    deps: Deps, record: Adjustment | PaymentExtension, amount_cents: int | None, days: int | None
) -> dict[str, Any]:
    """The person's changes to the proposal, validated; {} when approved as proposed."""
    if isinstance(record, Adjustment):
        if days is not None:
            raise InvalidInput("days only apply to a payment extension")
        if amount_cents is None or amount_cents == record.amount_cents:
            return {}
        current, _ = current_and_previous(deps, record.account_id)
        if not 1 <= amount_cents <= current.total_cents:
            raise InvalidInput(
                f"a changed amount must be between 1 cent and the current bill's total "
                f"({current.total_cents} cents)"
            )
        return {"amount_cents": amount_cents}
    if amount_cents is not None:
        raise InvalidInput("an extension is changed in days, not cents")
    if days is None or days == record.days:
        return {}
    if days < 1:
        raise InvalidInput("an extension must be at least 1 day")
    return {"days": days, "new_due_date": record.new_due_date + timedelta(days=days - record.days)}


def approve(
    deps: Deps,
    record_id: str,
    user: str,
    *,
    amount_cents: int | None = None,
    days: int | None = None,
) -> Step:
    """Approve a pending proposal (optionally changed) within ``user``'s limit, and apply it."""
    actor, member = staff_actor(deps, user)
    track = track_of_id(record_id)
    changes = _changes(deps, load_record(deps, record_id), amount_cents, days)
    with deps.backoffice() as office:
        record = _pending_in(office, track, record_id)
        proposal = record.model_copy(update=changes)
        if not track.within_limit(member, proposal):
            raise ApprovalLimitExceeded(
                f"{actor} may approve up to {_limit(member, proposal)}; "
                f"this is {track.what(proposal)}"
            )
        override = bool(changes)
        rule = CHANGED_RULE if override else APPROVED_RULE
        decision = Decision(
            outcome=Outcome.APPLY,
            rules_fired=(*record.rules_fired, rule),
            deciding_rule=rule,
            policy_version=deps.policy.version,
        )
        record_decision(office, deps, track, proposal, decision, actor, override=override)
        applying = begin_applying(
            office, deps, track, record, actor,
            f"approved by {actor}" + (" with a changed proposal" if override else ""),
            **changes,
        )  # fmt: skip
        _settle_case(office, deps, record)
        office.commit()
    deps.checkpoint("after_record")
    return post_and_record(deps, track, applying, actor)


def reject(deps: Deps, record_id: str, user: str, *, reason: str) -> Step:
    """Reject a pending proposal, with a reason (required). Always an override."""
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason")
    actor, _member = staff_actor(deps, user)
    track = track_of_id(record_id)
    now = deps.clock.now()
    with deps.backoffice() as office:
        record = _pending_in(office, track, record_id)
        decision = Decision(
            outcome=Outcome.DECLINE,
            rules_fired=(*record.rules_fired, REJECTED_RULE),
            deciding_rule=REJECTED_RULE,
            policy_version=deps.policy.version,
        )
        record_decision(office, deps, track, record, decision, actor, override=True)
        rejected = move(
            office, track.records(office), record, Status.REJECTED,
            actor=actor, at=now, reason=f"rejected by {actor}: {reason.strip()}",
            decided_by=actor, decided_at=now,
        )  # fmt: skip
        _settle_case(office, deps, record)
        office.commit()
    return Step(record=rejected, happened=Happened.REJECTED)


def _settle_case(office: BackOffice, deps: Deps, record: Adjustment | PaymentExtension) -> None:
    """A person decided the case's proposal: the case is resolved, and the outbox says so."""
    if record.case_id is not None:
        office.cases.set_status(record.case_id, CaseStatus.RESOLVED, deps.clock.now())
        publish_case_event(office, deps, CASE_DECIDED, record.case_id)


def _limit(member: StaffMember, record: Adjustment | PaymentExtension) -> str:
    if isinstance(record, Adjustment):
        return format_cents(member.approval_limit_cents)
    return f"{member.extension_limit_days} days"
