"""What a reply carries besides its words: buttons and the ``kestrel`` marks, up to the actions."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.billing import ActionBalance
from actions.credits import ActionOfferLateFeeWaiver
from actions.extensions import ActionPaymentExtension
from actions.handoff import ActionHandoff
from actions.reply_metadata import (
    EXPECTS_PIN,
    YES_NO,
    add_consent_buttons,
    choices,
    handed_off,
    pending_after,
)
from actions.verification import ValidateVerifyForm
from app.bootstrap import use_deps
from bot.channels.contract import reply_of
from domain.usecases.deps import Deps
from tests.unit.test_actions import DOMAIN, BrokenBss, tracker

ROOT = Path(__file__).resolve().parents[2]
YES = {"title": "Yes", "payload": "/affirm"}
NO = {"title": "No", "payload": "/deny"}


def said(text: str, **extra: Any) -> dict[str, Any]:
    return {"text": text, "buttons": [], **extra}


# --- the helpers ------------------------------------------------------------------------------


def test_a_question_waiting_for_a_yes_gets_yes_and_no_on_the_last_message_only() -> None:
    messages = [said("You owe $5.00?"), said("Shall I go ahead?  ")]
    add_consent_buttons(messages, waiting_for_yes=True)
    assert messages[0]["buttons"] == []
    assert messages[1]["buttons"] == [YES, NO]


def test_the_buttons_are_a_copy_so_one_reply_cannot_change_another() -> None:
    messages = [said("Shall I go ahead?")]
    add_consent_buttons(messages, waiting_for_yes=True)
    assert messages[0]["buttons"] is not YES_NO


@pytest.mark.parametrize(
    ("messages", "waiting"),
    [
        ([said("Shall I go ahead?")], False),
        ([said("Shall I go ahead?"), said("Done.")], True),
        ([said("Which one?", buttons=[{"title": "A", "payload": "a"}])], True),
    ],
    ids=["not-waiting", "not-a-question", "has-buttons"],
)
def test_no_yes_no_buttons_unless_the_last_message_is_the_waiting_question(
    messages: list[dict[str, Any]], waiting: bool
) -> None:
    before = [dict(message) for message in messages]
    add_consent_buttons(messages, waiting_for_yes=waiting)
    assert messages == before


def test_no_messages_get_no_buttons_and_no_error() -> None:
    messages: list[dict[str, Any]] = []
    add_consent_buttons(messages, waiting_for_yes=True)
    assert messages == []


def test_the_last_pending_offer_set_by_the_events_wins_over_the_tracker() -> None:
    waiting = tracker(pending_offer="offer:adj_1")
    idle = tracker()
    assert not pending_after(
        waiting, [SlotSet("pending_offer", "offer:x"), SlotSet("pending_offer", None)]
    )
    assert pending_after(
        idle, [SlotSet("pending_offer", None), SlotSet("pending_offer", "handoff:x")]
    )


def test_without_a_pending_offer_event_the_trackers_slot_decides() -> None:
    assert pending_after(tracker(pending_offer="offer:adj_1"), [SlotSet("awaiting", None)])
    assert not pending_after(tracker(), [SlotSet("awaiting", None)])


def test_choices_are_capitalised_titles_whose_payload_is_the_words() -> None:
    assert choices("one week", "two weeks") == [
        {"title": "One week", "payload": "one week"},
        {"title": "Two weeks", "payload": "two weeks"},
    ]


def test_a_handoff_is_marked_with_its_state_and_case() -> None:
    assert handed_off("KM-1001") == {"kestrel": {"state": "handoff", "case": "KM-1001"}}


# --- through the actions ----------------------------------------------------------------------


async def test_the_late_fee_offer_ends_with_yes_and_no_buttons(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOfferLateFeeWaiver().run(dispatcher, tracker(verified_account="100001"), {})
    last = dispatcher.messages[-1]
    assert last["text"].endswith("Shall I go ahead?")
    assert last["buttons"] == [YES, NO]


async def test_the_apology_of_a_failing_action_offers_a_person_with_yes_and_no(
    deps: Deps,
) -> None:
    use_deps(dataclasses.replace(deps, billing=BrokenBss(deps.billing, RuntimeError("a bug"))))
    dispatcher = CollectingDispatcher()
    await ActionBalance().run(dispatcher, tracker(verified_account="100001"), {})
    last = dispatcher.messages[-1]
    assert "connect you with a person" in last["text"]
    assert last["buttons"] == [YES, NO]


async def test_the_pin_re_ask_is_marked_as_expecting_a_pin(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateVerifyForm().validate_pin(
        "no idea", dispatcher, tracker(identifier="account:100001"), DOMAIN
    )
    assert result == {"pin": None}
    [message] = dispatcher.messages
    assert message["response"] == "utter_pin_is_four_digits"
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    variations = domain["responses"]["utter_pin_is_four_digits"]
    assert {v.get("channel") for v in variations} == {None, "voice"}
    assert all(v["custom"] == EXPECTS_PIN for v in variations)


async def test_a_handoff_is_marked_with_the_case_reference_given_in_the_text(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker(verified_account="100003"), {})
    last = dispatcher.messages[-1]
    kestrel = last["custom"]["kestrel"]
    assert kestrel["state"] == "handoff"
    assert kestrel["case"].startswith("KM-") and kestrel["case"] in last["text"]
    assert reply_of(last)["kestrel"] == kestrel
    assert last["buttons"] == []  # nothing waits for a yes once a person takes over


async def test_the_extension_length_question_offers_the_usual_answers(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    asking = tracker(text="I need more time", intent="request_extension", verified_account="100001")
    events = await ActionPaymentExtension().run(dispatcher, asking, {})
    assert SlotSet("awaiting", "extension_length") in events
    last = dispatcher.messages[-1]
    assert "How much more time do you need?" in last["text"]
    assert last["buttons"] == choices("one week", "two weeks")


def test_the_domains_pin_prompt_carries_the_same_mark_as_the_actions() -> None:
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    chat, voice = domain["responses"]["utter_ask_pin"]
    assert voice["channel"] == "voice"
    assert chat["custom"] == voice["custom"] == {"kestrel": {"expects": "pin"}} == EXPECTS_PIN
