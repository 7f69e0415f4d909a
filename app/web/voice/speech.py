"""The bot's chat replies rewritten for the ear: what the phone line gives Polly's ``<Say>``.

Replies are written for a screen: markdown, emoji, links, ``$112.40``, ``December 12``,
``KM-7F3A21``, ``+1 555 010 7000``, ``24/7``. Polly reads symbols aloud or skips them unpredictably
and has no currency say-as, so :func:`for_the_ear` turns all of it into plain words and sentences:
amounts in dollars and cents, dates with ordinal days and spoken years, phone numbers and
references digit by digit in their groups, links as "our website", and markdown, emoji and other
symbols dropped or turned into the pauses (commas and full stops) they stand for. What it returns
holds no digit and none of ``$ % & * _ # ~ | < > [ ] { } ( ) " ` / \\ + = @ ^ :``.

Numbers in words are in app/web/voice/numbers_in_words.py, the figures of a sentence (amounts,
dates, times, other numbers) in app/web/voice/spoken_figures.py; :func:`spoken_choices` reads out
the buttons of a reply.

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

from app.web.voice.numbers_in_words import digits_spoken, number_words
from app.web.voice.spoken_figures import (
    amounts_spoken,
    dates_spoken,
    numbers_spoken,
    ordinals_spoken,
    percentages_spoken,
    times_spoken,
)

MAX_CHOICES = 9  # one key each on the phone's keypad


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
    return " ".join(digits_spoken(c) if c.isdigit() else c for c in group)


# -- operators


def _operators_as_words(text: str) -> str:
    # "3 days x $10.00" is a count at a price; "3 x 4" is a product; "#2" is a number two;
    # "Mon–Fri" and "8am–8pm" are spans (a spaced dash is only a pause, read later).
    text = re.sub(r"(?<=[^\W_])–(?=[^\W_])", " to ", text)
    text = re.sub(r"(?<=[\w)])\s+[x×]\s+(?=[+\-−]?\$)", " at ", text)
    text = re.sub(r"(?<=\d)\s*[x×]\s*(?=\d)", " times ", text)
    text = re.sub(r"#(?=\d)", " number ", text)
    return text.replace("×", " times ")


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
    amounts_spoken,
    dates_spoken,
    times_spoken,
    percentages_spoken,
    ordinals_spoken,
    numbers_spoken,
    _symbols_as_punctuation,
    _only_speakable,
    _tidy,
)
