"""What people type or speech-to-text writes: number words, durations, dates.

Pure parsing (stdlib only). It reads digits said one by one ("four three two one", "oh" for 0),
small counts ("two weeks", "thirty days", "twenty one days") and dates ("until the 15th",
"december 20", "12/20"). It does not read ordinals in words ("the fifteenth") or relative days
("next friday").
"""

from __future__ import annotations

import re
from datetime import date, timedelta

DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "couple": 2,
}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
FILLERS = {"of", "more", "extra", "additional", "another", "uh", "um", "like"}
_WORD = re.compile(r"[a-z]+|\d+|[^\sa-z\d]")


def digits_from_words(text: str) -> str:
    """Replace digit words with digits ("four three two one" -> "4321"), keep everything else."""
    out = []
    for token in _WORD.findall(text.lower()):
        out.append(DIGIT_WORDS.get(token, token if token.isdigit() else " "))
    return re.sub(r"(?<=\d) +(?=\d)", "", " ".join(out)).strip()


def _count(words: list[str]) -> int | None:
    """A small number from its last words: "14", "fourteen", "twenty one", "two", "a"."""
    if not words:
        return None
    last = words[-1]
    if last.isdigit():
        return int(last)
    if last in TEENS:
        return TEENS[last]
    if last in TENS:
        return TENS[last]
    if last in UNITS:
        if len(words) > 1 and words[-2] in TENS:
            return TENS[words[-2]] + UNITS[last]
        return UNITS[last]
    return None


def parse_days(text: str) -> int | None:
    """A duration in days: "two weeks" -> 14, "30 days" -> 30, "a month" -> 30."""
    words = [
        w for w in re.findall(r"[a-z]+|\d+", text.lower().replace("-", " ")) if w not in FILLERS
    ]
    for index, word in enumerate(words):
        unit = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}.get(word)
        if unit is None:
            continue
        count = _count(words[max(0, index - 2) : index])
        if count is None and index > 0 and words[index - 1] in ("couple", "few"):
            count = 2 if words[index - 1] == "couple" else 3
        if count is not None:
            return count * unit
    return None


def parse_date(text: str, after: date) -> date | None:
    """The first date mentioned, taken as the next such date on or after ``after``."""
    lowered = text.lower()
    month_day = re.search(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", lowered)
    day_month = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\b", lowered)
    numeric = re.search(r"\b(\d{1,2})/(\d{1,2})\b", lowered)
    day_only = re.search(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b", lowered)
    if month_day and month_day.group(1) in MONTHS:
        return _next(after, MONTHS[month_day.group(1)], int(month_day.group(2)))
    if day_month and day_month.group(2) in MONTHS:
        return _next(after, MONTHS[day_month.group(2)], int(day_month.group(1)))
    if numeric:
        return _next(after, int(numeric.group(1)), int(numeric.group(2)))
    if day_only:
        return _next_day_of_month(after, int(day_only.group(1)))
    return None


def _next(after: date, month: int, day: int) -> date | None:
    for year in (after.year, after.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= after:
            return candidate
    return None


def _next_day_of_month(after: date, day: int) -> date | None:
    cursor = after.replace(day=1)
    for _ in range(3):
        try:
            candidate = cursor.replace(day=day)
        except ValueError:
            candidate = None
        if candidate and candidate >= after:
            return candidate
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return None


def extension_days(text: str, due: date) -> int | None:
    """Days past ``due`` the customer asks for, from a duration or a target date."""
    days = parse_days(text)
    if days is not None:
        return days
    target = parse_date(text, due)
    return (target - due).days if target else None
