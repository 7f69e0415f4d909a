"""The reply-metadata contract between the bot and its front ends (widget, voice line, console).

Pure Python (no Rasa import), so both environments can use and test it. See docs/DESIGN.md,
"Channels and the console": a reply is one object

    {"text": "...", "buttons": [{"title": "Yes", "payload": "/affirm"}], "kestrel": {...},
     "time": 1764644400.123}

``time`` is the bot event's timestamp, when it has one (a widget asks for what came after the
last one it has). ``kestrel`` merges the ``custom`` data an action or response attached (its
``kestrel`` key) with the ``kestrel`` key of the event's metadata (what the console posts).
Rasa's own socket.io output would drop the metadata and wrap ``custom`` as ``{"data": ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

KESTREL = "kestrel"
# crypto.randomUUID() in the browser: version 4, variant 10xx, lower-case, with hyphens.
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MAX_MESSAGE_CHARS = 2000
# The header by which the web app's voice gateway proves itself to the voice channel.
VOICE_SECRET_HEADER = "X-Voice-Gateway-Secret"


def is_session_id(value: object) -> bool:
    """Only a canonical random UUID names a conversation (so an id cannot be guessed)."""
    return isinstance(value, str) and UUID4.fullmatch(value) is not None


def parse_origins(raw: object) -> list[str]:
    """``"https://a.example, http://localhost:8000"`` -> the list, without trailing slashes."""
    if isinstance(raw, (list, tuple)):
        items = [str(item) for item in raw]
    else:
        items = str(raw or "").split(",")
    origins = (item.strip().rstrip("/") for item in items)
    return [origin for origin in origins if origin]


def _buttons(message: Mapping[str, Any]) -> list[dict[str, str]]:
    raw = message.get("buttons") or message.get("quick_replies") or []
    return [
        {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
        for button in raw
        if isinstance(button, Mapping)
    ]


def kestrel_data(message: Mapping[str, Any]) -> dict[str, Any]:
    """The ``kestrel`` data of a Rasa bot message, from its custom data and its metadata."""
    merged: dict[str, Any] = {}
    custom = message.get("custom")
    for source in (custom if isinstance(custom, Mapping) else {}, message):
        data = source.get(KESTREL)
        if isinstance(data, Mapping):
            merged.update(data)
    return merged


def reply_of(message: Mapping[str, Any]) -> dict[str, Any]:
    """One Rasa bot message (``BotUttered.message()`` or an action's dict) as the contract says."""
    reply: dict[str, Any] = {"text": str(message.get("text") or "")}
    buttons = _buttons(message)
    if buttons:
        reply["buttons"] = buttons
    kestrel = kestrel_data(message)
    if kestrel:
        reply[KESTREL] = kestrel
    timestamp = message.get("timestamp")
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        reply["time"] = float(timestamp)
    custom = message.get("custom")
    if isinstance(custom, Mapping):
        other = {key: value for key, value in custom.items() if key != KESTREL}
        if other:
            reply["custom"] = other
    return reply


def user_text(data: object) -> str | None:
    """The text of a widget's ``user_uttered`` payload, or None when it is not usable."""
    if not isinstance(data, Mapping):
        return None
    text = data.get("message")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
        return None
    return text
