"""The web chat widget's channel: socket.io, with session persistence, against the real stack."""

from __future__ import annotations

import queue
import re
import uuid
from collections.abc import Iterator

import pytest
import socketio

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e


class WidgetClient:
    """What rasa-webchat does: ask for a session, then exchange user_uttered / bot_uttered."""

    def __init__(self, url: str) -> None:
        self.session_id = uuid.uuid4().hex
        self.replies: queue.Queue[str] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        confirmed: queue.Queue[object] = queue.Queue()
        self.client.on("session_confirm", lambda data: confirmed.put(data))
        self.client.on("bot_uttered", lambda data: self.replies.put(data.get("text", "")))
        self.client.connect(url, transports=["websocket", "polling"], socketio_path="socket.io")
        self.client.emit("session_request", {"session_id": self.session_id})
        confirmed.get(timeout=10)

    def say(self, text: str, expect: int = 1) -> list[str]:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        replies = [self.replies.get(timeout=20) for _ in range(expect)]
        try:  # collect any further bubbles of the same turn
            while True:
                replies.append(self.replies.get(timeout=1.0))
        except queue.Empty:
            return replies

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def widget(fresh: LiveStack) -> Iterator[WidgetClient]:
    client = WidgetClient(fresh.config.rasa_url)
    yield client
    client.close()


def test_the_widget_gets_the_greeting_over_socketio(widget: WidgetClient) -> None:
    assert any("automated assistant" in r for r in widget.say("hello"))


def test_a_widget_customer_verifies_and_hears_the_balance(widget: WidgetClient) -> None:
    widget.say("what's my balance")
    widget.say("100003")
    replies = " ".join(widget.say("2468", expect=2))
    assert "$68.40" in replies


def test_a_case_opened_from_the_widget_is_recorded_on_the_socketio_channel(
    fresh: LiveStack, widget: WidgetClient
) -> None:
    widget.say("what's my balance")
    widget.say("100003")
    widget.say("2468", expect=2)
    reply = " ".join(widget.say("I want to talk to a person"))
    assert re.search(r"KM-\d+", reply)
    assert [c["channel"] for c in fresh.ops("100003")["cases"]] == ["socketio"]
