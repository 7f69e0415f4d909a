"""TMF JSON -> domain models: every field of the wire examples, and every way a body breaks."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from billing_adapters.tmf import reading
from domain.errors import ExternalProtocolError
from domain.model import AccountStatus, IncidentKind, LineCategory, OrderStatus
from tests.unit import tmf_examples as ex

pytestmark = pytest.mark.unit

T = ex.SEEDED_AT


def wire(value: Any) -> Any:
    """As the adapter sees a body: serialised, then parsed with parse_float=Decimal."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def david(**changes: Any) -> Any:
    body = wire(ex.DAVID_ACCOUNT)
    body.update(changes)
    return body


def test_davids_account_is_read_field_by_field():
    account = reading.read_account(david(), "USD")
    assert (account.account_id, account.name, account.phone, account.zip_code) == (
        "100004", "David Kim", "+15550100004", "98101",
    )  # fmt: skip
    assert (account.plan, account.plan_price_cents) == ("Unlimited Plus", 6500)
    assert (account.status, account.currency) == (AccountStatus.GOOD_STANDING, "USD")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"underReview": True}, AccountStatus.FLAGGED),
        ({"underReview": True, "paymentStatus": "pastDue"}, AccountStatus.FLAGGED),
        ({"paymentStatus": "pastDue"}, AccountStatus.PAST_DUE),
        ({"paymentStatus": None, "underReview": None}, AccountStatus.GOOD_STANDING),
    ],
)
def test_the_status_comes_from_the_review_flag_then_the_payment_status(changes, status):
    body = david()
    for key, value in changes.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    assert reading.read_account(body, "USD").status is status


def test_an_unknown_payment_status_names_the_vocabulary_table():
    with pytest.raises(ExternalProtocolError, match=r"'frozen'.*vocabulary.py PAYMENT_STATUS"):
        reading.read_account(david(paymentStatus="frozen"), "USD")


def test_the_account_name_falls_back_to_the_account_name_without_a_customer_party():
    body = david(name="D. Kim")
    assert reading.read_account(body, "USD").name == "David Kim"
    body["relatedParty"] = [{"id": "9", "name": "Payer Inc", "role": "payer"}]
    assert reading.read_account(body, "USD").name == "D. Kim"


@pytest.mark.parametrize("missing", ["ratePlan", "contact", "id"])
def test_an_account_without_what_we_need_is_a_protocol_error(missing):
    body = david()
    del body[missing]
    with pytest.raises(ExternalProtocolError):
        reading.read_account(body, "USD")


def test_an_account_without_an_address_medium_is_a_protocol_error():
    body = david()
    body["contact"][0]["contactMedium"].pop()
    with pytest.raises(ExternalProtocolError, match="postCode"):
        reading.read_account(body, "USD")


def test_a_price_that_is_not_whole_cents_is_an_error_never_rounded():
    body = david()
    body["ratePlan"]["price"] = wire({"value": 65.005, "unit": "USD"})
    with pytest.raises(ExternalProtocolError, match="not a whole number"):
        reading.read_account(body, "USD")


def test_money_in_another_currency_is_an_error():
    with pytest.raises(ExternalProtocolError, match="EUR"):
        reading.read_account(david(), "EUR")


def test_the_outstanding_balance_is_read_exactly():
    assert reading.read_balance_cents(david(), "USD") == 25410


def test_an_account_without_an_outstanding_balance_is_a_protocol_error():
    body = david()
    body["accountBalance"][0]["balanceType"] = "deposit"
    with pytest.raises(ExternalProtocolError, match="outstanding"):
        reading.read_balance_cents(body, "USD")
    assert reading.read_account(body, "USD").account_id == "100004"  # only the balance needs it


def ana_bill(index: int) -> tuple[Any, list[Any]]:
    """One of Ana's bills and its read lines (index 0: current)."""
    bill = wire(ex.ANA_BILLS[index])
    lines = [reading.read_line(ln, "100001", "USD") for ln in wire(ex.ANA_LINES)]
    return bill, [line for bill_id, line in lines if bill_id == bill["id"]]


