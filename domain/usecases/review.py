"""A customer who insists after a decline gets a person, with the declined credit proposed."""

from __future__ import annotations

from domain.errors import NotFound
from domain.ids import new_id
from domain.money import format_cents
from domain.policy import Decision
from domain.records import Adjustment, Outcome, Status
from domain.usecases.cases import Handoff, Origin, open_case_in
from domain.usecases.deps import Deps
from domain.usecases.settle import Settlement, record_decision

REVIEW_RULE = "customer_requested_review"


def request_review(deps: Deps, declined_key: str, origin: Origin) -> Settlement:
    """Open (once) a case proposing the declined credit for a person to decide."""
    review_key = f"{declined_key}:review"
    now = deps.clock.now()
    with deps.backoffice() as office:
        declined = office.adjustments.get_by_key(declined_key)
        if declined is None or declined.status is not Status.DECLINED:
            raise NotFound(f"no declined adjustment under {declined_key}")
        existing = office.adjustments.get_by_key(review_key)
        if existing is not None:
            return Settlement(
                adjustment=existing,
                decision=None,
                handoff=None,
                balance_cents=deps.billing.get_balance_cents(existing.account_id),
            )
        decision = Decision(
            outcome=Outcome.HUMAN,
            rules_fired=(*declined.rules_fired, REVIEW_RULE),
            deciding_rule=REVIEW_RULE,
            policy_version=declined.policy_version,
        )
        handoff: Handoff = open_case_in(
            office,
            deps,
            origin,
            account_id=declined.account_id,
            reason=f"customer asks for review of a declined {declined.description} "
            f"({declined.policy_rule})",
            summary=(
                f"Account {declined.account_id} asked for a {declined.description} of "
                f"{format_cents(declined.amount_cents)} on bill {declined.bill_id}. The bot "
                f"declined it under {declined.policy_rule} (policy {declined.policy_version}); "
                "the customer asked for a person to review it."
            ),
            proposed_amount_cents=declined.amount_cents,
        )
        review: Adjustment = declined.model_copy(
            update={
                "id": new_id("adj"),
                "status": Status.PENDING_APPROVAL,
                "proposed_by": origin.actor,
                "decided_by": None,
                "policy_rule": REVIEW_RULE,
                "rules_fired": decision.rules_fired,
                "idempotency_key": review_key,
                "case_id": handoff.case.id,
                "created_at": now,
                "decided_at": None,
            }
        )
        record_decision(
            office, deps, review, decision, {"declined_adjustment": declined.id}, origin.actor
        )
        office.adjustments.add(review)
        office.commit()
    return Settlement(
        adjustment=review,
        decision=decision,
        handoff=handoff,
        balance_cents=deps.billing.get_balance_cents(review.account_id),
    )
