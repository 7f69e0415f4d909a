"""The verifier: every figure a model writes must come from the facts; nothing may be promised.

``verify(text, facts)`` extracts every amount ($12.34, 12.34 dollars, "five dollars", 40 cents),
percentage (12%, 12 percent), date (2026-11-20, Nov 20, 20 November 2026, 11/20, "the 20th"),
count ("4 days", "two charges") and any other number left over, and checks each is in the
facts or exactly derivable from them: the sum or difference of two fact amounts, a quantity
times its unit price, a percentage change between a bill and the previous one (total or line).
It also rejects any clause that promises a credit, refund, waiver or extension of a kind the
policy outcome did not decide.

It is deliberately strict: a false rejection costs only warmth (the deterministic wording is
used), a false acceptance costs a complaint. Number words that are not followed by "dollars",
"cents" or a count noun ("one of your lines") are not checked.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import combinations_with_replacement

from pydantic import BaseModel, ConfigDict

from domain.number_words import RUN, words_to_int

CREDIT, WAIVER, EXTENSION = "credit", "waiver", "extension"


class GroundingFacts(BaseModel):
    """The figures a text may use. Amounts in cents, always as absolute values."""

    model_config = ConfigDict(frozen=True)

    amounts_cents: frozenset[int] = frozenset()
    unit_prices: tuple[tuple[int, int], ...] = ()  # (quantity, unit_cents)
    counts: frozenset[int] = frozenset()
    dates: frozenset[date] = frozenset()
    percentages: frozenset[Decimal] = frozenset()
    ratio_pairs: tuple[tuple[int, int], ...] = ()  # (now, before): "up 12%" may be derived
    identifiers: tuple[str, ...] = ()  # ids as written in the prompt (bill ids, incident ids)
    allowed_promises: frozenset[str] = frozenset()  # CREDIT, WAIVER, EXTENSION

    def derivable_amounts(self) -> frozenset[int]:
        base = {abs(a) for a in self.amounts_cents} | {q * u for q, u in self.unit_prices}
        base |= {u for _, u in self.unit_prices}
        derived = set(base) | {0}
        for a, b in combinations_with_replacement(sorted(base), 2):
            derived.add(a + b)
            derived.add(abs(a - b))
        return frozenset(derived)

    def allowed_counts(self) -> frozenset[int]:
        return self.counts | {q for q, _ in self.unit_prices} | {0, 1}


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    reasons: tuple[str, ...] = ()


_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_AMOUNT_PATTERNS = (
    re.compile(r"(?:USD|US\$|\$)\s?" + _NUM + r"(?![\d%])", re.I),
    re.compile(_NUM + r"\s*(?:dollars?|usd|bucks)\b", re.I),
)
_DIGIT_CENTS = re.compile(r"\b(\d+)\s*cents?\b", re.I)
_WORD_DOLLARS = re.compile(rf"\b({RUN})\s+dollars?(?:\s+and\s+({RUN})\s+cents?)?\b", re.I)
_WORD_CENTS = re.compile(rf"\b({RUN})\s+cents?\b", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|per\s?cent\b)", re.I)
_WORD_PERCENT = re.compile(rf"\b({RUN})\s+per\s?cent\b", re.I)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b", re.I)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_COUNT_NOUN = (
    r"(days?|nights?|weeks?|months?|years?|hours?|minutes?|times?|charges?|lines?|items?|bills?|"
    r"copies|cop(?:y)|fees?|outages?|incidents?|credits?|sims?|phones?|devices?|messages?|texts?|"
    r"gb|mb|calls?)\b"
)
_DIGIT_COUNT = re.compile(
    r"\b(\d+)[\s-]+(?:full\s+|whole\s+|more\s+|extra\s+)?" + _COUNT_NOUN, re.I
)
_WORD_COUNT = re.compile(
    rf"\b({RUN})[\s-]+(?:full\s+|whole\s+|more\s+|extra\s+)?" + _COUNT_NOUN, re.I
)
_BARE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w])")
_PLACEHOLDER = re.compile(r"\[[A-Z]+(?:_\d+)?\]")
_PROMISES = {
    CREDIT: re.compile(
        r"\b(credit(?:s|ed|ing)?(?!\s+card)|refund\w*|reimburs\w*|compensat\w*|money back|"
        r"discount\w*|adjust(?:ment|ments|ed|ing)?|goodwill|revers(?:e|ed|al)|write[- ]?off|"
        r"pay (?:it|this|that) back|cancel(?:l?ed)? (?:the|that|this) charge)\b",
        re.I,
    ),
    WAIVER: re.compile(
        r"\b(waiv\w*|forgiv\w*|(?:remove|drop|delete)[ds]? (?:the|that|this|your) (?:late )?fee)",
        re.I,
    ),
    EXTENSION: re.compile(
        r"\b(extension|extend\w*|more time|postpon\w*|defer\w*|push(?:ed)? back|"
        r"(?:later|new) due date|move[ds]? (?:the|your) due date)\b",
        re.I,
    ),
}
_NEGATION = re.compile(
    r"\b(not|never|no|cannot|can't|won't|unable|isn't|aren't|don't|doesn't|didn't|"
    r"wasn't|weren't|haven't|hasn't)\b",
    re.I,
)
_CLAUSES = re.compile(r"[.!?;:,\n]+|\bbut\b", re.I)


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def _cents(whole: str, frac: str | None) -> int:
    return int(whole.replace(",", "")) * 100 + (int(frac.ljust(2, "0")) if frac else 0)


class _Checker:
    def __init__(self, facts: GroundingFacts) -> None:
        self.facts = facts
        self.amounts = facts.derivable_amounts()
        self.counts = facts.allowed_counts()
        self.reasons: list[str] = []

    def amount(self, cents: int, said: str) -> None:
        if cents not in self.amounts:
            self.reasons.append(f"amount not in the facts: {said.strip()!r}")

    def count(self, value: int, said: str) -> None:
        if value not in self.counts:
            self.reasons.append(f"count not in the facts: {said.strip()!r}")

    def date(self, month: int, day: int | None, year: int | None, said: str) -> None:
        if not any(
            d.month == month and (day is None or d.day == day) and (year is None or d.year == year)
            for d in self.facts.dates
        ):
            self.reasons.append(f"date not in the facts: {said.strip()!r}")

    def percentage(self, value: Decimal, said: str) -> None:
        if value in self.facts.percentages:
            return
        places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
        for now, before in self.facts.ratio_pairs:
            if not before:
                continue
            for ratio in (Fraction(now, before), Fraction(abs(now - before), before)):
                shown = round(Decimal(ratio.numerator * 100) / Decimal(ratio.denominator), places)
                if shown == value:
                    return
        self.reasons.append(f"percentage not derivable from the facts: {said.strip()!r}")


def _check_amounts(text: str, check: _Checker) -> str:
    for pattern in _AMOUNT_PATTERNS:
        for match in pattern.finditer(text):
            check.amount(_cents(match.group(1), match.group(2)), match.group())
            text = _blank(text, match)
    for match in _WORD_DOLLARS.finditer(text):
        dollars = words_to_int(match.group(1))
        cents = words_to_int(match.group(2)) if match.group(2) else 0
        if dollars is not None and cents is not None:
            check.amount(dollars * 100 + cents, match.group())
            text = _blank(text, match)
    for pattern in (_DIGIT_CENTS, _WORD_CENTS):
        for match in pattern.finditer(text):
            value = (
                int(match.group(1)) if match.group(1).isdigit() else words_to_int(match.group(1))
            )
            if value is not None:
                check.amount(value, match.group())
                text = _blank(text, match)
    return text


def _check_percentages(text: str, check: _Checker) -> str:
    for match in _PERCENT.finditer(text):
        check.percentage(Decimal(match.group(1)), match.group())
        text = _blank(text, match)
    for match in _WORD_PERCENT.finditer(text):
        value = words_to_int(match.group(1))
        if value is not None:
            check.percentage(Decimal(value), match.group())
            text = _blank(text, match)
    return text


def _year(value: str | None) -> int | None:
    if value is None:
        return None
    year = int(value)
    return year + 2000 if year < 100 else year


def _check_dates(text: str, check: _Checker) -> str:
    for match in _ISO.finditer(text):
        check.date(int(match.group(2)), int(match.group(3)), int(match.group(1)), match.group())
        text = _blank(text, match)
    for match in _MONTH_DAY.finditer(text):
        month = _MONTHS[match.group(1).lower()[:3]]
        check.date(month, int(match.group(2)), _year(match.group(3)), match.group())
        text = _blank(text, match)
    for match in _DAY_MONTH.finditer(text):
        month = _MONTHS[match.group(2).lower()[:3]]
        check.date(month, int(match.group(1)), _year(match.group(3)), match.group())
        text = _blank(text, match)
    for match in _MONTH_YEAR.finditer(text):
        check.date(_MONTHS[match.group(1).lower()[:3]], None, _year(match.group(2)), match.group())
        text = _blank(text, match)
    for match in _NUMERIC_DATE.finditer(text):
        month, day = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            check.date(month, day, _year(match.group(3)), match.group())
        else:
            check.reasons.append(f"date not in the facts: {match.group()!r}")
        text = _blank(text, match)
    for match in _ORDINAL.finditer(text):
        day = int(match.group(1))
        if not any(d.day == day for d in check.facts.dates):
            check.reasons.append(f"date not in the facts: {match.group()!r}")
        text = _blank(text, match)
    return text


def _check_counts(text: str, check: _Checker) -> str:
    for match in _DIGIT_COUNT.finditer(text):
        check.count(int(match.group(1)), match.group())
        text = _blank(text, match)
    for match in _WORD_COUNT.finditer(text):
        value = words_to_int(match.group(1))
        if value is not None and match.group(1).lower() not in ("a", "an"):
            check.count(value, match.group())
        text = _blank(text, match)
    years = {d.year for d in check.facts.dates}
    for match in _BARE.finditer(text):
        said = match.group(1)
        if "." in said:
            whole, frac = said.split(".", 1)
            check.amount(_cents(whole, frac[:2]) if len(frac) <= 2 else -1, said)
            continue
        value = int(said)
        if value in check.counts or value in years or value * 100 in check.amounts:
            continue
        check.reasons.append(f"number not in the facts: {said!r}")
    return text


def promises(text: str) -> list[tuple[str, str]]:
    """(kind, clause) for every clause that offers or states a credit, waiver or extension."""
    found = []
    for clause in _CLAUSES.split(text):
        for kind, pattern in _PROMISES.items():
            match = pattern.search(clause)
            if match and not _NEGATION.search(clause[: match.start()]):
                found.append((kind, clause.strip()))
    return found


def verify(text: str, facts: GroundingFacts, *, check_promises: bool = True) -> Verdict:
    """Pass only if every figure is grounded and nothing undecided is promised."""
    check = _Checker(facts)
    work = text
    for identifier in sorted(facts.identifiers, key=len, reverse=True):
        work = re.sub(re.escape(identifier), " ", work, flags=re.I)
    work = _PLACEHOLDER.sub(" ", work)
    work = _check_amounts(work, check)
    work = _check_percentages(work, check)
    work = _check_dates(work, check)
    _check_counts(work, check)
    if check_promises:
        for kind, clause in promises(text):
            if kind not in facts.allowed_promises:
                check.reasons.append(f"promises a {kind} the policy did not decide: {clause!r}")
    return Verdict(ok=not check.reasons, reasons=tuple(check.reasons))