def test_anas_current_bill_is_read_with_its_lines_in_order():
    body, lines = ana_bill(0)
    bill = reading.read_bill(body, "100001", lines, "USD")
    assert (bill.bill_id, bill.account_id, bill.total_cents) == ("B-100001-2", "100001", 11240)
    assert (bill.period_start, bill.period_end) == (T - timedelta(40), T - timedelta(10))
    assert bill.issued_at == T - timedelta(10)
    assert bill.due_date == date(2026, 12, 3) and bill.paid_at is None
    assert [line.category for line in bill.lines] == [
        LineCategory.PLAN, LineCategory.ROAMING, LineCategory.LATE_FEE, LineCategory.TAXES,
    ]  # fmt: skip


def test_a_settled_bill_was_paid_at_its_last_update():
    body, lines = ana_bill(1)
    assert reading.read_bill(body, "100001", lines, "USD").paid_at == T - timedelta(days=13)


def test_a_roaming_line_keeps_its_quantity_unit_and_unit_price():
    bill_id, line = reading.read_line(wire(ex.ANA_LINES[1]), "100001", "USD")
    assert bill_id == "B-100001-2"
    assert (line.line_id, line.description, line.amount_cents) == (
        "B-100001-2-L2", "International roaming, Canada", 3200,
    )  # fmt: skip
    assert (line.quantity, line.unit_label, line.unit_cents) == (4, "day", 800)


def test_a_line_falls_back_to_its_name_and_its_tax_excluded_amount():
    body = wire(ex.ANA_LINES[0])
    del body["description"]
    body["taxExcludedAmount"] = body.pop("taxIncludedAmount")
    _, line = reading.read_line(body, "100001", "USD")
    assert (line.description, line.amount_cents, line.quantity) == (
        "Unlimited Plus plan",
        6500,
        None,
    )


@pytest.mark.parametrize("missing", ["taxIncludedAmount", "bill", "id"])
def test_a_line_without_its_amount_bill_or_id_is_a_protocol_error(missing):
    body = wire(ex.ANA_LINES[0])
    del body[missing]
    with pytest.raises(ExternalProtocolError):
        reading.read_line(body, "100001", "USD")


def test_an_unknown_rate_type_names_the_type_and_the_vocabulary_table():
    body = wire(ex.ANA_LINES[0])
    body["type"] = "LATE_PAYMENT"
    with pytest.raises(ExternalProtocolError, match=r"'LATE_PAYMENT'.*vocabulary.py RATE_TYPE"):
        reading.read_line(body, "100001", "USD")


def test_a_fractional_quantity_is_a_protocol_error():
    body = wire(ex.ANA_LINES[1])
    body["characteristic"][0]["value"] = Decimal("4.5")
    with pytest.raises(ExternalProtocolError, match="quantity"):
        reading.read_line(body, "100001", "USD")


@pytest.mark.parametrize("missing", ["id", "billDate", "billingPeriod", "paymentDueDate"])
def test_a_bill_without_a_required_field_is_a_protocol_error(missing):
    body, lines = ana_bill(0)
    del body[missing]
    with pytest.raises(ExternalProtocolError):
        reading.read_bill(body, "100001", lines, "USD")


def test_a_bill_whose_lines_do_not_add_up_to_its_amount_due_is_a_protocol_error():
    body, lines = ana_bill(0)
    with pytest.raises(ExternalProtocolError, match="amountDue"):
        reading.read_bill(body, "100001", lines[:-1], "USD")


def test_a_bill_of_another_account_is_never_shown():
    body, lines = ana_bill(0)
    with pytest.raises(ExternalProtocolError, match="another account"):
        reading.read_bill(body, "100002", lines, "USD")


