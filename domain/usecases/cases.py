"""Handing a customer to a person: a case with a reference and an honest expected wait."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.ids import new_id
from domain.ports import BackOffice
from domain.records import BOT, VERIFIED_BY_PIN, Case, CaseEvent, CaseStatus
from domain.usecases.deps import Deps


class Handoff(BaseModel):
    model_config = ConfigDict(frozen=True)

    case: Case
    expected_wait_minutes: int


class Origin(BaseModel):
    """Who asks and from where, for the record and the case."""

    model_config = ConfigDict(frozen=True)

    actor: str = BOT
    conversation_id: str
    channel: str


CASE_CREATED = "case.created"
CASE_DECIDED = "case.decided"


def publish_case_event(office: BackOffice, deps: Deps, kind: str, case_id: str) -> None:
    """Into the webhook outbox, in the caller's transaction (so it is sent iff the change holds)."""
    office.outbox.publish(
        CaseEvent(id=new_id("evt"), kind=kind, case_id=case_id, at=deps.clock.now())
    )


def needs_approval(what: str, rules_fired: tuple[str, ...]) -> str:
    """The internal reason of a case the policy sent to a person (may name any rule)."""
    return f"{what}: needs approval ({', '.join(rules_fired)})"


def open_case_in(
    office: BackOffice,
    deps: Deps,
    origin: Origin,
    *,
    account_id: str | None,
    reason: str,
    summary: str,
    proposed_amount_cents: int | None = None,
) -> Handoff:
    """Open a case inside an existing back-office transaction (the caller commits).

    An account is only ever given for a customer the bot verified in this conversation, so the
    case says when, from the conversation's successful PIN check.
    """
    ahead = office.cases.count_open()
    verified_at = None
    if account_id is not None:
        check = office.pin_attempts.last_success_in_conversation(origin.conversation_id)
        verified_at = check.at if check and check.account_id == account_id else deps.clock.now()
    case = Case(
        id=new_id("case"),
        reference=office.cases.next_reference(),
        account_id=account_id,
        conversation_id=origin.conversation_id,
        status=CaseStatus.OPEN,
        reason=reason,
        proposed_amount_cents=proposed_amount_cents,
        summary=summary,
        channel=origin.channel,
        created_at=deps.clock.now(),
        verified=account_id is not None,
        verified_at=verified_at,
        verified_by=VERIFIED_BY_PIN if account_id is not None else None,
    )
    office.cases.add(case)
    publish_case_event(office, deps, CASE_CREATED, case.id)
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
            Origin(conversation_id=conversation_id, channel=channel),
            account_id=account_id,
            reason=reason,
            summary=summary,
        )
        office.commit()
    return handoff
