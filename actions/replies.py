"""The customer-facing wording of lifecycle results. Deterministic; every figure from the data,
every limit or window from the loaded policy (never a number written here)."""

from __future__ import annotations

from datetime import date, timedelta

from domain.case_outcome import case_outcome_text, decision_text
from domain.money import format_cents
from domain.policy import Policy
from domain.records import Adjustment, CaseStatus, PaymentExtension, Status
from domain.usecases.case_status import CaseStatusView
from domain.usecases.cases import Handoff
from domain.usecases.lifecycle.transitions import Happened, Step

REVIEW_HINT = 'If you\'d like a person to review it, just say "talk to a person".'
BSS_REFUSED = (
    "I'm sorry, our billing system didn't accept the change just now, so nothing was changed. "
    "Please try again in a few minutes, or ask me for a person."
)
# Why a yes found other facts, in words a customer may hear (a flag is never named).
CHANGED_BECAUSE = {
    "kill_switch": "automatic adjustments are paused right now",
    "per_adjustment_cap": "it is now above what I can apply myself",
    "rolling_cap": "it is now above what I can apply myself",
    "daily_budget": "it is now above what I can apply myself today",
}


def window(days: int) -> str:
    """365 -> "12 months", 90 -> "90 days": how a person would say a policy window."""
    if days % 365 == 0:
        years = days // 365
        return "12 months" if years == 1 else f"{years} years"
    return f"{days} days"


def decline_reasons(policy: Policy) -> dict[str, str]:
    waivers = policy.late_fee_waivers_per_window
    return {
        "late_fee_waiver.once_per_window": (
            f"I can't waive this late fee: our policy allows {waivers} late-fee waiver"
            f"{'' if waivers == 1 else 's'} every {window(policy.late_fee_window_days)}, and your "
            f"account already had {'one' if waivers == 1 else 'them'} in that time."
        ),
        "late_fee_waiver.no_late_fee": (
            "I don't see a late fee on your current bill, so there is nothing to waive."
        ),
        "duplicate_charge.none_found": "I don't see any charge billed twice on your current bill.",
        "outage_credit.no_full_outage_day": (
            "I don't see a full day of service outage in your area during this billing period. "
            f"Slow service and outages shorter than {policy.outage_full_day_hours} hours don't "
            "earn an automatic credit."
        ),
    }


def decline_text(rule: str, policy: Policy) -> str:
    reason = decline_reasons(policy).get(rule, "I can't do this one under our policy.")
    return f"{reason} {REVIEW_HINT}"


def handoff_text(handoff: Handoff, opening: str = "I've opened a case for you.") -> str:
    return (
        f"{opening} Your case reference is {handoff.case.reference}; a person from our team will "
        f"pick it up, and the expected wait is about {handoff.expected_wait_minutes} minutes."
    )


def _on(day: date) -> str:
    return f"{day:%B} {day.day}"


def _balance(cents: int | None) -> str:
    return "" if cents is None else f" Your balance is {format_cents(cents)}."


def offer_prompt(record: Adjustment | PaymentExtension, balance_cents: int | None = None) -> str:
    """The exact offer, and the question the customer answers with yes or no."""
    if isinstance(record, PaymentExtension):
        old_due = record.new_due_date - timedelta(days=record.days)
        return (
            f"I can move your due date from {_on(old_due)} to "
            f"{_on(record.new_due_date)} ({record.days} days). Shall I go ahead?"
        )
    amount = format_cents(record.amount_cents)
    change = ""
    if balance_cents is not None:
        after = format_cents(balance_cents - record.amount_cents)
        change = f" Your balance would go from {format_cents(balance_cents)} to {after}."
    return (
        f"I can apply a {amount} credit to your current bill ({record.description}).{change} "
        "Shall I go ahead?"
    )


def _what(record: Adjustment | PaymentExtension) -> str:
    if isinstance(record, PaymentExtension):
        return f"{record.days}-day payment extension (new due date {_on(record.new_due_date)})"
    return f"{format_cents(record.amount_cents)} credit ({record.description})"


