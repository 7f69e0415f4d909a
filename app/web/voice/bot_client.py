"""The gateway's side of bot/channels/voice.py: one HTTP request per caller turn."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from bot.channels.contract import VOICE_SECRET_HEADER
from domain.errors import ExternalRefused, ExternalTimeout


class VoiceBot(Protocol):
    def send(self, call_sid: str, text: str, message_id: str, retry: bool) -> list[dict[str, Any]]:
        """The bot's replies to one caller turn (contract of bot/channels/contract.py)."""
        ...

    def close(self, call_sid: str) -> None:
        """The call is over: nothing said before it may be acted on any more."""
        ...


class RasaVoiceBot:
    def __init__(self, rasa_url: str, secret: str, rasa_token: str, timeout_s: float) -> None:
        self._rasa_url = rasa_url.rstrip("/")
        self._secret = secret
        self._token = rasa_token
        self._timeout = httpx.Timeout(timeout_s, connect=min(2.0, timeout_s))

    def send(self, call_sid: str, text: str, message_id: str, retry: bool) -> list[dict[str, Any]]:
        body = {"sender": call_sid, "message": text, "message_id": message_id, "retry": retry}
        try:
            response = httpx.post(
                f"{self._rasa_url}/webhooks/voice/webhook",
                json=body,
                headers={VOICE_SECRET_HEADER: self._secret},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as error:
            raise ExternalTimeout(
                f"the bot did not answer in time: {type(error).__name__}"
            ) from error
        except httpx.HTTPError as error:
            raise ExternalRefused(f"the bot is unreachable: {type(error).__name__}") from error
        if response.status_code != 200:
            raise ExternalRefused(f"the bot's voice channel answered HTTP {response.status_code}")
        replies = response.json().get("replies")
        if not isinstance(replies, list):
            raise ExternalRefused("the bot's voice channel answered without replies")
        return [r for r in replies if isinstance(r, dict)]

    def close(self, call_sid: str) -> None:
        # A restart clears what the call left pending (an offer, the verified account).
        try:
            response = httpx.post(
                f"{self._rasa_url}/conversations/{call_sid}/tracker/events",
                params={"token": self._token},
                json=[{"event": "restart"}],
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise ExternalRefused(
                f"could not close the conversation: {type(error).__name__}"
            ) from error
        if response.status_code != 200:
            raise ExternalRefused(f"closing the conversation: HTTP {response.status_code}")
