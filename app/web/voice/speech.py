"""The bot's chat replies rewritten for the ear: what the phone line gives Polly's ``<Say>``.

Replies are written for a screen: markdown, emoji, links, ``$112.40``, ``December 12``,
``KM-7F3A21``, ``+1 555 010 7000``, ``24/7``. Polly reads symbols aloud or skips them unpredictably
and has no currency say-as, so :func:`for_the_ear` turns all of it into plain words and sentences:
amounts in dollars and cents, dates with ordinal days and spoken years, phone numbers and
references digit by digit in their groups, links as "our website", and markdown, emoji and other
symbols dropped or turned into the pauses (commas and full stops) they stand for. What it returns
holds no digit and none of ``$ % & * _ # ~ | < > [ ] { } ( ) " ` / \\ + = @ ^ :``.

The helpers it is built from are public too: :func:`number_words`, :func:`ordinal_words`,
:func:`money_words`, :func:`digits_spoken`, and :func:`spoken_choices` for the buttons of a reply.

Pure: stdlib only, no I/O. It speaks US English and US dollars only: other currency symbols are
left as they are, and ``12/20`` is read month first. It does not write SSML, and it cannot tell an
unusual word from a domain name (``file.txt`` becomes "our website") or a four-digit year from a
code outside the few phrasings it knows ("in 2026", "December 12, 2026"): those are read digit by
digit, which is never wrong, only slower.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

MAX_CHOICES = 9  # one key each on the phone's keypad

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


def _money_as_modifier(cents: int) -> str:
    """An amount before a noun, where English keeps the unit singular: "a five dollar credit"."""
    if cents < 0:
        return f"minus {_money_as_modifier(-cents)}"
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


def spoken_choices(titles: list[str]) -> str:
    """The buttons of a reply read out with their keys: "Say yes, or press one. Say no, ..."."""
    if len(titles) > MAX_CHOICES:
        raise ValueError(f"{len(titles)} choices; a keypad has keys for {MAX_CHOICES}")
    return " ".join(_choice(key, title) for key, title in enumerate(titles, start=1))


def _choice(key: int, title: str) -> str:
    words = _title_as_words(title)
    press = f"press {number_words(key)}."
    return f"Say {words}, or {press}" if words else press.capitalize()


def _title_as_words(title: str) -> str:
    # The title sits inside our sentence, so its own sentence breaks become pauses.
    words = re.sub(r"[.?!]+$", "", for_the_ear(title))
    words = re.sub(r"\s*[.?!]+\s*", ", ", words).lower()
    return re.sub(r"(?<![\w'-])i(?=$|[\s,]|'(?:m|ve|d|ll)\b)", "I", words)


# --- for_the_ear, one step at a time -------------------------------------------------------------


def for_the_ear(text: str) -> str:
    """A chat reply as plain spoken sentences; "" when nothing in it can be said."""
    spoken = text
    for step in _STEPS:
        spoken = step(spoken)
    return spoken


# -- characters that are not text

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'"})
# Emoji, pictographs and their glue: symbols, modifiers (skin tones), surrogates, private use,
# enclosing keycaps, and code points newer than this Python's Unicode table.
_PICTOGRAPH_CATEGORIES = {"So", "Sk", "Cs", "Co", "Me", "Cn"}


def _without_pictographs(text: str) -> str:
    return "".join(_outside_pictographs(character) for character in text.translate(_APOSTROPHES))


def _outside_pictographs(character: str) -> str:
    category = unicodedata.category(character)
    if category == "Cf" or _is_variation_selector(character):
        return ""  # zero-width joiners and selectors glue an emoji; they are not gaps in a word
    return " " if category in _PICTOGRAPH_CATEGORIES else character


def _is_variation_selector(character: str) -> bool:
    point = ord(character)
    return 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF


# -- markdown and lines

_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*[^)\s]*(?:\s+\"[^\"]*\")?\s*\)")
_LINE_MARKER = re.compile(r"^(?:>\s*)*(?:#{1,6}\s+|[-*+]\s+|\d{1,2}[.)]\s+|[•·▪‣◦]\s*)?")
_ALPHANUMERIC = re.compile(r"[^\W_]")
_ENDED = re.compile(r"[.?!][\"')\]*_`~]*$")


def _without_markdown_links(text: str) -> str:
    return _MARKDOWN_LINK.sub(lambda m: m.group(1).strip() or "our website", text)


def _as_sentences(text: str) -> str:
    """Each line is a sentence on the phone: a list or a heading has no other pause."""
    lines = [_LINE_MARKER.sub("", line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if _ALPHANUMERIC.search(line)]
    return " ".join([*(_ended(line) for line in lines[:-1]), *lines[-1:]])


def _ended(line: str) -> str:
    if _ENDED.search(line):
        return line
    return re.sub(r"[:;,]?$", ".", line, count=1)


# -- addresses

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'()\[\]]+"
    r"|(?<![\w@./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[a-z]{2,24}(?![\w-])"
    r"(?:/[^\s<>\"'()\[\]]*)?"
)
_TRAILING_PUNCTUATION = ".,;:!?"


def _addresses_as_words(text: str) -> str:
    text = _EMAIL.sub(lambda m: _email_words(m.group()), text)
    return _URL.sub(_website, text)


def _email_words(address: str) -> str:
    # Said the way people dictate one; the domain's dots must not become full stops.
    return address.replace("@", " at ").replace(".", " dot ").replace("+", " plus ")


def _website(match: re.Match[str]) -> str:
    # A caller cannot click or copy a link; the sentence's own punctuation stays.
    address = match.group()
    return "our website" + address[len(address.rstrip(_TRAILING_PUNCTUATION)) :]


# -- phone numbers and references: spoken in their groups, digit by digit

_PHONE = re.compile(
    r"(?<![\w+$.,])(?:"
    r"\+\d{1,3}(?:[ .-]\(?\d{1,4}\)?){2,5}"  # +1 555 010 7000, +44 20 7946 0958
    r"|\+\d{8,15}"  # +15550107100
    r"|(?:1[ .-])?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}"  # 555-010-7000, (555) 010-7000
    r"|\d{3}-\d{4}"  # 010-7000
    r")(?![\w])"
)
_REFERENCE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?![\w-])")


def _phone_numbers_spoken(text: str) -> str:
    return _PHONE.sub(lambda m: ", ".join(map(digits_spoken, _phone_groups(m.group()))), text)


def _phone_groups(number: str) -> list[str]:
    groups = re.findall(r"\d+", number)
    return _chunked(groups[0]) if len(groups) == 1 else groups


def _chunked(digits: str) -> list[str]:
    """Ungrouped digits the way a number is read: the last four, then threes (1 555 010 7100)."""
    groups = [digits[-4:]]
    rest = digits[:-4]
    while rest:
        groups.insert(0, rest[-3:])
        rest = rest[:-3]
    return groups


def _references_spelled(text: str) -> str:
    return _REFERENCE.sub(_reference_words, text)


def _reference_words(match: re.Match[str]) -> str:
    reference = match.group()
    if not any(character.isdigit() for character in reference):
        return reference  # an upper-case compound word, not an identifier
    return ", ".join(_spelled(group) for group in reference.split("-"))


def _spelled(group: str) -> str:
    return " ".join(_ONES[int(c)] if c.isdigit() else c for c in group)


# -- operators


def _operators_as_words(text: str) -> str:
    # "3 days x $10.00" is a count at a price; "3 x 4" is a product; "#2" is a number two;
    # "Mon–Fri" and "8am–8pm" are spans (a spaced dash is only a pause, read later).
    text = re.sub(r"(?<=[^\W_])–(?=[^\W_])", " to ", text)
    text = re.sub(r"(?<=[\w)])\s+[x×]\s+(?=[+\-−]?\$)", " at ", text)
    text = re.sub(r"(?<=\d)\s*[x×]\s*(?=\d)", " times ", text)
    text = re.sub(r"#(?=\d)", " number ", text)
    return text.replace("×", " times ")


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


def _amounts_spoken(text: str) -> str:
    return _AMOUNT.sub(_amount_words, text)


def _amount_words(match: re.Match[str]) -> str:
    cents = int(match["whole"].replace(",", "")) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    before_a_noun = _PRICED_NOUN.match(match.string, match.end()) is not None
    words = _money_as_modifier(cents) if before_a_noun else money_words(cents)
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


def _dates_spoken(text: str) -> str:
    text = _ISO_DATE.sub(lambda m: _date_words(m[1], m[2], m[3]) or m.group(), text)
    text = _MONTH_DAY.sub(lambda m: _date_words(m[3], m[1], m[2]) or m.group(), text)
    text = _DAY_MONTH.sub(lambda m: _date_words(m[3], m[2], m[1]) or m.group(), text)
    text = _MONTH_YEAR.sub(lambda m: f"{_month_name(m[1])} {_year_words(int(m[2]))}", text)
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
    return f"{words}, {_year_words(int(year))}" if year else words


def _month_name(month: str) -> str:
    return _MONTHS[_MONTH_NUMBERS[month] - 1]


def _year_words(year: int) -> str:
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


def _times_spoken(text: str) -> str:
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
        after = f"oh {_ONES[minute]}" if minute < 10 else number_words(minute)
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


def _ordinals_spoken(text: str) -> str:
    return _ORDINAL.sub(lambda m: ordinal_words(int(m[1])), text)


def _percentages_spoken(text: str) -> str:
    return _PERCENT.sub(lambda m: f"{_decimal_words(m[1])} percent", text)


def _numbers_spoken(text: str) -> str:
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
    return f"{match[1]} {_year_words(int(match[2]))}"


def _integer_in_place(match: re.Match[str]) -> str:
    words = _integer_words(match.group())
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    # "5GB", "Q4", "x.0": digits glued to their neighbours; their words must not be (a hyphen
    # stays: "4-digit" is "four-digit").
    return f"{_gap(before)}{words}{_gap(after)}"


def _gap(neighbour: str) -> str:
    return "" if not neighbour or neighbour.isspace() or neighbour == "-" else " "


# -- symbols

_SYMBOL_PAUSES: tuple[tuple[str, str], ...] = (
    (r"\.{2,}|…", "."),
    (r"\s*[—―]\s*|\s+[–-]{1,2}\s+|(?<=\w)--(?=\w)", ", "),
    (r"\s*=+\s*", ", "),
    (r"\s*&\s*", " and "),
    (r"@", " at "),
    (r"\band\s*/\s*or\b", "and or"),
    (r"\s*/\s*", " or "),
    (r"\s*[()]\s*", ", "),
    (r"\s*[•·▪‣◦]\s*", ", "),
    (r"\s*:\s*", ", "),
    (r"\s+\+\s+", " plus "),
)


def _symbols_as_punctuation(text: str) -> str:
    for pattern, replacement in _SYMBOL_PAUSES:
        text = re.sub(pattern, replacement, text)
    # A semicolon joins two sentences; on the phone they are two.
    return re.sub(r"\s*;+\s*(\w?)", lambda m: f". {m[1].upper()}", text)


def _only_speakable(text: str) -> str:
    """Letters, spaces and the punctuation a voice pauses on; everything else is a gap."""
    kept = "".join(c if _is_speakable(c) else " " for c in text)
    kept = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", kept)  # quote marks, not apostrophes
    return re.sub(r"(?<![^\W\d_])-+|-+(?![^\W\d_])", " ", kept)  # dashes, not hyphens


def _is_speakable(character: str) -> bool:
    return (
        character.isalpha()
        or character.isspace()
        or character in ".,?!'-"
        or unicodedata.category(character) in {"Mn", "Mc"}
    )


_TIDY: tuple[tuple[str, str], ...] = (
    (r"\s+", " "),
    (r" (?=[,.?!])", ""),
    (r"([,.?!])\1+", r"\1"),
    (r",(?=[.?!])", ""),
    (r"(?<=[.?!])(?<![ap]\.m\.),", ""),  # "at ten a.m., or" keeps its pause
    (r"\.(?=[?!])|(?<=[?!])\.", ""),
    (r"([,?!])(?=[^\W\d_])", r"\1 "),
    (r"(?<=[^\W\d_]{2})\.(?=[^\W\d_])", ". "),  # glued sentences, but not "a.m." or "e.g."
    (r"^[ ,.?!]+", ""),
)


def _tidy(text: str) -> str:
    previous = None
    while text != previous:
        previous = text
        for pattern, replacement in _TIDY:
            text = re.sub(pattern, replacement, text)
    text = text.strip()
    return text if _ALPHANUMERIC.search(text) else ""


_STEPS: tuple[Callable[[str], str], ...] = (
    _without_pictographs,
    _without_markdown_links,
    _as_sentences,
    _addresses_as_words,
    _phone_numbers_spoken,
    _references_spelled,
    _operators_as_words,
    _amounts_spoken,
    _dates_spoken,
    _times_spoken,
    _percentages_spoken,
    _ordinals_spoken,
    _numbers_spoken,
    _symbols_as_punctuation,
    _only_speakable,
    _tidy,
)
