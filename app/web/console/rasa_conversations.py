"""A person in a customer's conversation, through Rasa's HTTP API (``--enable-api``, RASA_TOKEN).

Pausing appends ``ConversationPaused``: Rasa still records the customer's messages but predicts
nothing. A person's message is a bot event sent with ``execute_side_effects`` (without it nothing
reaches the customer) to the channel the customer last used, with the agent metadata of the reply
contract. Handing back posts the outcome, then ``ConversationResumed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from domain.errors import ExternalRefused, ExternalSystemError, ExternalTimeout

log = logging.getLogger(__name__)

AGENT = "agent"
PIN_DOTS = "••••"


@dataclass(frozen=True)
class Turn:
    """One line of the transcript as a person reads it."""

    at: datetime
    speaker: str  # "customer", "bot" or "agent"
    text: str
    name: str = ""  # the agent's name


def _agent_metadata(name: str) -> dict[str, Any]:
    return {"kestrel": {"from": AGENT, "name": name}}


HAND_BACK_METADATA: dict[str, Any] = {"kestrel": {"state": "bot"}}


class RasaConversations:
    def __init__(self, rasa_url: str, token: str, timeout_s: float = 10.0) -> None:
        self._url = rasa_url.rstrip("/")
        self._token = token
        self._timeout = timeout_s

    def _events_url(self, conversation_id: str) -> str:
        return f"{self._url}/conversations/{quote(conversation_id, safe='')}/tracker/events"

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        params = {"token": self._token, **kwargs.pop("params", {})}
        try:
            response = httpx.request(method, url, params=params, timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as error:
            raise ExternalTimeout("the bot did not answer in time") from error
        except httpx.HTTPError as error:
            raise ExternalSystemError(f"the bot is unreachable: {type(error).__name__}") from error
        if response.status_code >= 400:
            log.warning("Rasa %s %s -> %d", method, url.split("?")[0], response.status_code)
            raise ExternalRefused(f"the bot refused the request ({response.status_code})")
        return response.json() if response.content else None

    def _append(self, conversation_id: str, events: list[dict[str, Any]], send: bool) -> None:
        params = {"output_channel": "latest", "execute_side_effects": "true"} if send else {}
        self._call("POST", self._events_url(conversation_id), json=events, params=params)

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        url = f"{self._url}/conversations/{quote(conversation_id, safe='')}/tracker"
        tracker: dict[str, Any] = self._call("GET", url)
        return tracker

    def is_paused(self, conversation_id: str) -> bool:
        return bool(self.tracker(conversation_id).get("paused"))

    def pause(self, conversation_id: str) -> None:
        self._append(conversation_id, [{"event": "pause"}], send=False)

    def say_as_agent(self, conversation_id: str, text: str, name: str) -> None:
        event = {"event": "bot", "text": text, "metadata": _agent_metadata(name)}
        self._append(conversation_id, [event], send=True)

    def tell(self, conversation_id: str, text: str) -> None:
        """A message in the bot's voice (a decision told while nobody holds the chat)."""
        self._append(conversation_id, [{"event": "bot", "text": text}], send=True)

    def hand_back(self, conversation_id: str, text: str) -> None:
        """The outcome in the bot's voice, marked as the hand back, then the bot listens again."""
        event = {"event": "bot", "text": text, "metadata": HAND_BACK_METADATA}
        self._append(conversation_id, [event], send=True)
        self._append(conversation_id, [{"event": "resume"}], send=False)

    def ask_for_verification(self, conversation_id: str) -> None:
        """The bot runs its verification in the conversation (it resumes itself to do so)."""
        url = f"{self._url}/conversations/{quote(conversation_id, safe='')}/execute"
        self._call(
            "POST", url, json={"name": "action_verify_for_agent"},
            params={"output_channel": "latest"},
        )  # fmt: skip

    def transcript(self, conversation_id: str) -> list[Turn]:
        return transcript_of(self.tracker(conversation_id).get("events") or [])


def _moment(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)


def _expects_pin(event: dict[str, Any]) -> bool:
    data = event.get("data") or {}
    custom = data.get("custom") or {}
    return bool((custom.get("kestrel") or {}).get("expects") == "pin")


def transcript_of(events: list[dict[str, Any]]) -> list[Turn]:
    """Who said what, in order. The answer to a PIN prompt is shown as dots, whatever it was
    (the tracker store redacts PINs already; this keeps a console screen from ever showing one)."""
    turns: list[Turn] = []
    pin_asked = False
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = str(event.get("text") or "")
            turns.append(Turn(_moment(event), "customer", PIN_DOTS if pin_asked else text))
            pin_asked = False
        elif kind == "bot":
            kestrel = (event.get("metadata") or {}).get("kestrel") or {}
            speaker = AGENT if kestrel.get("from") == AGENT else "bot"
            turns.append(
                Turn(_moment(event), speaker, str(event.get("text") or ""), kestrel.get("name", ""))
            )
            pin_asked = _expects_pin(event)
    return turns
