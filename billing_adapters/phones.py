"""Phone numbers as the BSS stores them."""

from __future__ import annotations


def normalise_phone(phone: str) -> str:
    """Strip the separators people type; the stored form is E.164 (``+15550100001``)."""
    return "".join(ch for ch in phone.strip() if ch.isdigit() or ch == "+")


def single_match(matches: list[str | None]) -> str | None:
    """The account every given identifier points to; None if any is unknown or they disagree."""
    if not matches or None in matches or len(set(matches)) != 1:
        return None
    return matches[0]
