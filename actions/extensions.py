"""Payment extensions: "two more weeks", "until the 15th", "30 days"."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import REVERIFY_TEXT, GatedRequest, call, last_text_of, verified_account
from actions.credits import origin_of
from actions.replies import extension_offer_text, extension_text
from actions.writeup import write_up
from domain.records import Outcome
from domain.spoken import extension_days
from domain.usecases.billing import balance
from domain.usecases.extensions import preview_extension, settle_extension

AWAITING_LENGTH = "extension_length"


async def settle(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str, days: int
) -> list[EventType]:
    settlement = await call(settle_extension, account_id, days, origin_of(tracker))
    await write_up(tracker, settlement.handoff)
    dispatcher.utter_message(text=extension_text(settlement))
    return [SlotSet("pending_offer", None)]


async def offer_extension(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str, text: str
) -> list[EventType]:
    view = await call(balance, account_id)
    days = extension_days(text, view.due_date)
    if days is None or days <= 0:
        dispatcher.utter_message(
            text=f"Your current bill is due on {view.due_date:%B} {view.due_date.day}. How much "
            'more time do you need? For example "two weeks" or "until the 15th".'
        )
        return [SlotSet("awaiting", AWAITING_LENGTH)]
    preview = await call(preview_extension, account_id, days)
    events: list[EventType] = [SlotSet("awaiting", None)]
    if preview.decision is not None and preview.decision.outcome is Outcome.APPLY:
        prompt = extension_offer_text(preview)
        dispatcher.utter_message(text=prompt)
        offer = {"type": "extension", "days": days, "account_id": account_id, "prompt": prompt}
        return [*events, SlotSet("pending_offer", json.dumps(offer))]
    return events + await settle(dispatcher, tracker, account_id, days)


async def ask_for_extension(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    return await offer_extension(
        dispatcher, tracker, account_id, last_text_of(tracker, ("request_extension",))
    )


async def accept_extension_offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, offer: dict[str, Any]
) -> list[EventType]:
    account_id = verified_account(tracker)
    if account_id is None or offer.get("account_id") != account_id:
        dispatcher.utter_message(text=REVERIFY_TEXT)
        return [SlotSet("pending_offer", None)]
    return await settle(dispatcher, tracker, account_id, int(offer["days"]))


class ActionPaymentExtension(GatedRequest, Action):
    action_name = "action_payment_extension"
    handler = staticmethod(ask_for_extension)