def standing_text(
    record: Adjustment | PaymentExtension, balance: int | None, policy: Policy
) -> str:
    """What an earlier decision on the same ask says now."""
    what = _what(record)
    if record.status is Status.APPLIED:
        ref = record.bss_reference if isinstance(record, Adjustment) else record.id
        return f"That's already done: your {what} was applied (reference {ref}).{_balance(balance)}"
    if record.status is Status.APPLYING:
        return (
            f"Your {what} is being applied right now: our billing system hasn't confirmed it yet. "
            "It will show on your account shortly; ask me again in a few minutes for the result."
        )
    if record.status is Status.PENDING_APPROVAL:
        return f"That's already with our team: your {what} is waiting for a colleague's approval."
    if record.status is Status.REJECTED:
        return (
            f"A colleague reviewed your {what} and couldn't approve it. "
            'If you\'d like to discuss it, just say "talk to a person".'
        )
    if record.status is Status.DECLINED:
        return decline_text(record.policy_rule, policy)
    if record.status is Status.WITHDRAWN:
        return "Okay, I haven't changed anything."
    return BSS_REFUSED


def _done_text(record: Adjustment | PaymentExtension, balance: int | None) -> str:
    if isinstance(record, PaymentExtension):
        return f"Done. Your due date is now {_on(record.new_due_date)} (reference {record.id})."
    amount = format_cents(record.amount_cents)
    new_balance = "" if balance is None else f", and your new balance is {format_cents(balance)}"
    return (
        f"Done. I've applied a {amount} credit ({record.description}). Your confirmation "
        f"reference is {record.bss_reference}{new_balance}."
    )


def _why_changed(step: Step) -> str:
    for rule in step.record.rules_fired:
        if rule in CHANGED_BECAUSE:
            return CHANGED_BECAUSE[rule]
    return "the details on your account changed"


def step_text(step: Step, policy: Policy) -> str:
    """The reply for one lifecycle step."""
    record, was = step.record, step.was
    if step.happened is Happened.OFFERED:
        return offer_prompt(record, step.balance_cents)
    if step.happened is Happened.REOFFERED:
        return "That offer had expired, so I checked again. " + offer_prompt(
            record, step.balance_cents
        )
    if step.happened is Happened.CHANGED and was is not None:
        return (
            f"Something changed since I offered the {_what(was)}, so I haven't applied it. "
            + offer_prompt(record, step.balance_cents)
        )
    if step.happened is Happened.APPLIED:
        return _done_text(record, step.balance_cents)
    if step.happened is Happened.HANDED_OFF and step.handoff is not None:
        opening = f"I can't do this one myself, so I've passed your {_what(record)} to a colleague."
        if was is not None:
            opening = (
                f"I haven't applied the {_what(was)}: {_why_changed(step)}, so I've passed it "
                "to a colleague to approve."
            )
        return handoff_text(step.handoff, opening)
    if step.happened is Happened.DECLINED:
        prefix = "Since I offered it, things changed. " if was is not None else ""
        return prefix + decline_text(record.policy_rule, policy)
    if step.happened is Happened.FAILED:
        return BSS_REFUSED
    return standing_text(record, step.balance_cents, policy)


def person_name(username: str) -> str:
    """How the customer hears a colleague's name: ``alex`` -> ``Alex``."""
    return username[:1].upper() + username[1:]


def case_status_text(view: CaseStatusView) -> str:
    """Where the customer's case is, in plain words (never its internal reason or summary)."""
    case = view.case
    if case is None:
        if view.reference:
            return f"I can't find a case {view.reference} on your account."
        return "I don't see any case on your account."
    reference = case.reference
    if case.status is CaseStatus.OPEN:
        return (
            f"Your case {reference} is waiting for a person from our team; the expected wait is "
            f"about {view.wait_minutes} minutes."
        )
    if case.status is CaseStatus.CLAIMED:
        holder = person_name(case.claimed_by) if case.claimed_by else "A colleague"
        return f"Your case {reference} is with our team: {holder} is working on it."
    decided = decision_text(view.decision, view.balance_cents) if view.decision else None
    if decided is None:
        return case_outcome_text(case, None, None)
    return f"Your case {reference} has been decided. {decided}"
