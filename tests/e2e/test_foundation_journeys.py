"""The first journeys, through the real Rasa server, action server and web app (REST channel)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

SEEDED_NAMES = ["Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro"]


def verify(live: LiveStack, sender: str, identifier: str, pin: str) -> list[str]:
    live.say(sender, "hi")
    live.say(sender, "what's my balance")
    live.say(sender, identifier)
    return live.say(sender, pin)


def test_the_greeting_says_it_is_an_automated_assistant(live: LiveStack, sender: str) -> None:
    reply = " ".join(live.say(sender, "hello"))
    assert "automated assistant" in reply


def test_ana_gets_her_late_fee_waived_after_saying_yes(fresh: LiveStack, sender: str) -> None:
    before = fresh.ops("100001")
    replies = verify(fresh, sender, "100001", "4321")
    assert any("$112.40" in r for r in replies), replies
    offer = " ".join(fresh.say(sender, "can you waive the late fee"))
    assert "$5.00" in offer and "Shall I go ahead" in offer
    assert fresh.ops("100001")["balance_cents"] == before["balance_cents"], "nothing before a yes"

    done = " ".join(fresh.say(sender, "yes please"))

    assert "$107.40" in done and "reference" in done
    after = fresh.ops("100001")
    applied = [a for a in after["adjustments"] if a["status"] == "applied"]
    assert len(applied) == 1
    assert applied[0]["kind"] == "late_fee_waiver"
    assert applied[0]["amount_cents"] == 500
    assert applied[0]["decided_by"] == "bot"
    assert after["balance_cents"] == before["balance_cents"] - 500


def test_asking_twice_for_the_same_waiver_applies_it_once(fresh: LiveStack, sender: str) -> None:
    verify(fresh, sender, "100001", "4321")
    fresh.say(sender, "waive my late fee")
    fresh.say(sender, "yes")
    again = " ".join(fresh.say(sender, "please waive the late fee"))
    assert "already done" in again
    account = fresh.ops("100001")
    assert [a["status"] for a in account["adjustments"]] == ["applied"]
    assert account["balance_cents"] == 11240 - 500


def test_elenas_waiver_is_declined_and_nothing_is_applied(fresh: LiveStack, sender: str) -> None:
    verify(fresh, sender, "+1 555 010 0005", "9999")
    reply = " ".join(fresh.say(sender, "waive the late fee please"))
    assert "12 months" in reply
    account = fresh.ops("100005")
    new = [a for a in account["adjustments"] if not a["idempotency_key"].startswith("seed-")]
    assert [(a["status"], a["policy_rule"]) for a in new] == [
        ("declined", "late_fee_waiver.once_per_window")
    ]
    assert account["balance_cents"] == 10810


def test_three_wrong_pins_lock_self_service_and_disclose_nothing(
    fresh: LiveStack, sender: str
) -> None:
    replies = verify(fresh, sender, "100001", "1111")
    replies += fresh.say(sender, "100001")
    replies += fresh.say(sender, "2222")
    replies += fresh.say(sender, "100001")
    replies += fresh.say(sender, "3333")
    replies += fresh.say(sender, "what is my balance")
    text = " ".join(replies)
    assert "couldn't verify" in text
    assert "person" in text
    assert "$" not in text
    assert not any(name in text for name in SEEDED_NAMES)
    # The right PIN no longer helps in this conversation.
    fresh.say(sender, "show my balance")
    locked = " ".join(fresh.say(sender, "4321"))
    assert "$" not in locked


def test_an_unknown_account_gets_the_same_answer_as_a_wrong_pin(
    fresh: LiveStack, sender: str
) -> None:
    unknown = verify(fresh, sender, "999999", "1234")
    wrong = verify(fresh, sender + "-b", "100002", "1234")
    assert unknown == wrong


def test_asking_for_a_person_creates_a_case(fresh: LiveStack, sender: str) -> None:
    verify(fresh, sender, "100003", "2468")
    reply = " ".join(fresh.say(sender, "I want to talk to a person"))
    reference = re.search(r"KM-\d+", reply)
    assert reference, reply
    assert "minutes" in reply
    cases = fresh.ops("100003")["cases"]
    assert [c["reference"] for c in cases] == [reference.group(0)]
    assert cases[0]["channel"] == "rest"


def test_the_pin_is_kept_nowhere(fresh: LiveStack, sender: str) -> None:
    verify(fresh, sender, "100001", "4321")
    fresh.say(sender, "waive the late fee")
    fresh.say(sender, "yes")
    # A clear PIN stands alone; hex ids, hashes and float timestamps must not count as one.
    pin = re.compile(r"(?<![0-9A-Za-z.])4321(?![0-9A-Za-z])")

    with sqlite3.connect(fresh.tracker_db) as tracker:
        events = [row[0] for row in tracker.execute("SELECT data FROM events")]
    assert events, "the tracker store holds the conversation"
    assert not [e for e in events if pin.search(e)]

    assert not pin.search(fresh.logs())

    database = fresh.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as office:
        tables = [r[0] for r in office.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in office.execute(f'SELECT * FROM "{table}"'):
                assert not any(isinstance(v, str) and pin.search(v) for v in row), table


def test_a_small_digression_during_an_offer_comes_back_to_it(fresh: LiveStack, sender: str) -> None:
    verify(fresh, sender, "100001", "4321")
    fresh.say(sender, "can you waive the late fee")
    digression = " ".join(fresh.say(sender, "how can i pay my bill"))
    assert "kestrel.example/pay" in digression
    assert "Back to your earlier request" in digression and "$5.00" in digression
    assert fresh.ops("100001")["balance_cents"] == 11240
