"""Whether the customer's own message asked for money: the gate before any offer.

An offer (credit, waiver, extension) is made only for a message the NLU placed in that request
with at least the operator's ``MONEY_REQUEST_MIN_CONFIDENCE`` and that is short enough to be a
request: long texts (pasted stories, role-play set-ups, jailbreak prompts) are answered without
proposing money, whatever they were classified as.
"""

from __future__ import annotations

LONGEST_MONEY_REQUEST = 400  # characters; customers ask for a credit in a sentence or two


def asked_for_money(confidence: float, text: str, min_confidence: float) -> bool:
    return confidence >= min_confidence and len(text.strip()) <= LONGEST_MONEY_REQUEST
