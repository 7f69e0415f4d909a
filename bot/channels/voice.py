"""The phone line's way into Rasa: request/response, for the web app's voice gateway only.

Configured in bot/credentials.yml as ``bot.channels.voice.VoiceInput``. Twilio never talks to
Rasa: it calls the gateway (app/web/voice/), which checks Twilio's signature and posts here

    POST /webhooks/voice/webhook   X-Voice-Gateway-Secret: <VOICE_GATEWAY_SECRET>
    {"sender": "<CallSid>", "message": "...", "message_id": "<CallSid>-<turn>", "retry": false}

and gets ``{"replies": [...]}`` back, one reply per bot message as bot/channels/contract.py says.
The tracker's input channel (and so a case's channel) is ``voice``; responses may have
``channel: voice`` variations, because the output channel is named ``voice`` too.

Without the shared secret a request is refused (403): Rasa's channel webhooks take no other
authentication, and this one would let anyone speak as any caller. A ``retry`` whose message id
is already in the tracker is not handled again: the replies that followed it are sent instead,
so a turn repeated after a lost answer cannot apply anything twice.

The caller's words are never logged here (one of them is the PIN).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.contract import MAX_MESSAGE_CHARS, VOICE_SECRET_HEADER, reply_of

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 64


class VoiceOutput(CollectingOutputChannel):
    """Collects one contract reply per bot message (Rasa's collector splits text and custom)."""

    @classmethod
    def name(cls) -> str:
        return "voice"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(reply_of(message))


def replies_after(events: list[Any], message_id: str) -> list[dict[str, Any]] | None:
    """The bot messages that answered the user message ``message_id``; None if it never came."""
    replies: list[dict[str, Any]] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append(reply_of(event.message()))
    return replies


def _request_error(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    sender, text = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS:
        return "sender must be a call id"
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
        return "message must be 1 to 2000 characters"
    if not isinstance(body.get("message_id"), str):
        return "message_id is required"
    return None


class VoiceInput(InputChannel):
    def __init__(self, secret: str) -> None:
        self.secret = secret

    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        secret = str((credentials or {}).get("secret") or "")
        if not secret:
            logger.warning("voice channel: no VOICE_GATEWAY_SECRET; every request is refused")
        return cls(secret)

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get(VOICE_SECRET_HEADER, "")
        return bool(self.secret) and hmac.compare_digest(given.encode(), self.secret.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        voice = Blueprint("voice_webhook", __name__)

        @voice.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @voice.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                logger.warning("voice channel: refused a request without the gateway secret")
                return response.json({"error": "forbidden"}, status=403)
            try:
                body = request.json
            except Exception:  # Sanic raises its own error type for a body that is not JSON
                body = None
            problem = _request_error(body)
            if problem is not None:
                return response.json({"error": problem}, status=400)
            sender, message_id = body["sender"], body["message_id"]
            if body.get("retry") is True:
                earlier = await self._earlier_replies(request, sender, message_id)
                if earlier is not None:
                    logger.info("voice channel: turn %s was handled already", message_id)
                    return response.json({"replies": earlier, "repeated": True})
            output = VoiceOutput()
            await on_new_message(
                UserMessage(
                    body["message"],
                    output,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                )
            )
            return response.json({"replies": output.messages})

        return voice

    async def _earlier_replies(
        self, request: Request, sender: str, message_id: str
    ) -> list[dict[str, Any]] | None:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None:
            return None
        tracker = await agent.tracker_store.retrieve_full_tracker(sender)
        return replies_after(list(tracker.events), message_id) if tracker else None
