"""The verify form: account or phone, then PIN. The PIN slot is cleared on every path."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    LOCKED_HANDOFF,
    LOCKED_ONLY,
    LOCKED_TEXT,
    VERIFY_FORM,
    call,
    channel_of,
    verified_account,
)
from actions.guard import Guarded
from actions.pending import Pending, nothing_pending, wait_for_handoff
from actions.registry import HANDLERS, PENDING_SEPARATOR
from actions.takeover import back_to_person, holder_of
from actions.writeup import wording_channel
from app.bootstrap import prefetch_bill_explanation
from domain.identity import Identifier, parse_identifier, parse_pin
from domain.usecases.verification import conversation_locked, verify_identity

NOT_VERIFIED = "I couldn't verify those details."
LOCKED_OFFER = Pending(handoff_reason=LOCKED_HANDOFF).encode()
# pending_request of a phone call's greeting: verify first, then "How can I help you today?"
CALLER_FIRST = "caller_first"


async def locked(
    dispatcher: CollectingDispatcher, tracker: Tracker, opening: str
) -> dict[str, Any]:
    """No more PIN attempts here: offer a person, unless a person already holds the conversation
    (then action_after_verification hands it back to them)."""
    if await holder_of(tracker):
        dispatcher.utter_message(text=f"{opening} {LOCKED_ONLY}".strip())
        return {"verification_locked": True}
    dispatcher.utter_message(text=f"{opening} {LOCKED_TEXT}".strip())
    return {"verification_locked": True, "pending_offer": LOCKED_OFFER}


class ValidateVerifyForm(Guarded, FormValidationAction):
    def name(self) -> str:
        return "validate_verify_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if verified_account(tracker) or tracker.get_slot("verification_locked"):
            return []
        return domain_slots

    async def validate_identifier(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if await call(conversation_locked, tracker.sender_id):
            return {"identifier": None, **await locked(dispatcher, tracker, "")}
        identifier = parse_identifier(str(value or ""))
        if identifier is None:
            dispatcher.utter_message(
                text="That doesn't look like an account number (6 digits) or a phone number."
            )
            return {"identifier": None}
        return {"identifier": identifier.encode()}

    async def validate_pin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        pin = parse_pin(str(value or ""))
        identifier = Identifier.decode(str(tracker.get_slot("identifier") or ""))
        if pin is None:
            dispatcher.utter_message(response="utter_pin_is_four_digits")
            return {"pin": None}
        if identifier is None:
            return {"pin": None, "identifier": None}
        outcome = await call(verify_identity, tracker.sender_id, identifier, pin)
        if outcome.verified:
            return {
                "pin": None,
                "verified_account": outcome.account_id,
                "customer_name": outcome.first_name,
            }
        if outcome.conversation_locked:
            return {
                "pin": None,
                "identifier": None,
                **await locked(dispatcher, tracker, NOT_VERIFIED),
            }
        dispatcher.utter_message(text=f"{NOT_VERIFIED} Let's try again.")
        return {"pin": None, "identifier": None}


class ActionAfterVerification(Guarded, Action):
    """Runs when the verify form ends: greet the verified customer and do what they asked."""

    def name(self) -> str:
        return "action_after_verification"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        account_id = verified_account(tracker)
        pending = str(tracker.get_slot("pending_request") or "")
        events: list[EventType] = [SlotSet("pending_request", None)]
        # A person holds the conversation (the console asked for this verification): tell the
        # customer they continue with that person, and go silent again.
        holder = await holder_of(tracker)
        if account_id is None:
            if holder:  # the form ends unverified only when locked: the person takes it from here
                return [*events, nothing_pending(), *back_to_person(dispatcher, holder, "")]
            return events
        name = tracker.get_slot("customer_name") or "there"
        if holder:
            thanks = f"Thanks, {name}, you're verified."
            return [*events, *back_to_person(dispatcher, holder, thanks)]
        # The explanation is the slow answer: start it now so it is ready when asked.
        await asyncio.to_thread(
            prefetch_bill_explanation, account_id, tracker.sender_id, wording_channel(tracker)
        )
        dispatcher.utter_message(text=f"Thanks, {name}, you're verified.")
        handlers = [HANDLERS[a] for a in pending.split(PENDING_SEPARATOR) if a in HANDLERS]
        if not handlers:
            dispatcher.utter_message(text="How can I help you today?")
        for handler in handlers:
            events += await handler(dispatcher, tracker, account_id)
        return events


class ActionGreet(Guarded, Action):
    """The greeting. On the phone it goes on to ask who is calling, as callers expect: the
    verify form runs at once, and the customer says what they need once verified."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet")
        if channel_of(tracker) != "voice" or verified_account(tracker):
            return []
        if tracker.get_slot("verification_locked"):
            dispatcher.utter_message(text=LOCKED_TEXT)
            return [wait_for_handoff(LOCKED_HANDOFF)]
        return [SlotSet("pending_request", CALLER_FIRST), FollowupAction(VERIFY_FORM)]
