"""The read side of the wire: TMF666 billingAccount, TMF678 customerBill and
appliedCustomerBillingRate, TMF622 productOrder, and the Kestrel networkIncident and schema.

Plain ``def`` handlers: SqlBss is synchronous, so each runs in the thread pool and a slow one
never holds up the others. A list filtered on an unknown account is an empty list (the TMF way:
nothing matches); by id, an unknown resource is 404.
"""

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf_reference import wire
from billing_adapters.tmf_reference.errors import TmfError
from billing_adapters.tmf_reference.runtime import ReferenceRuntime, base_of, runtime_of
from billing_adapters.tmf_reference.store import Paid
from domain.errors import NotFound
from domain.model import Bill

SCHEMA_FILE = FilePath(v.__file__).resolve().parent / "specs" / "kestrel-extensions.json"

Runtime = Annotated[ReferenceRuntime, Depends(runtime_of)]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int | None, Query(ge=0)]
AccountFilter = Annotated[str | None, Query(alias=v.ACCOUNT_FILTER)]
PhoneFilter = Annotated[str | None, Query(alias=v.PHONE_FILTER)]
ResourceId = Annotated[str, Path(alias="id")]

router = APIRouter()


def _page(runtime: ReferenceRuntime, items: list[Any], offset: int, limit: int | None) -> Response:
    """One page of ``items`` with the TMF count headers (the cap and split_pages applied)."""
    cap = runtime.config.max_page_size
    size = cap if limit is None else min(limit, cap)
    split = runtime.faults.page_cap(len(items))
    if split is not None:
        size = min(size, split)
    chosen = items[offset : offset + size]
    headers = {"X-Total-Count": str(len(items)), "X-Result-Count": str(len(chosen))}
    return JSONResponse(chosen, headers=headers)


def _account_json(runtime: ReferenceRuntime, base: str, account_id: str) -> dict[str, Any]:
    bss, now = runtime.store.bss, datetime.now(timezone.utc)
    account = bss.get_account(account_id)
    balance = bss.get_balance_cents(account_id)
    seeded_at = runtime.store.seeded_at() or now
    return wire.billing_account(base, account, balance, seeded_at, now)


@router.get(v.BILLING_ACCOUNT)
def list_billing_accounts(
    request: Request, runtime: Runtime, phone: PhoneFilter = None, offset: Offset = 0,
    limit: Limit = None,
) -> Response:  # fmt: skip
    if phone is None:
        ids = runtime.store.account_ids()
    else:
        found = runtime.store.bss.find_account_id(phone=phone)
        ids = [] if found is None else [found]
    base = base_of(request)
    return _page(runtime, [_account_json(runtime, base, i) for i in ids], offset, limit)


@router.get(f"{v.BILLING_ACCOUNT}/{{id}}")
def get_billing_account(request: Request, runtime: Runtime, account_id: ResourceId) -> Response:
    try:
        return JSONResponse(_account_json(runtime, base_of(request), account_id))
    except NotFound:
        raise TmfError(404, f"billingAccount {account_id}") from None


def _required(account_id: str | None) -> str:
    if account_id is None:
        raise TmfError(400, f"the filter {v.ACCOUNT_FILTER} is required")
    return account_id


def _bills(runtime: ReferenceRuntime, account_id: str) -> tuple[list[Bill], str]:
    """The account's bills, newest first, and its currency; none for an unknown account."""
    try:
        currency = runtime.store.bss.get_account(account_id).currency
        return runtime.store.bss.get_bills(account_id), currency
    except NotFound:
        return [], ""


def _bill_json(runtime: ReferenceRuntime, base: str, bills: list[Bill], currency: str) -> list[Any]:
    paid = runtime.store.paid_by_bill([b.bill_id for b in bills])
    nothing = Paid(0, None)
    return [wire.customer_bill(base, b, paid.get(b.bill_id, nothing), currency) for b in bills]


