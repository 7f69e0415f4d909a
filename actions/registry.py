"""Which handler answers which request, so verification and combined requests can replay them."""

from __future__ import annotations

from actions.billing import say_balance, say_bill_explanation, say_due_date
from actions.common import Handler
from actions.credits import (
    dispute_charge,
    offer_duplicate_credit,
    offer_late_fee_waiver,
    offer_outage_credit,
)
from actions.extensions import ask_for_extension
from actions.orders import say_order_status

HANDLERS: dict[str, Handler] = {
    "action_balance": say_balance,
    "action_due_date": say_due_date,
    "action_explain_bill": say_bill_explanation,
    "action_offer_late_fee_waiver": offer_late_fee_waiver,
    "action_offer_duplicate_credit": offer_duplicate_credit,
    "action_offer_outage_credit": offer_outage_credit,
    "action_dispute_charge": dispute_charge,
    "action_payment_extension": ask_for_extension,
    "action_order_status": say_order_status,
}

ACTION_FOR_INTENT = {
    "ask_balance": "action_balance",
    "ask_due_date": "action_due_date",
    "ask_bill_increase": "action_explain_bill",
    "request_late_fee_waiver": "action_offer_late_fee_waiver",
    "request_duplicate_credit": "action_offer_duplicate_credit",
    "request_outage_credit": "action_offer_outage_credit",
    "dispute_charge": "action_dispute_charge",
    "request_extension": "action_payment_extension",
    "ask_order_status": "action_order_status",
}

PENDING_SEPARATOR = ","
