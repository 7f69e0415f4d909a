"""Which handler answers which request, so verification and combined requests can replay them."""

from __future__ import annotations

from actions.billing import ActionBalance, ActionDueDate, ActionExplainBill, ActionExplainCharge
from actions.case_status import ActionCaseStatus
from actions.common import GatedRequest, Handler
from actions.credits import (
    ActionDisputeCharge,
    ActionOfferDuplicateCredit,
    ActionOfferLateFeeWaiver,
    ActionOfferOutageCredit,
)
from actions.extensions import ActionPaymentExtension
from actions.handoff import HANDOFF_NOW, hand_off_on_request
from actions.orders import ActionOrderStatus

REQUESTS: tuple[type[GatedRequest], ...] = (
    ActionBalance,
    ActionDueDate,
    ActionExplainBill,
    ActionExplainCharge,
    ActionOfferLateFeeWaiver,
    ActionOfferDuplicateCredit,
    ActionOfferOutageCredit,
    ActionDisputeCharge,
    ActionPaymentExtension,
    ActionOrderStatus,
    ActionCaseStatus,
)
HANDLERS: dict[str, Handler] = {
    **{request.action_name: request.handler for request in REQUESTS},
    HANDOFF_NOW: hand_off_on_request,  # a person, once the customer agreed to verify first
}

ACTION_FOR_INTENT = {
    "ask_balance": "action_balance",
    "ask_due_date": "action_due_date",
    "ask_bill_increase": "action_explain_bill",
    "explain_charge": "action_explain_charge",
    "request_late_fee_waiver": "action_offer_late_fee_waiver",
    "request_duplicate_credit": "action_offer_duplicate_credit",
    "request_outage_credit": "action_offer_outage_credit",
    "dispute_charge": "action_dispute_charge",
    "request_extension": "action_payment_extension",
    "ask_order_status": "action_order_status",
    "ask_case_status": "action_case_status",
}

PENDING_SEPARATOR = ","
