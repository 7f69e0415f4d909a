"""Read-only answers about an account: balance, due date, what changed on the bill."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.assessments import duplicate_lines
from domain.charges import distinct_lines, explain_line, lines_meant
from domain.errors import NotFound
from domain.explanation import explain_change
from domain.model import Bill, BillLine, LineCategory
from domain.money import format_cents
from domain.records import AdjustmentKind
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


class ChargeAnswer(BaseModel):
    """A charge explained, or the question which one (with the lines to choose from)."""

    model_config = ConfigDict(frozen=True)

    text: str
    choices: tuple[BillLine, ...] = ()


def explain_charge(
    deps: Deps, account_id: str, customer_text: str, line_id: str | None = None
) -> ChargeAnswer:
    """The line the customer asks about, explained; a choice of lines when it is not clear."""
    current, previous = current_and_previous(deps, account_id)
    chosen = tuple(line for line in current.lines if line.line_id == line_id)
    meant = chosen[:1] or lines_meant(current, customer_text)
    if len(meant) == 1:
        return ChargeAnswer(text=explain_line(meant[0], current, previous))
    choices = meant or distinct_lines(current.lines)
    listed = "; ".join(f"{line.description} {format_cents(line.amount_cents)}" for line in choices)
    return ChargeAnswer(
        text=f"Which charge do you mean? Your current bill has: {listed}.", choices=choices
    )


LINE_OF_KIND = {
    AdjustmentKind.LATE_FEE_WAIVER: LineCategory.LATE_FEE,
    AdjustmentKind.THIRD_PARTY_DISPUTE: LineCategory.THIRD_PARTY,
}
ASK_PLAINLY = {
    AdjustmentKind.OUTAGE_CREDIT: "If your service was down and you'd like a credit, just ask.",
    AdjustmentKind.DUPLICATE_CHARGE: "If you were charged twice for something, just tell me.",
}


def explain_without_offer(deps: Deps, account_id: str, kind: AdjustmentKind) -> str:
    """The answer to a message that was not clearly a request for this adjustment: the line it
    is about (or what changed on the bill), and how to ask; nothing is offered."""
    current, previous = current_and_previous(deps, account_id)
    if kind is AdjustmentKind.DUPLICATE_CHARGE:
        lines: tuple[BillLine, ...] = tuple(duplicate_lines(current))
    else:
        lines = current.lines_in(LINE_OF_KIND[kind]) if kind in LINE_OF_KIND else ()
    if lines:
        return explain_line(lines[0], current, previous)
    more = ASK_PLAINLY.get(kind, "If you'd like me to look into a charge, just ask.")
    return f"{explain_change(current, previous)} {more}"
