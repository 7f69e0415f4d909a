"""The console's use cases on the demo operator: claims, notes, decisions bound to the proposal,
the outbox events, the words the customer hears, and the transcript a person reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.tables import CaseEventRow
from app.web.console.rasa_conversations import PIN_DOTS, transcript_of
from domain.case_outcome import case_outcome_text
from domain.errors import (
    AlreadyDecided,
    ApprovalLimitExceeded,
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
)
from domain.identity import Identifier
from domain.records import AdjustmentKind, Case, CaseStatus, Status
from domain.usecases import console
from domain.usecases.cases import Origin, request_person
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import offer_credit
from domain.usecases.verification import verify_identity
from tests.unit.fakes import FakeClock, demo_deps

ORIGIN = Origin(conversation_id="conv-david", channel="socketio")


def david_case(deps: Deps) -> Case:
    step = offer_credit(deps, "100004", AdjustmentKind.THIRD_PARTY_DISPUTE, ORIGIN)
    return console.get_case(deps, step.record.case_id or "")


def outbox_kinds(deps: Deps, case_id: str) -> list[str]:
    """What the webhook sender will deliver for the case, in order."""
    engine = deps.backoffice.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        query = select(CaseEventRow.kind).where(CaseEventRow.case_id == case_id)
        return list(session.scalars(query.order_by(CaseEventRow.at, CaseEventRow.kind)))


def test_a_claimed_case_belongs_to_its_holder_and_a_second_person_gets_a_conflict() -> None:
    deps = demo_deps()
    case = david_case(deps)

    claimed = console.claim_case(deps, case.id, "alex")

    assert claimed.claimed_by == "alex" and claimed.status is CaseStatus.CLAIMED
    assert claimed.claimed_at == deps.clock.now()
    assert console.claim_case(deps, case.id, "alex").claimed_by == "alex"  # again: a no-op
    with pytest.raises(Conflict, match="held by alex"):
        console.claim_case(deps, case.id, "sam")


def test_releasing_puts_the_case_back_in_the_queue_only_by_its_holder_or_a_supervisor() -> None:
    deps = demo_deps()
    case = david_case(deps)
    console.claim_case(deps, case.id, "sam")

    with pytest.raises(NotPermitted):
        console.release_case(deps, case.id, "alex")
    released = console.release_case(deps, case.id, "sam")

    assert released.claimed_by is None and released.status is CaseStatus.OPEN
    console.claim_case(deps, case.id, "alex")
    assert console.release_case(deps, case.id, "sam").claimed_by is None  # a supervisor may


def test_assigning_gives_the_case_to_someone_on_the_staff_table_only() -> None:
    deps = demo_deps()
    case = david_case(deps)

    assert console.assign_case(deps, case.id, "alex", "sam").claimed_by == "sam"
    with pytest.raises(NotPermitted):
        console.assign_case(deps, case.id, "alex", "alex")  # sam holds it now
    with pytest.raises(NotPermitted):
        console.assign_case(deps, case.id, "sam", "mallory")


def test_someone_outside_the_staff_table_can_neither_claim_nor_note() -> None:
    deps = demo_deps()
    case = david_case(deps)

    with pytest.raises(NotPermitted):
        console.claim_case(deps, case.id, "mallory")
    with pytest.raises(NotPermitted):
        console.add_note(deps, case.id, "mallory", "hello")


def test_notes_are_kept_oldest_first_and_an_empty_or_huge_note_is_refused() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    case = david_case(deps)
    console.add_note(deps, case.id, "alex", "  Called TrivaFun, no sign-up on record.  ")
    clock.advance(timedelta(minutes=1))
    console.add_note(deps, case.id, "sam", "Agreed.")

    notes = console.case_notes(deps, case.id)

    assert [(n.author, n.text) for n in notes] == [
        ("alex", "Called TrivaFun, no sign-up on record."),
        ("sam", "Agreed."),
    ]
    for bad in ("   ", "x" * (console.LONGEST_NOTE + 1)):
        with pytest.raises(InvalidInput):
            console.add_note(deps, case.id, "alex", bad)
    with pytest.raises(NotFound):
        console.add_note(deps, "case_nope", "alex", "hello")


def test_alex_approves_davids_case_through_the_staff_use_case_and_the_case_is_resolved() -> None:
    deps = demo_deps()
    case = david_case(deps)

    step = console.decide_case(deps, case.id, "alex", "approve")

    assert step.record.status is Status.APPLIED and step.record.decided_by == "agent:alex"
    assert deps.billing.get_balance_cents("100004") == 25410 - 18000
    resolved = console.get_case(deps, case.id)
    assert resolved.status is CaseStatus.RESOLVED and resolved.resolved_at == deps.clock.now()
    assert outbox_kinds(deps, case.id) == ["case.created", "case.decided"]
    with pytest.raises(AlreadyDecided):
        console.decide_case(deps, case.id, "sam", "approve")
    assert deps.billing.get_balance_cents("100004") == 25410 - 18000


def test_a_changed_amount_above_alexs_own_limit_is_refused_and_changes_nothing() -> None:
    deps = demo_deps()
    case = david_case(deps)

    with pytest.raises(ApprovalLimitExceeded, match=r"\$200\.00"):
        console.decide_case(deps, case.id, "alex", "approve", amount_cents=25000)

    assert console.case_proposal(deps, case.id).status is Status.PENDING_APPROVAL  # type: ignore[union-attr]
    step = console.decide_case(deps, case.id, "sam", "approve", amount_cents=25000)
    assert step.record.decided_by == "supervisor:sam" and step.record.amount_cents == 25000


def test_a_case_without_a_proposal_has_nothing_to_decide() -> None:
    deps = demo_deps()
    handoff = request_person(
        deps, conversation_id="conv-x", account_id=None, channel="socketio", reason="asked"
    )

    with pytest.raises(InvalidInput, match="no proposal"):
        console.decide_case(deps, handoff.case.id, "alex", "approve")
    assert outbox_kinds(deps, handoff.case.id) == ["case.created"]


def test_the_queue_puts_waiting_money_first_then_the_longest_waiting() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    plain = request_person(
        deps, conversation_id="c1", account_id=None, channel="socketio", reason="asked"
    ).case
    clock.advance(timedelta(minutes=5))
    money = david_case(deps)

    with deps.backoffice() as office:
        order = console.queue_order(office.cases.listed())

    assert [c.id for c in order] == [money.id, plain.id]
    assert (
        console.priority_of(money) == console.HIGH and console.priority_of(plain) == console.NORMAL
    )


def test_the_customer_hears_the_approved_credit_and_the_new_balance() -> None:
    deps = demo_deps()
    case = david_case(deps)
    step = console.decide_case(deps, case.id, "alex", "approve")

    text = case_outcome_text(console.get_case(deps, case.id), step.record, 7410)

    assert "approved your $180.00 credit" in text and "new balance is $74.10" in text


def test_the_customer_hears_a_rejection_and_an_open_case_is_still_open() -> None:
    deps = demo_deps()
    case = david_case(deps)
    assert "still open" in case_outcome_text(case, None, None)

    step = console.decide_case(deps, case.id, "alex", "reject", reason="signed up on the web")
    text = case_outcome_text(console.get_case(deps, case.id), step.record, None)

    assert "could not approve your $180.00 credit" in text
    assert "Nothing on your account has changed" in text


def test_the_transcript_shows_who_said_what_and_never_the_answer_to_a_pin_prompt() -> None:
    events = [
        {"event": "user", "text": "I want a person", "timestamp": 1.0},
        {"event": "bot", "text": "Your PIN?", "timestamp": 2.0,
         "data": {"custom": {"kestrel": {"expects": "pin"}}}},
        {"event": "user", "text": "4321", "timestamp": 3.0},
        {"event": "bot", "text": "Hi, I'm Alex.", "timestamp": 4.0,
         "metadata": {"kestrel": {"from": "agent", "name": "Alex"}}},
        {"event": "action", "name": "action_listen", "timestamp": 5.0},
        {"event": "user", "text": "4321 again", "timestamp": 6.0},
    ]  # fmt: skip

    turns = transcript_of(events)

    assert [(t.speaker, t.text, t.name) for t in turns] == [
        ("customer", "I want a person", ""),
        ("bot", "Your PIN?", ""),
        ("customer", PIN_DOTS, ""),
        ("agent", "Hi, I'm Alex.", "Alex"),
        ("customer", "4321 again", ""),
    ]


def test_a_case_opened_before_verification_says_who_the_customer_turned_out_to_be() -> None:
    deps = demo_deps()
    handoff = request_person(
        deps, conversation_id="conv-late", account_id=None, channel="socketio", reason="asked"
    )

    outcome = verify_identity(deps, "conv-late", Identifier(account_id="100004"), "1357")

    case = console.get_case(deps, handoff.case.id)
    assert outcome.verified and case.verified and case.account_id == "100004"
    assert case.summary.splitlines()[-1] == (
        "Verified later in the conversation: account 100004, by PIN."
    )
