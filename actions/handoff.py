"""Handing over to a person: on request, after a decline, for a forgotten PIN."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    VERIFY_FIRST_QUESTION,
    call,
    channel_of,
    start_verification,
    verified_account,
)
from actions.credits import origin_of, tell
from actions.guard import Guarded
from actions.pending import ASKED_FOR_PERSON, nothing_pending, wait_for_verify_first
from actions.replies import handoff_text
from actions.reply_metadata import handed_off
from actions.takeover import back_to_person, holder_of
from actions.writeup import write_up
from domain.usecases.cases import request_person
from domain.usecases.review import request_review

# A person takes over: nothing the bot was about to do stays pending.
CLEARED: list[EventType] = [SlotSet("pending_offer", None), SlotSet("pending_request", None)]


async def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[EventType]:
    holder = await holder_of(tracker)
    if holder:
        # A person already holds this conversation (it was resumed for the bot to verify the
        # customer): no second case, back to that person.
        return [*CLEARED, *back_to_person(dispatcher, holder, "")]
    account_id = verified_account(tracker)
    declined_key = tracker.get_slot("last_declined")
    if account_id and declined_key:
        step = await call(request_review, str(declined_key), origin_of(tracker))
        return [*CLEARED, *await tell(dispatcher, tracker, step), SlotSet("last_declined", None)]
    handoff = await call(
        request_person,
        conversation_id=tracker.sender_id,
        account_id=account_id,
        channel=channel_of(tracker),
        reason=reason,
    )
    await write_up(tracker, handoff)
    dispatcher.utter_message(
        text=handoff_text(handoff), json_message=handed_off(handoff.case.reference)
    )
    return CLEARED


HANDOFF_NOW = "action_handoff_now"


async def hand_off_on_request(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str | None = None
) -> list[EventType]:
    return await hand_off(dispatcher, tracker, ASKED_FOR_PERSON)


def verify_then_hand_off(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The customer agreed to verify first: the verify form, then a handoff with their identity."""
    opening = "Good, let's do that first."
    return [nothing_pending(), *start_verification(dispatcher, tracker, HANDOFF_NOW, opening)]


class ActionHandoff(Guarded, Action):
    """A person, asked for outside the verify form: an unverified customer is first offered to
    verify, so the case carries who they are; one who declines is handed off unverified."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if verified_account(tracker) or tracker.get_slot("verification_locked"):
            return await hand_off_on_request(dispatcher, tracker)
        dispatcher.utter_message(
            text=f"I can connect you with a person. First, {VERIFY_FIRST_QUESTION}"
        )
        return [SlotSet("pending_request", None), wait_for_verify_first(ASKED_FOR_PERSON)]


class ActionHandoffNow(Guarded, Action):
    """A person at once: asked for during the verify form (leaving it is the answer)."""

    def name(self) -> str:
        return HANDOFF_NOW

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await hand_off_on_request(dispatcher, tracker)


class ActionForgotPin(Guarded, Action):
    def name(self) -> str:
        return "action_forgot_pin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            text="I can't reset PINs myself, but a person from our team can verify you another way."
        )
        return await hand_off(dispatcher, tracker, "customer forgot their PIN")
