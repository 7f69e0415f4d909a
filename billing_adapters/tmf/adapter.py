"""TmfBss: the operator's BSS over the TM Forum Open APIs (TMF666, TMF678, TMF622) and the
Kestrel extensions, implementing BillingSystem, OrderSystem and NetworkStatus.

It behaves like SqlBss (the same contract suite runs against both); what it adds is the wire:
``client`` makes the calls resilient and turns every failure into the domain's errors,
``reading`` turns TMF JSON into the domain's models. One TmfBss is shared by the action
server's worker threads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from billing_adapters.phones import normalise_phone, single_match
from billing_adapters.tmf import reading
from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.circuit import CircuitBreaker
from billing_adapters.tmf.client import TmfClient, TmfConfig
from billing_adapters.tmf.money import cents_of, to_money
from domain.errors import DomainError, ExternalProtocolError, InvalidInput, NotFound
from domain.model import Account, Bill, BillLine, Incident, Order, PostingReceipt
from domain.ports import Clock

__all__ = ["TmfBss", "TmfConfig"]

log = logging.getLogger(__name__)

MEMO_LIMIT = 500  # characters of a credit's memo the BSS keeps (as SqlBss)


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@contextmanager
def _reading(what: str) -> Iterator[None]:
    """Whatever slips past the readers' own checks is still the BSS's broken contract."""
    try:
        yield
    except DomainError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ExternalProtocolError(f"{what}: unreadable ({type(error).__name__})") from error


def _receipt(body: Any, key: str, sent_cents: int, currency: str) -> PostingReceipt:
    body = reading.obj(body, "adjustBalance")
    reference = reading.text(body, "id", "adjustBalance")
    where = f"adjustBalance {reference}"
    status = body.get("status", "completed")
    if status != "completed":
        raise ExternalProtocolError(f"{where}: status {status!r}, not 'completed'")
    answered = cents_of(body.get("amount"), currency, f"{where}.amount")
    if answered != sent_cents:
        raise ExternalProtocolError(f"{where}: credited {answered}, we sent {sent_cents}")
    return PostingReceipt(bss_reference=reference, idempotency_key=key, amount_cents=answered)


def _extension(body: Any, new_due_date: date) -> None:
    body = reading.obj(body, "paymentExtension")
    where = f"paymentExtension {body.get('id')}"
    answered = body.get("newPaymentDueDate")
    if answered is not None and reading.parse_date(answered, where) != new_due_date:
        raise ExternalProtocolError(f"{where}: due date {answered}, we asked {new_due_date}")


def _pin_result(body: Any) -> bool:
    verified = reading.obj(body, "pinVerificationResult").get("verified")
    if not isinstance(verified, bool):
        raise ExternalProtocolError("pinVerificationResult: verified is not a boolean")
    return verified


class TmfBss:
    """BillingSystem, OrderSystem and NetworkStatus over HTTP to a TMF BSS."""

    def __init__(
        self,
        config: TmfConfig,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._clock: Clock = clock or _SystemClock()
        self._http = TmfClient(config, client, sleep=sleep, monotonic=monotonic)

    @property
    def circuit(self) -> CircuitBreaker:
        """The breaker's ``state`` ("closed", "open", "half_open"), for tests and health."""
        return self._http.circuit

    def close(self) -> None:
        """Close the connection pool (only the one TmfBss built: a given client is its
        owner's to close)."""
        self._http.close()

    def __enter__(self) -> TmfBss:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # BillingSystem

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        matches: list[str | None] = []
        if account_id is not None:
            try:
                matches.append(self._get_account_body(account_id)["id"])
            except NotFound:
                matches.append(None)
        if phone is not None:
            matches.append(self._account_id_for_phone(normalise_phone(phone)))
        return single_match(matches)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        body = {"billingAccount": {"id": account_id}, "pin": pin, "@type": "PinVerification"}
        try:
            answer = self._http.check(v.PIN_VERIFICATION, body)
        except NotFound:  # the contract says 200 verified=false; a 404 means the same
            return False
        with _reading("pinVerification"):
            return _pin_result(answer)

    def get_account(self, account_id: str) -> Account:
        return self._account(account_id)

    def get_bills(self, account_id: str) -> list[Bill]:
        """One paged list of bills and one of all their lines (not a call per bill)."""
        query: dict[str, str | int] = {v.ACCOUNT_FILTER: account_id}
        bills = self._http.get_list(v.CUSTOMER_BILL, query)
        if not bills:
            self._account(account_id)  # NotFound for an unknown account, as SqlBss
            return []
        lines: dict[str, list[BillLine]] = {}
        with _reading("appliedCustomerBillingRate"):
            for item in self._http.get_list(v.BILLING_RATE, query):
                bill_id, line = reading.read_line(item, account_id, self.config.currency)
                lines.setdefault(bill_id, []).append(line)  # server order within a bill
        with _reading("customerBill"):
            read = [
                reading.read_bill(
                    bill, account_id, lines.get(str(bill.get("id")), []), self.config.currency
                )
                for bill in bills
            ]
        return sorted(read, key=lambda bill: bill.issued_at, reverse=True)  # newest first

    def get_balance_cents(self, account_id: str) -> int:
        body = self._get_account_body(account_id)
        with _reading("billingAccount"):
            return reading.read_balance_cents(body, self.config.currency)

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        if amount_cents <= 0:
            raise InvalidInput("a credit must be a positive amount")
        body = {
            "adjustType": "credit",
            "amount": to_money(amount_cents, self.config.currency),
            "billingAccount": {"id": account_id},
            "bill": {"id": bill_id},
            "description": memo[:MEMO_LIMIT],
            "requestedDate": reading.wire_time(self._clock.now()),
            "@type": "AdjustBalance",
        }
        answer = self._http.post(v.ADJUST_BALANCE, body, idempotency_key)
        with _reading("adjustBalance"):
            return _receipt(answer, idempotency_key, amount_cents, self.config.currency)

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        body = {
            "billingAccount": {"id": account_id},
            "bill": {"id": bill_id},
            "newPaymentDueDate": reading.wire_date(new_due_date),
            "@type": "PaymentExtension",
        }
        answer = self._http.post(v.PAYMENT_EXTENSION, body, idempotency_key)
        with _reading("paymentExtension"):
            _extension(answer, new_due_date)

    # OrderSystem

    def list_orders(self, account_id: str) -> list[Order]:
        items = self._http.get_list(v.PRODUCT_ORDER, {v.ACCOUNT_FILTER: account_id})
        if not items:
            self._account(account_id)  # NotFound for an unknown account, as SqlBss
            return []
        with _reading("productOrder"):
            orders = [reading.read_order(item, account_id) for item in items]
        return [order for order in orders if order is not None]

    # NetworkStatus

    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        query: dict[str, str | int] = {
            "postCode": zip_code,
            "startDateTime": reading.wire_time(start),
            "endDateTime": reading.wire_time(end),
        }
        with _reading("networkIncident"):
            incidents = [
                reading.read_incident(item)
                for item in self._http.get_list(v.NETWORK_INCIDENT, query)
            ]
        # The window and ZIP again here: a BSS that ignored a filter must not invent an outage.
        start, end = reading.as_utc(start), reading.as_utc(end)
        touching = [i for i in incidents if zip_code in i.zip_codes]
        return sorted(
            (i for i in touching if i.starts_at < end and i.ends_at > start),
            key=lambda i: i.starts_at,
        )

    # Helpers

    def _get_account_body(self, account_id: str) -> dict[str, Any]:
        if not account_id:  # would address the collection, not an account
            raise NotFound("account ''")
        body = self._http.get(f"{v.BILLING_ACCOUNT}/{quote(account_id, safe='')}")
        if not isinstance(body, dict) or body.get("id") != account_id:
            raise ExternalProtocolError(f"billingAccount {account_id}: answered another id")
        return body

    def _account(self, account_id: str) -> Account:
        body = self._get_account_body(account_id)
        with _reading("billingAccount"):
            return reading.read_account(body, self.config.currency)

    def _account_id_for_phone(self, phone: str) -> str | None:
        """The one account with this phone; None for none or several (never guess who)."""
        if not phone:
            return None
        items = self._http.get_list(v.BILLING_ACCOUNT, {v.PHONE_FILTER: phone})
        with _reading("billingAccount"):
            # Only accounts that really carry the number: a BSS may ignore an unknown filter.
            found = {
                account.account_id
                for account in (reading.read_account(i, self.config.currency) for i in items)
                if normalise_phone(account.phone) == phone
            }
        if len(found) > 1:
            log.warning("BSS has %d accounts with one phone number: none chosen", len(found))
        return found.pop() if len(found) == 1 else None
