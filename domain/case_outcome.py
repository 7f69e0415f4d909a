"""What the customer is told once a person has decided their case (pure wording, no lookups)."""

from __future__ import annotations

from datetime import date

from domain.money import format_cents
from domain.records import Adjustment, Case, CaseStatus, PaymentExtension, Status


def _on(day: date) -> str:
    return f"{day:%B} {day.day}"


def _credit(record: Adjustment) -> str:
    return f"{format_cents(record.amount_cents)} credit ({record.description})"


def decision_text(record: Adjustment | PaymentExtension, balance_cents: int | None) -> str | None:
    """The decision in plain words; None while nobody has decided."""
    if record.status is Status.APPLIED and isinstance(record, Adjustment):
        balance = (
            "" if balance_cents is None else f" Your new balance is {format_cents(balance_cents)}."
        )
        return (
            f"Good news: a colleague approved your {_credit(record)} and it has been applied "
            f"(reference {record.bss_reference}).{balance}"
        )
    if record.status is Status.APPLIED and isinstance(record, PaymentExtension):
        return (
            f"Good news: a colleague approved your payment extension. Your due date is now "
            f"{_on(record.new_due_date)}."
        )
    if record.status is Status.APPLYING:
        return "A colleague approved your request; it will show on your account in a moment."
    if record.status is Status.REJECTED:
        what = _credit(record) if isinstance(record, Adjustment) else "payment extension"
        return (
            f"A colleague reviewed your request for a {what} and couldn't approve it. "
            "Nothing on your account has changed."
        )
    if record.status is Status.FAILED:
        return (
            "A colleague approved your request, but our billing system didn't accept it. "
            "We'll follow up with you."
        )
    return None


def case_outcome_text(
    case: Case, record: Adjustment | PaymentExtension | None, balance_cents: int | None
) -> str:
    """Where the case stands, for the customer: the decision if there is one."""
    decided = decision_text(record, balance_cents) if record is not None else None
    if decided is not None:
        return decided
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return f"Your case {case.reference} is resolved."
    return f"Your case {case.reference} is still open; a colleague will follow up with you."
