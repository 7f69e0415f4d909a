"""While a person holds a conversation (the console paused the bot), the bot stays silent.

- A typed ``/restart`` still reaches the policies while paused (Rasa lets that one intent
  through), and Rasa's own ``action_restart`` would un-pause: ours keeps the pause.
- A new session (the customer writes after ``session_expiration_time`` idle minutes) resets the
  tracker, which would un-pause too: our ``action_session_start`` keeps the pause.
- The console asks the bot to verify the customer (``POST /conversations/{id}/execute`` with
  ``action_verify_for_agent``); once verified, the bot hands the conversation back to the person.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.common import VERIFY_FORM, call, verified_account
from actions.guard import Guarded
from actions.replies import person_name
from domain.usecases.case_status import holder_of_conversation

ACTION_LISTEN = "action_listen"
AGENT_ASKS_TO_VERIFY = "The agent would like to confirm who you are first."


async def holder_of(tracker: Tracker) -> str | None:
    """Who holds this conversation's case in the console (a username), if anyone."""
    return await call(holder_of_conversation, tracker.sender_id)


def back_to_person(dispatcher: CollectingDispatcher, holder: str, opening: str) -> list[EventType]:
    """Say that the person continues, and go silent again.

    The pause stops Rasa's prediction loop before it predicts ``action_listen``, so the turn's
    end is logged here: the customer's next message (after the hand back) then follows a listen,
    as rules and forms expect.
    """
    dispatcher.utter_message(
        text=f"{opening} {person_name(holder)} will continue with you.".strip()
    )
    return [ConversationPaused(), ActionExecuted(ACTION_LISTEN)]


class ActionRestart(Guarded, Action):
    """``/restart``: Rasa's restart, unless a person holds the conversation.

    Paused, the restart is not acted on: the message stays in the tracker (the agent sees it),
    nothing is said, and the follow-up ``action_listen`` ends Rasa's loop (it would otherwise
    predict ``action_restart`` again, the latest message still being ``/restart``). Not
    ``UserUtteranceReverted``: Rasa's replay rewinds to the action before the reverted message,
    and a paused conversation logs no action after the pause, so the pause would be undone too.
    """

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.is_paused():
            return [FollowupAction(ACTION_LISTEN)]
        # What Rasa's ActionRestart does: its response if the domain has one, then Restarted.
        if "utter_restart" in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_restart")
        return [Restarted()]


def carried_over_slots(tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
    """The old session's slots, if the domain carries them over (ours does not: verification
    ends with the session). What Rasa's ActionSessionStart does; no domain (a selective-domain
    endpoint) carries nothing over."""
    if not (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", False):
        return []
    slots: list[EventType] = []
    for event in tracker.applied_events():
        if event.get("event") == "session_started":  # where Rasa's applied_events starts over too
            slots = []
        elif event.get("event") == "slot":
            slots.append(
                {**SlotSet(event["name"], event.get("value")), "metadata": event.get("metadata")}
            )
    return slots


class ActionSessionStart(Guarded, Action):
    """A new session: Rasa's own session start, still paused when a person held the old one.

    Rasa runs it (listed in the domain, a default action is the action server's) before it logs
    the message that started the session, on the old session's tracker: ``tracker.is_paused()``
    is the old session's pause. SessionStarted resets the tracker, un-pausing it, so the pause is
    logged again right after it and the customer's message reaches the person, not the bot.
    Slots are not carried over (``carry_over_slots_to_new_session: false``): a customer verified
    in the old session verifies again in the new one, held or not.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        paused: list[EventType] = [ConversationPaused()] if tracker.is_paused() else []
        return [
            SessionStarted(),
            *paused,
            *carried_over_slots(tracker, domain),
            ActionExecuted(ACTION_LISTEN),
        ]


class ActionVerifyForAgent(Guarded, Action):
    """Run by the console in a held conversation: the bot verifies the customer for the agent.

    ``execute`` runs this action alone (no prediction follows), so the form is started here and
    its first question asked here: the loop is active with ``requested_slot`` identifier, and
    the turn ends with a listen, so the customer's answer is extracted and validated as usual.
    """

    def name(self) -> str:
        return "action_verify_for_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if verified_account(tracker) or tracker.get_slot("verification_locked"):
            # Nothing to do (verified), or nothing the bot may do (locked): the person goes on.
            return []
        events: list[EventType] = [ConversationResumed()] if tracker.is_paused() else []
        dispatcher.utter_message(text=AGENT_ASKS_TO_VERIFY)
        dispatcher.utter_message(response="utter_ask_identifier")
        return [
            *events,
            SlotSet("pending_request", None),
            SlotSet("identifier", None),
            SlotSet("pin", None),
            ActiveLoop(VERIFY_FORM),
            SlotSet("requested_slot", "identifier"),
            ActionExecuted(ACTION_LISTEN),
        ]
