"""The TMF wire of the demo operator seeded at SEEDED_AT, as the reference BSS serves it.

Plain JSON values (Money values are floats, as ``json.dumps`` would write them), built from
``demo_operator(SEEDED_AT)``: David's billing account, Ana's bills and bill lines, Farid's orders,
the 60614 outage, and one exchange of each Kestrel operation. Shared by the tests of the
conformance checker, the reference BSS and the adapter: copy (``copy.deepcopy``) before changing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from billing_adapters.tmf.vocabulary import (
    BILLING_ACCOUNT,
    BILLING_RATE,
    CUSTOMER_BILL,
    KESTREL_API,
    PRODUCT_ORDER,
)

JSON = dict[str, Any]

SEEDED_AT = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)
NOW = "2026-11-22T20:54:34Z"  # SEEDED_AT on the wire
ORIGIN = "http://127.0.0.1:8090"
SCHEMA_LOCATION = f"{ORIGIN}{KESTREL_API}/schema#/definitions"


def usd(value: float) -> JSON:
    return {"value": value, "unit": "USD"}


def account_ref(account_id: str) -> JSON:
    return {"id": account_id, "href": f"{ORIGIN}{BILLING_ACCOUNT}/{account_id}"}


def bill_ref(bill_id: str) -> JSON:
    return {"id": bill_id, "href": f"{ORIGIN}{CUSTOMER_BILL}/{bill_id}"}


DAVID_ACCOUNT: JSON = {
    "id": "100004",
    "href": f"{ORIGIN}{BILLING_ACCOUNT}/100004",
    "name": "David Kim",
    "accountType": "postpaid",
    "state": "active",
    "paymentStatus": "upToDate",
    "underReview": False,
    "ratePlan": {"name": "Unlimited Plus", "price": usd(65.0)},
    "relatedParty": [
        {"id": "100004", "name": "David Kim", "role": "customer", "@referredType": "Individual"}
    ],
    "contact": [
        {
            "contactType": "primary",
            "contactName": "David Kim",
            "validFor": {"startDateTime": NOW},
            "contactMedium": [
                {
                    "mediumType": "phone",
                    "preferred": True,
                    "characteristic": {"phoneNumber": "+15550100004"},
                },
                {
                    "mediumType": "postalAddress",
                    "characteristic": {"postCode": "98101", "country": "US"},
                },
            ],
        }
    ],
    "accountBalance": [
        {"balanceType": "outstanding", "amount": usd(254.1), "validFor": {"startDateTime": NOW}}
    ],
    "@type": "KestrelBillingAccount",
    "@baseType": "BillingAccount",
    "@schemaLocation": f"{SCHEMA_LOCATION}/KestrelBillingAccount",
}


def _bill(
    index: int, period: tuple[str, str], due: str, amount: float, paid_at: str | None
) -> JSON:
    bill_id = f"B-100001-{index}"
    return {
        "id": bill_id,
        "href": f"{ORIGIN}{CUSTOMER_BILL}/{bill_id}",
        "billNo": bill_id,
        "billDate": period[1],
        "billingPeriod": {"startDateTime": period[0], "endDateTime": period[1]},
        "paymentDueDate": due,
        "amountDue": usd(amount),
        "remainingAmount": usd(0.0 if paid_at else amount),
        "state": "settled" if paid_at else "sent",
        "lastUpdate": paid_at or period[1],
        "billingAccount": account_ref("100001"),
        "category": "normal",
        "runType": "onCycle",
        "@type": "CustomerBill",
    }


# Newest first: the current bill (open), then the previous one (paid 13 days before T).
ANA_BILLS: list[JSON] = [
    _bill(2, ("2026-10-13T20:54:34Z", "2026-11-12T20:54:34Z"), "2026-12-03T00:00:00Z", 112.4, None),
    _bill(
        1,
        ("2026-09-13T20:54:34Z", "2026-10-13T20:54:34Z"),
        "2026-11-03T00:00:00Z",
        70.15,
        "2026-11-09T20:54:34Z",
    ),
]


def _line(bill: JSON, n: int, rate_type: str, text: str, amount: float, **extra: Any) -> JSON:
    line_id = f"{bill['id']}-L{n}"
    return {
        "id": line_id,
        "href": f"{ORIGIN}{BILLING_RATE}/{line_id}",
        "name": text,
        "description": text,
        "type": rate_type,
        "isBilled": True,
        "date": bill["billDate"],
        "bill": bill_ref(bill["id"]),
        "billingAccount": account_ref("100001"),
        "taxIncludedAmount": usd(amount),
        **extra,
        "@type": "AppliedCustomerBillingRate",
    }


ROAMING_CHARACTERISTIC: list[JSON] = [
    {"name": "quantity", "valueType": "integer", "value": 4},
    {"name": "unit", "valueType": "string", "value": "day"},
    {"name": "unitPrice", "valueType": "Money", "value": usd(8.0)},
]

# Every line of every bill of Ana's: by bill (newest first), then line position.
ANA_LINES: list[JSON] = [
    _line(ANA_BILLS[0], 1, "recurringCharge", "Unlimited Plus plan", 65.0),
    _line(
        ANA_BILLS[0],
        2,
        "roamingUsageCharge",
        "International roaming, Canada",
        32.0,
        characteristic=ROAMING_CHARACTERISTIC,
    ),
    _line(ANA_BILLS[0], 3, "penaltyCharge", "Late fee", 5.0),
    _line(ANA_BILLS[0], 4, "taxCharge", "Taxes and surcharges", 10.4),
    _line(ANA_BILLS[1], 1, "recurringCharge", "Unlimited Plus plan", 65.0),
    _line(ANA_BILLS[1], 2, "taxCharge", "Taxes and surcharges", 5.15),
]


def _order(order_id: str, state: str, item: str, expected: str, **extra: Any) -> JSON:
    return {
        "id": order_id,
        "href": f"{ORIGIN}{PRODUCT_ORDER}/{order_id}",
        "state": state,
        "expectedCompletionDate": expected,
        "billingAccount": account_ref("100006"),
        "productOrderItem": [
            {"id": "1", "action": "add", "quantity": 1, "state": state, "product": {"name": item}}
        ],
        **extra,
        "@type": "KestrelProductOrder",
        "@baseType": "ProductOrder",
        "@schemaLocation": f"{SCHEMA_LOCATION}/KestrelProductOrder",
    }


# By id: ORD-5001 shipped (inProgress with a shipment), ORD-5002 backordered (held).
FARID_ORDERS: list[JSON] = [
    _order(
        "ORD-5001",
        "inProgress",
        "Pixel 9a phone",
        "2026-11-24T20:54:34Z",
        shipment={
            "carrier": "UPS",
            "trackingNumber": "1Z999AA10123456784",
            "shipDate": "2026-11-20T20:54:34Z",
        },
    ),
    _order("ORD-5002", "held", "Replacement SIM card", "2026-12-01T20:54:34Z"),
]

# GET networkIncident?postCode=60614 over the 60 days before T.
OUTAGE_INCIDENTS: list[JSON] = [
    {
        "id": "INC-7781",
        "href": f"{ORIGIN}{KESTREL_API}/networkIncident/INC-7781",
        "kind": "fullOutage",
        "startDateTime": "2026-10-23T00:00:00Z",
        "endDateTime": "2026-10-27T00:00:00Z",
        "postCode": ["60614"],
        "@type": "NetworkIncident",
    }
]

CREDIT_REQUEST: JSON = {
    "adjustType": "credit",
    "amount": usd(5.0),
    "billingAccount": {"id": "100001"},
    "bill": {"id": "B-100001-2"},
    "description": "Late fee waived (first in 12 months)",
    "requestedDate": NOW,
    "@type": "AdjustBalance",
}
CREDIT_ANSWER: JSON = {
    "id": "CR-0A1B2C3D4E",
    "href": f"{ORIGIN}{KESTREL_API}/adjustBalance/CR-0A1B2C3D4E",
    "status": "completed",
    "confirmationDate": NOW,
    "adjustType": "credit",
    "amount": usd(5.0),
    "billingAccount": account_ref("100001"),
    "bill": bill_ref("B-100001-2"),
    "description": "Late fee waived (first in 12 months)",
    "@type": "AdjustBalance",
}

EXTENSION_REQUEST: JSON = {
    "billingAccount": {"id": "100001"},
    "bill": {"id": "B-100001-2"},
    "newPaymentDueDate": "2026-12-17T00:00:00Z",
    "@type": "PaymentExtension",
}
EXTENSION_ANSWER: JSON = {
    "id": "EXT-5F6A7B8C9D",
    "href": f"{ORIGIN}{KESTREL_API}/paymentExtension/EXT-5F6A7B8C9D",
    "status": "completed",
    "billingAccount": account_ref("100001"),
    "bill": bill_ref("B-100001-2"),
    "newPaymentDueDate": "2026-12-17T00:00:00Z",
    "confirmationDate": NOW,
    "@type": "PaymentExtension",
}

PIN_REQUEST: JSON = {"billingAccount": {"id": "100001"}, "pin": "4321", "@type": "PinVerification"}
PIN_ANSWER: JSON = {
    "billingAccount": {"id": "100001"},
    "verified": True,
    "@type": "PinVerificationResult",
}

NOT_FOUND_ERROR: JSON = {
    "code": "404",
    "reason": "Not Found",
    "message": "billingAccount 999999",
    "status": "404",
    "@type": "Error",
}
KEY_REUSED_ERROR: JSON = {
    "code": "409",
    "reason": "Conflict",
    "message": "Idempotency-Key already used for another request",
    "status": "409",
    "@type": "Error",
}
