"""The customer-facing wording of use-case results. Deterministic; every figure from the data."""

from __future__ import annotations

from datetime import date

from domain.money import format_cents
from domain.records import Adjustment, Status
from domain.usecases.cases import Handoff
from domain.usecases.extensions import ExtensionPreview, ExtensionSettlement
from domain.usecases.settle import Settlement

DECLINE_REASONS = {
    "late_fee_waiver.once_per_365_days": (
        "I can't waive this late fee: our policy allows one late-fee waiver every 12 months, "
        "and your account already had one in the last 12 months."
    ),
    "late_fee_waiver.no_late_fee": (
        "I don't see a late fee on your current bill, so there is nothing to waive."
    ),
    "duplicate_charge.none_found": "I don't see any charge billed twice on your current bill.",
    "outage_credit.no_full_outage_day": (
        "I don't see a full day of service outage in your area during this billing period. "
        "Slow service and outages shorter than 24 hours don't earn an automatic credit."
    ),
}
REVIEW_HINT = 'If you\'d like a person to review it, just say "talk to a person".'


def handoff_text(handoff: Handoff, opening: str = "I've opened a case for you.") -> str:
    return (
        f"{opening} Your case reference is {handoff.case.reference}; a person from our team will "
        f"pick it up, and the expected wait is about {handoff.expected_wait_minutes} minutes."
    )


def offer_text(adjustment_amount: int, description: str, balance_cents: int) -> str:
    after = format_cents(balance_cents - adjustment_amount)
    return (
        f"I can apply a {format_cents(adjustment_amount)} credit to your current bill "
        f"({description}). Your balance would go from {format_cents(balance_cents)} to {after}. "
        "Shall I go ahead?"
    )


def decline_text(rule: str) -> str:
    return DECLINE_REASONS.get(rule, "I can't apply this one under our policy.") + " " + REVIEW_HINT


def existing_text(adjustment: Adjustment, balance_cents: int) -> str:
    amount = format_cents(adjustment.amount_cents)
    if adjustment.status is Status.APPLIED:
        return (
            f"That's already done: a {amount} credit ({adjustment.description}) was applied "
            f"(reference {adjustment.bss_reference}). "
            f"Your balance is {format_cents(balance_cents)}."
        )
    if adjustment.status is Status.PENDING_APPROVAL:
        return (
            f"That's already with our team: a {amount} credit ({adjustment.description}) is "
            "waiting for a colleague's approval."
        )
    if adjustment.status is Status.DECLINED:
        return decline_text(adjustment.policy_rule)
    return "That request is still being processed. Please ask me again in a minute."


def settlement_text(settlement: Settlement) -> str:
    adjustment = settlement.adjustment
    if settlement.already_decided:
        return existing_text(adjustment, settlement.balance_cents)
    amount = format_cents(adjustment.amount_cents)
    if adjustment.status is Status.APPLIED:
        return (
            f"Done. I've applied a {amount} credit ({adjustment.description}). Your confirmation "
            f"reference is {adjustment.bss_reference}, and your new balance is "
            f"{format_cents(settlement.balance_cents)}."
        )
    if adjustment.status is Status.PENDING_APPROVAL and settlement.handoff is not None:
        return handoff_text(
            settlement.handoff,
            f"I can't apply this one myself, so I've passed it to a colleague with a {amount} "
            f"credit ({adjustment.description}) proposed.",
        )
    if adjustment.status is Status.DECLINED:
        return decline_text(adjustment.policy_rule)
    return (
        "I'm sorry, our billing system didn't accept the credit just now, so nothing was changed. "
        "Please try again in a few minutes, or ask me for a person."
    )


def _on(day: date) -> str:
    return f"{day:%B} {day.day}"


def extension_offer_text(preview: ExtensionPreview) -> str:
    return (
        f"I can move your due date from {_on(preview.current_due)} to {_on(preview.new_due)} "
        f"({preview.days} days). Shall I go ahead?"
    )


def extension_text(settlement: ExtensionSettlement) -> str:
    extension = settlement.extension
    new_due = _on(extension.new_due_date)
    if extension.status is Status.APPLIED:
        prefix = "That's already done: your" if settlement.already_decided else "Done. Your"
        return f"{prefix} due date is now {new_due} (reference {extension.id})."
    if extension.status is Status.PENDING_APPROVAL:
        if settlement.handoff is None:
            return "That request is already with our team for approval."
        return handoff_text(
            settlement.handoff,
            f"I can't grant a {extension.days}-day extension myself, so I've passed your request "
            f"(new due date {new_due}) to a colleague.",
        )
    if extension.status is Status.DECLINED:
        return "I can't grant this extension under our policy. " + REVIEW_HINT
    return (
        "I'm sorry, our billing system didn't accept the change just now, so nothing was changed. "
        "Please try again in a few minutes, or ask me for a person."
    )
