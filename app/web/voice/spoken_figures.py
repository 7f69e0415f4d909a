"""Figures inside a sentence said as words: amounts, dates and times, ordinals, percentages and
the other numbers (app/web/voice/speech.py runs these steps in order, amounts first).

Pure (stdlib only). US dollars only; "12/20" is read month first; four digits are a year only in a
date or after a word such as "in" or "since", otherwise an identifier read digit by digit.
"""

from __future__ import annotations

import re
from datetime import date

from app.web.voice.numbers_in_words import (
    digits_spoken,
    money_as_modifier,
    money_words,
    number_words,
    ordinal_words,
    year_words,
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, start=1)}
_MONTH_NUMBERS.update({name[:3]: number for name, number in list(_MONTH_NUMBERS.items())})
_MONTH_NUMBERS["Sept"] = 9
# Longest first, so "December" is never read as "Dec" followed by "ember".
_MONTH = "(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")(?![A-Za-z])"
# Beyond this many digits a number is an identifier, not a quantity (and int() has a limit).
_LONGEST_QUANTITY = 15


# -- amounts

_AMOUNT = re.compile(
    r"(?:(?<![\w.])(?P<sign>[+\-−]))?\$(?P<minus>[\-−])?\s?"
    r"(?P<whole>\d{1,3}(?:,\d{3}){1,4}|\d{1,12})(?:\.(?P<cents>\d{1,2}))?(?!\d|,\d)"
)
_PRICED_NOUN = re.compile(
    r"\s+(?:(?:late|monthly|one-time|roaming|service|activation|international|outage|extra"
    r"|account|goodwill|annual|daily|weekly)\s+)?"
    r"(?:credit|fee|charge|refund|adjustment|payment|discount|waiver|deposit|bill|plan|bundle"
    r"|top-up|voucher|bonus|rebate|add-on|surcharge)s?\b",
    re.IGNORECASE,
)


def amounts_spoken(text: str) -> str:
    return _AMOUNT.sub(_amount_words, text)


def _amount_words(match: re.Match[str]) -> str:
    cents = int(match["whole"].replace(",", "")) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    before_a_noun = _PRICED_NOUN.match(match.string, match.end()) is not None
    words = money_as_modifier(cents) if before_a_noun else money_words(cents)
    sign = match["sign"] or match["minus"]
    if sign == "+":
        return f"plus {words}"
    return f"minus {words}" if sign else words


# -- dates and times

_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?![\w])(?:(?:,\s*|\s+)(\d{{4}})(?![\d]))?"
)
_DAY_MONTH = re.compile(
    # "the 1st of May" is "May first": the article belongs to the day, not the month.
    rf"(?:\b[Tt]he\s+)?(?<![\w.,])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?"
    r"(?:,?\s+(\d{4})(?!\d))?"
)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,?\s+((?:19|20)\d\d)(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_CLOCK = re.compile(
    r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?(?![\d:])"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?(?![A-Za-z]))?"
)
_HOUR = re.compile(r"(?<![\d:.])(1[0-2]|0?[1-9])\s?([AaPp])\.?[Mm]\.?(?![A-Za-z])")


def dates_spoken(text: str) -> str:
    text = _ISO_DATE.sub(lambda m: _date_words(m[1], m[2], m[3]) or m.group(), text)
    text = _MONTH_DAY.sub(lambda m: _date_words(m[3], m[1], m[2]) or m.group(), text)
    text = _DAY_MONTH.sub(lambda m: _date_words(m[3], m[2], m[1]) or m.group(), text)
    text = _MONTH_YEAR.sub(lambda m: f"{_month_name(m[1])} {year_words(int(m[2]))}", text)
    return _NUMERIC_DATE.sub(_numeric_date_words, text)


def _numeric_date_words(match: re.Match[str]) -> str:
    year = match[3]
    if year is not None and len(year) == 2:
        year = f"20{year}"
    return _date_words(year, match[1], match[2]) or match.group()


def _date_words(year: str | None, month: str, day: str) -> str | None:
    """The date said aloud ("December twelfth, twenty twenty-six"); None if there is no such day."""
    month_number = int(month) if month.isdigit() else _MONTH_NUMBERS[month]
    try:
        date(int(year) if year else 2000, month_number, int(day))  # 2000 has a February 29
    except ValueError:
        return None
    words = f"{_MONTHS[month_number - 1]} {ordinal_words(int(day))}"
    return f"{words}, {year_words(int(year))}" if year else words


def _month_name(month: str) -> str:
    return _MONTHS[_MONTH_NUMBERS[month] - 1]


def times_spoken(text: str) -> str:
    text = _CLOCK.sub(_clock_words, text)
    return _HOUR.sub(lambda m: f"{number_words(int(m[1]))} {_meridiem(m[2])}", text)


def _clock_words(match: re.Match[str]) -> str:
    hour, minute, meridiem = int(match[1]), int(match[2]), match[3]
    if minute == 0 and not meridiem:
        # "ten o'clock", but a twenty-four hour time is "fourteen hundred".
        after = "o'clock" if 1 <= hour <= 12 else "hundred"
    elif minute == 0:
        after = _meridiem(meridiem)
    else:
        after = f"oh {number_words(minute)}" if minute < 10 else number_words(minute)
        after += f" {_meridiem(meridiem)}" if meridiem else ""
    return f"{number_words(hour)} {after}"


def _meridiem(letter: str) -> str:
    return "a.m." if letter.lower() == "a" else "p.m."


# -- other numbers

_ORDINAL = re.compile(r"(?<![\w])(\d{1,9})(?:st|nd|rd|th)(?![\w])", re.IGNORECASE)
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?%")
_AROUND_THE_CLOCK = re.compile(r"(?<![\d/])24\s?[/x]\s?7(?![\d/])")
_RANGE = re.compile(r"(?<![\w.,-])(\d{1,3})\s?[-–]\s?(\d{1,3})(?![\d]|[-–]\d)")
_SIGNED = re.compile(r"(?<![\w.])([+\-−])(?=\d)")
_DECIMAL = re.compile(r"(?<![\d.,])\d+(?:\.\d+)+(?!\d)")
_YEAR_AFTER = re.compile(
    r"\b(in|of|since|until|till|by|from|to|through|during|before|after|year)\s+((?:19|20)\d\d)"
    r"(?![\d,.]\d)",
    re.IGNORECASE,
)
_GROUPED = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d]|,\d)")
_INTEGER = re.compile(r"\d+")


