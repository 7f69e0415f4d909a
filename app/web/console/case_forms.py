"""What the case page's forms send, read strictly, and the fixed notices shown after a change.

Money typed by a person is dollars with at most two decimals, turned into integer cents with
``Decimal`` (never a float: 0.1 + 0.2 must stay 30 cents).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidInput

LONGEST_NUMBER = 15  # characters: "$100,000,000.00" and a little room
DOLLARS = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")  # ASCII digits only: no sign, exponent, NaN
DAYS = re.compile(r"[0-9]{1,4}")

NOTICES = {
    "claimed": "Claimed. The bot stays silent in this chat while you hold the case.",
    "released": "Handed back to the bot. It has told the customer where their case stands.",
    "approved": "Approved. The customer has been told.",
    "rejected": "Rejected. The customer has been told.",
    "assigned": "Assigned.",
    "noted": "Note added.",
    "verify_asked": "The bot is asking the customer to verify. This page updates when they do.",
    "sent": "Sent to the customer.",
}


def notice_text(code: str | None) -> str:
    """The fixed text of a notice code; an unknown code shows nothing (it is only a hint)."""
    return NOTICES.get(code or "", "")


def dollars_to_cents(text: str, label: str = "The changed amount") -> int:
    """``"180"``, ``"180.5"``, ``"$1,180.50"`` -> cents. Refuses other text, fractions of a cent,
    zero and negative amounts."""
    cleaned = text.strip().removeprefix("$").replace(",", "").strip()
    hint = f"{label} must be in dollars and cents, for example 180.00"
    if len(cleaned) > LONGEST_NUMBER or not DOLLARS.fullmatch(cleaned):
        raise InvalidInput(hint)
    if len(cleaned.partition(".")[2]) > 2:
        raise InvalidInput(f"{label} has at most 2 decimals (whole cents)")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # the pattern lets none through; kept as a guard
        raise InvalidInput(hint) from error
    if value <= 0:
        raise InvalidInput(f"{label} must be more than $0.00")
    return int(value * 100)


def whole_days(text: str, label: str = "The changed days") -> int:
    cleaned = text.strip()
    if not DAYS.fullmatch(cleaned):
        raise InvalidInput(f"{label} must be a whole number of days, for example 30")
    days = int(cleaned)
    if days < 1:
        raise InvalidInput(f"{label} must be at least 1 day")
    return days
