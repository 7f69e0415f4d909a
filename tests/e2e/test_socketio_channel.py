"""The web chat widget's channel (bot/channels/socketio.py) against the real stack: origins,
session ids, acknowledgements, exactly-once delivery, the reply contract and agent messages."""

from __future__ import annotations

import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import socketio

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

ANA, ANA_PIN = "100001", "4321"
OTHER, OTHER_PIN = "100003", "2468"
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
REPLY_KEYS = {"text", "buttons", "kestrel", "custom", "time"}  # bot/channels/contract.py
FOREIGN_ORIGIN = "https://evil.example"
TURN_TIMEOUT_S = 30.0  # a whole bot turn, acknowledged (NLU + policies + the action server)
EVENT_TIMEOUT_S = 10.0  # a single server event (session_confirm, a pushed reply, a disconnect)
# Handlers of the client run in threads of their own: a reply emitted before the ack may be
# queued a moment after the ack returned. Anything of the turn lands well within this.
SETTLE_S = 0.3

Reply = dict[str, Any]


class WidgetClient:
    """What the widget (app/web/widget/widget.js) does over socket.io: ask for a session with a
    UUIDv4, send ``user_uttered`` with a message_id and wait for its acknowledgement, and
    receive each reply as one ``bot_uttered`` dict."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        transports: tuple[str, ...] = ("websocket",),
        session_id: str | None = None,
    ) -> None:
        self.session_id = session_id or str(uuid.uuid4())
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.session_answers: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.disconnected = threading.Event()
        # websocket-client adds "Origin: http://<socket host>" unless told not to: the only
        # Origin sent is the one in ``headers`` (none, like any non-browser client, by default).
        self.client = socketio.Client(
            reconnection=False, websocket_extra_options={"suppress_origin": True}
        )
        self.client.on("session_confirm", self._answer("session_confirm"))
        self.client.on("session_refused", self._answer("session_refused"))
        self.reply_times: list[float] = []  # time.monotonic() of each bot_uttered received
        self.client.on("bot_uttered", self._on_reply)
        self.client.on("disconnect", self._on_disconnect)
        self.client.connect(
            url,
            headers=dict(headers or {}),
            transports=list(transports),
            socketio_path="socket.io",
            wait_timeout=EVENT_TIMEOUT_S,
        )

    def _answer(self, event: str) -> Any:
        return lambda data=None: self.session_answers.put((event, data))

    def _on_reply(self, reply: Reply) -> None:
        self.reply_times.append(time.monotonic())
        self.replies.put(reply)

    def _on_disconnect(self, *_: Any) -> None:
        self.disconnected.set()

    def request_session(self, session_id: object | None = None) -> tuple[str, Any]:
        """Send ``session_request``; the server's answer as (event name, data)."""
        requested = self.session_id if session_id is None else session_id
        self.client.emit("session_request", {"session_id": requested})
        return self.session_answers.get(timeout=EVENT_TIMEOUT_S)

    def join(self) -> WidgetClient:
        answer = self.request_session()
        assert answer == ("session_confirm", self.session_id), answer
        return self

    def send(self, payload: Mapping[str, Any]) -> Any:
        """Emit ``user_uttered`` as is; the acknowledgement (the handler's return value)."""
        return self.client.call("user_uttered", dict(payload), timeout=TURN_TIMEOUT_S)

    def utter(self, text: str, message_id: str | None = None) -> Any:
        return self.send(
            {
                "message": text,
                "session_id": self.session_id,
                "message_id": message_id or str(uuid.uuid4()),
            }
        )

    def drain(self, wait_s: float = SETTLE_S) -> list[Reply]:
        """The replies received so far, waiting ``wait_s`` for each further one."""
        replies: list[Reply] = []
        try:
            while True:
                replies.append(self.replies.get(timeout=wait_s))
        except queue.Empty:
            return replies

    def say(self, text: str) -> list[Reply]:
        """One turn: the message is acknowledged once the bot's replies have been emitted."""
        ack = self.utter(text)
        assert ack == {"ok": True}, ack
        return self.drain()

    def next_reply(self, timeout_s: float = EVENT_TIMEOUT_S) -> Reply:
        return self.replies.get(timeout=timeout_s)

    def close(self) -> None:
        if self.client.transport() == "polling":
            # A clean disconnect waits for the pending long-poll GET, which the server only
            # answers at its next ping (~25 s): close the engine.io session without waiting.
            self.client.eio.disconnect(abort=True)
        else:
            self.client.disconnect()


Connect = Callable[..., WidgetClient]  # the `connect` fixture: WidgetClient's keywords


