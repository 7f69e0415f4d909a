"""English number words to integers: "five", "twenty-five", "one hundred and eighty"."""

from __future__ import annotations

import re

SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
WORD = "(?:" + "|".join(sorted([*SMALL, *SCALES], key=len, reverse=True)) + ")"
# A run of number words: "one hundred and eighty", "twenty-five", "a hundred".
RUN = rf"(?:(?:{WORD}|a)(?:[\s-]+(?:and[\s-]+)?{WORD})*)"


def words_to_int(text: str) -> int | None:
    """The value of a run of number words, or None when it is not one."""
    tokens = [t for t in re.split(r"[\s-]+", text.lower().strip()) if t and t != "and"]
    if len(tokens) > 1 and tokens[0] in ("a", "an") and tokens[1] not in SCALES:
        tokens = tokens[1:]  # "a five dollar fee": the article, not "one"
    if not tokens:
        return None
    total, current, seen = 0, 0, False
    for token in tokens:
        if token == "a" and not seen:
            current = 1
        elif token in SMALL:
            current += SMALL[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token in SCALES:
            total += max(current, 1) * SCALES[token]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None
