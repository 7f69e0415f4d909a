"""How the TM Forum wire maps onto the domain: the one module an operator adapts to its vendor.

The TMF resources are standard; the values inside some of their free-text fields are not (one
vendor's ``appliedCustomerBillingRate.type`` for a late fee is ``penaltyCharge``, another's
``LATE_PAYMENT``). Everything the adapter and the reference BSS agree on beyond the official
schemas is here: the base paths, the value tables, and the Kestrel extensions (TMF's own
``@type`` / ``@baseType`` / ``@schemaLocation`` polymorphism, for what TMF666/TMF622 do not carry:
the rate plan, the review flag, the shipment of an order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from domain.model import AccountStatus, IncidentKind, LineCategory, OrderStatus

V = TypeVar("V")

ACCOUNT_API = "/tmf-api/accountManagement/v4"  # TMF666
BILL_API = "/tmf-api/customerBillManagement/v4"  # TMF678
ORDER_API = "/tmf-api/productOrderingManagement/v4"  # TMF622
KESTREL_API = "/tmf-api/kestrel/v1"  # postings, PIN check, incidents (kestrel-extensions.json)

BILLING_ACCOUNT = f"{ACCOUNT_API}/billingAccount"
CUSTOMER_BILL = f"{BILL_API}/customerBill"
BILLING_RATE = f"{BILL_API}/appliedCustomerBillingRate"
PRODUCT_ORDER = f"{ORDER_API}/productOrder"
ADJUST_BALANCE = f"{KESTREL_API}/adjustBalance"
PAYMENT_EXTENSION = f"{KESTREL_API}/paymentExtension"
PIN_VERIFICATION = f"{KESTREL_API}/pinVerification"
NETWORK_INCIDENT = f"{KESTREL_API}/networkIncident"
EXTENSION_SCHEMA = f"{KESTREL_API}/schema"

# TMF630 attribute filters used on the list operations.
PHONE_FILTER = "contact.contactMedium.characteristic.phoneNumber"
ACCOUNT_FILTER = "billingAccount.id"

IDEMPOTENCY_HEADER = "Idempotency-Key"

# @type of the extended resources (their extra fields are in kestrel-extensions.json).
KESTREL_BILLING_ACCOUNT = "KestrelBillingAccount"
KESTREL_PRODUCT_ORDER = "KestrelProductOrder"

# billingAccount.paymentStatus. A KestrelBillingAccount with "underReview": true is FLAGGED
# whatever its payment status.
PAYMENT_STATUS: dict[str, AccountStatus] = {
    "upToDate": AccountStatus.GOOD_STANDING,
    "pastDue": AccountStatus.PAST_DUE,
}

# billingAccount.contact[].contactMedium[].mediumType holding the phone and the service ZIP.
PHONE_MEDIUM = "phone"
ADDRESS_MEDIUM = "postalAddress"
CUSTOMER_ROLE = "customer"  # relatedParty[].role whose name is the customer's name
OUTSTANDING_BALANCE = "outstanding"  # accountBalance[].balanceType of what the customer owes

# appliedCustomerBillingRate.type -> the bill line's category. An unknown type is an error
# (ExternalProtocolError naming it), never a guess: add the vendor's value here.
RATE_TYPE: dict[str, LineCategory] = {
    "recurringCharge": LineCategory.PLAN,
    "addOnCharge": LineCategory.ADDON,
    "roamingUsageCharge": LineCategory.ROAMING,
    "penaltyCharge": LineCategory.LATE_FEE,
    "thirdPartyCharge": LineCategory.THIRD_PARTY,
    "taxCharge": LineCategory.TAXES,
}

# appliedCustomerBillingRate.characteristic[].name of a usage line's quantity, unit and price.
QUANTITY = "quantity"
UNIT = "unit"
UNIT_PRICE = "unitPrice"  # value: Money

# customerBill.state of a bill paid in full (its lastUpdate is when the last payment came).
SETTLED = "settled"

# productOrder.state -> the order's status; a KestrelProductOrder "inProgress" with a
# "shipment" is SHIPPED. Orders in IGNORED_ORDER_STATES are not shown to the customer.
ORDER_STATE: dict[str, OrderStatus] = {
    "inProgress": OrderStatus.PROCESSING,
    "acknowledged": OrderStatus.PROCESSING,
    "pending": OrderStatus.PROCESSING,
    "partial": OrderStatus.PROCESSING,
    "held": OrderStatus.BACKORDERED,
    "completed": OrderStatus.DELIVERED,
}
SHIPPED_STATE = "inProgress"  # with a shipment
IGNORED_ORDER_STATES = frozenset(
    {"rejected", "cancelled", "failed", "assessingCancellation", "pendingCancellation"}
)

# networkIncident.kind -> the incident's kind.
INCIDENT_KIND: dict[str, IncidentKind] = {
    "fullOutage": IncidentKind.FULL_OUTAGE,
    "degradedService": IncidentKind.DEGRADED,
}


def inverse(table: Mapping[str, V]) -> dict[V, str]:
    """The wire value of each domain value, the first listed when several map to it (the
    reference BSS writes what the adapter reads)."""
    return {domain: wire for wire, domain in reversed(list(table.items()))}
