"""The bot's side of a live takeover on the real stack, driven through Rasa's own HTTP API (what
the console does): a paused conversation gets no reply, not even to a typed /restart or in a new
session after the customer was idle, and stays paused; resumed, the bot answers again; the
console's "verify the customer" runs the verify form in the held conversation and hands it back
to the person; and a verified customer hears the status of their case.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from app.backoffice.sql import SqlBackOfficeFactory
from app.db import make_engine
from domain.records import Case
from tests.e2e.conftest import LiveStack
from tests.e2e.test_outcomes import CASE_REFERENCE, DAVID, DISPUTE, say, verify

pytestmark = pytest.mark.e2e


def rasa(live: LiveStack, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(
        method,
        f"{live.config.rasa_url}/conversations/{path}",
        params={"token": live.config.env["RASA_TOKEN"], **kwargs.pop("params", {})},
        timeout=30,
        **kwargs,
    )
    response.raise_for_status()
    return response.json()


def append_event(live: LiveStack, sender: str, event: str) -> None:
    rasa(live, "POST", f"{sender}/tracker/events", json={"event": event})


def tracker(live: LiveStack, sender: str) -> dict[str, Any]:
    state: dict[str, Any] = rasa(live, "GET", f"{sender}/tracker")
    return state


def user_texts(state: dict[str, Any]) -> list[str]:
    return [e.get("text") or "" for e in state["events"] if e["event"] == "user"]


def cases_of(live: LiveStack, sender: str) -> list[Case]:
    engine = make_engine(live.database_url)
    try:
        with SqlBackOfficeFactory(engine)() as office:
            return [c for c in office.cases.listed() if c.conversation_id == sender]
    finally:
        engine.dispose()


def hold(live: LiveStack, case_id: str, user: str | None) -> None:
    """What the console's claim (a username) and release (None) record; the pause and resume
    are appended separately, as the console does."""
    engine = make_engine(live.database_url)
    try:
        with SqlBackOfficeFactory(engine)() as office:
            office.cases.set_claim(case_id, user, datetime.now(timezone.utc) if user else None)
            office.commit()
    finally:
        engine.dispose()


def test_a_paused_conversation_gets_no_reply_even_to_a_typed_restart(
    live: LiveStack, sender: str
) -> None:
    assert "automated assistant" in say(live, sender, "hi")
    append_event(live, sender, "pause")

    assert live.say(sender, "what's my balance?") == []
    assert live.say(sender, "/restart") == []

    state = tracker(live, sender)
    assert state["paused"] is True
    assert user_texts(state)[-2:] == ["what's my balance?", "/restart"]
    after = state["events"][[e.get("text") for e in state["events"]].index("/restart") :]
    # Rasa ran our action_restart (a default action listed in the domain is the action
    # server's) and no Restarted followed, which would have un-paused the conversation.
    assert [e.get("name") for e in after if e["event"] == "action"] == [
        "action_restart",
        "action_listen",
    ]
    assert "restart" not in [e["event"] for e in state["events"]]

    append_event(live, sender, "resume")
    assert "automated assistant" in say(live, sender, "hello again")
    assert tracker(live, sender)["paused"] is False


def idle_conversation(live: LiveStack, sender: str, *, paused: bool) -> float:
    """A verified conversation whose every event is two hours old (the session expires after 60
    idle minutes), held by a person if ``paused``. Returns the time of its events."""
    at = time.time() - 2 * 3600
    parse = {"text": "get me a human", "intent": {"name": "request_human", "confidence": 1.0}}
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start", "timestamp": at},
        {"event": "session_started", "timestamp": at},
        {"event": "action", "name": "action_listen", "timestamp": at},
        {"event": "user", "text": "get me a human", "parse_data": parse, "timestamp": at + 1},
        {"event": "slot", "name": "verified_account", "value": DAVID.account, "timestamp": at + 2},
    ]
    if paused:
        events.append({"event": "pause", "timestamp": at + 3})
    rasa(live, "POST", f"{sender}/tracker/events", json=events)
    return at


def new_sessions(state: dict[str, Any], since: float) -> list[dict[str, Any]]:
    return [
        e for e in state["events"] if e["event"] == "session_started" and e["timestamp"] > since
    ]


def test_a_held_conversation_stays_paused_in_the_new_session_after_the_customer_was_idle(
    live: LiveStack, sender: str
) -> None:
    at = idle_conversation(live, sender, paused=True)
    assert tracker(live, sender)["paused"] is True

    assert live.say(sender, "hello?") == []

    state = tracker(live, sender)
    assert state["paused"] is True
    assert len(new_sessions(state, since=at + 60)) == 1  # Rasa started a new session...
    started = [e["event"] for e in state["events"]].index("session_started", 2)
    # ... and our action_session_start paused it again, before the customer's message.
    assert [e["event"] for e in state["events"][started:]] == [
        "session_started",
        "pause",
        "action",
        "user",
    ]
    assert user_texts(state)[-1] == "hello?"
    assert state["slots"]["verified_account"] is None  # verification ends with the session


def test_a_conversation_nobody_holds_is_answered_in_the_new_session_after_the_customer_was_idle(
    live: LiveStack, sender: str
) -> None:
    at = idle_conversation(live, sender, paused=False)

    assert live.say(sender, "hello?") != []

    state = tracker(live, sender)
    assert state["paused"] is False
    assert len(new_sessions(state, since=at + 60)) == 1
    assert state["slots"]["verified_account"] is None


def test_the_agent_has_the_bot_verify_the_customer_then_the_bot_is_silent_again(
    fresh: LiveStack, sender: str
) -> None:
    say(fresh, sender, "hi")
    assert "verify who you are first" in say(fresh, sender, "i want to talk to a person")
    handed_off = say(fresh, sender, "no")
    assert CASE_REFERENCE.search(handed_off), handed_off
    (case,) = cases_of(fresh, sender)
    hold(fresh, case.id, "alex")
    append_event(fresh, sender, "pause")
    assert fresh.say(sender, "hello? anyone?") == []

    executed = rasa(
        fresh,
        "POST",
        f"{sender}/execute",
        params={"output_channel": "latest"},
        json={"name": "action_verify_for_agent"},
    )
    asked = " ".join(m.get("text") or "" for m in executed["messages"])
    assert "The agent would like to confirm who you are first." in asked
    assert "account number" in asked, asked
    assert tracker(fresh, sender)["paused"] is False

    assert "PIN" in say(fresh, sender, DAVID.account)
    verified = say(fresh, sender, DAVID.pin)
    assert verified == "Thanks, David, you're verified. Alex will continue with you."
    assert tracker(fresh, sender)["paused"] is True
    (held,) = cases_of(fresh, sender)
    assert held.verified and held.account_id == DAVID.account and held.claimed_by == "alex"
    assert fresh.say(sender, "thanks, so what now?") == []
    assert fresh.say(sender, "/restart") == []
    assert tracker(fresh, sender)["paused"] is True

    # Handed back (released and resumed): the bot answers, the customer still verified.
    hold(fresh, case.id, None)
    append_event(fresh, sender, "resume")
    assert "Your balance is $254.10." in say(fresh, sender, "what's my balance?")


def test_a_verified_customer_hears_the_status_of_their_case(fresh: LiveStack, sender: str) -> None:
    handed_off = verify(fresh, sender, DAVID, DISPUTE)
    found = CASE_REFERENCE.search(handed_off)
    assert found, handed_off
    reference = found.group(0)

    waiting = say(fresh, sender, f"status of {reference}")
    assert re.search(rf"{reference} is waiting for a person .* about \d+ minutes", waiting)

    (case,) = cases_of(fresh, sender)
    hold(fresh, case.id, "alex")
    asked_again = say(fresh, sender, f"what's happening with {reference.lower()}?")
    assert "Alex is working on it" in asked_again, asked_again
    assert "I can't find a case KM-9999 on your account." in say(
        fresh, sender, "any news on KM-9999"
    )


def test_a_case_asked_about_before_verification_is_answered_once_verified(
    fresh: LiveStack, sender: str
) -> None:
    first = f"{sender}-first"
    handed_off = verify(fresh, first, DAVID, DISPUTE)
    found = CASE_REFERENCE.search(handed_off)
    assert found, handed_off

    answer = verify(fresh, sender, DAVID, f"any news on {found.group(0)}?")
    assert f"Your case {found.group(0)} is waiting for a person" in answer, answer
