"""Read-only answers about an account: balance, due date, what changed on the bill."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.errors import NotFound
from domain.model import Bill
from domain.money import format_cents
from domain.usecases.deps import Deps


class BalanceView(BaseModel):
    model_config = ConfigDict(frozen=True)

    balance_cents: int
    current_bill_cents: int
    due_date: date
    currency: str


def current_and_previous(deps: Deps, account_id: str) -> tuple[Bill, Bill | None]:
    bills = deps.billing.get_bills(account_id)
    if not bills:
        raise NotFound(f"account {account_id} has no bills")
    return bills[0], bills[1] if len(bills) > 1 else None


def balance(deps: Deps, account_id: str) -> BalanceView:
    account = deps.billing.get_account(account_id)
    current, _ = current_and_previous(deps, account_id)
    return BalanceView(
        balance_cents=deps.billing.get_balance_cents(account_id),
        current_bill_cents=current.total_cents,
        due_date=current.due_date,
        currency=account.currency,
    )


def current_charges(deps: Deps, account_id: str) -> str:
    """Every line of the current bill, so a customer can say which charge they mean."""
    current, _ = current_and_previous(deps, account_id)
    return "; ".join(
        f"{line.description} {format_cents(line.amount_cents)}" for line in current.lines
    )