@router.get(v.CUSTOMER_BILL)
def list_customer_bills(
    request: Request, runtime: Runtime, account_id: AccountFilter = None, offset: Offset = 0,
    limit: Limit = None,
) -> Response:  # fmt: skip
    bills, currency = _bills(runtime, _required(account_id))
    return _page(runtime, _bill_json(runtime, base_of(request), bills, currency), offset, limit)


@router.get(f"{v.CUSTOMER_BILL}/{{id}}")
def get_customer_bill(request: Request, runtime: Runtime, bill_id: ResourceId) -> Response:
    account_id = runtime.store.account_of_bill(bill_id)
    bills, currency = _bills(runtime, account_id or "")
    chosen = [b for b in bills if b.bill_id == bill_id]
    if not chosen:
        raise TmfError(404, f"customerBill {bill_id}")
    return JSONResponse(_bill_json(runtime, base_of(request), chosen, currency)[0])


@router.get(v.BILLING_RATE)
def list_billing_rates(
    request: Request, runtime: Runtime, account_id: AccountFilter = None, offset: Offset = 0,
    limit: Limit = None,
) -> Response:  # fmt: skip
    bills, currency = _bills(runtime, _required(account_id))
    base = base_of(request)
    # Newest bill first (as get_bills orders them), then each bill's lines by position.
    rates = [wire.billing_rate(base, b, line, currency) for b in bills for line in b.lines]
    return _page(runtime, rates, offset, limit)


@router.get(f"{v.BILLING_RATE}/{{id}}")
def get_billing_rate(request: Request, runtime: Runtime, rate_id: ResourceId) -> Response:
    owner = runtime.store.bill_of_line(rate_id)
    bill_id, account_id = owner if owner is not None else ("", "")
    bills, currency = _bills(runtime, account_id)
    for bill in bills:
        for line in bill.lines:
            if bill.bill_id == bill_id and line.line_id == rate_id:
                return JSONResponse(wire.billing_rate(base_of(request), bill, line, currency))
    raise TmfError(404, f"appliedCustomerBillingRate {rate_id}")


@router.get(v.PRODUCT_ORDER)
def list_product_orders(
    request: Request, runtime: Runtime, account_id: AccountFilter = None, offset: Offset = 0,
    limit: Limit = None,
) -> Response:  # fmt: skip
    try:
        orders = runtime.store.bss.list_orders(_required(account_id))
    except NotFound:
        orders = []
    base = base_of(request)
    return _page(runtime, [wire.product_order(base, o) for o in orders], offset, limit)


@router.get(f"{v.PRODUCT_ORDER}/{{id}}")
def get_product_order(request: Request, runtime: Runtime, order_id: ResourceId) -> Response:
    account_id = runtime.store.account_of_order(order_id)
    orders = [] if account_id is None else runtime.store.bss.list_orders(account_id)
    for order in orders:
        if order.order_id == order_id:
            return JSONResponse(wire.product_order(base_of(request), order))
    raise TmfError(404, f"productOrder {order_id}")


def _instant(value: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TmfError(400, f"{name}: {value!r} is not an ISO 8601 date-time") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


@router.get(v.NETWORK_INCIDENT)
def list_network_incidents(
    request: Request, runtime: Runtime, post_code: Annotated[str, Query(alias="postCode")],
    start: Annotated[str, Query(alias="startDateTime")],
    end: Annotated[str, Query(alias="endDateTime")], offset: Offset = 0, limit: Limit = None,
) -> Response:  # fmt: skip
    since, until = _instant(start, "startDateTime"), _instant(end, "endDateTime")
    incidents = runtime.store.bss.incidents_for_zip(post_code, since, until)
    base = base_of(request)
    return _page(runtime, [wire.network_incident(base, i) for i in incidents], offset, limit)


@lru_cache(maxsize=1)
def _schema() -> bytes:
    return SCHEMA_FILE.read_bytes()


@router.get(v.EXTENSION_SCHEMA)
def get_extension_schema() -> Response:
    """kestrel-extensions.json, where every @schemaLocation of an extended resource points."""
    try:
        return Response(_schema(), media_type="application/json")
    except FileNotFoundError:
        raise TmfError(404, f"no extension schema at {SCHEMA_FILE}") from None
