"""Credits the customer asks for: decide, state the exact offer, wait for a yes."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    GatedRequest,
    Handler,
    call,
    channel_of,
    loaded_policy,
    money_was_asked,
)
from actions.guard import Guarded
from actions.pending import nothing_pending, wait_for_offer
from actions.replies import step_text
from actions.reply_metadata import handed_off
from actions.writeup import write_up
from domain.records import Adjustment, AdjustmentKind, Status
from domain.usecases.billing import explain_without_offer
from domain.usecases.cases import Origin
from domain.usecases.lifecycle.offers import offer_credit
from domain.usecases.lifecycle.transitions import Step


def origin_of(tracker: Tracker) -> Origin:
    return Origin(conversation_id=tracker.sender_id, channel=channel_of(tracker))


async def tell(dispatcher: CollectingDispatcher, tracker: Tracker, step: Step) -> list[EventType]:
    """Say what a lifecycle step did, write up a new case, and keep only what still waits."""
    proposed = step.record if isinstance(step.record, Adjustment) else None
    await write_up(tracker, step.handoff, proposed)
    dispatcher.utter_message(
        text=step_text(step, await loaded_policy()),
        json_message=handed_off(step.handoff.case.reference) if step.handoff else None,
    )
    events: list[EventType] = [
        wait_for_offer(step.record.id)
        if step.record.status is Status.OFFERED
        else nothing_pending()
    ]
    if step.record.status is Status.DECLINED and isinstance(step.record, Adjustment):
        events.append(SlotSet("last_declined", step.record.idempotency_key))
    return events


INTENT_OF_KIND = {
    AdjustmentKind.LATE_FEE_WAIVER: "request_late_fee_waiver",
    AdjustmentKind.DUPLICATE_CHARGE: "request_duplicate_credit",
    AdjustmentKind.OUTAGE_CREDIT: "request_outage_credit",
    AdjustmentKind.THIRD_PARTY_DISPUTE: "dispute_charge",
}


def offer_of(kind: AdjustmentKind) -> Handler:
    async def handler(
        dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
    ) -> list[EventType]:
        if not money_was_asked(tracker, INTENT_OF_KIND[kind]):
            text = await call(explain_without_offer, account_id, kind)
            dispatcher.utter_message(text=text)
            return [nothing_pending()]
        step = await call(offer_credit, account_id, kind, origin_of(tracker))
        return await tell(dispatcher, tracker, step)

    return handler


offer_late_fee_waiver = offer_of(AdjustmentKind.LATE_FEE_WAIVER)
offer_duplicate_credit = offer_of(AdjustmentKind.DUPLICATE_CHARGE)
offer_outage_credit = offer_of(AdjustmentKind.OUTAGE_CREDIT)
dispute_charge = offer_of(AdjustmentKind.THIRD_PARTY_DISPUTE)


class ActionOfferLateFeeWaiver(Guarded, GatedRequest, Action):
    action_name = "action_offer_late_fee_waiver"
    handler = staticmethod(offer_late_fee_waiver)


class ActionOfferDuplicateCredit(Guarded, GatedRequest, Action):
    action_name = "action_offer_duplicate_credit"
    handler = staticmethod(offer_duplicate_credit)


class ActionOfferOutageCredit(Guarded, GatedRequest, Action):
    action_name = "action_offer_outage_credit"
    handler = staticmethod(offer_outage_credit)


class ActionDisputeCharge(Guarded, GatedRequest, Action):
    action_name = "action_dispute_charge"
    handler = staticmethod(dispute_charge)
