"""Handing a customer to a person: a case with a reference and an honest expected wait."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.ids import new_id
from domain.ports import BackOffice
from domain.records import Case, CaseStatus
from domain.usecases.deps import Deps


class Handoff(BaseModel):
    model_config = ConfigDict(frozen=True)

    case: Case
    expected_wait_minutes: int


def open_case_in(
    office: BackOffice,
    deps: Deps,
    *,
    conversation_id: str,
    account_id: str | None,
    channel: str,
    reason: str,
    summary: str,
    proposed_amount_cents: int | None = None,
) -> Handoff:
    """Open a case inside an existing back-office transaction (the caller commits)."""
    ahead = office.cases.count_open()
    case = Case(
        id=new_id("case"),
        reference=office.cases.next_reference(),
        account_id=account_id,
        conversation_id=conversation_id,
        status=CaseStatus.OPEN,
        reason=reason,
        proposed_amount_cents=proposed_amount_cents,
        summary=summary,
        channel=channel,
        created_at=deps.clock.now(),
    )
    office.cases.add(case)
    return Handoff(case=case, expected_wait_minutes=(ahead + 1) * deps.minutes_per_case)


def request_person(
    deps: Deps,
    *,
    conversation_id: str,
    account_id: str | None,
    channel: str,
    reason: str,
) -> Handoff:
    who = f"verified account {account_id}" if account_id else "an unverified customer"
    summary = f"{reason.capitalize()}. Contact from {who} on the {channel} channel."
    with deps.backoffice() as office:
        handoff = open_case_in(
            office,
            deps,
            conversation_id=conversation_id,
            account_id=account_id,
            channel=channel,
            reason=reason,
            summary=summary,
        )
        office.commit()
    return handoff
