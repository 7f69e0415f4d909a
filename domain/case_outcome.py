"""What the customer is told once a person has decided their case: in the chat when it is decided
or handed back, and when they ask about it later (pure wording, no lookups)."""

from __future__ import annotations

from datetime import date

from domain.money import format_cents
from domain.records import Adjustment, Case, CaseStatus, PaymentExtension, Status

DISCUSS_HINT = 'If you\'d like to discuss it, just say "talk to a person".'


def _on(day: date) -> str:
    return f"{day:%B} {day.day}"


def _what(record: Adjustment | PaymentExtension) -> str:
    if isinstance(record, PaymentExtension):
        return f"{record.days}-day payment extension"
    return f"{format_cents(record.amount_cents)} credit ({record.description})"


def decision_text(record: Adjustment | PaymentExtension, balance_cents: int | None) -> str | None:
    """A person's decision in plain words; None while nobody has decided."""
    if record.status is Status.APPLIED and isinstance(record, PaymentExtension):
        return (
            "Good news: our team approved more time to pay. Your new due date is "
            f"{_on(record.new_due_date)}."
        )
    if record.status is Status.APPLIED and isinstance(record, Adjustment):
        balance = (
            "" if balance_cents is None else f" Your new balance is {format_cents(balance_cents)}."
        )
        return (
            f"Good news: our team approved your {_what(record)} and it has been applied "
            f"(reference {record.bss_reference}).{balance}"
        )
    if record.status is Status.APPLYING:
        return (
            f"Our team approved your {_what(record)}; our billing system is applying it now, and "
            "it will show on your account shortly."
        )
    if record.status is Status.REJECTED:
        return (
            f"I'm sorry, our team could not approve your {_what(record)}. Nothing on your account "
            f"has changed. {DISCUSS_HINT}"
        )
    if record.status is Status.FAILED:
        return (
            f"Our team approved your {_what(record)}, but our billing system didn't accept the "
            f"change, so nothing has changed yet. {DISCUSS_HINT}"
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
        return f"Your case {case.reference} is resolved: our team has dealt with it."
    return f"Your case {case.reference} is still open; a colleague will follow up with you."
