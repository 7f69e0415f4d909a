"""Loading the demo operator into the ``bss_`` tables (the seeder's half for the BSS)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from billing_adapters.demo_operator import DemoOperator
from billing_adapters.pins import hash_pin
from billing_adapters.sql.tables import (
    BssAccount,
    BssBill,
    BssBillLine,
    BssIncident,
    BssIncidentZip,
    BssOrder,
    BssPayment,
)


def insert_demo(session: Session, demo: DemoOperator) -> None:
    """Add every BSS row of ``demo`` to ``session`` (the caller owns the transaction)."""
    for entry in demo.accounts:
        a, pin = entry.account, hash_pin(entry.pin)
        session.add(
            BssAccount(
                account_id=a.account_id,
                name=a.name,
                phone=a.phone,
                plan=a.plan,
                plan_price_cents=a.plan_price_cents,
                zip_code=a.zip_code,
                status=a.status.value,
                currency=a.currency,
                pin_salt=pin.salt.hex(),
                pin_hash=pin.digest.hex(),
                pin_iterations=pin.iterations,
            )
        )
    session.flush()  # parents first: foreign keys are enforced on SQLite too
    for bill in demo.bills:
        session.add(
            BssBill(
                bill_id=bill.bill_id,
                account_id=bill.account_id,
                period_start=bill.period_start,
                period_end=bill.period_end,
                issued_at=bill.issued_at,
                due_date=bill.due_date,
                extended_due_date=None,
            )
        )
    session.flush()
    for bill in demo.bills:
        for position, line in enumerate(bill.lines):
            session.add(
                BssBillLine(
                    line_id=line.line_id,
                    bill_id=bill.bill_id,
                    position=position,
                    description=line.description,
                    category=line.category.value,
                    amount_cents=line.amount_cents,
                    quantity=line.quantity,
                    unit_cents=line.unit_cents,
                    unit_label=line.unit_label,
                )
            )
    for p in demo.payments:
        session.add(
            BssPayment(
                account_id=p.account_id,
                bill_id=p.bill_id,
                amount_cents=p.amount_cents,
                paid_at=p.paid_at,
            )
        )
    for o in demo.orders:
        session.add(
            BssOrder(
                order_id=o.order_id,
                account_id=o.account_id,
                item=o.item,
                status=o.status.value,
                carrier=o.carrier,
                tracking_number=o.tracking_number,
                shipped_at=o.shipped_at,
                expected_at=o.expected_at,
            )
        )
    for i in demo.incidents:
        session.add(
            BssIncident(
                incident_id=i.incident_id,
                kind=i.kind.value,
                starts_at=i.starts_at,
                ends_at=i.ends_at,
            )
        )
    session.flush()
    for i in demo.incidents:
        for zip_code in i.zip_codes:
            session.add(BssIncidentZip(incident_id=i.incident_id, zip_code=zip_code))
    session.flush()
