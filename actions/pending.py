"""The one typed value the dialogue keeps for "waiting for a yes": an offer's id, or a handoff.

Stored in the ``pending_offer`` slot as ``offer:<id>``, ``handoff:<reason>`` or
``verify:<reason>`` (a person was asked for before verification: verify first?); the amount, the
key and the facts of an offer live in the back office, never in the dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

SLOT = "pending_offer"
_OFFER, _HANDOFF, _VERIFY = "offer:", "handoff:", "verify:"
ASKED_FOR_PERSON = "customer asked for a person"


@dataclass(frozen=True)
class Pending:
    offer_id: str | None = None
    handoff_reason: str | None = None
    verify_first: bool = False

    def encode(self) -> str:
        if self.offer_id:
            return f"{_OFFER}{self.offer_id}"
        return f"{_VERIFY if self.verify_first else _HANDOFF}{self.handoff_reason}"

    @classmethod
    def parse(cls, raw: object) -> Pending | None:
        text = str(raw or "")
        if text.startswith(_OFFER) and len(text) > len(_OFFER):
            return cls(offer_id=text[len(_OFFER) :])
        for prefix in (_HANDOFF, _VERIFY):
            if text.startswith(prefix):
                reason = text[len(prefix) :] or ASKED_FOR_PERSON
                return cls(handoff_reason=reason, verify_first=prefix == _VERIFY)
        return None


def pending_of(tracker: Tracker) -> Pending | None:
    return Pending.parse(tracker.get_slot(SLOT))


def wait_for_offer(offer_id: str) -> EventType:
    return SlotSet(SLOT, Pending(offer_id=offer_id).encode())


def wait_for_handoff(reason: str) -> EventType:
    return SlotSet(SLOT, Pending(handoff_reason=reason).encode())


def wait_for_verify_first(reason: str) -> EventType:
    return SlotSet(SLOT, Pending(handoff_reason=reason, verify_first=True).encode())


def nothing_pending() -> EventType:
    return SlotSet(SLOT, None)
