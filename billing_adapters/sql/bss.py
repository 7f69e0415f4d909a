"""SqlBss: the reference BSS over SQLAlchemy, implementing the three operator-system ports.

The billing reads are here; the postings are in bss_postings.py, orders and network incidents in
bss_orders_network.py, and the engine, clock and account lookup they share in bss_connection.py.
"""

from __future__ import annotations

from sqlalchemy import func, select

from billing_adapters.phones import normalise_phone, single_match
from billing_adapters.pins import PinHash, check_pin
from billing_adapters.sql.bss_orders_network import BssOrdersAndNetwork
from billing_adapters.sql.bss_postings import BssPostings
from billing_adapters.sql.tables import BssAccount, BssBill, BssBillLine, BssCredit, BssPayment
from domain.model import Account, AccountStatus, Bill, BillLine, LineCategory


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


class SqlBss(BssPostings, BssOrdersAndNetwork):
    """BillingSystem, OrderSystem and NetworkStatus over the ``bss_`` tables."""

    # BillingSystem

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        matches: list[str | None] = []
        with self._reading() as s:
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
        with self._reading() as s:
            row = s.get(BssAccount, account_id)
            stored = (
                None
                if row is None
                else PinHash(
                    bytes.fromhex(row.pin_salt), bytes.fromhex(row.pin_hash), row.pin_iterations
                )
            )
        return check_pin(pin, stored)

    def get_account(self, account_id: str) -> Account:
        with self._reading() as s:
            return _account(self._account_row(s, account_id))

    def get_bills(self, account_id: str) -> list[Bill]:
        with self._reading() as s:
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
        with self._reading() as s:
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
