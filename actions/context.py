"""Messages whose meaning depends on context: a bare answer, or two requests at once."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import start_verification, verified_account
from actions.extensions import AWAITING_LENGTH, ask_extension
from actions.guard import Guarded
from actions.registry import ACTION_FOR_INTENT, HANDLERS, PENDING_SEPARATOR


class ActionInform(Guarded, Action):
    """A number, date or duration outside the verify form: an answer to what we asked, if any."""

    def name(self) -> str:
        return "action_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        account_id = verified_account(tracker)
        text = str(tracker.latest_message.get("text") or "")
        if account_id and tracker.get_slot("awaiting") == AWAITING_LENGTH:
            return await ask_extension(dispatcher, tracker, account_id, text)
        dispatcher.utter_message(response="utter_default")
        return []


class ActionMultiRequest(Guarded, Action):
    """Two requests in one message ("ask_balance+ask_due_date"): answered one after the other."""

    def name(self) -> str:
        return "action_multi_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = str(tracker.latest_message.get("intent", {}).get("name") or "")
        actions = [ACTION_FOR_INTENT[p] for p in intent.split("+") if p in ACTION_FOR_INTENT]
        if not actions:
            dispatcher.utter_message(response="utter_default")
            return []
        account_id = verified_account(tracker)
        if account_id is None:
            return start_verification(dispatcher, tracker, PENDING_SEPARATOR.join(actions))
        events: list[EventType] = []
        for action in actions:
            events += await HANDLERS[action](dispatcher, tracker, account_id)
        return events
