"""What every action needs: the dependencies, the verified account, the verification gate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.pending import pending_of, wait_for_handoff
from actions.replies import offer_prompt
from app.bootstrap import get_deps, get_settings
from domain.errors import NotFound
from domain.money_requests import asked_for_money
from domain.policy import Policy
from domain.records import Status
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import get_offer

T = TypeVar("T")

VERIFY_FORM = "verify_form"
LOCKED_ONLY = "For your security I can't verify you again in this conversation."
LOCKED_TEXT = f"{LOCKED_ONLY} I can connect you with a person from our team. Would you like that?"
REVERIFY_TEXT = "I need to verify your identity again before I change anything."
LOCKED_HANDOFF = "verification locked"
VERIFY_FIRST_QUESTION = "shall I verify who you are first, so the agent doesn't have to ask again?"

Handler = Callable[[CollectingDispatcher, Tracker, str], Awaitable[list[EventType]]]


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) use case off the event loop with the process-wide dependencies."""
    deps: Deps = await asyncio.to_thread(get_deps)
    return await asyncio.to_thread(partial(fn, deps, *args, **kwargs))


async def loaded_policy() -> Policy:
    """The autonomy policy in force (replies quote its limits, never numbers of their own)."""
    deps: Deps = await asyncio.to_thread(get_deps)
    return deps.policy


def verified_account(tracker: Tracker) -> str | None:
    value = tracker.get_slot("verified_account")
    return str(value) if value else None


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def start_verification(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    pending: str,
    opening: str = "I can help with that.",
) -> list[EventType]:
    """Ask who the customer is first; the pending request runs once they are verified."""
    if tracker.get_slot("verification_locked"):
        dispatcher.utter_message(text=LOCKED_TEXT)
        return [wait_for_handoff(LOCKED_HANDOFF)]
    dispatcher.utter_message(text=opening)
    return [SlotSet("pending_request", pending), FollowupAction(VERIFY_FORM)]


async def reminder(tracker: Tracker, events: list[EventType]) -> str | None:
    """After a digression, the question still waiting for a yes or no (if the handler kept it)."""
    if any(e.get("event") == "slot" and e.get("name") == "pending_offer" for e in events):
        return None
    pending = pending_of(tracker)
    if pending is None:
        return None
    if pending.verify_first:
        return f"Back to your earlier question: {VERIFY_FIRST_QUESTION}"
    if pending.offer_id is None:
        return "Back to your earlier question: would you like me to connect you with a person?"
    try:
        offer = await call(get_offer, pending.offer_id)
    except NotFound:
        return None
    if offer.status is not Status.OFFERED:
        return None
    return f"Back to your earlier request: {offer_prompt(offer)}"


def asking_message(tracker: Tracker, intents: tuple[str, ...]) -> dict[str, Any]:
    """The latest message classified as one of ``intents`` (the request, not the PIN after it),
    as ``{"text", "intent": {"name", "confidence"}}``; the latest message when there is none."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            parsed = event.get("parse_data") or {}
            name = str((parsed.get("intent") or {}).get("name") or "")
            if any(part in intents for part in name.split("+")):
                return {"text": event.get("text") or "", "intent": parsed.get("intent") or {}}
    return dict(tracker.latest_message or {})


def last_text_of(tracker: Tracker, intents: tuple[str, ...]) -> str:
    return str(asking_message(tracker, intents).get("text") or "")


def money_was_asked(tracker: Tracker, intent: str) -> bool:
    """Whether the customer's own message asked for this adjustment, clearly enough to offer it."""
    message = asking_message(tracker, (intent,))
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    return asked_for_money(
        confidence, str(message.get("text") or ""), get_settings().money_request_min_confidence
    )


async def gated(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, handler: Handler
) -> list[EventType]:
    account_id = verified_account(tracker)
    if account_id is None:
        return start_verification(dispatcher, tracker, name)
    events = await handler(dispatcher, tracker, account_id)
    waiting = await reminder(tracker, events)
    if waiting:
        dispatcher.utter_message(text=waiting)
    return events


class GatedRequest:
    """A request that needs a verified customer (mixed into an rasa-sdk ``Action``).

    Not an ``Action`` itself, so rasa-sdk does not register this base as an action.
    """

    action_name = ""
    handler: Handler

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await gated(dispatcher, tracker, self.name(), type(self).handler)