def texts(replies: list[Reply]) -> str:
    return " ".join(reply["text"] for reply in replies)


def tracker_events(live: LiveStack, session_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{live.config.rasa_url}/conversations/{session_id}/tracker",
        params={"token": live.config.env["RASA_TOKEN"]},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["events"])


def user_events(live: LiveStack, session_id: str) -> list[dict[str, Any]]:
    return [e for e in tracker_events(live, session_id) if e["event"] == "user"]


def web_port(live: LiveStack) -> int:
    port = urlsplit(live.config.web_url).port
    assert port is not None
    return port


def refused(live: LiveStack, origin: str, transport: str) -> bool:
    """Whether a connection from ``origin`` is refused before socket.io connects."""
    try:
        client = WidgetClient(
            live.config.rasa_url, headers={"Origin": origin}, transports=(transport,)
        )
    except socketio.exceptions.ConnectionError:
        return True
    client.close()
    return False


def polling_handshake(live: LiveStack, origin: str | None) -> httpx.Response:
    """The first request of engine.io's polling transport, as a browser would send it."""
    headers = {"Origin": origin} if origin else {}
    return httpx.get(
        f"{live.config.rasa_url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers=headers,
        timeout=10,
    )


@pytest.fixture
def connect(live: LiveStack) -> Iterator[Connect]:
    """Open widget connections to the live stack's Rasa; all are closed after the test."""
    opened: list[WidgetClient] = []

    def open_client(**kwargs: Any) -> WidgetClient:
        client = WidgetClient(live.config.rasa_url, **kwargs)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def widget(fresh: LiveStack, connect: Connect) -> WidgetClient:
    """A widget with a confirmed session, on a back office restored to the seed."""
    client = connect()
    return client.join()


def verify(widget: WidgetClient, request: str, account: str, pin: str) -> list[Reply]:
    """Ask ``request``, give the account and the PIN; the replies to the PIN."""
    widget.say(request)
    prompt = widget.say(account)
    assert [r.get("kestrel") for r in prompt] == [{"expects": "pin"}], prompt
    return widget.say(pin)


# --- conversations over the socket -------------------------------------------------------------


def test_the_widget_gets_the_greeting_over_socketio(widget: WidgetClient) -> None:
    replies = widget.say("hello")
    assert len(replies) == 1, replies
    assert "automated assistant" in replies[0]["text"]


def test_a_widget_customer_verifies_and_hears_the_balance(widget: WidgetClient) -> None:
    assert "$68.40" in texts(verify(widget, "what's my balance", OTHER, OTHER_PIN))


def test_a_case_opened_from_the_widget_is_recorded_on_the_socketio_channel(
    fresh: LiveStack, widget: WidgetClient
) -> None:
    verify(widget, "what's my balance", OTHER, OTHER_PIN)
    replies = widget.say("I want to talk to a person")
    handoffs = [r for r in replies if r.get("kestrel", {}).get("state") == "handoff"]
    assert len(handoffs) == 1, replies
    case = handoffs[0]["kestrel"]["case"]
    assert re.fullmatch(r"KM-\d+", case), case
    assert case in handoffs[0]["text"]
    cases = fresh.ops(OTHER)["cases"]
    assert [(c["reference"], c["channel"]) for c in cases] == [(case, "socketio")]


def test_each_reply_is_one_bot_uttered_carrying_its_buttons_and_kestrel_data(
    widget: WidgetClient,
) -> None:
    widget.say("can you waive my late fee")
    prompt = widget.say(ANA)
    assert len(prompt) == 1, prompt
    assert prompt[0]["kestrel"] == {"expects": "pin"}
    assert "PIN" in prompt[0]["text"] and "buttons" not in prompt[0]
    offer = widget.say(ANA_PIN)
    assert "$5.00" in texts(offer), offer
    for reply in offer:
        assert set(reply) <= REPLY_KEYS and "data" not in reply, reply
        assert isinstance(reply["text"], str) and reply["text"], reply
        assert isinstance(reply["time"], float), reply
    question = offer[-1]
    assert question["text"].rstrip().endswith("?"), offer
    assert question["buttons"] == YES_NO
    assert all("buttons" not in reply for reply in offer[:-1]), offer


