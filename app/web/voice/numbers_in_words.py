"""Numbers in English words, for the phone line: counts, ordinals, dollars, digits, years.

Pure (stdlib only). US English: no "and" inside a number ("one hundred twelve"), dollars and cents.
"""

from __future__ import annotations

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def number_words(n: int) -> str:
    """An integer in words, US style: 1234 -> "one thousand two hundred thirty-four"."""
    if n < 0:
        return f"minus {number_words(-n)}"
    if n < 1000:
        return _below_thousand(n)
    parts = []
    for value, name in _SCALES:
        if n >= value:
            count, n = divmod(n, value)
            parts.append(f"{number_words(count)} {name}")
    if n:
        parts.append(_below_thousand(n))
    return " ".join(parts)


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_hundred(rest)
    head = f"{_ONES[hundreds]} hundred"
    return f"{head} {_below_hundred(rest)}" if rest else head


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return f"{_TENS[tens]}-{_ONES[ones]}" if ones else _TENS[tens]


def ordinal_words(n: int) -> str:
    """An integer as an ordinal: 1 -> "first", 12 -> "twelfth", 21 -> "twenty-first"."""
    words = number_words(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    return words[:cut] + _ordinal_of_word(words[cut:])


def _ordinal_of_word(word: str) -> str:
    if word in _IRREGULAR_ORDINALS:
        return _IRREGULAR_ORDINALS[word]
    if word.endswith("y"):
        return f"{word[:-1]}ieth"
    return f"{word}th"


def money_words(cents: int) -> str:
    """Dollars and cents in words: 11240 -> "one hundred twelve dollars and forty cents"."""
    if cents < 0:
        return f"minus {money_words(-cents)}"
    dollars, rest = divmod(cents, 100)
    dollar_words = _counted(dollars, "dollar", "dollars")
    if not rest:
        return dollar_words
    cent_words = _counted(rest, "cent", "cents")
    return f"{dollar_words} and {cent_words}" if dollars else cent_words


def money_as_modifier(cents: int) -> str:
    """An amount before a noun, where English keeps the unit singular: "a five dollar credit"."""
    if cents < 0:
        return f"minus {money_as_modifier(-cents)}"
    dollars, rest = divmod(cents, 100)
    if not rest:
        return f"{number_words(dollars)} dollar"
    if not dollars:
        return f"{number_words(rest)} cent"
    return f"{number_words(dollars)} dollar and {number_words(rest)} cent"


def _counted(count: int, one: str, many: str) -> str:
    return f"{number_words(count)} {one if count == 1 else many}"


def digits_spoken(digits: str) -> str:
    """Each digit on its own, zero as "zero": "4321" -> "four three two one"."""
    if not all(character.isdecimal() for character in digits):
        raise ValueError(f"not only digits: {digits!r}")
    return " ".join(_ONES[int(digit)] for digit in digits)


def year_words(year: int) -> str:
    """How a year is said: 2006 "two thousand six", 2026 "twenty twenty-six", 1905 "nineteen oh
    five"."""
    century, rest = divmod(year, 100)
    if not 1000 <= year <= 9999 or 2000 <= year <= 2009:
        return number_words(year)
    if not rest:
        return f"{number_words(century)} hundred"
    if rest < 10:
        return f"{number_words(century)} oh {number_words(rest)}"
    return f"{number_words(century)} {number_words(rest)}"
