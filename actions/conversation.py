"""Yes, no and "start over": answered from what is pending, never from the words alone."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    REVERIFY_TEXT,
    VERIFY_FIRST_QUESTION,
    call,
    reminder,
    verified_account,
)
from actions.credits import origin_of, tell
from actions.guard import Guarded
from actions.handoff import hand_off, verify_then_hand_off
from actions.pending import ASKED_FOR_PERSON, nothing_pending, pending_of
from actions.replies import offer_prompt
from app.bootstrap import get_settings
from domain.records import Status
from domain.usecases.billing import current_charges
from domain.usecases.lifecycle.offers import accept_offer, get_offer, withdraw_offer

# The PIN lock is kept in the back office per conversation, so starting over cannot reset it.
RESET_ON_START_OVER = (
    "identifier",
    "pin",
    "verified_account",
    "customer_name",
    "pending_request",
    "pending_offer",
    "last_declined",
    "awaiting",
)


OTHER_ONE = re.compile(r"\b(other|another|different|wrong|not (that|this))\b", re.I)
QUESTION = re.compile(r"\?|^\s*(why|what|how|when|where|who|can't|cannot|could|would)\b", re.I)


def clear_consent(tracker: Tracker, min_confidence: float) -> bool:
    """Money moves only on an unambiguous yes: a confident affirm that is not a question."""
    message = tracker.latest_message or {}
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    return confidence >= min_confidence and not QUESTION.search(str(message.get("text") or ""))


class ActionRemindPending(Guarded, Action):
    """After a small digression (how to pay, a joke), come back to the open question."""

    def name(self) -> str:
        return "action_remind_pending"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        waiting = await reminder(tracker, [])
        if waiting:
            dispatcher.utter_message(text=waiting)
        return []


async def accept(
    dispatcher: CollectingDispatcher, tracker: Tracker, offer_id: str
) -> list[EventType]:
    offer = await call(get_offer, offer_id)
    if offer.account_id != verified_account(tracker):
        dispatcher.utter_message(text=REVERIFY_TEXT)
        return [nothing_pending()]
    return await tell(dispatcher, tracker, await call(accept_offer, offer_id, origin_of(tracker)))


class ActionAffirm(Guarded, Action):
    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = pending_of(tracker)
        if pending is None:
            dispatcher.utter_message(
                text="Sorry, I'm not sure what you're agreeing to. How can I help?"
            )
            return []
        if not clear_consent(tracker, get_settings().consent_min_confidence):
            question = "Shall I connect you with a person?"
            if pending.verify_first:
                question = VERIFY_FIRST_QUESTION[:1].upper() + VERIFY_FIRST_QUESTION[1:]
            if pending.offer_id is not None:
                offer = await call(get_offer, pending.offer_id)
                question = offer_prompt(offer) if offer.status is Status.OFFERED else question
            dispatcher.utter_message(text=f"Just to be sure, please answer yes or no. {question}")
            return []
        if pending.offer_id is not None:
            return await accept(dispatcher, tracker, pending.offer_id)
        if pending.verify_first:
            return verify_then_hand_off(dispatcher, tracker)
        return await hand_off(dispatcher, tracker, pending.handoff_reason or "customer asked")


class ActionDeny(Guarded, Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = pending_of(tracker)
        if pending is None:
            dispatcher.utter_message(text="Okay. Is there anything else I can help with?")
            return []
        if pending.verify_first:
            dispatcher.utter_message(text="No problem, I'll connect you as you are.")
            return await hand_off(dispatcher, tracker, pending.handoff_reason or ASKED_FOR_PERSON)
        if pending.offer_id is not None:
            await call(withdraw_offer, pending.offer_id, origin_of(tracker))
        account_id = verified_account(tracker)
        if account_id and OTHER_ONE.search(str(tracker.latest_message.get("text") or "")):
            charges = await call(current_charges, account_id)
            dispatcher.utter_message(
                text="Okay, I haven't changed anything. Which charge do you mean? "
                f"Your current bill has: {charges}."
            )
        else:
            dispatcher.utter_message(
                text="Okay, I haven't changed anything. Anything else I can help with?"
            )
        return [nothing_pending()]


class ActionStartOver(Guarded, Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text="Okay, let's start over. How can I help?")
        return [SlotSet(slot, None) for slot in RESET_ON_START_OVER]
