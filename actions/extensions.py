"""Payment extensions: "two more weeks", "until the 15th", "30 days"."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import GatedRequest, call, last_text_of, money_was_asked
from actions.credits import origin_of, tell
from actions.guard import Guarded
from actions.reply_metadata import choices
from domain.spoken import extension_days
from domain.usecases.billing import balance
from domain.usecases.lifecycle.offers import offer_extension

AWAITING_LENGTH = "extension_length"


async def ask_extension(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str, text: str
) -> list[EventType]:
    view = await call(balance, account_id)
    days = extension_days(text, view.due_date)
    if days is None or days <= 0:
        dispatcher.utter_message(
            text=f"Your current bill is due on {view.due_date:%B} {view.due_date.day}. How much "
            'more time do you need? For example "two weeks" or "until the 15th".',
            buttons=choices("one week", "two weeks"),
        )
        return [SlotSet("awaiting", AWAITING_LENGTH)]
    step = await call(offer_extension, account_id, days, origin_of(tracker))
    return [SlotSet("awaiting", None), *await tell(dispatcher, tracker, step)]


async def ask_for_extension(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    if not money_was_asked(tracker, "request_extension"):
        view = await call(balance, account_id)
        dispatcher.utter_message(
            text=f"Your current bill is due on {view.due_date:%B} {view.due_date.day}. If you "
            "need more time to pay, just ask."
        )
        return [SlotSet("awaiting", None)]
    return await ask_extension(
        dispatcher, tracker, account_id, last_text_of(tracker, ("request_extension",))
    )


class ActionPaymentExtension(Guarded, GatedRequest, Action):
    action_name = "action_payment_extension"
    handler = staticmethod(ask_for_extension)
