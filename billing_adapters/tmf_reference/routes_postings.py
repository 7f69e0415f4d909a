"""The Kestrel extension postings: adjustBalance, paymentExtension, and pinVerification.

A posting needs an ``Idempotency-Key``: the first request under a key is applied (201), a repeat
of it is answered as the first time from the stored row (200, same id and confirmationDate),
another request under it is 409. Money is read exactly (``cents_of`` on a body parsed with
``parse_float=Decimal``). The handlers read the body here and do the database work in the
thread pool.
"""

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.money import cents_of
from billing_adapters.tmf_reference import wire
from billing_adapters.tmf_reference.errors import TmfError
from billing_adapters.tmf_reference.runtime import ReferenceRuntime, base_of, runtime_of
from domain.errors import ExternalProtocolError

MAX_MEMO = 500

Runtime = Annotated[ReferenceRuntime, Depends(runtime_of)]
Body = dict[str, Any]

router = APIRouter()


async def _body(request: Request) -> Body:
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise TmfError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise TmfError(400, "the body must be a JSON object")
    return body


def _key(request: Request) -> str:
    key = request.headers.get(v.IDEMPOTENCY_HEADER, "").strip()
    if not key:
        raise TmfError(400, f"the {v.IDEMPOTENCY_HEADER} header is required")
    if len(key) > 200:
        raise TmfError(400, f"the {v.IDEMPOTENCY_HEADER} header is longer than 200 characters")
    return key


def _id_of(body: Body, name: str) -> str:
    value = body.get(name)
    resource_id = value.get("id") if isinstance(value, dict) else None
    if not isinstance(resource_id, str) or not resource_id:
        raise TmfError(400, f"{name}.id is required")
    return resource_id


def _string(body: Body, name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise TmfError(400, f"{name} must be a string")
    return value


def _due_date(body: Body, name: str) -> date:
    """A TMF date-time standing for a date: the UTC date of the value."""
    value = _string(body, name)
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TmfError(400, f"{name}: {value!r} is not an ISO 8601 date-time") from None
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()


def _adjust(runtime: ReferenceRuntime, base: str, key: str, body: Body) -> tuple[int, Body]:
    if body.get("adjustType") != "credit":
        raise TmfError(400, "adjustType must be 'credit'")
    account_id, bill_id = _id_of(body, "billingAccount"), _id_of(body, "bill")
    memo = _string(body, "description", "")
    if len(memo) > MAX_MEMO:
        raise TmfError(400, f"description is longer than {MAX_MEMO} characters")
    bss = runtime.store.bss
    currency = bss.get_account(account_id).currency  # NotFound: 404
    try:
        cents = cents_of(body.get("amount"), currency, "amount")
    except ExternalProtocolError as error:
        raise TmfError(400, str(error)) from None
    with runtime.postings_lock:
        new = runtime.store.credit(key) is None
        # InvalidInput (not positive) 400, NotFound (bill) 404, IdempotencyConflict 409.
        bss.post_credit(account_id, bill_id, cents, memo, key)
        credit = runtime.store.credit(key)
    assert credit is not None
    return (201 if new else 200), wire.adjust_balance(base, credit, currency)


def _extend(runtime: ReferenceRuntime, base: str, key: str, body: Body) -> tuple[int, Body]:
    account_id, bill_id = _id_of(body, "billingAccount"), _id_of(body, "bill")
    new_due = _due_date(body, "newPaymentDueDate")
    runtime.store.bss.get_account(account_id)  # NotFound: 404
    with runtime.postings_lock:
        new = runtime.store.extension(key) is None
        # InvalidInput (not later) 400, NotFound (bill) 404, IdempotencyConflict 409.
        runtime.store.bss.extend_due_date(account_id, bill_id, new_due, key)
        extension = runtime.store.extension(key)
    assert extension is not None
    return (201 if new else 200), wire.payment_extension(base, extension)


@router.post(v.ADJUST_BALANCE)
async def adjust_balance(request: Request, runtime: Runtime) -> Response:
    key, body = _key(request), await _body(request)
    status, answer = await run_in_threadpool(_adjust, runtime, base_of(request), key, body)
    return JSONResponse(answer, status_code=status)


@router.post(v.PAYMENT_EXTENSION)
async def payment_extension(request: Request, runtime: Runtime) -> Response:
    key, body = _key(request), await _body(request)
    status, answer = await run_in_threadpool(_extend, runtime, base_of(request), key, body)
    return JSONResponse(answer, status_code=status)


@router.post(v.PIN_VERIFICATION)
async def pin_verification(request: Request, runtime: Runtime) -> Response:
    """200 either way: an unknown account is ``verified: false`` (existence is not revealed).

    An empty ``billingAccount.id`` is the bot checking a PIN for an account it did not find:
    it costs the same hash as a real check, so the answer's timing says nothing either.
    """
    body = await _body(request)
    account, pin = body.get("billingAccount"), _string(body, "pin")
    account_id = account.get("id") if isinstance(account, dict) else None
    if not isinstance(account_id, str):
        raise TmfError(400, "billingAccount.id is required")
    verified = await run_in_threadpool(runtime.store.bss.verify_pin, account_id, pin)
    return JSONResponse(
        {
            "billingAccount": {"id": account_id},
            "verified": verified,
            "@type": "PinVerificationResult",
        }
    )
