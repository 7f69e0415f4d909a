"""SqlBss: the reference BSS over SQLAlchemy, implementing the three operator-system ports."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_adapters.phones import normalise_phone, single_match
from billing_adapters.pins import PinHash, check_pin
from billing_adapters.sql.tables import (
    BssAccount,
    BssBill,
    BssBillLine,
    BssCredit,
    BssDueDateExtension,
    BssIncident,
    BssIncidentZip,
    BssOrder,
    BssPayment,
)
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.model import (
    Account,
    AccountStatus,
    Bill,
    BillLine,
    Incident,
    IncidentKind,
    LineCategory,
    Order,
    OrderStatus,
    PostingReceipt,
)
from domain.ports import Clock


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def _account(row: BssAccount) -> Account:
    return Account(
        account_id=row.account_id,
        name=row.name,
        phone=row.phone,
        plan=row.plan,
        plan_price_cents=row.plan_price_cents,
        zip_code=row.zip_code,
        status=AccountStatus(row.status),
        currency=row.currency,
    )


def _line(row: BssBillLine) -> BillLine:
    return BillLine(
        line_id=row.line_id,
        description=row.description,
        category=LineCategory(row.category),
        amount_cents=row.amount_cents,
        quantity=row.quantity,
        unit_cents=row.unit_cents,
        unit_label=row.unit_label,
    )


class SqlBss:
    """BillingSystem, OrderSystem and NetworkStatus over the ``bss_`` tables."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or _SystemClock()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # BillingSystem

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        matches: list[str | None] = []
        with self._session() as s:
            if account_id is not None:
                matches.append(
                    s.scalar(
                        select(BssAccount.account_id).where(BssAccount.account_id == account_id)
                    )
                )
            if phone is not None:
                matches.append(
                    s.scalar(
                        select(BssAccount.account_id).where(
                            BssAccount.phone == normalise_phone(phone)
                        )
                    )
                )
        return single_match(matches)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        with self._session() as s:
            row = s.get(BssAccount, account_id)
            if row is None:
                return False
            stored = PinHash(
                bytes.fromhex(row.pin_salt), bytes.fromhex(row.pin_hash), row.pin_iterations
            )
        return check_pin(pin, stored)

    def get_account(self, account_id: str) -> Account:
        with self._session() as s:
            return _account(self._account_row(s, account_id))

    @staticmethod
    def _account_row(s: Session, account_id: str) -> BssAccount:
        row = s.get(BssAccount, account_id)
        if row is None:
            raise NotFound(f"account {account_id}")
        return row

    def get_bills(self, account_id: str) -> list[Bill]:
        with self._session() as s:
            self._account_row(s, account_id)
            bills = s.scalars(
                select(BssBill)
                .where(BssBill.account_id == account_id)
                .order_by(BssBill.issued_at.desc())
            ).all()
            ids = [b.bill_id for b in bills]
            lines = s.scalars(
                select(BssBillLine)
                .where(BssBillLine.bill_id.in_(ids))
                .order_by(BssBillLine.position)
            ).all()
            payments = s.scalars(select(BssPayment).where(BssPayment.bill_id.in_(ids))).all()
        result = []
        for bill in bills:
            own_lines = tuple(_line(ln) for ln in lines if ln.bill_id == bill.bill_id)
            own_payments = [p for p in payments if p.bill_id == bill.bill_id]
            paid = sum(p.amount_cents for p in own_payments)
            total = sum(ln.amount_cents for ln in own_lines)
            result.append(
                Bill(
                    bill_id=bill.bill_id,
                    account_id=bill.account_id,
                    period_start=bill.period_start,
                    period_end=bill.period_end,
                    issued_at=bill.issued_at,
                    due_date=bill.extended_due_date or bill.due_date,
                    lines=own_lines,
                    # Paid when payments cover the total; the last payment is the paid date.
                    paid_at=max(p.paid_at for p in own_payments)
                    if own_payments and paid >= total
                    else None,
                )
            )
        return result

    def get_balance_cents(self, account_id: str) -> int:
        with self._session() as s:
            self._account_row(s, account_id)
            billed = s.scalar(
                select(func.coalesce(func.sum(BssBillLine.amount_cents), 0))
                .join(BssBill, BssBill.bill_id == BssBillLine.bill_id)
                .where(BssBill.account_id == account_id)
            )
            paid = s.scalar(
                select(func.coalesce(func.sum(BssPayment.amount_cents), 0)).where(
                    BssPayment.account_id == account_id
                )
            )
            credited = s.scalar(
                select(func.coalesce(func.sum(BssCredit.amount_cents), 0)).where(
                    BssCredit.account_id == account_id
                )
            )
        return int(billed or 0) - int(paid or 0) - int(credited or 0)

    @staticmethod
    def _bill_row(s: Session, account_id: str, bill_id: str) -> BssBill:
        bill = s.get(BssBill, bill_id)
        if bill is None or bill.account_id != account_id:
            raise NotFound(f"bill {bill_id} of account {account_id}")
        return bill

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        if amount_cents <= 0:
            raise InvalidInput("a credit must be a positive amount")
        try:
            return self._post_credit(account_id, bill_id, amount_cents, memo, idempotency_key)
        except IntegrityError:
            # A concurrent posting with the same key won the race (PostgreSQL); answer as a repeat.
            return self._post_credit(account_id, bill_id, amount_cents, memo, idempotency_key)

    def _post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        with self._session() as s, s.begin():
            seen = s.scalar(select(BssCredit).where(BssCredit.idempotency_key == idempotency_key))
            if seen is None:
                self._bill_row(s, account_id, bill_id)
                seen = BssCredit(
                    reference=f"CR-{secrets.token_hex(5).upper()}",
                    account_id=account_id,
                    bill_id=bill_id,
                    amount_cents=amount_cents,
                    memo=memo[:500],
                    idempotency_key=idempotency_key,
                    posted_at=self._clock.now(),
                )
                s.add(seen)
            elif (seen.account_id, seen.bill_id, seen.amount_cents) != (
                account_id,
                bill_id,
                amount_cents,
            ):
                raise IdempotencyConflict(f"credit key {idempotency_key} reused")
            return PostingReceipt(
                bss_reference=seen.reference,
                idempotency_key=idempotency_key,
                amount_cents=amount_cents,
            )

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        with self._session() as s, s.begin():
            seen = s.scalar(
                select(BssDueDateExtension).where(
                    BssDueDateExtension.idempotency_key == idempotency_key
                )
            )
            if seen is not None:
                if (seen.account_id, seen.bill_id, seen.new_due_date) != (
                    account_id,
                    bill_id,
                    new_due_date,
                ):
                    raise IdempotencyConflict(f"extension key {idempotency_key} reused")
                return
            bill = self._bill_row(s, account_id, bill_id)
            if new_due_date <= (bill.extended_due_date or bill.due_date):
                raise InvalidInput("an extension must move the due date later")
            bill.extended_due_date = new_due_date
            s.add(
                BssDueDateExtension(
                    account_id=account_id,
                    bill_id=bill_id,
                    new_due_date=new_due_date,
                    idempotency_key=idempotency_key,
                    created_at=self._clock.now(),
                )
            )

    # OrderSystem

    def list_orders(self, account_id: str) -> list[Order]:
        with self._session() as s:
            self._account_row(s, account_id)
            rows = s.scalars(
                select(BssOrder)
                .where(BssOrder.account_id == account_id)
                .order_by(BssOrder.order_id)
            ).all()
        return [
            Order(
                order_id=r.order_id,
                account_id=r.account_id,
                item=r.item,
                status=OrderStatus(r.status),
                carrier=r.carrier,
                tracking_number=r.tracking_number,
                shipped_at=r.shipped_at,
                expected_at=r.expected_at,
            )
            for r in rows
        ]

    # NetworkStatus

    def incidents_for_zip(self, zip_code: str, start: datetime, end: datetime) -> list[Incident]:
        with self._session() as s:
            rows = s.scalars(
                select(BssIncident)
                .join(BssIncidentZip, BssIncidentZip.incident_id == BssIncident.incident_id)
                .where(
                    BssIncidentZip.zip_code == zip_code,
                    BssIncident.starts_at < end,
                    BssIncident.ends_at > start,
                )
                .order_by(BssIncident.starts_at)
            ).all()
            zips = s.execute(
                select(BssIncidentZip.incident_id, BssIncidentZip.zip_code)
                .where(BssIncidentZip.incident_id.in_([r.incident_id for r in rows]))
                .order_by(BssIncidentZip.zip_code)
            ).all()
        return [
            Incident(
                incident_id=r.incident_id,
                kind=IncidentKind(r.kind),
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                zip_codes=tuple(z for i, z in zips if i == r.incident_id),
            )
            for r in rows
        ]
