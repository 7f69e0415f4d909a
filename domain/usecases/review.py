"""A customer who insists after a decline gets a person, with the declined credit proposed."""

from __future__ import annotations

from domain.errors import NotFound
from domain.ids import new_id
from domain.money import format_cents
from domain.policy import Decision
from domain.records import Adjustment, Outcome, Status
from domain.usecases.cases import Origin, open_case_in
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.apply import record_decision
from domain.usecases.lifecycle.kinds import CREDITS
from domain.usecases.lifecycle.transitions import Happened, Step, create

REVIEW_RULE = "customer_requested_review"


def request_review(deps: Deps, declined_key: str, origin: Origin) -> Step:
    """Open (once) a case proposing the declined credit for a person to decide."""
    review_key = f"{declined_key}:review"
    now = deps.clock.now()
    with deps.backoffice() as office:
        declined = office.adjustments.get_by_key(declined_key)
        if declined is None or declined.status is not Status.DECLINED:
            raise NotFound(f"no declined adjustment under {declined_key}")
        existing = office.adjustments.get_by_key(review_key)
        if existing is not None:
            return Step(record=existing, happened=Happened.STANDING)
        decision = Decision(
            outcome=Outcome.HUMAN,
            rules_fired=(*declined.rules_fired, REVIEW_RULE),
            deciding_rule=REVIEW_RULE,
            policy_version=declined.policy_version,
        )
        handoff = open_case_in(
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
                "facts": {"declined_adjustment": declined.id},
            }
        )
        record_decision(office, deps, CREDITS, review, decision, origin.actor)
        create(office, office.adjustments, review, origin.actor, now, "customer asked for a review")
        office.commit()
    return Step(record=review, happened=Happened.HANDED_OFF, handoff=handoff)
