"""Remove PINs from Rasa tracker events before they are stored ("PINs are never kept").

Pure Python on purpose (no rasa import): it runs inside the Rasa server through
`bot.tracker_store.RedactingSQLTrackerStore` and is unit-tested from the app env.

Events are Rasa's serialised events (`Event.as_dict()`). Context matters, so always pass the
WHOLE event list of a conversation, in order; the function returns redacted copies:

- every `slot` event for the `pin` slot carries the value None;
- every `user` event received while verify_form was asking for the PIN (after a
  `SlotSet(requested_slot="pin")` and before requested_slot changes, the loop ends, the slots
  are reset or a new session starts) has its text, parse_data.text and entity values replaced
  by "[redacted]"; the intent stays, so analytics still work;
- safety net, wherever it happens: a user message that is a bare 4-digit number once spaces and
  separators are removed ("4321", "43 21", "4-3-2-1"), or one that mentions a PIN/passcode and
  holds a stand-alone group of 4 digits ("my pin is 4321"), is redacted the same way;
- defence in depth: any PIN value seen in the list (a `pin` slot value) is scrubbed from the
  text of every user and bot event, so an action that echoes the PIN in the same turn does
  not get it stored either (a later turn no longer knows the value: it was never stored).

Not caught: a PIN typed outside the PIN question in words ("four three two one") or with no
PIN keyword around it ("it's 4321 i think" before the bot asked for it).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
PIN_SLOT = "pin"
REQUESTED_SLOT = "requested_slot"

_SEPARATORS = re.compile(r"[\s\-_.,/\\()]+")
_FOUR_DIGITS = re.compile(r"\d{4}")
_PIN_WORD = re.compile(r"\b(pin|passcode|pass code|pin code|security code)\b", re.IGNORECASE)
_STANDALONE_FOUR_DIGITS = re.compile(r"(?<![\d+])\d(?:[ .\-]?\d){3}(?![\d])")

# Events after which the form is no longer asking for anything.
_STATE_RESETS = {"restart", "session_started", "reset_slots"}


def looks_like_a_pin(text: str | None) -> bool:
    """True for a bare 4-digit answer, or a message that names a PIN and holds 4 digits."""
    if not text:
        return False
    if _FOUR_DIGITS.fullmatch(_SEPARATORS.sub("", text)):
        return True
    return bool(_PIN_WORD.search(text) and _STANDALONE_FOUR_DIGITS.search(text))


def redact_events(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return copies of `events` with every trace of a PIN replaced (see module docstring)."""
    events = list(events)
    redacted = _redact_in_context(events)
    known_pins = {pin for event in events for pin in _pins_in(event)}
    return [_scrub_known_pins(event, known_pins) for event in redacted] if known_pins else redacted


def _pins_in(event: dict[str, Any]) -> list[str]:
    if event.get("event") == "slot" and event.get("name") == PIN_SLOT:
        value = event.get("value")
        if isinstance(value, str) and len(value.strip()) >= 4:
            # the whole answer ("pin is 4321") and the digits in it ("4321")
            return [value.strip(), *re.findall(r"(?<!\d)\d{4}(?!\d)", value)]
    return []


def _scrub_known_pins(event: dict[str, Any], pins: set[str]) -> dict[str, Any]:
    text = event.get("text")
    if event.get("event") not in ("user", "bot") or not isinstance(text, str):
        return event
    pattern = "|".join(re.escape(pin) for pin in sorted(pins))
    scrubbed = re.sub(rf"(?<!\d)(?:{pattern})(?!\d)", REDACTED, text)
    if scrubbed == text:
        return event
    copied = copy.deepcopy(event)
    copied["text"] = scrubbed
    parse_data = copied.get("parse_data")
    if isinstance(parse_data, dict) and isinstance(parse_data.get("text"), str):
        parse_data["text"] = re.sub(rf"(?<!\d)(?:{pattern})(?!\d)", REDACTED, parse_data["text"])
    return copied


def _redact_in_context(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    redacted: list[dict[str, Any]] = []
    asking_for_pin = False
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == PIN_SLOT:
            redacted.append(_without_pin_value(event))
            continue
        if kind == "slot" and event.get("name") == REQUESTED_SLOT:
            asking_for_pin = event.get("value") == PIN_SLOT
        elif kind in _STATE_RESETS or (kind == "active_loop" and not event.get("name")):
            asking_for_pin = False
        elif kind == "user" and (asking_for_pin or looks_like_a_pin(event.get("text"))):
            redacted.append(_without_user_text(event))
            continue
        redacted.append(dict(event))
    return redacted


def _without_pin_value(event: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(event)
    copied["value"] = None
    return copied


def _without_user_text(event: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(event)
    if copied.get("text") is not None:
        copied["text"] = REDACTED
    parse_data = copied.get("parse_data")
    if isinstance(parse_data, dict):
        if parse_data.get("text") is not None:
            parse_data["text"] = REDACTED
        for entity in parse_data.get("entities") or []:
            _redact_entity(entity)
    for entity in copied.get("entities") or []:
        _redact_entity(entity)
    return copied


def _redact_entity(entity: Any) -> None:
    if isinstance(entity, dict):
        for key in ("value", "text"):
            if key in entity:
                entity[key] = REDACTED
