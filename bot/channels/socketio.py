"""The web chat widget's channel: Rasa 3.6's socket.io channel, made safe and complete.

Configured in bot/credentials.yml as ``bot.channels.socketio.KestrelSocketIOInput``. It keeps
Rasa's name (``socketio``), events and room-per-session model, and changes what Rasa 3.6 gets
wrong for a public widget:
- origins: Rasa hard-codes ``cors_allowed_origins=[]``, which turns python-engineio's origin check
  *off*; here only ``allowed_origins`` may connect (a browser on another site is refused at the
  handshake, and the allowed ones get CORS headers for the polling transport);
- session ids: only a random UUIDv4 (what ``crypto.randomUUID`` makes) joins a conversation, and a
  socket may only speak in the session it joined (Rasa trusts the ``session_id`` of each message);
- replies: one ``bot_uttered`` per message with its buttons and ``kestrel`` data (contract.py);
  Rasa drops message metadata and wraps custom data as ``{"data": ...}``;
- exactly once: a message carries the widget's ``message_id``; one already handled in this
  process is acknowledged again (once its first delivery's turn is over) and not handled twice
  (the widget resends what a dropped connection left unacknowledged, marked ``resent``; for those
  the tracker is asked too, so a repeat is caught after a restart of Rasa as well). The
  acknowledgement comes when the bot's turn is done;
- replicas: with ``message_queue`` (a Redis URL) replies made on one Rasa replica reach a widget
  connected to another (socket.io's Redis manager); the load balancer keeps each connection on
  one replica (the widget sends a random ``lb`` query key on every request for that);
- nothing missed: replies sent while a widget was away (a dropped connection, a person writing
  from the console) are in the tracker; ``replay`` with the timestamp of the last reply the widget
  has sends it everything newer, from the tracker store.

Imports rasa, so only the bot env can import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.contract import is_session_id, parse_origins, reply_of, user_text

logger = logging.getLogger(__name__)

REMEMBERED_MESSAGE_IDS = 10_000
DUPLICATE_WAIT_S = 60.0  # a repeat is acknowledged when the first delivery's turn is over


class KestrelSocketIOOutput(SocketIOOutput):
    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        reply = reply_of(message)
        if reply["text"] or len(reply) > 1:
            await self.sio.emit(
                self.bot_message_evt,
                reply,
                room=recipient_id,
                ignore_queue=self._connected_here(recipient_id),
            )

    def _connected_here(self, room: str) -> bool:
        """Whether a socket of this room is connected to this process. Then the reply goes to it
        directly, not through the message queue: a reply through Redis could reach the widget
        after the turn's acknowledgement, which is sent directly. Without a queue it is moot."""
        rooms = getattr(self.sio.manager, "rooms", {})
        return "/" in rooms and any(True for _ in self.sio.manager.get_participants("/", room))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text})


class SeenMessages:
    """The widget's message ids handled lately (bounded, oldest forgotten first), each with an
    event set when its turn is over."""

    def __init__(self, size: int = REMEMBERED_MESSAGE_IDS) -> None:
        self._ids: OrderedDict[str, asyncio.Event] = OrderedDict()
        self._size = size

    def first_time(self, session_id: str, message_id: str) -> asyncio.Event | None:
        """An event to set when done, the first time only; None for a repeat. Synchronous, so
        two deliveries cannot both pass in one event loop."""
        key = f"{session_id}/{message_id}"
        if key in self._ids:
            return None
        done = self._ids[key] = asyncio.Event()
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return done

    def forget(self, session_id: str, message_id: str) -> None:
        """A delivery whose turn failed: the widget may send it again and have it handled."""
        self._ids.pop(f"{session_id}/{message_id}", None)

    async def wait_for(self, session_id: str, message_id: str) -> None:
        done = self._ids.get(f"{session_id}/{message_id}")
        if done is not None:
            with contextlib.suppress(asyncio.TimeoutError):  # acknowledged anyway: not lost
                await asyncio.wait_for(done.wait(), DUPLICATE_WAIT_S)


class AppHoldingBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint, keeping the Sanic app it is registered on (for its agent)."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app  # Sanic blueprints take new attributes only on ``ctx``
        super().register(app, options)

    async def _tracker(self, session_id: str) -> Any:
        """The conversation across all its sessions (a resend or a missed reply may be older
        than the latest session start)."""
        app = getattr(self.ctx, "app", None)
        agent = getattr(app.ctx, "agent", None) if app else None
        return await agent.tracker_store.retrieve_full_tracker(session_id) if agent else None

    async def has_user_message(self, session_id: str, message_id: str) -> bool:
        try:
            tracker = await self._tracker(session_id)
        except Exception as error:  # the turn itself will meet the same store and apologise
            logger.error("socket.io: tracker of %s unreadable: %s", session_id, error)
            return False
        return tracker is not None and any(
            isinstance(event, UserUttered) and event.message_id == message_id
            for event in tracker.events
        )

    async def bot_messages_after(self, session_id: str, since: float) -> list[dict[str, Any]]:
        tracker = await self._tracker(session_id)
        if tracker is None:
            return []
        return [
            event.message()
            for event in tracker.events
            if isinstance(event, BotUttered) and event.timestamp > since
        ]


class KestrelSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        origins = parse_origins(credentials.get("allowed_origins"))
        if not origins:
            raise SystemExit(
                "socket.io channel: allowed_origins is empty (set WIDGET_ALLOWED_ORIGINS); "
                "refusing to start with no origin check"
            )
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,  # session persistence: a reload keeps the conversation
            credentials.get("socketio_path", "/socket.io"),
        )
        channel.allowed_origins = origins
        channel.message_queue = str(credentials.get("message_queue") or "")
        return channel

    allowed_origins: list[str]
    message_queue: str = ""  # a Redis URL: replies reach sockets connected to other replicas

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()  # Rasa's warning: no server in this worker
        return KestrelSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # With several Rasa replicas, a reply made on one (a person's message from the console
        # through Rasa's HTTP API, a reminder) must reach a widget connected to another: they
        # share the Redis queue. Without it, the in-process manager (one replica).
        manager = (
            {"client_manager": AsyncRedisManager(self.message_queue)} if self.message_queue else {}
        )
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins, **manager)
        self.sio = sio
        blueprint = AppHoldingBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        sessions: dict[str, str] = {}  # socket id -> the conversation it joined
        seen = SeenMessages()
        logger.info("socket.io channel accepts origins: %s", ", ".join(self.allowed_origins))

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not is_session_id(session_id):
                logger.warning("socket.io: refused session id %r (not a UUIDv4)", session_id)
                await sio.emit("session_refused", {"reason": "session id must be a UUIDv4"}, to=sid)
                await sio.disconnect(sid, namespace=self.namespace)
                return
            previous = sessions.get(sid)
            if previous is not None and previous != session_id:  # "start over" on this socket
                sio.leave_room(sid, previous, namespace=self.namespace)
            sessions[sid] = str(session_id)
            sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> dict[str, Any]:
            session_id = sessions.get(sid)
            if session_id is None:
                return {"ok": False, "error": "no session: send session_request first"}
            if not isinstance(data, dict):
                return {"ok": False, "error": "the payload must be an object"}
            if data.get("session_id") != session_id:
                logger.warning("socket.io: socket %s spoke outside its session", sid)
                return {"ok": False, "error": "session_id is not this socket's session"}
            text = user_text(data)
            if text is None:
                return {"ok": False, "error": "message is empty or too long"}
            message_id = data.get("message_id")
            message_id = str(message_id) if is_session_id(message_id) else None
            done = seen.first_time(session_id, message_id) if message_id else asyncio.Event()
            if done is None:
                logger.info("socket.io: message %s delivered again; not handled twice", message_id)
                await seen.wait_for(session_id, str(message_id))
                return {"ok": True, "duplicate": True}
            if (
                message_id
                and data.get("resent") is True
                and await blueprint.has_user_message(session_id, str(message_id))
            ):
                done.set()
                logger.info("socket.io: message %s is already in the tracker", message_id)
                return {"ok": True, "duplicate": True}
            output = KestrelSocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(
                    UserMessage(
                        text, output, session_id, input_channel=self.name(), message_id=message_id
                    )
                )
            except Exception as error:  # e.g. the lock store: Rasa's own apology never ran
                logger.error("socket.io: turn of %s failed: %s", session_id, error)
                if message_id:
                    seen.forget(session_id, message_id)
                return {"ok": False, "error": "the message could not be handled; send it again"}
            finally:
                done.set()
            return {"ok": True}

        @sio.on("replay", namespace=self.namespace)
        async def replay(sid: str, data: Any) -> dict[str, Any]:
            session_id = sessions.get(sid)
            since = data.get("since") if isinstance(data, dict) else None
            if session_id is None or not isinstance(since, (int, float)):
                return {"ok": False, "error": "replay needs a session and a numeric since"}
            try:
                messages = await blueprint.bot_messages_after(session_id, float(since))
            except Exception as error:  # the tracker store is down: the widget just goes on
                logger.error("socket.io: replay for %s failed: %s", session_id, error)
                return {"ok": False, "error": "conversation store unavailable"}
            output = KestrelSocketIOOutput(sio, self.bot_message_evt)
            for message in messages:
                await output.send_response(sid, message)
            return {"ok": True, "replayed": len(messages)}

        return blueprint
