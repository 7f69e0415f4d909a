"""Domain values as TMF JSON: what the reference BSS writes and the TMF adapter reads.

Field by field as the wire of the TMF spec (issue 12) shows it, with the value tables of
``billing_adapters.tmf.vocabulary`` run backwards (``inverse``), so the adapter reads back exactly
what went in. ``base`` is the request's base URL (no trailing slash): every href is absolute.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from http import HTTPStatus
from typing import Any

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.money import to_money
from billing_adapters.tmf_reference.store import CreditRecord, ExtensionRecord, Paid
from domain.model import Account, AccountStatus, Bill, BillLine, Incident, Order, OrderStatus

Json = dict[str, Any]

# The demo operator is a US operator; the seed has no country per account.
COUNTRY = "US"

_PAYMENT_STATUS = v.inverse(v.PAYMENT_STATUS)
_RATE_TYPE = v.inverse(v.RATE_TYPE)
_ORDER_STATE = v.inverse(v.ORDER_STATE)
_INCIDENT_KIND = v.inverse(v.INCIDENT_KIND)


def iso(at: datetime) -> str:
    """ISO 8601 in UTC with ``Z`` (microseconds kept when there are any)."""
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def iso_date(day: date) -> str:
    """A date as the TMF date-time of its midnight UTC."""
    return iso(datetime.combine(day, time(), tzinfo=timezone.utc))


def schema_location(base: str, type_name: str) -> str:
    return f"{base}{v.EXTENSION_SCHEMA}#/definitions/{type_name}"


def ref(base: str, collection: str, resource_id: str) -> Json:
    return {"id": resource_id, "href": f"{base}{collection}/{resource_id}"}


def error(status: int, message: str) -> Json:
    """A TMF Error (``code`` and ``reason`` are the ones the spec requires)."""
    return {
        "code": str(status),
        "reason": HTTPStatus(status).phrase,
        "message": message,
        "status": str(status),
        "@type": "Error",
    }


def billing_account(
    base: str, account: Account, balance_cents: int, seeded_at: datetime, now: datetime
) -> Json:
    flagged = account.status is AccountStatus.FLAGGED
    return {
        **ref(base, v.BILLING_ACCOUNT, account.account_id),
        "name": account.name,
        "accountType": "postpaid",
        "state": "active",
        # A flagged account is up to date on its payments; the review flag says the rest.
        "paymentStatus": "upToDate" if flagged else _PAYMENT_STATUS[account.status],
        "underReview": flagged,
        "ratePlan": {
            "name": account.plan,
            "price": to_money(account.plan_price_cents, account.currency),
        },
        "relatedParty": [
            {
                "id": account.account_id,
                "name": account.name,
                "role": v.CUSTOMER_ROLE,
                "@referredType": "Individual",
            }
        ],
        "contact": [
            {
                "contactType": "primary",
                "contactName": account.name,
                "validFor": {"startDateTime": iso(seeded_at)},
                "contactMedium": [
                    {
                        "mediumType": v.PHONE_MEDIUM,
                        "preferred": True,
                        "characteristic": {"phoneNumber": account.phone},
                    },
                    {
                        "mediumType": v.ADDRESS_MEDIUM,
                        "characteristic": {"postCode": account.zip_code, "country": COUNTRY},
                    },
                ],
            }
        ],
        "accountBalance": [
            {
                "balanceType": v.OUTSTANDING_BALANCE,
                "amount": to_money(balance_cents, account.currency),
                "validFor": {"startDateTime": iso(now)},
            }
        ],
        "@type": v.KESTREL_BILLING_ACCOUNT,
        "@baseType": "BillingAccount",
        "@schemaLocation": schema_location(base, v.KESTREL_BILLING_ACCOUNT),
    }


def customer_bill(base: str, bill: Bill, paid: Paid, currency: str) -> Json:
    due = bill.total_cents
    if paid.cents >= due and paid.last_at is not None:
        state, last_update = v.SETTLED, paid.last_at
    else:
        state, last_update = ("partiallyPaid" if paid.cents > 0 else "sent"), bill.issued_at
    return {
        **ref(base, v.CUSTOMER_BILL, bill.bill_id),
        "billNo": bill.bill_id,
        "billDate": iso(bill.issued_at),
        "billingPeriod": {
            "startDateTime": iso(bill.period_start),
            "endDateTime": iso(bill.period_end),
        },
        "paymentDueDate": iso_date(bill.due_date),  # the extended one, if there is one
        "amountDue": to_money(due, currency),
        "remainingAmount": to_money(max(due - paid.cents, 0), currency),
        "state": state,
        "lastUpdate": iso(last_update),
        "billingAccount": ref(base, v.BILLING_ACCOUNT, bill.account_id),
        "category": "normal",
        "runType": "onCycle",
        "@type": "CustomerBill",
    }


def _characteristics(line: BillLine, currency: str) -> list[Json]:
    found: list[Json] = []
    if line.quantity is not None:
        found.append({"name": v.QUANTITY, "valueType": "integer", "value": line.quantity})
    if line.unit_label is not None:
        found.append({"name": v.UNIT, "valueType": "string", "value": line.unit_label})
    if line.unit_cents is not None:
        price = to_money(line.unit_cents, currency)
        found.append({"name": v.UNIT_PRICE, "valueType": "Money", "value": price})
    return found


def billing_rate(base: str, bill: Bill, line: BillLine, currency: str) -> Json:
    rate: Json = {
        **ref(base, v.BILLING_RATE, line.line_id),
        "name": line.description,
        "description": line.description,
        "type": _RATE_TYPE[line.category],
        "isBilled": True,
        "date": iso(bill.issued_at),
        "bill": ref(base, v.CUSTOMER_BILL, bill.bill_id),
        "billingAccount": ref(base, v.BILLING_ACCOUNT, bill.account_id),
        "taxIncludedAmount": to_money(line.amount_cents, currency),
    }
    characteristics = _characteristics(line, currency)
    if characteristics:
        rate["characteristic"] = characteristics
    rate["@type"] = "AppliedCustomerBillingRate"
    return rate


def product_order(base: str, order: Order) -> Json:
    shipped = order.status is OrderStatus.SHIPPED
    state = v.SHIPPED_STATE if shipped else _ORDER_STATE[order.status]
    body: Json = {**ref(base, v.PRODUCT_ORDER, order.order_id), "state": state}
    if order.expected_at is not None:
        body["expectedCompletionDate"] = iso(order.expected_at)
    body["billingAccount"] = ref(base, v.BILLING_ACCOUNT, order.account_id)
    body["productOrderItem"] = [
        {"id": "1", "action": "add", "quantity": 1, "state": state, "product": {"name": order.item}}
    ]
    if shipped:
        shipment: Json = {"carrier": order.carrier, "trackingNumber": order.tracking_number}
        if order.shipped_at is not None:
            shipment["shipDate"] = iso(order.shipped_at)
        body["shipment"] = {k: val for k, val in shipment.items() if val is not None}
    body["@type"] = v.KESTREL_PRODUCT_ORDER
    body["@baseType"] = "ProductOrder"
    body["@schemaLocation"] = schema_location(base, v.KESTREL_PRODUCT_ORDER)
    return body


def network_incident(base: str, incident: Incident) -> Json:
    return {
        **ref(base, v.NETWORK_INCIDENT, incident.incident_id),
        "kind": _INCIDENT_KIND[incident.kind],
        "startDateTime": iso(incident.starts_at),
        "endDateTime": iso(incident.ends_at),
        "postCode": list(incident.zip_codes),
        "@type": "NetworkIncident",
    }


def adjust_balance(base: str, credit: CreditRecord, currency: str) -> Json:
    """The answer to a credit, built from its stored row: a repeat gets the same body."""
    return {
        **ref(base, v.ADJUST_BALANCE, credit.reference),
        "status": "completed",
        "confirmationDate": iso(credit.posted_at),
        "adjustType": "credit",
        "amount": to_money(credit.amount_cents, currency),
        "billingAccount": ref(base, v.BILLING_ACCOUNT, credit.account_id),
        "bill": ref(base, v.CUSTOMER_BILL, credit.bill_id),
        "description": credit.memo,
        "@type": "AdjustBalance",
    }


def payment_extension(base: str, extension: ExtensionRecord) -> Json:
    """The answer to an extension, from its stored row (the id is the row's number)."""
    return {
        **ref(base, v.PAYMENT_EXTENSION, f"EXT-{extension.number:06d}"),
        "status": "completed",
        "billingAccount": ref(base, v.BILLING_ACCOUNT, extension.account_id),
        "bill": ref(base, v.CUSTOMER_BILL, extension.bill_id),
        "newPaymentDueDate": iso_date(extension.new_due_date),
        "confirmationDate": iso(extension.created_at),
        "@type": "PaymentExtension",
    }
