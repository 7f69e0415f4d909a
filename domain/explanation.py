"""Deterministic bill wording: what changed between two bills, every figure from the data."""

from __future__ import annotations

from collections import defaultdict

from domain.assessments import duplicate_lines
from domain.model import Bill, BillLine, LineCategory
from domain.money import format_cents


def _line_text(line: BillLine) -> str:
    if line.quantity and line.unit_cents is not None:
        unit = line.unit_label or "unit"
        plural = "s" if line.quantity != 1 else ""
        return (
            f"{line.description}: {line.quantity} {unit}{plural} x {format_cents(line.unit_cents)}"
            f" = {format_cents(line.amount_cents)}"
        )
    return f"{line.description}: {format_cents(line.amount_cents)}"


def _totals_by_description(bill: Bill) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in bill.lines:
        totals[line.description] += line.amount_cents
    return totals


def _change_sentence(current: Bill, previous: Bill | None) -> str:
    total = format_cents(current.total_cents)
    if previous is None:
        return f"Your current bill is {total}."
    delta = current.total_cents - previous.total_cents
    before = format_cents(previous.total_cents)
    if delta == 0:
        return f"Your current bill is {total}, the same as your previous bill."
    direction = "up" if delta > 0 else "down"
    return f"Your current bill is {total}, {direction} {format_cents(abs(delta))} from {before}."


def explain_change(current: Bill, previous: Bill | None) -> str:
    """Name every new, removed, changed, duplicated or third-party line, with its amount."""
    sentences = [_change_sentence(current, previous)]
    before = _totals_by_description(previous) if previous else {}
    now = _totals_by_description(current)
    duplicates = {line.description for line in duplicate_lines(current)}
    new_lines = [
        _line_text(line)
        for line in current.lines
        if previous is not None and line.description not in before
    ]
    if new_lines:
        sentences.append("New on this bill: " + "; ".join(new_lines) + ".")
    for description in sorted(duplicates):
        copies = [line for line in current.lines if line.description == description]
        sentences.append(
            f"{description} appears {len(copies)} times ({format_cents(copies[0].amount_cents)}"
            " each) in the same period, which looks like a duplicate charge."
        )
    for description, amount in now.items():
        if (
            description in before
            and description not in duplicates
            and before[description] != amount
        ):
            change = amount - before[description]
            sign = "+" if change > 0 else "-"
            sentences.append(
                f"{description} went from {format_cents(before[description])} to "
                f"{format_cents(amount)} ({sign}{format_cents(abs(change))})."
            )
    removed = [d for d in before if d not in now]
    if removed:
        sentences.append(
            "No longer on your bill: "
            + "; ".join(f"{d} ({format_cents(before[d])})" for d in removed)
            + "."
        )
    third_party = current.lines_in(LineCategory.THIRD_PARTY)
    if third_party:
        sentences.append(
            "Third-party charges: "
            + "; ".join(_line_text(line) for line in third_party)
            + ". You can dispute these if you did not sign up for them."
        )
    return " ".join(sentences)
