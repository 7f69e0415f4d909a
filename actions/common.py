"""What every action needs: the dependencies, the verified account, the verification gate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from app.bootstrap import get_deps
from domain.usecases.deps import Deps

T = TypeVar("T")

VERIFY_FORM = "verify_form"
LOCKED_TEXT = (
    "For your security I can't verify you again in this conversation. "
    "I can connect you with a person from our team. Would you like that?"
)
REVERIFY_TEXT = "I need to verify your identity again before I change anything."
HANDOFF_OFFER = json.dumps({"type": "handoff", "reason": "verification locked"})

Handler = Callable[[CollectingDispatcher, Tracker, str], Awaitable[list[EventType]]]


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) use case off the event loop with the process-wide dependencies."""
    deps: Deps = await asyncio.to_thread(get_deps)
    return await asyncio.to_thread(partial(fn, deps, *args, **kwargs))


def verified_account(tracker: Tracker) -> str | None:
    value = tracker.get_slot("verified_account")
    return str(value) if value else None


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def start_verification(
    dispatcher: CollectingDispatcher, tracker: Tracker, pending: str
) -> list[EventType]:
    """Ask who the customer is first; the pending request runs once they are verified."""
    if tracker.get_slot("verification_locked"):
        dispatcher.utter_message(text=LOCKED_TEXT)
        return [SlotSet("pending_offer", HANDOFF_OFFER)]
    dispatcher.utter_message(text="I can help with that.")
    return [SlotSet("pending_request", pending), FollowupAction(VERIFY_FORM)]


def reminder(tracker: Tracker, events: list[EventType]) -> str | None:
    """After a digression, the question still waiting for a yes or no (if the handler kept it)."""
    if any(e.get("event") == "slot" and e.get("name") == "pending_offer" for e in events):
        return None
    raw = tracker.get_slot("pending_offer")
    try:
        prompt = json.loads(raw).get("prompt") if raw else None
    except (TypeError, ValueError, AttributeError):
        return None
    return f"Back to your earlier request: {prompt}" if prompt else None


def last_text_of(tracker: Tracker, intents: tuple[str, ...]) -> str:
    """The latest message classified as one of ``intents`` (the request, not the PIN after it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name", "")
            if any(part in intents for part in str(name).split("+")):
                return str(event.get("text") or "")
    return str(tracker.latest_message.get("text") or "")


async def gated(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, handler: Handler
) -> list[EventType]:
    account_id = verified_account(tracker)
    if account_id is None:
        return start_verification(dispatcher, tracker, name)
    events = await handler(dispatcher, tracker, account_id)
    waiting = reminder(tracker, events)
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
