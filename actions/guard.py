"""Whatever goes wrong inside an action, the customer hears a sensible reply and is offered a
person, never silence (an action that raises gives Rasa a 500 and the customer nothing)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.pending import wait_for_handoff
from actions.reply_metadata import add_consent_buttons, pending_after
from app.bootstrap import get_settings
from domain.errors import Conflict, DomainError, ExternalSystemError, NotFound
from domain.turn_budget import turn_budget

log = logging.getLogger(__name__)

OFFER_PERSON = "Would you like me to connect you with a person from our team?"
TROUBLE_TEXT = {
    ExternalSystemError: (
        "I'm sorry, one of our systems isn't responding right now, so I couldn't finish that. "
        "You can try again in a few minutes."
    ),
    Conflict: (
        "That doesn't match what's already on record for your account, so I can't change it "
        "automatically."
    ),
    NotFound: "I'm sorry, I couldn't find what I needed to finish that.",
}
UNEXPECTED_TEXT = "I'm sorry, something went wrong on my side and I couldn't finish that."


def trouble_text(error: BaseException) -> str:
    for kind, text in TROUBLE_TEXT.items():
        if isinstance(error, kind):
            return f"{text} {OFFER_PERSON}"
    return f"{UNEXPECTED_TEXT} {OFFER_PERSON}"


class Guarded:
    """Mixed into every action: its ``run``, whether its own or inherited, answers on failure,
    and a question left waiting for a yes or a no gets its buttons (actions/reply_metadata.py).

    ``__init_subclass__`` wraps the ``run`` each subclass ends up with (a subclass's own ``run``
    would otherwise shadow a wrapper defined here).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = getattr(cls, "run", None)
        if run is not None and not getattr(run, "guarded", False):
            cls.run = _guard(run)  # type: ignore[attr-defined]


Run = Callable[[Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[list[EventType]]]


def _guard(run: Run) -> Run:
    @functools.wraps(run)
    async def guarded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            # The BSS calls of this turn share the channel's budget (domain/turn_budget.py).
            budget = get_settings().bss_budget_s(tracker.get_latest_input_channel())
            with turn_budget(budget):
                events = await run(self, dispatcher, tracker, domain)
        except Exception as error:  # every failure gets an answer; the log keeps the detail
            expected = isinstance(error, DomainError)
            log.log(
                logging.WARNING if expected else logging.ERROR,
                "action %s failed in conversation %s: %s: %s",
                self.name(),
                tracker.sender_id,
                type(error).__name__,
                error,
                exc_info=not expected,
            )
            dispatcher.utter_message(text=trouble_text(error))
            events = [wait_for_handoff("something went wrong during the conversation")]
        add_consent_buttons(dispatcher.messages, pending_after(tracker, events))
        return events

    guarded.guarded = True  # type: ignore[attr-defined]
    return guarded
