"""Money in integer minor units (cents). Never a float."""

from __future__ import annotations

from fractions import Fraction


def round_half_up(value: Fraction) -> int:
    """Round an exact fraction of cents to whole cents, halves away from zero."""
    numerator, denominator = abs(value.numerator), value.denominator
    rounded = (2 * numerator + denominator) // (2 * denominator)
    return -rounded if value < 0 else rounded


def format_cents(cents: int, currency: str = "USD") -> str:
    """Render cents for a person: ``$1,234.50`` (negative as ``-$5.00``)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{symbol}{whole:,}.{frac:02d}"