def ordinals_spoken(text: str) -> str:
    return _ORDINAL.sub(lambda m: ordinal_words(int(m[1])), text)


def percentages_spoken(text: str) -> str:
    return _PERCENT.sub(lambda m: f"{_decimal_words(m[1])} percent", text)


def numbers_spoken(text: str) -> str:
    text = _AROUND_THE_CLOCK.sub("twenty-four seven", text)
    text = _RANGE.sub(lambda m: f"{_integer_words(m[1])} to {_integer_words(m[2])}", text)
    text = _SIGNED.sub(lambda m: "plus " if m[1] == "+" else "minus ", text)
    text = _DECIMAL.sub(lambda m: _decimal_words(m.group()), text)
    text = _YEAR_AFTER.sub(_year_after_words, text)
    text = _GROUPED.sub(lambda m: _quantity_words(m.group().replace(",", "")), text)
    return _INTEGER.sub(_integer_in_place, text)


def _decimal_words(number: str) -> str:
    whole, *fractions = number.split(".")
    return " point ".join([_quantity_words(whole), *map(digits_spoken, fractions)])


def _integer_words(digits: str) -> str:
    """Bare digits: a count in words, but four or more (an account number, a PIN, a code) or a
    leading zero mean an identifier, read digit by digit."""
    if len(digits) >= 4 or (digits.startswith("0") and len(digits) > 1):
        return digits_spoken(digits)
    return number_words(int(digits))


def _quantity_words(digits: str) -> str:
    """Digits written as an amount ("1,000", "2.5"): in words, unless too long to be one."""
    if len(digits) > _LONGEST_QUANTITY or (digits.startswith("0") and len(digits) > 1):
        return digits_spoken(digits)
    return number_words(int(digits))


def _year_after_words(match: re.Match[str]) -> str:
    # "card ending in 2019" is four digits of a card, not a year.
    if re.search(r"\b(?:ending|ends|ended)\s+$", match.string[: match.start()], re.IGNORECASE):
        return match.group()
    return f"{match[1]} {year_words(int(match[2]))}"


def _integer_in_place(match: re.Match[str]) -> str:
    words = _integer_words(match.group())
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    # "5GB", "Q4", "x.0": digits glued to their neighbours; their words must not be (a hyphen
    # stays: "4-digit" is "four-digit").
    return f"{_gap(before)}{words}{_gap(after)}"


def _gap(neighbour: str) -> str:
    return "" if not neighbour or neighbour.isspace() or neighbour == "-" else " "
