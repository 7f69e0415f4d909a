"""The one apply path, whoever the actor is (the bot after a yes, a person, the reconciler).

1. Under the serialised back-office transaction the caller decides and moves the record to
   ``applying`` (``begin_applying``), recording the decision; then commits.
2. ``post_and_record`` posts to the BSS with the record's idempotency key, outside the lock, and
   records the result under the lock again. A BSS that answers "no" leaves ``failed`` (nothing was
   posted); a BSS that does not answer may have acted, so the row stays ``applying`` and the
   reconciler posts it again under the same key (the BSS deduplicates): nothing is lost, and
   nothing is posted twice.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from domain.errors import DomainError, ExternalRefused, ExternalSystemError
from domain.ids import new_id
from domain.policy import Decision
from domain.ports import BackOffice
from domain.records import Adjustment, DecisionRecord, PaymentExtension, Status
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.kinds import Track
from domain.usecases.lifecycle.transitions import Happened, Step, move, subject_of

log = logging.getLogger(__name__)

R = TypeVar("R", Adjustment, PaymentExtension)


def record_decision(
    office: BackOffice,
    deps: Deps,
    track: Track[R],
    record: R,
    decision: Decision,
    actor: str,
    *,
    facts: dict[str, Any] | None = None,
    override: bool = False,
) -> None:
    office.decisions.add(
        DecisionRecord(
            id=new_id("dec"),
            at=deps.clock.now(),
            actor=actor,
            account_id=record.account_id,
            subject=subject_of(record),
            request=track.request(record),
            facts=record.facts if facts is None else facts,
            policy_version=decision.policy_version,
            rules_fired=decision.rules_fired,
            outcome=decision.outcome,
            override=override,
        )
    )


def begin_applying(
    office: BackOffice,
    deps: Deps,
    track: Track[R],
    record: R,
    actor: str,
    reason: str,
    **changes: Any,
) -> R:
    """Move an accepted or approved record to ``applying`` (inside the caller's transaction)."""
    now = deps.clock.now()
    return move(
        office,
        track.records(office),
        record,
        Status.APPLYING,
        actor=actor,
        at=now,
        reason=reason,
        decided_by=actor,
        decided_at=now,
        **changes,
    )


def balance_or_none(deps: Deps, account_id: str) -> int | None:
    """The balance for the reply; a BSS that cannot say right now must not undo a result."""
    try:
        return deps.billing.get_balance_cents(account_id)
    except ExternalSystemError:
        return None


def with_balance(deps: Deps, step: Step) -> Step:
    """The step with the account's balance for the reply (read after the lock is released:
    on SQLite a BSS read inside the back-office transaction would wait for itself)."""
    return step.model_copy(update={"balance_cents": balance_or_none(deps, step.record.account_id)})


def post_and_record(deps: Deps, track: Track[R], record: R, actor: str) -> Step:
    """Post an ``applying`` record to the BSS and record what the BSS said. Safe to repeat."""
    deps.checkpoint("before_post")
    try:
        updates = track.post(deps, record)
        to, reason = Status.APPLIED, "posted to the BSS"
    except ExternalRefused as error:
        updates, to, reason = {}, Status.FAILED, f"the BSS refused it: {error}"
    except ExternalSystemError as error:
        # No answer is not a no: the BSS may have applied it. Same key again later.
        log.warning(
            "BSS did not confirm %s %s (%s): left applying for the reconciler",
            track.noun,
            record.id,
            type(error).__name__,
        )
        return Step(record=record, happened=Happened.APPLYING)
    except DomainError as error:  # the BSS refused the request as invalid: it did not act
        updates, to, reason = {}, Status.FAILED, f"the BSS refused it: {type(error).__name__}"
    if to is Status.FAILED:
        log.warning("BSS refused %s %s: %s", track.noun, record.id, reason)
    with deps.backoffice() as office:
        records = track.records(office)
        current = records.get(record.id)
        if current is None or current.status is not Status.APPLYING:
            # Someone else (a retry, the reconciler) recorded the result first.
            return Step(record=current or record, happened=Happened.STANDING)
        moved = move(
            office,
            records,
            current,
            to,
            actor=actor,
            at=deps.clock.now(),
            reason=reason,
            lease_until=None,
            **updates,
        )
        office.commit()
    happened = Happened.APPLIED if to is Status.APPLIED else Happened.FAILED
    return with_balance(deps, Step(record=moved, happened=happened))
