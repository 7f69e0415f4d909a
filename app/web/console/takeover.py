"""A person taking a case: the back office's use cases plus the conversation in Rasa.

The API and the console pages both go through here, so claiming always pauses the bot, a reply
always carries the agent's name, and a decision is always told to a customer still in the chat.
Voice cases are transferred calls: they are decided here, but have no live text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from app.web.console.rasa_conversations import RasaConversations, Turn
from domain.case_outcome import case_outcome_text
from domain.errors import DomainError, InvalidInput, NotPermitted
from domain.records import Case
from domain.usecases import console
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.transitions import Step

log = logging.getLogger(__name__)

VOICE = "voice"
LONGEST_REPLY = 1000


def has_live_chat(case: Case) -> bool:
    return case.channel != VOICE


class Takeover:
    def __init__(
        self,
        get_deps: Callable[[], Deps],
        conversations: RasaConversations,
        on_case_event: Callable[[], None] = lambda: None,
    ) -> None:
        self._deps = get_deps
        self._rasa = conversations
        self._on_case_event = on_case_event  # wakes the webhook sender after a commit

    def claim(self, case_id: str, user: str) -> Case:
        """Take the case; a chat case's bot is paused (if Rasa cannot pause it, no claim)."""
        deps = self._deps()
        before = console.get_case(deps, case_id)
        return self._held(before, console.claim_case(deps, case_id, user), user)

    def assign(self, case_id: str, user: str, to_user: str) -> Case:
        """Give the case to someone; an unheld chat case's bot is paused for them."""
        deps = self._deps()
        before = console.get_case(deps, case_id)
        return self._held(before, console.assign_case(deps, case_id, user, to_user), user)

    def _held(self, before: Case, case: Case, user: str) -> Case:
        """A person holds the case now: pause the bot unless someone held it already."""
        if has_live_chat(case) and before.claimed_by is None:
            try:
                self._rasa.pause(case.conversation_id)
            except DomainError:
                console.release_case(self._deps(), case.id, case.claimed_by or user)
                raise
        return case

    def reply(self, case_id: str, user: str, name: str, text: str) -> None:
        case = console.get_case(self._deps(), case_id)
        if not has_live_chat(case):
            raise InvalidInput(f"{case.reference} is a phone call: there is no live chat")
        if case.claimed_by != user:
            raise NotPermitted(f"claim {case.reference} before replying in its chat")
        text = text.strip()
        if not 1 <= len(text) <= LONGEST_REPLY:
            raise InvalidInput(f"a reply has 1 to {LONGEST_REPLY} characters")
        self._rasa.say_as_agent(case.conversation_id, text, name)

    def release(self, case_id: str, user: str) -> Case:
        """Hand back: the bot resumes and tells the customer where their case stands."""
        deps = self._deps()
        before = console.get_case(deps, case_id)
        case = console.release_case(deps, case_id, user)
        if has_live_chat(case) and before.claimed_by is not None:
            # The widget itself says "You're back with the automated assistant" on the hand back.
            self._rasa.hand_back(case.conversation_id, self.outcome(case))
        return case

    def decide(
        self,
        case_id: str,
        user: str,
        name: str,
        action: Literal["approve", "reject"],
        *,
        amount_cents: int | None = None,
        days: int | None = None,
        reason: str = "",
    ) -> Step:
        deps = self._deps()
        step = console.decide_case(
            deps, case_id, user, action, amount_cents=amount_cents, days=days, reason=reason
        )
        self._on_case_event()
        case = console.get_case(deps, case_id)
        if has_live_chat(case):
            self._tell_decision(case, name)
        return step

    def _tell_decision(self, case: Case, name: str) -> None:
        """The money has moved already: a chat that cannot be reached is logged, not an error."""
        text = self.outcome(case)
        try:
            if case.claimed_by is not None:
                self._rasa.say_as_agent(case.conversation_id, text, name)
            else:
                self._rasa.tell(case.conversation_id, text)
        except DomainError as error:
            log.warning("could not tell %s its decision: %s", case.reference, error)

    def ask_for_verification(self, case_id: str, user: str) -> None:
        case = console.get_case(self._deps(), case_id)
        if case.verified:
            raise InvalidInput(f"the customer of {case.reference} is verified already")
        if not has_live_chat(case):
            raise InvalidInput(f"{case.reference} is a phone call: the bot is not in it")
        console.staff_member(self._deps(), user)
        self._rasa.ask_for_verification(case.conversation_id)

    def transcript(self, case: Case) -> list[Turn]:
        if not has_live_chat(case):
            return []
        return self._rasa.transcript(case.conversation_id)

    def outcome(self, case: Case) -> str:
        deps = self._deps()
        record = console.case_proposal(deps, case.id)
        balance = None
        if case.account_id is not None:
            try:
                balance = deps.billing.get_balance_cents(case.account_id)
            except DomainError:
                balance = None  # the outcome is still worth telling without it
        return case_outcome_text(case, record, balance)
