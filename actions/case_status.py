"""A customer asking "what's happening with KM-1042?" hears where their case is, once verified."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import GatedRequest, call
from actions.guard import Guarded
from actions.replies import case_status_text
from domain.usecases.case_status import case_reference_in, case_status

ASK_CASE_STATUS = "ask_case_status"
CASE_REFERENCE = "case_reference"  # the RegexEntityExtractor's entity (bot/data/nlu/cases.yml)


def reference_asked(tracker: Tracker) -> str | None:
    """The case the customer asked about, from the asking message (also when verification came
    in between): its entity, else its text; None means "my case", the newest."""
    for event in reversed(tracker.events):
        parsed = event.get("parse_data") or {}
        if (
            event.get("event") != "user"
            or (parsed.get("intent") or {}).get("name") != ASK_CASE_STATUS
        ):
            continue
        for entity in parsed.get("entities") or []:
            if entity.get("entity") == CASE_REFERENCE and entity.get("value"):
                return case_reference_in(str(entity["value"]))
        return case_reference_in(str(event.get("text") or ""))
    return case_reference_in(str(tracker.latest_message.get("text") or ""))


async def say_case_status(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    view = await call(case_status, account_id, reference_asked(tracker))
    dispatcher.utter_message(text=case_status_text(view))
    return []


class ActionCaseStatus(Guarded, GatedRequest, Action):
    action_name = "action_case_status"
    handler = staticmethod(say_case_status)
