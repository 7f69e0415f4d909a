"""TMF Money (``{"value": 65.0, "unit": "USD"}``) to integer minor units, exactly, and back.

Bodies are parsed with ``parse_float=Decimal`` (``json.loads``), so ``65.1`` arrives as
``Decimal("65.1")`` and never passes through a binary float. A value that is not a whole number
of minor units, a missing or foreign currency, or a non-number is the BSS breaking its contract:
ExternalProtocolError, never a silent rounding.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import ExternalProtocolError

# ISO 4217 minor units where they are not 2 (the domain's "cents" are minor units).
MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def to_money(cents: int, currency: str) -> dict[str, Any]:
    """Minor units as TMF Money; the float is the shortest form of an exact decimal."""
    return {"value": float(Decimal(cents).scaleb(-minor_units(currency))), "unit": currency}


def decimal_of(value: Any, where: str) -> Decimal:
    """A JSON number (int or Decimal from the parser) as a Decimal; anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise ExternalProtocolError(f"{where}: {value!r} is not a number")
    try:
        # A float only reaches here from a caller that parsed without parse_float=Decimal;
        # str() keeps its shortest decimal form rather than its binary expansion.
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as error:
        raise ExternalProtocolError(f"{where}: {value!r} is not a number") from error
    if not number.is_finite():
        raise ExternalProtocolError(f"{where}: {value!r} is not a finite number")
    return number


def cents_of(money: Any, currency: str, where: str) -> int:
    """Exact minor units of a TMF Money in ``currency``."""
    if not isinstance(money, dict):
        raise ExternalProtocolError(f"{where}: expected Money, got {type(money).__name__}")
    unit = money.get("unit")
    if unit != currency:
        raise ExternalProtocolError(f"{where}: amount in {unit!r}, expected {currency}")
    value = decimal_of(money.get("value"), f"{where}.value")
    scaled = value.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ExternalProtocolError(
            f"{where}: {value} {currency} is not a whole number of minor units (not rounded)"
        )
    return int(scaled)
