"""One charge explained: which line of the bill a customer means, and what that line is.

A question about a charge ("what is this $32 line?") is answered with the line, never with a
refusal or an offer: the customer may only want to know. Every figure comes from the bill.
"""

from __future__ import annotations

import re

from domain.assessments import duplicate_lines
from domain.model import Bill, BillLine, LineCategory
from domain.money import format_cents
from domain.number_words import RUN, words_to_int

# Words customers use for a kind of line, besides the line's own description.
CATEGORY_WORDS: dict[LineCategory, tuple[str, ...]] = {
    LineCategory.PLAN: ("plan", "monthly", "subscription fee", "unlimited", "essentials"),
    LineCategory.ADDON: ("device protection", "insurance", "protection", "add-on", "addon"),
    LineCategory.ROAMING: ("roaming", "international", "abroad", "canada", "travel", "overseas"),
    LineCategory.LATE_FEE: ("late", "penalty", "overdue"),
    LineCategory.THIRD_PARTY: ("third party", "third-party", "premium", "sms", "text service"),
    LineCategory.TAXES: ("tax", "taxes", "surcharge", "surcharges", "fees and"),
}
DIGITS = re.compile(r"(?<![\d.,])\$?(\d{1,4})(?:[.,](\d{2}))?(?![\d.,]*\d)")
WORDS = re.compile(rf"\b({RUN})\s+(?:dollars?|bucks)\b", re.I)


def amounts_in(text: str) -> set[int]:
    """Every amount the text names, in cents: "$32", "32.00", "thirty two dollars"."""
    found = {
        int(whole) * 100 + int(cents or 0)
        for whole, cents in DIGITS.findall(text)
        if len(whole) < 4 or cents  # a 4-digit number alone is a PIN or a year, not money
    }
    for run in WORDS.findall(text):
        value = words_to_int(run)
        if value is not None:
            found.add(value * 100)
    return found


def _named(line: BillLine, text: str) -> bool:
    lowered = text.lower()
    description_words = re.findall(r"[a-z]{4,}", line.description.lower())
    if any(word in lowered for word in description_words):
        return True
    return any(word in lowered for word in CATEGORY_WORDS[line.category])


def distinct_lines(lines: tuple[BillLine, ...] | list[BillLine]) -> tuple[BillLine, ...]:
    """Each line once: a charge billed twice is one thing to explain."""
    kept: list[BillLine] = []
    for line in lines:
        if not any(_same(line, other) for other in kept):
            kept.append(line)
    return tuple(kept)


def lines_meant(bill: Bill, text: str) -> tuple[BillLine, ...]:
    """The distinct lines the customer's words point at (by amount first, then by name)."""
    amounts = amounts_in(text)
    by_amount = [
        line for line in bill.lines if amounts & {line.amount_cents, line.unit_cents or -1}
    ]
    return distinct_lines(by_amount or [line for line in bill.lines if _named(line, text)])


def _what_it_is(line: BillLine) -> str:
    amount = format_cents(line.amount_cents)
    if line.category is LineCategory.ROAMING and line.quantity and line.unit_cents is not None:
        unit = line.unit_label or "day"
        plural = "s" if line.quantity != 1 else ""
        return (
            f"The {amount} line is {line.description}: {line.quantity} {unit}{plural} at "
            f"{format_cents(line.unit_cents)} a {unit}, charged for using your phone abroad."
        )
    kinds = {
        LineCategory.PLAN: "your plan's monthly price",
        LineCategory.ADDON: "an add-on on your plan",
        LineCategory.ROAMING: "roaming, charged for using your phone abroad",
        LineCategory.LATE_FEE: "a late fee, charged when a bill is paid after its due date",
        LineCategory.THIRD_PARTY: (
            "a third-party charge: another company billing you through your phone bill, "
            "usually for a subscription started from your phone"
        ),
    }
    if line.category is LineCategory.TAXES:
        return f"The {amount} line is the taxes and surcharges on this bill's services."
    return f"The {amount} line is {line.description}, {kinds[line.category]}."


def _late_fee_reason(previous: Bill | None) -> str:
    if previous is None:
        return ""
    due = f"{previous.due_date:%B} {previous.due_date.day}"
    if previous.paid_at is None:
        return f" Your previous bill, due {due}, has not been paid yet."
    paid = f"{previous.paid_at:%B} {previous.paid_at.day}"
    return f" Your previous bill was due {due} and was paid on {paid}."


NEXT_STEP = {
    LineCategory.LATE_FEE: " If you'd like, I can check whether it can be waived: just ask.",
    LineCategory.THIRD_PARTY: (
        " If you didn't sign up for it, tell me and I'll look into disputing it."
    ),
}


def explain_line(line: BillLine, current: Bill, previous: Bill | None) -> str:
    """What one line is, why it is there, and what the customer can ask next."""
    text = _what_it_is(line)
    if line.category is LineCategory.LATE_FEE:
        text += _late_fee_reason(previous)
    extra_copies = [c for c in duplicate_lines(current) if _same(c, line)]
    if extra_copies:
        return text + (
            f" It appears {len(extra_copies) + 1} times in the same period, which looks like a"
            " duplicate; if you'd like it credited, just ask."
        )
    return text + NEXT_STEP.get(line.category, "")


def _same(one: BillLine, other: BillLine) -> bool:
    return (one.description, one.amount_cents) == (other.description, other.amount_cents)
