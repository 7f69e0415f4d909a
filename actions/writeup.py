"""Writing up a case for the agent once it is open: facts from code, words from the model."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker

from actions.common import call, channel_of
from app.bootstrap import get_llm_services
from domain.identity import Identifier, parse_pin
from domain.records import Adjustment
from domain.usecases.case_wording import gather_case_facts
from domain.usecases.case_writeup import write_up_case
from domain.usecases.cases import Handoff

REDACTED = "[redacted]"


def wording_channel(tracker: Tracker) -> str:
    return "voice" if channel_of(tracker) == "voice" else "chat"


def customer_messages(tracker: Tracker, last: int = 8) -> tuple[str, ...]:
    """What the customer wrote, never a PIN (redacted, or anything that reads as one)."""
    texts = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    kept = [t for t in texts if t and REDACTED not in t and parse_pin(t) is None]
    return tuple(kept[-last:])


def verified_how(tracker: Tracker) -> str:
    identifier = Identifier.decode(str(tracker.get_slot("identifier") or ""))
    if identifier is not None and identifier.phone:
        return "phone number on file and PIN"
    return "account number and PIN"


async def write_up(
    tracker: Tracker, handoff: Handoff | None, proposed: Adjustment | None = None
) -> None:
    """Summarise the new case (model or template) and save it on the case."""
    if handoff is None:
        return
    services = await asyncio.to_thread(get_llm_services)
    facts = await call(
        gather_case_facts,
        conversation_id=tracker.sender_id,
        channel=wording_channel(tracker),
        account_id=handoff.case.account_id,
        verified_how=verified_how(tracker),
        reason=handoff.case.reason,
        customer_messages=customer_messages(tracker),
        proposed=proposed,
    )
    await call(write_up_case, services, handoff.case.id, facts)
