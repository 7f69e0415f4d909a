"""The bot's side of the lifecycle: state an offer, accept it on a yes, withdraw it on a no.

An offer is a stored row with the exact amount (or days), its key, fingerprint, the facts it was
decided on and an expiry; the dialogue carries only its id. A yes decides again on current facts
under the back-office lock and applies only what the customer was told; anything else is told.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from domain.errors import IdempotencyConflict, NotFound
from domain.model import Account
from domain.policy import Decision
from domain.ports import BackOffice
from domain.records import Adjustment, AdjustmentKind, Outcome, PaymentExtension, Status
from domain.usecases.cases import Origin, needs_approval, open_case_in
from domain.usecases.credits import gather_facts
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.apply import (
    begin_applying,
    post_and_record,
    record_decision,
    with_balance,
)
from domain.usecases.lifecycle.kinds import (
    CREDITS,
    EXTENSIONS,
    Track,
    load_record,
    track_of_id,
)
from domain.usecases.lifecycle.transitions import STANDING, Happened, Step, create, move

R = TypeVar("R", Adjustment, PaymentExtension)

STATUS_FOR = {
    Outcome.APPLY: Status.OFFERED,  # the bot may apply it, once the customer says yes
    Outcome.HUMAN: Status.PENDING_APPROVAL,
    Outcome.DECLINE: Status.DECLINED,
}
HAPPENED_FOR = {
    Status.OFFERED: Happened.OFFERED,
    Status.PENDING_APPROVAL: Happened.HANDED_OFF,
    Status.DECLINED: Happened.DECLINED,
}


def _case_summary(account: Account, what: str, decision: Decision, channel: str) -> str:
    return (
        f"Verified customer {account.name} (account {account.account_id}) asked on {channel} for "
        f"a {what}. The bot could not grant it: policy {decision.policy_version} rules "
        f"{', '.join(decision.rules_fired)} require a person."
    )


def decide_into(
    office: BackOffice,
    deps: Deps,
    track: Track[R],
    account: Account,
    draft: R,
    existing: R | None,
    origin: Origin,
    reason: str,
) -> Step:
    """Decide ``draft`` on the current facts and store it as an offer, a case or a decline."""
    now = deps.clock.now()
    facts = gather_facts(office, deps, account)
    decision = track.decide(draft, facts, deps)
    status = STATUS_FOR[decision.outcome]
    record = draft.model_copy(
        update={
            "id": existing.id if existing else draft.id,
            "created_at": existing.created_at if existing else now,
            "status": status,
            "proposed_by": origin.actor,
            "decided_by": origin.actor if status is Status.DECLINED else None,
            "decided_at": now if status is Status.DECLINED else None,
            "policy_rule": decision.deciding_rule,
            "rules_fired": decision.rules_fired,
            "policy_version": decision.policy_version,
            "facts": facts.model_dump(),
            "expires_at": now + deps.offer_ttl if status is Status.OFFERED else None,
            "case_id": None,
        }
    )
    handoff = None
    if status is Status.PENDING_APPROVAL:
        handoff = open_case_in(
            office,
            deps,
            origin,
            account_id=account.account_id,
            reason=needs_approval(track.what(record), decision.rules_fired),
            summary=_case_summary(account, track.what(record), decision, origin.channel),
            proposed_amount_cents=track.proposed_amount(record),
        )
        record = record.model_copy(update={"case_id": handoff.case.id})
    record_decision(office, deps, track, record, decision, origin.actor)
    records = track.records(office)
    if existing is None:
        create(office, records, record, origin.actor, now, reason)
    else:
        # Re-offering re-validates the state machine (e.g. failed -> offered) in one place.
        record = move(
            office,
            records,
            existing,
            status,
            actor=origin.actor,
            at=now,
            reason=reason,
            **record.model_dump(exclude={"status"}),
        )
    return Step(record=record, happened=HAPPENED_FOR[status], handoff=handoff)


def _offer(deps: Deps, track: Track[R], account: Account, draft: R, origin: Origin) -> Step:
    with deps.backoffice() as office:
        step = _offer_in(office, deps, track, account, draft, origin)
        office.commit()
    return with_balance(deps, step)  # after the lock: a BSS read inside it would wait on itself


def _offer_in(
    office: BackOffice, deps: Deps, track: Track[R], account: Account, draft: R, origin: Origin
) -> Step:
    now = deps.clock.now()
    records = track.records(office)
    existing = records.get_by_key(draft.idempotency_key)
    if existing is not None and existing.status in STANDING:
        if existing.request_fingerprint != draft.request_fingerprint:
            raise IdempotencyConflict(f"{existing.idempotency_key} was asked differently")
        return Step(record=existing, happened=Happened.STANDING)
    if existing is not None and existing.status is Status.OFFERED:
        if _live(existing, now) and existing.request_fingerprint == draft.request_fingerprint:
            return Step(record=existing, happened=Happened.OFFERED)  # the live offer, restated
        if not _live(existing, now):
            existing = move(
                office, records, existing, Status.EXPIRED,
                actor=origin.actor, at=now, reason="asked again after the offer expired",
            )  # fmt: skip
    return decide_into(office, deps, track, account, draft, existing, origin, "the customer asked")


def _live(offer: Adjustment | PaymentExtension, now: datetime) -> bool:
    return offer.expires_at is not None and offer.expires_at > now


def offer_credit(deps: Deps, account_id: str, kind: AdjustmentKind, origin: Origin) -> Step:
    """Decide a credit the customer asked for: an offer to accept, a case, or a decline."""
    account = deps.billing.get_account(account_id)
    return _offer(deps, CREDITS, account, CREDITS.draft(deps, account, kind), origin)


def offer_extension(deps: Deps, account_id: str, days: int, origin: Origin) -> Step:
    """Decide a payment extension of ``days`` past the current due date."""
    account = deps.billing.get_account(account_id)
    return _offer(deps, EXTENSIONS, account, EXTENSIONS.draft(deps, account, days), origin)


def get_offer(deps: Deps, offer_id: str) -> Adjustment | PaymentExtension:
    """The stored offer (whatever its status now) the dialogue holds the id of."""
    return load_record(deps, offer_id)


def accept_offer(deps: Deps, offer_id: str, origin: Origin) -> Step:
    """The customer said yes to ``offer_id``: apply exactly that, or say what changed."""
    track = track_of_id(offer_id)
    stored = get_offer(deps, offer_id)
    account = deps.billing.get_account(stored.account_id)
    fresh = track.redraft(deps, account, stored)  # the BSS's facts now, read outside the lock
    with deps.backoffice() as office:
        outcome = _accept_in(office, deps, track, account, offer_id, fresh, origin)
        office.commit()
    if isinstance(outcome, Step):
        return with_balance(deps, outcome)
    deps.checkpoint("after_record")
    return post_and_record(deps, track, outcome, origin.actor)


def _accept_in(
    office: BackOffice,
    deps: Deps,
    track: Track[R],
    account: Account,
    offer_id: str,
    fresh: R,
    origin: Origin,
) -> Step | R:
    """Inside the lock: the record now ``applying``, or the Step that says why not."""
    now = deps.clock.now()
    records = track.records(office)
    offer = records.get(offer_id)
    assert offer is not None  # rows are never deleted
    if offer.status is not Status.OFFERED:
        return Step(record=offer, happened=Happened.STANDING)
    if not _live(offer, now):
        expired = move(
            office, records, offer, Status.EXPIRED,
            actor=origin.actor, at=now, reason="the yes came after the offer expired",
        )  # fmt: skip
        step = decide_into(
            office, deps, track, account, fresh, expired, origin, "offered again after expiry"
        )
        happened = Happened.REOFFERED if step.happened is Happened.OFFERED else step.happened
        return step.model_copy(update={"happened": happened, "was": offer})
    facts = gather_facts(office, deps, account)
    decision = track.decide(fresh, facts, deps)
    if (
        decision.outcome is not Outcome.APPLY
        or fresh.request_fingerprint != offer.request_fingerprint
    ):
        step = decide_into(
            office, deps, track, account, fresh, offer, origin, "the facts changed before the yes"
        )
        changed = Happened.CHANGED if step.happened is Happened.OFFERED else step.happened
        return step.model_copy(update={"happened": changed, "was": offer})
    accepted = offer.model_copy(
        update={
            "facts": facts.model_dump(),
            "policy_rule": decision.deciding_rule,
            "rules_fired": decision.rules_fired,
            "expires_at": None,
        }
    )
    record_decision(office, deps, track, accepted, decision, origin.actor)
    return begin_applying(
        office, deps, track, offer, origin.actor, "the customer said yes",
        **accepted.model_dump(include={"facts", "policy_rule", "rules_fired", "expires_at"}),
    )  # fmt: skip


def withdraw_offer(deps: Deps, offer_id: str, origin: Origin) -> Step:
    """The customer said no: the offer is withdrawn (nothing else changes)."""
    track = track_of_id(offer_id)
    with deps.backoffice() as office:
        records = track.records(office)
        offer = records.get(offer_id)
        if offer is None:
            raise NotFound(f"no offer {offer_id}")
        if offer.status is not Status.OFFERED:
            return Step(record=offer, happened=Happened.STANDING)
        withdrawn = move(
            office, records, offer, Status.WITHDRAWN,
            actor=origin.actor, at=deps.clock.now(), reason="the customer said no",
        )  # fmt: skip
        office.commit()
    return Step(record=withdrawn, happened=Happened.WITHDRAWN)
