"""Yes, no and "start over": answered from what is pending, never from the words alone."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import call, reminder, verified_account
from actions.credits import accept_credit_offer, pending_offer
from actions.extensions import accept_extension_offer
from actions.handoff import hand_off
from domain.usecases.billing import current_charges

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
CONSENT_CONFIDENCE = 0.6
QUESTION = re.compile(r"\?|^\s*(why|what|how|when|where|who|can't|cannot|could|would)\b", re.I)


def clear_consent(tracker: Tracker) -> bool:
    """Money moves only on an unambiguous yes: a confident affirm that is not a question."""
    message = tracker.latest_message or {}
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    return confidence >= CONSENT_CONFIDENCE and not QUESTION.search(str(message.get("text") or ""))


class ActionRemindPending(Action):
    """After a small digression (how to pay, a joke), come back to the open question."""

    def name(self) -> str:
        return "action_remind_pending"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        waiting = reminder(tracker, [])
        if waiting:
            dispatcher.utter_message(text=waiting)
        return []


class ActionAffirm(Action):
    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer = pending_offer(tracker)
        if offer is not None and not clear_consent(tracker):
            prompt = offer.get("prompt") or "Shall I go ahead?"
            dispatcher.utter_message(text=f"Just to be sure, please answer yes or no. {prompt}")
            return []
        if offer is None:
            dispatcher.utter_message(
                text="Sorry, I'm not sure what you're agreeing to. How can I help?"
            )
            return []
        if offer.get("type") == "credit":
            return await accept_credit_offer(dispatcher, tracker, offer)
        if offer.get("type") == "extension":
            return await accept_extension_offer(dispatcher, tracker, offer)
        return await hand_off(
            dispatcher, tracker, offer.get("reason", "customer asked for a person")
        )


class ActionDeny(Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if pending_offer(tracker) is None:
            dispatcher.utter_message(text="Okay. Is there anything else I can help with?")
            return []
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
        return [SlotSet("pending_offer", None)]


class ActionStartOver(Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text="Okay, let's start over. How can I help?")
        return [SlotSet(slot, None) for slot in RESET_ON_START_OVER]
