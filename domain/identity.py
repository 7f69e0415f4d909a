"""Reading what customers type as identifiers and PINs. Parsing only: no lookups."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from domain.spoken import digits_from_words

_NON_DIGITS = re.compile(r"\D")
_DIGIT_GROUPS = re.compile(r"\d[\d\s().-]*\d|\d")


class Identifier(BaseModel):
    """An account number or an E.164 phone number, as the customer gave it."""

    model_config = ConfigDict(frozen=True)

    account_id: str | None = None
    phone: str | None = None

    def encode(self) -> str:
        return f"account:{self.account_id}" if self.account_id else f"phone:{self.phone}"

    @classmethod
    def decode(cls, value: str) -> Identifier | None:
        kind, _, rest = value.partition(":")
        if kind == "account" and rest:
            return cls(account_id=rest)
        if kind == "phone" and rest:
            return cls(phone=rest)
        return None


def parse_identifier(text: str) -> Identifier | None:
    """A 6-digit account number or a North American phone number (with or without +1)."""
    for group in _DIGIT_GROUPS.findall(digits_from_words(text)):
        digits = _NON_DIGITS.sub("", group)
        if len(digits) == 6:
            return Identifier(account_id=digits)
        if len(digits) == 10:
            return Identifier(phone=f"+1{digits}")
        if len(digits) == 11 and digits.startswith("1"):
            return Identifier(phone=f"+{digits}")
    return None


def parse_pin(text: str) -> str | None:
    """The 4 digits of a PIN, or None when the reply is not exactly one 4-digit group."""
    digits = _NON_DIGITS.sub("", digits_from_words(text))
    return digits if len(digits) == 4 else None