def test_farids_orders_are_shipped_and_backordered():
    shipped, held = (reading.read_order(o, "100006") for o in wire(ex.FARID_ORDERS))
    assert shipped is not None and held is not None
    assert (shipped.order_id, shipped.item, shipped.status) == (
        "ORD-5001", "Pixel 9a phone", OrderStatus.SHIPPED,
    )  # fmt: skip
    assert (shipped.carrier, shipped.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert (shipped.shipped_at, shipped.expected_at) == (T - timedelta(2), T + timedelta(2))
    assert (held.status, held.carrier, held.shipped_at) == (OrderStatus.BACKORDERED, None, None)


def test_an_order_in_progress_without_a_shipment_is_processing_and_may_lack_a_date():
    body = wire(ex.FARID_ORDERS[0])
    del body["shipment"], body["expectedCompletionDate"]
    order = reading.read_order(body, "100006")
    assert order is not None and (order.status, order.expected_at) == (OrderStatus.PROCESSING, None)


def test_cancelled_orders_are_skipped_and_unknown_states_are_errors():
    body = wire(ex.FARID_ORDERS[1])
    assert reading.read_order({**body, "state": "cancelled"}, "100006") is None
    with pytest.raises(ExternalProtocolError, match="ORDER_STATE"):
        reading.read_order({**body, "state": "teleported"}, "100006")


def test_an_order_item_falls_back_to_the_offering_name_and_needs_one():
    body = wire(ex.FARID_ORDERS[1])
    body["productOrderItem"][0] = {"id": "1", "productOffering": {"name": "SIM"}}
    order = reading.read_order(body, "100006")
    assert order is not None and order.item == "SIM"
    body["productOrderItem"] = []
    with pytest.raises(ExternalProtocolError, match="product name"):
        reading.read_order(body, "100006")


def test_the_60614_outage_is_read_as_a_full_outage():
    incident = reading.read_incident(wire(ex.OUTAGE_INCIDENTS[0]))
    assert (incident.incident_id, incident.kind, incident.zip_codes) == (
        "INC-7781", IncidentKind.FULL_OUTAGE, ("60614",),
    )  # fmt: skip
    assert incident.ends_at - incident.starts_at == timedelta(days=4)
    with pytest.raises(ExternalProtocolError, match="INCIDENT_KIND"):
        reading.read_incident({**wire(ex.OUTAGE_INCIDENTS[0]), "kind": "solarFlare"})


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-22T20:54:34Z", T),
        ("2026-11-22T20:54:34.250000Z", T + timedelta(milliseconds=250)),
        ("2026-11-22T21:54:34+01:00", T),
    ],
)
def test_times_are_read_in_utc(text, moment):
    parsed = reading.parse_time(text, "t")
    assert parsed == moment and parsed.tzinfo is timezone.utc


@pytest.mark.parametrize("text", ["2026-11-22T20:54:34", "yesterday", 1732300000, None])
def test_times_without_a_zone_or_not_iso_are_protocol_errors(text):
    with pytest.raises(ExternalProtocolError):
        reading.parse_time(text, "t")


def test_a_due_date_is_the_utc_date_of_its_value_and_is_written_at_midnight_utc():
    assert reading.parse_date("2026-12-03T00:00:00Z", "d") == date(2026, 12, 3)
    assert reading.parse_date("2026-12-02T23:00:00-02:00", "d") == date(2026, 12, 3)
    assert reading.wire_date(date(2026, 12, 17)) == "2026-12-17T00:00:00Z"
    naive = datetime(2026, 11, 22, 20, 54, 34)
    assert reading.wire_time(naive) == reading.wire_time(T) == ex.NOW


def test_a_body_of_the_wrong_shape_is_a_protocol_error_not_a_type_error():
    bodies: list[Any] = [[], "account", None, {"id": 100004}]
    for body in bodies:
        with pytest.raises(ExternalProtocolError):
            reading.read_account(copy.deepcopy(body), "USD")
