"""Masking personal data before anything reaches a model, and restoring it for the customer only.

``Masker(known)`` replaces, in this order:
  card numbers   13-19 digits (spaces or dashes allowed) passing the Luhn check -> ``[CARD]``
  PINs           4 digits next to the word "pin" ("pin 4321", "4321 is my PIN") -> ``[PIN]``
  known values   the verified customer's name (full, first, last), phone, account number,
                 email and address, passed in by the caller -> ``[NAME_1]``, ``[PHONE_1]``, ...
  emails         anything shaped like ``local@domain.tld`` -> ``[EMAIL_n]``
  phone numbers  10 to 15 digits in any grouping (``+1 (555) 010-0001``, ``555.010.0001``)
  account nums   5 to 12 digits right after "account", "acct", "a/c", "customer number"
  addresses      a house number, up to four capitalised words and a street suffix (St, Ave ...)
  names          capitalised words after "my name is", "I am", "I'm", "this is", "call me"

Cards and PINs are never kept: their placeholder has no number and nothing can restore them.
Everything else is restorable with ``unmask``, which is meant for the final customer-facing text
only; prompts, records and agent views keep the placeholders.

What it cannot catch (by design of a pattern masker; there is no NER model offline):
  - names of other people not introduced by a phrase above ("tell David I said hi"), nicknames,
    misspellings of the customer's name, names written in lower case in a sentence;
  - addresses without a house number or street suffix, PO boxes, non-US formats, ZIP codes alone;
  - numbers spelled out in words ("four three two one" as a PIN, a phone said digit by digit),
    a PIN not next to the word "pin", card numbers split across messages or failing Luhn;
  - account numbers of other formats not next to the word "account", IBANs, passport numbers;
  - personal data in other languages' phrasing, inside images or attachments, or encoded
    (base64, leetspeak, one character per line);
  - indirect identifiers (birthday, employer, a rare plan combined with a city).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

CARD = "[CARD]"
PIN = "[PIN]"
_PLACEHOLDER = re.compile(r"\[(?:[A-Z]+_\d+|CARD|PIN)\]")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_PIN_AFTER = re.compile(r"(\bpin\b(?:\s*(?:code|number|no\.?))?\s*(?:is|=|:|#)?\s*)(\d{4})\b", re.I)
_PIN_BEFORE = re.compile(r"\b(\d{4})(\s+(?:is|as)\s+(?:my|the)\s+pin\b)", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w$.,])\+?\(?\d[\d\s().-]{8,20}\d(?![\d])")
_ACCOUNT = re.compile(
    r"(\b(?:account|acct|a/c|customer)(?:\s+(?:number|no\.?|num|#|id))?\s*(?:is|:|#)?\s*)"
    r"(\d{5,12})\b",
    re.I,
)
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Parkway|Pkwy|Highway|Hwy)\.?"
)
_ADDRESS = re.compile(r"\b\d{1,6}\s+(?:[A-Z][\w'-]*\s+){1,4}" + _STREET + r"(?!\w)")
_NAME_INTRO = re.compile(
    r"(\b(?:my name is|name's|i am|i'm|this is|call me)\s+)"
    r"([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2})",
    re.I,
)
_NOT_NAMES = frozenset(
    {"not", "so", "very", "a", "an", "the", "here", "calling", "trying", "just", "really"}
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class KnownPii(BaseModel):
    """What we know about the verified customer, to mask wherever it appears."""

    model_config = ConfigDict(frozen=True)

    names: tuple[str, ...] = ()  # full names; first and last names are derived
    phones: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    """Any grouping of the last 10 digits, with or without the country code."""
    digits = _digits(phone)[-10:]
    if len(digits) < 7:
        return None
    body = r"[\s().-]*".join(digits)
    return re.compile(r"(?<!\d)(?:\+?\d{1,3}[\s().-]*)?\(?" + body + r"(?!\d)")


class Masker:
    """Masks one customer's text; remembers what each placeholder stands for."""

    def __init__(self, known: KnownPii | None = None) -> None:
        self._known = known or KnownPii()
        self._originals: dict[str, str] = {}  # placeholder -> original
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, normalised) -> placeholder
        self._counts: dict[str, int] = {}
        self._known_rules = self._build_known_rules()

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self._originals)

    def _placeholder(self, kind: str, original: str, key: str | None = None) -> str:
        normalised = (kind, (key if key is not None else original).lower())
        if normalised not in self._placeholders:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{self._counts[kind]}]"
            self._placeholders[normalised] = placeholder
            self._originals[placeholder] = original
        return self._placeholders[normalised]

    def _build_known_rules(self) -> list[tuple[str, re.Pattern[str], Callable[[str], str]]]:
        rules: list[tuple[str, re.Pattern[str], Callable[[str], str]]] = []
        for name in sorted(self._known.names, key=len, reverse=True):
            rules.append(("NAME", re.compile(rf"\b{re.escape(name)}\b", re.I), str.lower))
        parts = {p for n in self._known.names for p in n.split() if len(p) > 1}
        for part in sorted(parts, key=len, reverse=True):
            rules.append(("NAME", re.compile(rf"\b{re.escape(part)}\b"), str.lower))
        for phone in self._known.phones:
            pattern = _phone_pattern(phone)
            if pattern is not None:
                rules.append(("PHONE", pattern, lambda s: _digits(s)[-10:]))
        for account in self._known.account_ids:
            rules.append(("ACCOUNT", re.compile(rf"(?<!\d){re.escape(account)}(?!\d)"), _digits))
        for email in self._known.emails:
            rules.append(("EMAIL", re.compile(re.escape(email), re.I), str.lower))
        for address in self._known.addresses:
            rules.append(("ADDRESS", re.compile(re.escape(address), re.I), str.lower))
        return rules

    def mask(self, text: str) -> str:
        text = _CARD.sub(lambda m: CARD if luhn_ok(_digits(m.group())) else m.group(), text)
        text = _PIN_AFTER.sub(lambda m: m.group(1) + PIN, text)
        text = _PIN_BEFORE.sub(lambda m: PIN + m.group(2), text)
        for kind, pattern, key in self._known_rules:
            text = pattern.sub(
                lambda m, k=kind, f=key: self._placeholder(k, m.group(), f(m.group())),  # type: ignore[misc]
                text,
            )
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group()), text)
        text = _ACCOUNT.sub(lambda m: m.group(1) + self._placeholder("ACCOUNT", m.group(2)), text)
        text = _PHONE.sub(self._phone, text)
        text = _ADDRESS.sub(lambda m: self._placeholder("ADDRESS", m.group()), text)
        return _NAME_INTRO.sub(self._introduced_name, text)

    def _phone(self, match: re.Match[str]) -> str:
        digits = _digits(match.group())
        if not 10 <= len(digits) <= 15:
            return match.group()
        return self._placeholder("PHONE", match.group(), digits[-10:])

    def _introduced_name(self, match: re.Match[str]) -> str:
        words = match.group(2).split()
        kept = []
        for word in words:
            if word.lower() in _NOT_NAMES or not word[0].isupper():
                break
            kept.append(word)
        if not kept:
            return match.group()
        name = " ".join(kept)
        rest = match.group(2)[len(name) :]
        return match.group(1) + self._placeholder("NAME", name) + rest

    def unmask(self, text: str) -> str:
        """Restore the placeholders this masker made (cards and PINs stay masked)."""
        return _PLACEHOLDER.sub(lambda m: self._originals.get(m.group(), m.group()), text)


def unknown_placeholders(text: str, masker: Masker) -> list[str]:
    """Placeholders in ``text`` that this masker never made (a model inventing identities)."""
    allowed = masker.placeholders | {CARD, PIN}
    return [p for p in _PLACEHOLDER.findall(text) if p not in allowed]
