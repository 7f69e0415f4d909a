"""SqlBss's posting side: credits and due-date extensions, each idempotent by key."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing_adapters.sql.bss_connection import BssConnection
from billing_adapters.sql.tables import BssBill, BssCredit, BssDueDateExtension
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.model import PostingReceipt


class BssPostings(BssConnection):
    """The writing half of BillingSystem: post_credit and extend_due_date."""

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
        except IdempotencyConflict:
            # A concurrent posting with the same key won the race (PostgreSQL): answer as a
            # repeat (or, if it was another request under that key, raise the conflict again).
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
