"""A fake Rasa HTTP API on loopback (``--enable-api``): real HTTP, records what the console sends.

It serves the three routes the console uses: ``POST /conversations/{id}/tracker/events`` (one
event or a list), ``POST /conversations/{id}/execute`` and ``GET /conversations/{id}/tracker``,
whose tracker is built from what was posted (``pause`` / ``resume`` set ``paused``). Like Rasa with
``--auth-token``, it answers 401 to a request without the right ``token`` query parameter. A test
sets ``refuse_with`` to make every call fail with that status (the bot refusing or down).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.integration.loopback import LoopbackServer

TOKEN = "fake-rasa-token"


@dataclass(frozen=True)
class Call:
    """One request that reached the fake (with a valid token)."""

    method: str
    route: str  # "events", "execute" or "tracker"
    conversation_id: str
    params: dict[str, str]
    body: Any = None


@dataclass
class Conversation:
    events: list[dict[str, Any]] = field(default_factory=list)
    paused: bool = False


class FakeRasa:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.unauthorised = 0  # requests refused for a missing or wrong token
        self.refuse_with: int | None = None
        self._conversations: dict[str, Conversation] = {}
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handler())

    @property
    def url(self) -> str:
        return self._server.origin

    def start(self) -> FakeRasa:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # What the tests read

    def posted_events(self, conversation_id: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every event posted to the conversation's tracker, in order, with its query params."""
        with self._lock:
            calls = [c for c in self.calls if c.route == "events"]
        return [
            (event, call.params)
            for call in calls
            if call.conversation_id == conversation_id
            for event in (call.body if isinstance(call.body, list) else [call.body])
        ]

    def bot_messages(self, conversation_id: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        return [(e, p) for e, p in self.posted_events(conversation_id) if e.get("event") == "bot"]

    def kinds(self, conversation_id: str) -> list[str]:
        return [str(e.get("event")) for e, _ in self.posted_events(conversation_id)]

    def add_user_message(self, conversation_id: str, text: str) -> None:
        """What the customer typed (Rasa records it even while paused)."""
        with self._lock:
            conversation = self._conversations.setdefault(conversation_id, Conversation())
            conversation.events.append({"event": "user", "text": text, "timestamp": time.time()})

    # Serving

    def _tracker(self, conversation_id: str) -> dict[str, Any]:
        conversation = self._conversations.setdefault(conversation_id, Conversation())
        return {
            "sender_id": conversation_id,
            "paused": conversation.paused,
            "events": list(conversation.events),
        }

    def _record(self, call: Call) -> dict[str, Any]:
        with self._lock:
            self.calls.append(call)
            conversation = self._conversations.setdefault(call.conversation_id, Conversation())
            if call.route == "events":
                posted = call.body if isinstance(call.body, list) else [call.body]
                for event in posted:
                    stamped = {"timestamp": time.time(), **event}
                    conversation.events.append(stamped)
                    if event.get("event") == "pause":
                        conversation.paused = True
                    elif event.get("event") == "resume":
                        conversation.paused = False
            return self._tracker(call.conversation_id)

    def _route(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if params.get("token") != self.token:
            with self._lock:
                self.unauthorised += 1
            return 401, {"status": "failure", "reason": "NotAuthenticated", "code": 401}
        if self.refuse_with is not None:
            return self.refuse_with, {"status": "failure", "code": self.refuse_with}
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        routes = {
            ("POST", "tracker/events"): "events",
            ("POST", "execute"): "execute",
            ("GET", "tracker"): "tracker",
        }
        route = routes.get((method, "/".join(segments[2:])))
        if len(segments) < 3 or segments[0] != "conversations" or route is None:
            return 404, {"status": "failure", "code": 404}
        del params["token"]
        return 200, self._record(Call(method, route, segments[1], params, body))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else ~40 ms delayed-ACK stalls per reply

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._send(*fake._route("GET", self.path, None))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    self._send(400, {"status": "failure", "code": 400})
                    return
                self._send(*fake._route("POST", self.path, body))

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture(name="fake_rasa")
def fake_rasa_fixture() -> Iterator[FakeRasa]:
    """Import ``fake_rasa_fixture`` into a test module to use the ``fake_rasa`` fixture."""
    server = FakeRasa().start()
    yield server
    server.stop()