# --- origins ------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["web app", "localhost", "127.0.0.1"])
def test_a_browser_on_an_allowed_origin_connects_and_gets_cors_headers(
    live: LiveStack, connect: Connect, origin: str
) -> None:
    port = web_port(live)
    allowed = {
        "web app": live.config.web_url,
        "localhost": f"http://localhost:{port}",
        "127.0.0.1": f"http://127.0.0.1:{port}",
    }[origin]
    for transports in (("websocket",), ("polling",)):
        client = connect(headers={"Origin": allowed}, transports=transports)
        assert client.request_session() == ("session_confirm", client.session_id)
    handshake = polling_handshake(live, allowed)
    assert handshake.status_code == 200, handshake.text
    assert handshake.headers.get("access-control-allow-origin") == allowed


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_browser_on_a_foreign_origin_is_refused_at_the_handshake(
    live: LiveStack, transport: str
) -> None:
    port = web_port(live)
    rasa = urlsplit(live.config.rasa_url)
    foreign = [
        FOREIGN_ORIGIN,
        f"http://localhost:{port}.evil.example",  # a look-alike host
        f"https://127.0.0.1:{port}",  # the right host with another scheme
        f"http://localhost:{port + 1}",  # another port on the same machine
        f"http://{rasa.hostname}:{rasa.port}",  # Rasa's own address is not the widget's page
        "null",  # a sandboxed iframe or a file:// page
    ]
    admitted = [origin for origin in foreign if not refused(live, origin, transport)]
    assert admitted == []
    handshake = polling_handshake(live, FOREIGN_ORIGIN)
    assert handshake.status_code == 400
    assert "access-control-allow-origin" not in handshake.headers


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_client_without_an_origin_header_may_connect(
    fresh: LiveStack, connect: Connect, transport: str
) -> None:
    client = connect(transports=(transport,))
    client.join()
    assert "automated assistant" in texts(client.say("hello"))


# --- sessions -----------------------------------------------------------------------------------


def test_a_canonical_uuid4_session_request_is_confirmed_with_that_id(connect: Connect) -> None:
    client = connect()
    assert client.request_session() == ("session_confirm", client.session_id)
    assert not client.disconnected.is_set()


@pytest.mark.parametrize(
    "session_id",
    [
        pytest.param(uuid.uuid4().hex, id="uuid4-without-hyphens"),
        pytest.param(str(uuid.uuid4()).upper(), id="uuid4-upper-case"),
        pytest.param("{" + str(uuid.uuid4()) + "}", id="uuid4-in-braces"),
        pytest.param(f" {uuid.uuid4()}", id="uuid4-with-a-space"),
        pytest.param(str(uuid.uuid1()), id="uuid1"),
        pytest.param("00000000-0000-0000-0000-000000000000", id="nil-uuid"),
        pytest.param("ana", id="a-name"),
        pytest.param("", id="empty"),
        pytest.param(12345, id="a-number"),
        pytest.param(["a", "list"], id="a-list"),
    ],
)
def test_a_session_request_without_a_canonical_uuid4_is_refused_and_disconnected(
    live: LiveStack, connect: Connect, session_id: object
) -> None:
    client = connect()
    event, data = client.request_session(session_id)
    assert event == "session_refused", (event, data)
    assert "UUIDv4" in data["reason"]
    assert client.disconnected.wait(EVENT_TIMEOUT_S), "the server kept the socket open"
    assert client.session_answers.empty()


def test_a_session_request_without_a_session_id_is_refused(connect: Connect) -> None:
    client = connect()
    client.client.emit("session_request", {})
    event, _ = client.session_answers.get(timeout=EVENT_TIMEOUT_S)
    assert event == "session_refused"
    assert client.disconnected.wait(EVENT_TIMEOUT_S)


# --- user_uttered and its acknowledgement -------------------------------------------------------


def test_a_message_is_acknowledged_once_the_bot_turn_is_done(widget: WidgetClient) -> None:
    ack = widget.utter("what's my balance")  # a form turn: NLU, policies and the action server
    acknowledged_at = time.monotonic()
    assert ack == {"ok": True}
    replies = widget.drain()
    assert replies and "account number" in texts(replies), replies
    # the turn's replies were emitted before the ack (client handlers run in threads of their
    # own, hence the small tolerance), and nothing of the turn follows it
    assert widget.reply_times[-1] <= acknowledged_at + 0.05
    assert widget.drain(wait_s=1.0) == []


def test_a_message_id_delivered_twice_is_handled_once(
    live: LiveStack, widget: WidgetClient, connect: Connect
) -> None:
    message_id = str(uuid.uuid4())
    assert widget.utter("hello", message_id) == {"ok": True}
    assert "automated assistant" in texts(widget.drain())
    assert widget.utter("hello", message_id) == {"ok": True, "duplicate": True}
    # the widget resends what was unacknowledged after a reconnect: a new socket, same session
    again = connect(session_id=widget.session_id)
    again.join()
    assert again.utter("hello", message_id) == {"ok": True, "duplicate": True}
    assert widget.drain() == [] and again.drain() == []
    said = [(e["text"], e.get("message_id")) for e in user_events(live, widget.session_id)]
    assert said == [("hello", message_id)]


