"""An in-process BSS: the demo operator in dictionaries, for tests and a database-free run.

It behaves like the SQL reference BSS (the same contract suite runs against both), including
idempotent postings; one lock makes it safe to share between threads.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone

from billing_adapters.demo_operator import DemoOperator
from billing_adapters.phones import normalise_phone, single_match
from billing_adapters.pins import PinHash, check_pin, hash_pin
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.model import Account, Bill, Incident, Order, PostingReceipt
from domain.ports import Clock


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _Credit:
    account_id: str
    bill_id: str
    amount_cents: int
    memo: str
    receipt: PostingReceipt
    posted_at: datetime


@dataclass(frozen=True)
class _Extension:
    account_id: str
    bill_id: str
    new_due_date: date


class InMemoryBss:
    """BillingSystem, OrderSystem and NetworkStatus over in-memory data."""

    def __init__(
        self,
        accounts: list[Account],
        pins: dict[str, PinHash],
        bills: list[Bill],
        paid_cents: dict[str, int],
        orders: list[Order],
        incidents: list[Incident],
        clock: Clock | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._clock: Clock = clock or _SystemClock()
        self._accounts = {a.account_id: a for a in accounts}
        self._pins = dict(pins)
        self._bills = {b.bill_id: b for b in bills}
        self._paid_cents = dict(paid_cents)  # per account
        self._orders = list(orders)
        self._incidents = list(incidents)
        self._credits: dict[str, _Credit] = {}  # by idempotency key
        self._extensions: dict[str, _Extension] = {}  # by idempotency key

    @classmethod
    def from_demo(cls, demo: DemoOperator, clock: Clock | None = None) -> InMemoryBss:
        paid: dict[str, int] = {}
        for payment in demo.payments:
            paid[payment.account_id] = paid.get(payment.account_id, 0) + payment.amount_cents
        return cls(
            accounts=[d.account for d in demo.accounts],
            pins={d.account.account_id: hash_pin(d.pin) for d in demo.accounts},
            bills=list(demo.bills),
            paid_cents=paid,
            orders=list(demo.orders),
            incidents=list(demo.incidents),
            clock=clock,
        )

    # BillingSystem

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        matches: list[str | None] = []
        if account_id is not None:
            matches.append(account_id if account_id in self._accounts else None)
        if phone is not None:
            wanted = normalise_phone(phone)
            by_phone = [a.account_id for a in self._accounts.values() if a.phone == wanted]
            matches.append(by_phone[0] if by_phone else None)
        return single_match(matches)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        return check_pin(pin, self._pins.get(account_id))

    def get_account(self, account_id: str) -> Account:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise NotFound(f"account {account_id}") from None

    def get_bills(self, account_id: str) -> list[Bill]:
        self.get_account(account_id)
        with self._lock:
            bills = [b for b in self._bills.values() if b.account_id == account_id]
        return sorted(bills, key=lambda b: b.issued_at, reverse=True)

    def get_balance_cents(self, account_id: str) -> int:
        bills = self.get_bills(account_id)
        with self._lock:
            credits = sum(
                c.amount_cents for c in self._credits.values() if c.account_id == account_id
            )
            return sum(b.total_cents for b in bills) - self._paid_cents.get(account_id, 0) - credits

    def _bill_of(self, account_id: str, bill_id: str) -> Bill:
        bill = self._bills.get(bill_id)
        if bill is None or bill.account_id != account_id:
            raise NotFound(f"bill {bill_id} of account {account_id}")
        return bill

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        if amount_cents <= 0:
            raise InvalidInput("a credit must be a positive amount")
        with self._lock:
            self._bill_of(account_id, bill_id)
            seen = self._credits.get(idempotency_key)
            if seen is not None:
                if (seen.account_id, seen.bill_id, seen.amount_cents) != (
                    account_id,
                    bill_id,
                    amount_cents,
                ):
                    raise IdempotencyConflict(f"credit key {idempotency_key} reused")
                return seen.receipt
            receipt = PostingReceipt(
                bss_reference=f"CR-{secrets.token_hex(5).upper()}",
                idempotency_key=idempotency_key,
                amount_cents=amount_cents,
            )
            self._credits[idempotency_key] = _Credit(
                account_id, bill_id, amount_cents, memo, receipt, self._clock.now()
            )
            return receipt

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        with self._lock:
            bill = self._bill_of(account_id, bill_id)
            wanted = _Extension(account_id, bill_id, new_due_date)
            seen = self._extensions.get(idempotency_key)
            if seen is not None:
                if seen != wanted:
                    raise IdempotencyConflict(f"extension key {idempotency_key} reused")
                return
            if new_due_date <= bill.due_date:
                raise InvalidInput("an extension must move the due date later")
            self._extensions[idempotency_key] = wanted
            self._bills[bill_id] = bill.model_copy(update={"due_date": new_due_date})

    # OrderSystem

    def list_orders(self, account_id: str) -> list[Order]:
        self.get_account(account_id)
        return [o for o in self._orders if o.account_id == account_id]

    # NetworkStatus

    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        return sorted(
            (
                i
                for i in self._incidents
                if zip_code in i.zip_codes and i.starts_at < end and i.ends_at > start
            ),
            key=lambda i: i.starts_at,
        )
