"""TMF JSON -> the domain's models, and the few domain values the wire carries back.

Every reader takes a body parsed with ``parse_float=Decimal`` and either returns a model or
raises ExternalProtocolError naming the resource and the field: a BSS that breaks its contract
must never become a silently wrong bill, balance or order in front of a customer. The value
tables (rate types, order states, ...) are in ``vocabulary.py``; Money is read by ``money.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.money import cents_of, decimal_of
from domain.errors import ExternalProtocolError
from domain.model import Account, AccountStatus, Bill, BillLine, Incident, Order, OrderStatus


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 date-time with an offset (``Z`` for UTC), in UTC."""
    if not isinstance(value, str):
        raise ExternalProtocolError(f"{where}: {value!r} is not a date-time")
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise ExternalProtocolError(f"{where}: {value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ExternalProtocolError(f"{where}: {value!r} has no time zone")
    return as_utc(moment)


def parse_date(value: Any, where: str) -> date:
    """The UTC date of a date-time (a plain ``YYYY-MM-DD`` is taken as it is)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ExternalProtocolError(f"{where}: {value!r} is not a date") from None
    return parse_time(value, where).date()


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def wire_time(moment: datetime) -> str:
    """``2026-11-22T20:54:34Z``."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def wire_date(day: date) -> str:
    """A date as the wire sends it: that day at midnight UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def obj(value: Any, where: str) -> dict[str, Any]:
    """A JSON object, or the error naming where it was expected."""
    if not isinstance(value, dict):
        raise ExternalProtocolError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    """An array; a missing one is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExternalProtocolError(f"{where}: expected an array, got {type(value).__name__}")
    return value


def text(body: dict[str, Any], key: str, where: str) -> str:
    """A required, non-empty string field."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ExternalProtocolError(f"{where}: {key} is missing or not a string")
    return value


def _maybe_text(body: dict[str, Any], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ExternalProtocolError(f"{where}: {key} is not a string")
    return value or None


def _ref_id(body: dict[str, Any], key: str, where: str) -> str | None:
    """The id of a reference (``billingAccount``, ``bill``), None when there is none."""
    ref = body.get(key)
    return None if ref is None else text(obj(ref, f"{where}.{key}"), "id", f"{where}.{key}")


def _own(body: dict[str, Any], account_id: str, where: str) -> None:
    """A list item of another account means the BSS ignored our filter: never show it."""
    owner = _ref_id(body, "billingAccount", where)
    if owner is not None and owner != account_id:
        raise ExternalProtocolError(f"{where} belongs to another account (filter ignored?)")


def _unknown(kind: str, value: Any, table: str) -> ExternalProtocolError:
    return ExternalProtocolError(
        f"unknown {kind} {value!r}: add it to billing_adapters/tmf/vocabulary.py {table}"
    )


def _contact(body: dict[str, Any], where: str, medium_type: str, key: str) -> list[Any]:
    """One characteristic of the account's contact media of one type, in order."""
    found = []
    for contact in _list(body.get("contact"), f"{where}.contact"):
        for medium in _list(obj(contact, f"{where}.contact").get("contactMedium"), where):
            medium = obj(medium, f"{where}.contactMedium")
            if medium.get("mediumType") == medium_type:
                found.append(obj(medium.get("characteristic"), f"{where}.{medium_type}").get(key))
    return found


def _first(values: list[Any], what: str, where: str) -> str:
    found = next((value for value in values if isinstance(value, str) and value), None)
    if found is None:
        raise ExternalProtocolError(f"{where}: no {what}")
    return found


def _status(body: dict[str, Any], where: str) -> AccountStatus:
    under_review, payment = body.get("underReview", False), body.get("paymentStatus")
    if not isinstance(under_review, bool):
        raise ExternalProtocolError(f"{where}: underReview is not a boolean")
    if under_review:
        return AccountStatus.FLAGGED
    if payment is None:
        return AccountStatus.GOOD_STANDING
    if payment not in v.PAYMENT_STATUS:
        raise _unknown("paymentStatus", payment, "PAYMENT_STATUS")
    return v.PAYMENT_STATUS[payment]


def read_account(body: Any, currency: str) -> Account:
    body = obj(body, "billingAccount")
    account_id = text(body, "id", "billingAccount")
    where = f"billingAccount {account_id}"
    parties = [obj(p, f"{where}.relatedParty") for p in _list(body.get("relatedParty"), where)]
    names = [p.get("name") for p in parties if p.get("role") == v.CUSTOMER_ROLE]
    plan = obj(body.get("ratePlan"), f"{where}.ratePlan ({v.KESTREL_BILLING_ACCOUNT})")
    return Account(
        account_id=account_id,
        name=_first([*names, body.get("name")], "customer name", where),
        phone=_first(_contact(body, where, v.PHONE_MEDIUM, "phoneNumber"), "phone", where),
        plan=text(plan, "name", f"{where}.ratePlan"),
        plan_price_cents=cents_of(plan.get("price"), currency, f"{where}.ratePlan.price"),
        zip_code=_first(_contact(body, where, v.ADDRESS_MEDIUM, "postCode"), "postCode", where),
        status=_status(body, where),
        currency=currency,
    )


def read_balance_cents(body: Any, currency: str) -> int:
    body = obj(body, "billingAccount")
    where = f"billingAccount {body.get('id')}.accountBalance"
    for balance in _list(body.get("accountBalance"), where):
        balance = obj(balance, where)
        if balance.get("balanceType") == v.OUTSTANDING_BALANCE:
            return cents_of(balance.get("amount"), currency, f"{where}.amount")
    raise ExternalProtocolError(f"{where}: no {v.OUTSTANDING_BALANCE!r} balance")


def read_line(body: Any, account_id: str, currency: str) -> tuple[str, BillLine]:
    """A line and the id of its bill."""
    body = obj(body, "appliedCustomerBillingRate")
    where = f"appliedCustomerBillingRate {body.get('id')}"
    _own(body, account_id, where)
    bill_id = _ref_id(body, "bill", where)
    if bill_id is None:
        raise ExternalProtocolError(f"{where}: no bill")
    description = _maybe_text(body, "description", where) or _maybe_text(body, "name", where)
    if description is None:
        raise ExternalProtocolError(f"{where}: neither description nor name")
    kind = body.get("type")
    if kind not in v.RATE_TYPE:
        raise _unknown("appliedCustomerBillingRate type", kind, "RATE_TYPE")
    amount = body.get("taxIncludedAmount", body.get("taxExcludedAmount"))
    if amount is None:
        raise ExternalProtocolError(f"{where}: neither taxIncludedAmount nor taxExcludedAmount")
    traits = {}
    for trait in _list(body.get("characteristic"), f"{where}.characteristic"):
        trait = obj(trait, f"{where}.characteristic")
        traits[trait.get("name")] = trait.get("value")
    quantity, unit, price = traits.get(v.QUANTITY), traits.get(v.UNIT), traits.get(v.UNIT_PRICE)
    if quantity is not None:
        count = decimal_of(quantity, f"{where}.quantity")
        if count != count.to_integral_value():
            raise ExternalProtocolError(f"{where}: quantity {quantity!r} is not a whole number")
    if unit is not None and not isinstance(unit, str):
        raise ExternalProtocolError(f"{where}: unit {unit!r} is not a string")
    return bill_id, BillLine(
        line_id=text(body, "id", where),
        description=description,
        category=v.RATE_TYPE[kind],
        amount_cents=cents_of(amount, currency, f"{where}.amount"),
        quantity=None if quantity is None else int(quantity),
        unit_cents=None if price is None else cents_of(price, currency, f"{where}.unitPrice"),
        unit_label=unit,
    )


def read_bill(body: Any, account_id: str, lines: list[BillLine], currency: str) -> Bill:
    body = obj(body, "customerBill")
    bill_id = text(body, "id", "customerBill")
    where = f"customerBill {bill_id}"
    _own(body, account_id, where)
    period = obj(body.get("billingPeriod"), f"{where}.billingPeriod")
    settled = body.get("state") == v.SETTLED
    bill = Bill(
        bill_id=bill_id,
        account_id=account_id,
        period_start=parse_time(period.get("startDateTime"), f"{where}.billingPeriod.start"),
        period_end=parse_time(period.get("endDateTime"), f"{where}.billingPeriod.end"),
        issued_at=parse_time(body.get("billDate"), f"{where}.billDate"),
        due_date=parse_date(body.get("paymentDueDate"), f"{where}.paymentDueDate"),
        lines=tuple(lines),
        paid_at=parse_time(body.get("lastUpdate"), f"{where}.lastUpdate") if settled else None,
    )
    if body.get("amountDue") is not None:  # the lines we got must add up to the bill
        due = cents_of(body["amountDue"], currency, f"{where}.amountDue")
        if due != bill.total_cents:
            raise ExternalProtocolError(
                f"{where}: amountDue is {due} minor units, its lines add up to {bill.total_cents}"
            )
    return bill


def read_order(body: Any, account_id: str) -> Order | None:
    """The order, or None for a state the customer is not shown (cancelled, rejected ...)."""
    body = obj(body, "productOrder")
    order_id = text(body, "id", "productOrder")
    where = f"productOrder {order_id}"
    _own(body, account_id, where)
    state = body.get("state")
    if state in v.IGNORED_ORDER_STATES:
        return None
    shipment = obj(body.get("shipment") or {}, f"{where}.shipment")
    if state == v.SHIPPED_STATE and shipment:
        status = OrderStatus.SHIPPED
    elif state in v.ORDER_STATE:
        status = v.ORDER_STATE[state]
    else:
        raise _unknown("productOrder state", state, "ORDER_STATE")
    items = _list(body.get("productOrderItem"), f"{where}.productOrderItem")
    first = obj(items[0], f"{where}.productOrderItem") if items else {}
    names = [
        obj(first.get(k) or {}, f"{where}.{k}").get("name") for k in ("product", "productOffering")
    ]
    item = next((n for n in names if isinstance(n, str) and n), None)
    if item is None:
        raise ExternalProtocolError(f"{where}: no product name on its first item")
    shipped, expected = shipment.get("shipDate"), body.get("expectedCompletionDate")
    return Order(
        order_id=order_id,
        account_id=account_id,
        item=item,
        status=status,
        carrier=_maybe_text(shipment, "carrier", f"{where}.shipment"),
        tracking_number=_maybe_text(shipment, "trackingNumber", f"{where}.shipment"),
        shipped_at=None if shipped is None else parse_time(shipped, f"{where}.shipDate"),
        expected_at=None if expected is None else parse_time(expected, f"{where}.expected"),
    )


def read_incident(body: Any) -> Incident:
    body = obj(body, "networkIncident")
    incident_id = text(body, "id", "networkIncident")
    where = f"networkIncident {incident_id}"
    kind = body.get("kind")
    if kind not in v.INCIDENT_KIND:
        raise _unknown("networkIncident kind", kind, "INCIDENT_KIND")
    zips = _list(body.get("postCode"), f"{where}.postCode")
    if not all(isinstance(z, str) for z in zips):
        raise ExternalProtocolError(f"{where}: postCode holds a non-string")
    return Incident(
        incident_id=incident_id,
        zip_codes=tuple(sorted(zips)),
        kind=v.INCIDENT_KIND[kind],
        starts_at=parse_time(body.get("startDateTime"), f"{where}.startDateTime"),
        ends_at=parse_time(body.get("endDateTime"), f"{where}.endDateTime"),
    )
