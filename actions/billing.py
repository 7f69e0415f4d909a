"""Balance, due date, "why is my bill higher" and "what is this charge"."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import GatedRequest, call, last_text_of
from actions.guard import Guarded
from actions.writeup import wording_channel
from app.bootstrap import get_llm_services
from domain.money import format_cents
from domain.usecases.billing import balance, explain_charge
from domain.usecases.llm_wording import explain_bill_with_llm


async def say_balance(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    view = await call(balance, account_id)
    dispatcher.utter_message(
        text=f"Your balance is {format_cents(view.balance_cents, view.currency)}. Your current "
        f"bill of {format_cents(view.current_bill_cents, view.currency)} is due on "
        f"{view.due_date:%B} {view.due_date.day}, {view.due_date.year}."
    )
    return []


async def say_due_date(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    view = await call(balance, account_id)
    dispatcher.utter_message(
        text=f"Your current bill of {format_cents(view.current_bill_cents, view.currency)} is due "
        f"on {view.due_date:%B} {view.due_date.day}, {view.due_date.year}."
    )
    return []


async def say_bill_explanation(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    services = await asyncio.to_thread(get_llm_services)
    wording = await call(
        explain_bill_with_llm,
        services,
        account_id,
        conversation_id=tracker.sender_id,
        channel=wording_channel(tracker),
        customer_text=last_text_of(tracker, ("ask_bill_increase",)),
    )
    dispatcher.utter_message(text=wording.text)
    return []


CHARGE_LINE = "charge_line"  # the entity a "Which charge do you mean?" button carries


def line_chosen(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == CHARGE_LINE and entity.get("value"):
            return str(entity["value"])
    return None


async def say_charge_explanation(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
) -> list[EventType]:
    """One line explained (never refused, never an offer); a choice when unclear which."""
    answer = await call(
        explain_charge,
        account_id,
        last_text_of(tracker, ("explain_charge",)),
        line_chosen(tracker),
    )
    buttons = [
        {
            "title": f"{line.description} {format_cents(line.amount_cents)}",
            "payload": f'/explain_charge{{"{CHARGE_LINE}": "{line.line_id}"}}',
        }
        for line in answer.choices
    ]
    dispatcher.utter_message(text=answer.text, buttons=buttons)
    return []


class ActionBalance(Guarded, GatedRequest, Action):
    action_name = "action_balance"
    handler = staticmethod(say_balance)


class ActionDueDate(Guarded, GatedRequest, Action):
    action_name = "action_due_date"
    handler = staticmethod(say_due_date)


class ActionExplainBill(Guarded, GatedRequest, Action):
    action_name = "action_explain_bill"
    handler = staticmethod(say_bill_explanation)


class ActionExplainCharge(Guarded, GatedRequest, Action):
    action_name = "action_explain_charge"
    handler = staticmethod(say_charge_explanation)