def test_a_repeat_sent_during_the_first_turn_is_acknowledged_only_once_that_turn_is_done(
    live: LiveStack, widget: WidgetClient
) -> None:
    message_id = str(uuid.uuid4())
    payload = {"message": "hello", "session_id": widget.session_id, "message_id": message_id}
    acks: queue.Queue[tuple[float, Any]] = queue.Queue()
    for _ in range(2):  # no wait between them: the repeat arrives while the turn is running
        widget.client.emit(
            "user_uttered", payload, callback=lambda ack: acks.put((time.monotonic(), ack))
        )
    first, second = (acks.get(timeout=TURN_TIMEOUT_S) for _ in range(2))
    assert sorted([first[1], second[1]], key=len) == [{"ok": True}, {"ok": True, "duplicate": True}]
    replies = widget.drain()
    assert len(replies) == 1 and "automated assistant" in replies[0]["text"], replies
    # both acknowledgements came after the turn's reply (client handlers run in threads of
    # their own, hence the small tolerance; a turn takes far longer)
    assert min(first[0], second[0]) >= widget.reply_times[-1] - 0.05
    assert [e.get("message_id") for e in user_events(live, widget.session_id)] == [message_id]


def test_the_tracker_records_the_widget_message_id_on_the_user_event(
    live: LiveStack, widget: WidgetClient
) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert widget.utter("hello", first) == {"ok": True}
    assert widget.utter("what's my balance", second) == {"ok": True}
    events = user_events(live, widget.session_id)
    assert [(e["text"], e.get("message_id"), e.get("input_channel")) for e in events] == [
        ("hello", first, "socketio"),
        ("what's my balance", second, "socketio"),
    ]


def test_a_message_for_another_session_is_refused_and_not_handled(
    live: LiveStack, widget: WidgetClient
) -> None:
    other = str(uuid.uuid4())
    ack = widget.send({"message": "hello", "session_id": other, "message_id": str(uuid.uuid4())})
    assert ack["ok"] is False and "session" in ack["error"], ack
    assert widget.drain() == []
    assert user_events(live, other) == []
    assert user_events(live, widget.session_id) == []


def test_a_message_before_any_session_request_is_refused(live: LiveStack, connect: Connect) -> None:
    client = connect()
    ack = client.utter("hello")
    assert ack["ok"] is False and "session_request" in ack["error"], ack
    assert client.drain() == []
    assert user_events(live, client.session_id) == []


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("", id="empty"),
        pytest.param(" \n\t ", id="only-whitespace"),
        pytest.param("x" * 2001, id="2001-characters"),
        pytest.param(None, id="missing"),
        pytest.param(42, id="not-a-string"),
    ],
)
def test_an_empty_or_too_long_message_is_refused_and_not_handled(
    live: LiveStack, widget: WidgetClient, message: object
) -> None:
    ack = widget.send(
        {"message": message, "session_id": widget.session_id, "message_id": str(uuid.uuid4())}
    )
    assert ack["ok"] is False and "empty or too long" in ack["error"], ack
    assert widget.drain() == []
    assert user_events(live, widget.session_id) == []


def test_a_message_of_exactly_the_maximum_length_is_handled(
    live: LiveStack, widget: WidgetClient
) -> None:
    text = ("hello " * 400)[:2000]
    assert widget.utter(text) == {"ok": True}
    assert widget.drain() != []
    assert [e["text"] for e in user_events(live, widget.session_id)] == [text]


# --- a person writing through Rasa's HTTP API ---------------------------------------------------


