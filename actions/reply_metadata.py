"""What a reply carries besides its words, for the widget, the voice line and the console
(the contract is in docs/DESIGN.md, "Channels and the console"; bot/channels/contract.py reads it).

- A question waiting for a yes or a no gets the buttons Yes (``/affirm``) and No (``/deny``);
- a PIN prompt is marked ``{"kestrel": {"expects": "pin"}}`` (masked field, keypad on the phone);
- a handoff says ``{"kestrel": {"state": "handoff", "case": "KM-…"}}``;
- a question with a few usual answers offers them as buttons (the payload is the words).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.pending import SLOT as PENDING_SLOT

Button = dict[str, str]

YES_NO: list[Button] = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
EXPECTS_PIN: dict[str, Any] = {"kestrel": {"expects": "pin"}}


def choices(*answers: str) -> list[Button]:
    """Buttons whose payload is the answer in words, understood like typed text."""
    return [{"title": answer[:1].upper() + answer[1:], "payload": answer} for answer in answers]


def handed_off(case_reference: str) -> dict[str, Any]:
    return {"kestrel": {"state": "handoff", "case": case_reference}}


def pending_after(tracker: Tracker, events: Sequence[EventType]) -> bool:
    """Whether something waits for a yes or a no once these events are applied."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == PENDING_SLOT:
            return event.get("value") is not None
    return tracker.get_slot(PENDING_SLOT) is not None


def add_consent_buttons(messages: list[dict[str, Any]], waiting_for_yes: bool) -> None:
    """Yes/No on the turn's last message when it is the question that waits for the answer."""
    if not waiting_for_yes or not messages:
        return
    last = messages[-1]
    text = str(last.get("text") or "").rstrip()
    if text.endswith("?") and not last.get("buttons"):
        last["buttons"] = list(YES_NO)
