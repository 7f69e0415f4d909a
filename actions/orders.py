"""Order status and tracking for every order on the account."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import GatedRequest, call, last_text_of
from actions.guard import Guarded
from domain.usecases.orders import order_status

ORDER_ID = re.compile(r"\bORD[-\s]?(\d{3,})\b", re.IGNORECASE)


async def say_order_status(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    mentioned = ORDER_ID.search(last_text_of(tracker, ("ask_order_status",)))
    order_id = f"ORD-{mentioned.group(1)}" if mentioned else None
    dispatcher.utter_message(text=await call(order_status, account_id, order_id))
    return []


class ActionOrderStatus(Guarded, GatedRequest, Action):
    action_name = "action_order_status"
    handler = staticmethod(say_order_status)
