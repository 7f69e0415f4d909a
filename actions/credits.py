"""Credits the customer asks for: preview, consent, settle."""

from __future__ import annotations

import json

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    REVERIFY_TEXT,
    GatedRequest,
    Handler,
    call,
    channel_of,
    verified_account,
)
from actions.replies import existing_text, offer_text, settlement_text
from actions.writeup import write_up
from domain.records import AdjustmentKind, Outcome, Status
from domain.usecases.cases import Origin
from domain.usecases.credits import propose_credit
from domain.usecases.settle import settle_credit


def origin_of(tracker: Tracker) -> Origin:
    return Origin(conversation_id=tracker.sender_id, channel=channel_of(tracker))


async def settle(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str, kind: AdjustmentKind
) -> list[EventType]:
    settlement = await call(settle_credit, account_id, kind, origin_of(tracker))
    await write_up(tracker, settlement.handoff, settlement.adjustment)
    dispatcher.utter_message(text=settlement_text(settlement))
    if settlement.adjustment.status is Status.DECLINED:
        return [SlotSet("last_declined", settlement.adjustment.idempotency_key)]
    return []


async def offer_credit(
    dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str, kind: AdjustmentKind
) -> list[EventType]:
    """State the exact credit and wait for a yes; human and decline outcomes are settled now."""
    proposal = await call(propose_credit, account_id, kind)
    if proposal.existing is not None:
        dispatcher.utter_message(text=existing_text(proposal.existing, proposal.balance_cents))
        return []
    if proposal.decision is not None and proposal.decision.outcome is Outcome.APPLY:
        amount = proposal.assessment.amount_cents
        text = offer_text(amount, proposal.assessment.description, proposal.balance_cents)
        dispatcher.utter_message(text=text)
        offer = {"type": "credit", "kind": kind.value, "account_id": account_id, "prompt": text}
        return [SlotSet("pending_offer", json.dumps(offer))]
    return await settle(dispatcher, tracker, account_id, kind)


def offer_of(kind: AdjustmentKind) -> Handler:
    async def handler(
        dispatcher: CollectingDispatcher, tracker: Tracker, account_id: str
    ) -> list[EventType]:
        return await offer_credit(dispatcher, tracker, account_id, kind)

    return handler


offer_late_fee_waiver = offer_of(AdjustmentKind.LATE_FEE_WAIVER)
offer_duplicate_credit = offer_of(AdjustmentKind.DUPLICATE_CHARGE)
offer_outage_credit = offer_of(AdjustmentKind.OUTAGE_CREDIT)
dispute_charge = offer_of(AdjustmentKind.THIRD_PARTY_DISPUTE)


class ActionOfferLateFeeWaiver(GatedRequest, Action):
    action_name = "action_offer_late_fee_waiver"
    handler = staticmethod(offer_late_fee_waiver)


class ActionOfferDuplicateCredit(GatedRequest, Action):
    action_name = "action_offer_duplicate_credit"
    handler = staticmethod(offer_duplicate_credit)


class ActionOfferOutageCredit(GatedRequest, Action):
    action_name = "action_offer_outage_credit"
    handler = staticmethod(offer_outage_credit)


class ActionDisputeCharge(GatedRequest, Action):
    action_name = "action_dispute_charge"
    handler = staticmethod(dispute_charge)


def pending_offer(tracker: Tracker) -> dict[str, str] | None:
    raw = tracker.get_slot("pending_offer")
    if not raw:
        return None
    try:
        offer = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return offer if isinstance(offer, dict) else None


async def accept_credit_offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, offer: dict[str, str]
) -> list[EventType]:
    account_id = verified_account(tracker)
    if account_id is None or offer.get("account_id") != account_id:
        dispatcher.utter_message(text=REVERIFY_TEXT)
        return [SlotSet("pending_offer", None)]
    events = await settle(dispatcher, tracker, account_id, AdjustmentKind(offer["kind"]))
    return [SlotSet("pending_offer", None), *events]