def post_as_agent(live: LiveStack, session_id: str, text: str, name: str) -> None:
    """What the console does when a person writes: a bot event sent to the latest channel."""
    response = httpx.post(
        f"{live.config.rasa_url}/conversations/{session_id}/tracker/events",
        params={
            "output_channel": "latest",
            "execute_side_effects": "true",
            "token": live.config.env["RASA_TOKEN"],
        },
        json={
            "event": "bot",
            "text": text,
            "metadata": {"kestrel": {"from": "agent", "name": name}},
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_a_message_a_person_posts_through_the_http_api_reaches_the_widget(
    live: LiveStack, widget: WidgetClient
) -> None:
    widget.say("hello")  # the latest input channel of the conversation is now socketio
    before = time.time()
    post_as_agent(live, widget.session_id, "Hi, I'm Alex", "Alex")
    after = time.time()
    reply = widget.next_reply()
    assert before <= reply.pop("time") <= after  # the bot event's timestamp
    assert reply == {"text": "Hi, I'm Alex", "kestrel": {"from": "agent", "name": "Alex"}}
    assert widget.drain() == []
    bots = [e for e in tracker_events(live, widget.session_id) if e["event"] == "bot"]
    assert bots[-1]["text"] == "Hi, I'm Alex"
    assert bots[-1]["metadata"]["kestrel"] == {"from": "agent", "name": "Alex"}


def test_a_socket_that_starts_over_no_longer_hears_its_old_session(
    live: LiveStack, widget: WidgetClient, connect: Connect
) -> None:
    old = widget.session_id
    widget.say("hello")
    still_there = connect(session_id=old).join()  # e.g. the same conversation in another tab
    widget.session_id = str(uuid.uuid4())
    widget.join()  # "start over": a new session on the same socket
    post_as_agent(live, old, "Are you still there?", "Alex")
    assert still_there.next_reply()["text"] == "Are you still there?"
    assert widget.drain() == []  # one emit to the room: it would have come with the other
    refused = widget.send({"message": "hello", "session_id": old, "message_id": str(uuid.uuid4())})
    assert refused["ok"] is False, refused
    assert "automated assistant" in texts(widget.say("hello"))


# --- replay: what was said while the widget was away -----------------------------------------


def replay(widget: WidgetClient, since: float) -> Any:
    return widget.client.call(
        "replay", {"session_id": widget.session_id, "since": since}, timeout=EVENT_TIMEOUT_S
    )


def test_a_reconnected_widget_gets_the_replies_it_missed_and_no_older_one(
    live: LiveStack, widget: WidgetClient, connect: Connect
) -> None:
    seen = widget.say("hello")
    last_seen = max(reply["time"] for reply in seen)
    widget.close()  # the connection drops; a person writes meanwhile
    post_as_agent(live, widget.session_id, "Are you still there?", "Alex")

    back = connect(session_id=widget.session_id).join()
    ack = replay(back, last_seen)
    missed = back.drain()

    assert ack == {"ok": True, "replayed": 1}, ack
    assert [(r["text"], r["kestrel"]) for r in missed] == [
        ("Are you still there?", {"from": "agent", "name": "Alex"})
    ]
    assert missed[0]["time"] > last_seen


def test_a_replay_of_a_whole_conversation_gives_every_bot_message_in_order(
    widget: WidgetClient,
) -> None:
    said = widget.say("hello") + widget.say("what's my balance")
    assert replay(widget, 0.0) == {"ok": True, "replayed": len(said)}
    assert [r["text"] for r in widget.drain()] == [r["text"] for r in said]


def test_a_replay_needs_a_session_and_a_numeric_since(connect: Connect) -> None:
    client = connect()
    assert replay(client, 0.0)["ok"] is False  # no session joined yet
    client.join()
    bad = client.client.call(
        "replay", {"session_id": client.session_id, "since": "yesterday"}, timeout=10
    )
    assert bad["ok"] is False


def record_user_message(live: LiveStack, session_id: str, text: str, message_id: str) -> None:
    """A user message in the tracker that this Rasa process never saw on a socket (as after a
    restart of Rasa)."""
    response = httpx.post(
        f"{live.config.rasa_url}/conversations/{session_id}/tracker/events",
        params={"token": live.config.env["RASA_TOKEN"]},
        json={
            "event": "user",
            "text": text,
            "message_id": message_id,
            "parse_data": {"intent": {"name": "ask_balance", "confidence": 1.0}, "entities": []},
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_a_resent_message_already_in_the_tracker_is_not_handled_again(
    live: LiveStack, widget: WidgetClient
) -> None:
    message_id = str(uuid.uuid4())
    record_user_message(live, widget.session_id, "what's my balance", message_id)
    payload = {"message": "what's my balance", "session_id": widget.session_id}

    ack = widget.send({**payload, "message_id": message_id, "resent": True})

    assert ack == {"ok": True, "duplicate": True}, ack
    assert widget.drain() == []
    assert [e["text"] for e in user_events(live, widget.session_id)] == ["what's my balance"]


def test_a_resent_message_the_bot_never_got_is_handled(
    live: LiveStack, widget: WidgetClient
) -> None:
    ack = widget.send(
        {
            "message": "hello",
            "session_id": widget.session_id,
            "message_id": str(uuid.uuid4()),
            "resent": True,
        }
    )
    assert ack == {"ok": True}, ack
    assert "automated assistant" in texts(widget.drain())
