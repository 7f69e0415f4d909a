"""The one idempotent apply path for credits.

Whoever asks (the bot after a yes, a retry, later an agent), money moves only through
``settle_credit``: it decides again under the back-office lock (so caps hold under concurrency),
records the decision and the adjustment, and only then posts to the BSS, outside the lock, with
the same idempotency key. A crash between the two leaves an ``applying`` row that the next call
with the same key finishes; the BSS deduplicates by key, so nothing is ever posted twice.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from domain.errors import ExternalSystemError, IdempotencyConflict
from domain.ids import new_id
from domain.model import Account
from domain.money import format_cents
from domain.policy import CreditAsk, Decision, decide_credit
from domain.ports import BackOffice
from domain.records import (
    Adjustment,
    AdjustmentKind,
    DecisionRecord,
    Outcome,
    PaymentExtension,
    Status,
)
from domain.usecases.billing import current_and_previous
from domain.usecases.cases import Handoff, Origin, needs_approval, open_case_in
from domain.usecases.credits import assess, fingerprint, gather_facts, idempotency_key
from domain.usecases.deps import Deps

log = logging.getLogger(__name__)

STATUS_FOR = {
    Outcome.APPLY: Status.APPLYING,
    Outcome.HUMAN: Status.PENDING_APPROVAL,
    Outcome.DECLINE: Status.DECLINED,
}


class Settlement(BaseModel):
    model_config = ConfigDict(frozen=True)

    adjustment: Adjustment
    decision: Decision | None  # None when an earlier decision stands ("already done")
    handoff: Handoff | None
    balance_cents: int

    @property
    def already_decided(self) -> bool:
        return self.decision is None


R = TypeVar("R", Adjustment, PaymentExtension)


def standing(existing: R | None, fingerprint: str) -> R | None:
    """The earlier record an ask must get back, or None when a (new) decision is due.

    The same key with a different request is refused; a failed posting may be decided again.
    """
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(f"key {existing.idempotency_key} was used for another request")
    return None if existing.status is Status.FAILED else existing


def record_decision(
    office: BackOffice,
    deps: Deps,
    adjustment: Adjustment,
    decision: Decision,
    facts: dict[str, object],
    actor: str,
) -> None:
    office.decisions.add(
        DecisionRecord(
            id=new_id("dec"),
            at=deps.clock.now(),
            actor=actor,
            account_id=adjustment.account_id,
            subject=f"adjustment:{adjustment.id}",
            request={
                "kind": adjustment.kind.value,
                "amount_cents": adjustment.amount_cents,
                "idempotency_key": adjustment.idempotency_key,
            },
            facts=facts,
            policy_version=decision.policy_version,
            rules_fired=decision.rules_fired,
            outcome=decision.outcome,
        )
    )


def _case_summary(
    account: Account, adjustment: Adjustment, decision: Decision, channel: str
) -> str:
    amount = format_cents(adjustment.amount_cents)
    return (
        f"Verified customer {account.name} (account {account.account_id}) asked on {channel} for a "
        f"{adjustment.description}. Proposed credit: {amount} on bill {adjustment.bill_id}. "
        f"The bot could not apply it: policy {decision.policy_version} rules "
        f"{', '.join(decision.rules_fired)} require a person."
    )


def _decide_and_record(
    deps: Deps, account: Account, kind: AdjustmentKind, origin: Origin
) -> tuple[Adjustment, Decision | None, Handoff | None]:
    current, _ = current_and_previous(deps, account.account_id)
    assessment = assess(deps, account, current, kind)
    key = idempotency_key(account.account_id, kind, assessment)
    print_ = fingerprint(account.account_id, kind, assessment.amount_cents)
    now = deps.clock.now()
    with deps.backoffice() as office:
        existing = office.adjustments.get_by_key(key)
        earlier = standing(existing, print_)
        if earlier is not None:
            return earlier, None, None  # already decided: no new decision
        facts = gather_facts(office, deps, account)
        decision = decide_credit(
            CreditAsk(kind=kind, amount_cents=assessment.amount_cents), facts, deps.policy
        )
        status = STATUS_FOR[decision.outcome]
        adjustment = Adjustment(
            id=existing.id if existing else new_id("adj"),
            account_id=account.account_id,
            kind=kind,
            amount_cents=assessment.amount_cents,
            status=status,
            proposed_by=origin.actor,
            decided_by=None if status is Status.PENDING_APPROVAL else origin.actor,
            policy_rule=decision.deciding_rule,
            rules_fired=decision.rules_fired,
            policy_version=decision.policy_version,
            idempotency_key=key,
            request_fingerprint=print_,
            bill_id=current.bill_id,
            description=assessment.description,
            case_id=None,
            created_at=existing.created_at if existing else now,
            decided_at=None if status is Status.PENDING_APPROVAL else now,
        )
        handoff = None
        if decision.outcome is Outcome.HUMAN:
            handoff = open_case_in(
                office,
                deps,
                origin,
                account_id=account.account_id,
                reason=needs_approval(adjustment.description, decision.rules_fired),
                summary=_case_summary(account, adjustment, decision, origin.channel),
                proposed_amount_cents=adjustment.amount_cents,
            )
            adjustment = adjustment.model_copy(update={"case_id": handoff.case.id})
        record_decision(office, deps, adjustment, decision, facts.model_dump(), origin.actor)
        if existing is None:
            office.adjustments.add(adjustment)
        else:
            office.adjustments.update(adjustment)
        office.commit()
    return adjustment, decision, handoff


def _post(deps: Deps, adjustment: Adjustment) -> Adjustment:
    """Post an ``applying`` adjustment to the BSS and record the result. Safe to repeat."""
    assert adjustment.bill_id is not None
    try:
        receipt = deps.billing.post_credit(
            adjustment.account_id,
            adjustment.bill_id,
            adjustment.amount_cents,
            adjustment.description,
            adjustment.idempotency_key,
        )
        update: dict[str, object] = {
            "status": Status.APPLIED,
            "bss_reference": receipt.bss_reference,
        }
    except ExternalSystemError as error:
        log.warning(
            "BSS refused credit %s (%s): marked failed", adjustment.id, type(error).__name__
        )
        update = {"status": Status.FAILED}
    posted = adjustment.model_copy(update=update)
    with deps.backoffice() as office:
        office.adjustments.update(posted)
        office.commit()
    return posted


def settle_credit(deps: Deps, account_id: str, kind: AdjustmentKind, origin: Origin) -> Settlement:
    """Decide, record and (when the policy says apply) post one credit, exactly once."""
    account = deps.billing.get_account(account_id)
    adjustment, decision, handoff = _decide_and_record(deps, account, kind, origin)
    if adjustment.status is Status.APPLYING:
        adjustment = _post(deps, adjustment)
    return Settlement(
        adjustment=adjustment,
        decision=decision,
        handoff=handoff,
        balance_cents=deps.billing.get_balance_cents(account_id),
    )
