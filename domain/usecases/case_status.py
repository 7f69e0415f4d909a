"""A customer's case as they may hear it, and who holds a conversation during a takeover.

Pure: the case, its decided proposal and the balance come from the ports; the wording of a
``CaseStatusView`` is the bot's (actions/replies.py).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from domain.records import Adjustment, Case, CaseStatus, PaymentExtension, Status
from domain.usecases.console import OPEN_STATUSES, proposal_of, queue_order
from domain.usecases.deps import Deps

# "KM-1042", "km 1042", "KM1042", "k m 1042" (speech): how customers give a case reference (the
# NLU regex case_reference in bot/data/nlu/cases.yml matches the same).
REFERENCE = re.compile(r"\bK\s?M[-\s]?(\d{4,})\b", re.IGNORECASE)


def case_reference_in(text: str) -> str | None:
    """The first case reference in ``text``, spelt as the back office does (``KM-1042``)."""
    found = REFERENCE.search(text)
    return f"KM-{found.group(1)}" if found else None


def holder_of_conversation(deps: Deps, conversation_id: str) -> str | None:
    """The username of the person holding a claimed case of this conversation (the newest
    claim, if several), or None: while someone holds it, the bot must stay silent."""
    with deps.reading() as office:
        held = [
            case
            for case in office.cases.listed(status=CaseStatus.CLAIMED)
            if case.conversation_id == conversation_id and case.claimed_by
        ]
    if not held:
        return None
    newest = max(held, key=lambda c: (c.claimed_at or c.created_at, c.id))
    return newest.claimed_by


class CaseStatusView(BaseModel):
    """What the customer may be told about one of their cases.

    ``case`` is None when there is no such case on the account (``reference`` is then what was
    asked for, or None when the account has no case at all).
    """

    model_config = ConfigDict(frozen=True)

    reference: str | None
    case: Case | None = None
    wait_minutes: int | None = None  # an open case: the honest expected wait
    decision: Adjustment | PaymentExtension | None = None  # a settled case: what was decided
    balance_cents: int | None = None  # after a credit was applied


def _wait_minutes(deps: Deps, open_cases: list[Case], case: Case) -> int:
    """As at the handoff: one slot of ``minutes_per_case`` per case ahead in the queue, plus its
    own (the queue's order is the console's: priority, then waiting time)."""
    ahead = [c.id for c in queue_order(open_cases)].index(case.id)
    return (ahead + 1) * deps.minutes_per_case


def case_status(deps: Deps, account_id: str, reference: str | None = None) -> CaseStatusView:
    """The status of the account's case ``reference`` (the newest one when None).

    A case of another account is answered exactly like one that does not exist.
    """
    asked = case_reference_in(reference) if reference else None
    if reference and asked is None:
        asked = reference.strip().upper()
    with deps.reading() as office:
        mine = office.cases.for_account(account_id)
        if asked is None:
            case = max(mine, key=lambda c: (c.created_at, c.id)) if mine else None
        else:
            case = next((c for c in mine if c.reference == asked), None)
        if case is None:
            return CaseStatusView(reference=asked)
        wait = None
        if case.status is CaseStatus.OPEN:
            wait = _wait_minutes(deps, office.cases.listed(status=CaseStatus.OPEN), case)
        decision = proposal_of(office, case) if case.status not in OPEN_STATUSES else None
    balance = None
    if isinstance(decision, Adjustment) and decision.status is Status.APPLIED:
        # Outside the back-office transaction: the BSS may share its database (SQLite).
        balance = deps.billing.get_balance_cents(account_id)
    return CaseStatusView(
        reference=case.reference,
        case=case,
        wait_minutes=wait,
        decision=decision,
        balance_cents=balance,
    )
