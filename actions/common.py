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


async def gated(
    dispatcher: CollectingDispatcher, tracker: Tracker, name: str, handler: Handler
) -> list[EventType]:
    account_id = verified_account(tracker)
    if account_id is None:
        return start_verification(dispatcher, tracker, name)
    return await handler(dispatcher, tracker, account_id)
