"""The bot's side of a live takeover: silent while a person holds the conversation (even after a
typed /restart, or in a new session after the customer was idle), verifying the customer when
the console asks, back to the person once verified; and a customer asking after their case hears
its status once verified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import ActionCaseStatus
from actions.handoff import ActionHandoffNow
from actions.takeover import ActionRestart, ActionSessionStart, ActionVerifyForAgent
from actions.verification import ActionAfterVerification, ValidateVerifyForm
from domain.records import AdjustmentKind, Case
from domain.usecases.case_status import case_reference_in, case_status, holder_of_conversation
from domain.usecases.cases import Origin, request_person
from domain.usecases.console import claim_case, decide_case, release_case
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import offer_credit, offer_extension
from domain.usecases.lifecycle.transitions import Happened
from tests.unit.test_actions import DOMAIN, ROOT, slots_set, texts

SENDER = "conv-held"
DAVID, ANA = "100004", "100001"


def said(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
    }
    return {"event": "user", "text": text, "input_channel": "rest", "parse_data": parse}


def tracker(
    *messages: dict[str, Any], paused: bool = False, loop: str | None = None, **slots: Any
) -> Tracker:
    messages = messages or (said("hi", "greet"),)
    return Tracker.from_dict(
        {
            "sender_id": SENDER,
            "slots": slots,
            "latest_message": messages[-1]["parse_data"],
            "events": list(messages),
            "paused": paused,
            "latest_event_time": None,
            "followup_action": None,
            "active_loop": {"name": loop} if loop else {},
            "latest_action_name": None,
        }
    )


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def unverified_case(deps: Deps, holder: str | None = "alex") -> Case:
    handoff = request_person(
        deps, conversation_id=SENDER, account_id=None, channel="socketio", reason="asked"
    )
    if holder:
        claim_case(deps, handoff.case.id, holder)
    return handoff.case


ORIGIN = Origin(conversation_id=SENDER, channel="socketio")


def davids_pending_case(deps: Deps) -> str:
    """David's $180.00 dispute credit, above the bot's cap: a case waiting for a person."""
    step = offer_credit(deps, DAVID, AdjustmentKind.THIRD_PARTY_DISPUTE, ORIGIN)
    assert step.happened is Happened.HANDED_OFF and step.record.case_id
    return step.record.case_id


def reference_of(deps: Deps, case_id: str) -> str:
    with deps.backoffice() as office:
        case = office.cases.get(case_id)
    assert case is not None
    return case.reference


# ---------------------------------------------------------------------------------------------
# /restart
# ---------------------------------------------------------------------------------------------


async def test_a_typed_restart_in_a_held_conversation_restarts_nothing_and_says_nothing(
    deps: Deps,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(said("hello?", "still_there"), said("/restart", "restart"), paused=True)
    events = await ActionRestart().run(dispatcher, t, {"responses": {"utter_restart": []}})
    # No Restarted (which un-pauses) and no UserUtteranceReverted (whose replay would rewind
    # past the pause): the listen ends Rasa's loop and the conversation stays paused.
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]
    assert dispatcher.messages == []


async def test_a_restart_nobody_holds_is_rasas_own_restart(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionRestart().run(dispatcher, tracker(said("/restart", "restart")), {})
    assert kinds(events) == ["restart"]
    assert dispatcher.messages == []


async def test_a_restart_nobody_holds_says_utter_restart_when_the_domain_has_it(
    deps: Deps,
) -> None:
    dispatcher = CollectingDispatcher()
    domain = {"responses": {"utter_restart": [{"text": "Starting over."}]}}
    events = await ActionRestart().run(dispatcher, tracker(said("/restart", "restart")), domain)
    assert kinds(events) == ["restart"]
    assert [m["response"] for m in dispatcher.messages] == ["utter_restart"]


# ---------------------------------------------------------------------------------------------
# A new session (the customer writes after session_expiration_time idle minutes)
# ---------------------------------------------------------------------------------------------

# The domain as the action server receives it: ours does not carry slots over.
BOT_DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
LISTEN = {"event": "action", "name": "action_listen", "policy": None, "confidence": None}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "metadata": {}}


def old_session(*, paused: bool) -> Tracker:
    """What Rasa sends at a session start: the old session, before SessionStarted."""
    return tracker(
        said("hi", "greet"),
        slot("verified_account", DAVID),
        said("get me a human", "request_human"),
        paused=paused,
        verified_account=DAVID,
    )


async def test_a_new_session_of_a_held_conversation_is_paused_again(deps: Deps) -> None:
    assert BOT_DOMAIN["session_config"]["carry_over_slots_to_new_session"] is False
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, old_session(paused=True), BOT_DOMAIN)
    # SessionStarted resets the tracker (un-pausing it): the pause follows it at once, and the
    # verification does not carry over.
    assert events == [
        {"event": "session_started", "timestamp": None},
        {"event": "pause", "timestamp": None},
        {**LISTEN, "timestamp": None},
    ]
    assert dispatcher.messages == []


async def test_a_new_session_nobody_holds_is_rasas_own_session_start(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, old_session(paused=False), BOT_DOMAIN)
    # Rasa's ActionSessionStart with carry_over_slots_to_new_session false.
    assert events == [
        {"event": "session_started", "timestamp": None},
        {**LISTEN, "timestamp": None},
    ]
    assert dispatcher.messages == []
    # A first conversation (Rasa sends an empty tracker) starts the same way.
    first = Tracker.from_dict({**old_session(paused=False).current_state(), "events": []})
    assert await ActionSessionStart().run(CollectingDispatcher(), first, BOT_DOMAIN) == events


async def test_a_domain_that_carries_slots_over_gets_the_old_sessions_slots_like_rasas(
    deps: Deps,
) -> None:
    carrying = {"session_config": {"carry_over_slots_to_new_session": True}}
    t = tracker(
        slot("customer_name", "Ana"),
        {"event": "session_started", "timestamp": None},
        slot("verified_account", DAVID),
        said("hi", "greet"),
        paused=True,
    )
    events = await ActionSessionStart().run(CollectingDispatcher(), t, carrying)
    assert kinds(events) == ["session_started", "pause", "slot", "action"]
    assert slots_set(events) == {"verified_account": DAVID}  # the latest session's slots only


# ---------------------------------------------------------------------------------------------
# Verification asked for by the agent
# ---------------------------------------------------------------------------------------------


async def test_the_agent_asking_to_verify_resumes_and_asks_the_forms_first_question(
    deps: Deps,
) -> None:
    unverified_case(deps)
    dispatcher = CollectingDispatcher()
    events = await ActionVerifyForAgent().run(dispatcher, tracker(paused=True), DOMAIN)
    assert events[0]["event"] == "resume"
    assert texts(dispatcher).startswith("The agent would like to confirm who you are first.")
    # The form's own question (its metadata comes with the domain response).
    assert dispatcher.messages[-1]["response"] == "utter_ask_identifier"
    assert {"event": "active_loop", "name": "verify_form", "timestamp": None} in events
    assert slots_set(events)["requested_slot"] == "identifier"
    # No prediction follows an execute: the turn's listen is logged, so the answer is validated.
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    assert "pause" not in kinds(events)


async def test_the_agent_asking_to_verify_a_verified_customer_changes_nothing(
    deps: Deps,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(paused=True, verified_account=DAVID, customer_name="David")
    assert await ActionVerifyForAgent().run(dispatcher, t, DOMAIN) == []
    assert dispatcher.messages == []


async def test_after_verification_a_held_conversation_goes_back_to_the_person(deps: Deps) -> None:
    unverified_case(deps, holder="alex")
    dispatcher = CollectingDispatcher()
    t = tracker(said("1357", "inform"), verified_account=DAVID, customer_name="David")
    events = await ActionAfterVerification().run(dispatcher, t, {})
    assert texts(dispatcher) == "Thanks, David, you're verified. Alex will continue with you."
    assert kinds(events)[-2:] == ["pause", "action"]
    assert slots_set(events) == {"pending_request": None}


async def test_after_verification_a_released_conversation_is_the_bots_again(deps: Deps) -> None:
    case = unverified_case(deps, holder="alex")
    release_case(deps, case.id, "alex")
    dispatcher = CollectingDispatcher()
    t = tracker(said("1357", "inform"), verified_account=DAVID, customer_name="David")
    events = await ActionAfterVerification().run(dispatcher, t, {})
    assert texts(dispatcher) == "Thanks, David, you're verified. How can I help you today?"
    assert "pause" not in kinds(events)


async def test_a_locked_verification_in_a_held_conversation_offers_no_second_person(
    deps: Deps,
) -> None:
    unverified_case(deps, holder="sam")
    form = ValidateVerifyForm()
    t = tracker(said("0000", "inform"), identifier=f"account:{DAVID}")
    for _ in range(2):
        await form.validate_pin("0000", CollectingDispatcher(), t, DOMAIN)
    dispatcher = CollectingDispatcher()
    result = await form.validate_pin("0000", dispatcher, t, DOMAIN)
    assert result["verification_locked"] is True and "pending_offer" not in result
    assert "Would you like" not in texts(dispatcher)

    after = CollectingDispatcher()
    events = await ActionAfterVerification().run(
        after, tracker(said("0000", "inform"), verification_locked=True), {}
    )
    assert texts(after) == "Sam will continue with you."
    assert "pause" in kinds(events)


async def test_asking_for_a_person_in_a_held_conversation_opens_no_second_case(
    deps: Deps,
) -> None:
    unverified_case(deps, holder="alex")
    dispatcher = CollectingDispatcher()
    t = tracker(said("get me a human", "request_human"))
    events = await ActionHandoffNow().run(dispatcher, t, {})
    assert texts(dispatcher) == "Alex will continue with you."
    assert "pause" in kinds(events)
    with deps.backoffice() as office:
        assert len([c for c in office.cases.listed() if c.conversation_id == SENDER]) == 1


def test_the_holder_is_whoever_claimed_the_conversations_case_until_released(deps: Deps) -> None:
    assert holder_of_conversation(deps, SENDER) is None
    case = unverified_case(deps, holder=None)
    assert holder_of_conversation(deps, SENDER) is None
    claim_case(deps, case.id, "alex")
    assert holder_of_conversation(deps, SENDER) == "alex"
    assert holder_of_conversation(deps, "another-conversation") is None
    release_case(deps, case.id, "alex")
    assert holder_of_conversation(deps, SENDER) is None


# ---------------------------------------------------------------------------------------------
# Case status
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("what's happening with KM-1042?", "KM-1042"),
        ("status of km 1042", "KM-1042"),
        ("km1042 please", "KM-1042"),
        ("uh case k m 1042", "KM-1042"),
        ("any news on my case", None),
        ("my account is 100004", None),
    ],
)
def test_a_case_reference_is_read_as_customers_type_and_say_it(
    text: str, reference: str | None
) -> None:
    assert case_reference_in(text) == reference


async def status_reply(
    text: str, account_id: str, entities: list[dict[str, Any]] | None = None
) -> str:
    dispatcher = CollectingDispatcher()
    t = tracker(said(text, "ask_case_status", entities), verified_account=account_id)
    events = await ActionCaseStatus().run(dispatcher, t, {})
    assert events == []
    return texts(dispatcher)


async def test_an_unverified_case_question_is_verified_first_and_discloses_nothing(
    deps: Deps,
) -> None:
    davids_pending_case(deps)
    dispatcher = CollectingDispatcher()
    events = await ActionCaseStatus().run(
        dispatcher, tracker(said("status of KM-1001", "ask_case_status")), {}
    )
    assert slots_set(events) == {"pending_request": "action_case_status"}
    assert any(e["event"] == "followup" and e["name"] == "verify_form" for e in events)
    assert "KM-1001" not in texts(dispatcher) and "$" not in texts(dispatcher)


async def test_the_case_asked_about_before_verification_is_answered_after_it(deps: Deps) -> None:
    reference = reference_of(deps, davids_pending_case(deps))
    entity = {"entity": "case_reference", "value": reference, "start": 10, "end": 17}
    t = tracker(
        said(f"status of {reference}", "ask_case_status", [entity]),
        said("100004", "inform"),
        said("1357", "inform"),
        verified_account=DAVID,
        customer_name="David",
        pending_request="action_case_status",
    )
    dispatcher = CollectingDispatcher()
    await ActionAfterVerification().run(dispatcher, t, {})
    assert texts(dispatcher) == (
        f"Thanks, David, you're verified. Your case {reference} is waiting for a person from "
        "our team; the expected wait is about 4 minutes."
    )


async def test_an_open_case_says_its_place_in_the_queue(deps: Deps) -> None:
    request_person(deps, conversation_id="first", account_id=ANA, channel="rest", reason="asked")
    reference = reference_of(deps, davids_pending_case(deps))
    # David's case carries money a person must approve: high priority, so first in the queue.
    assert "about 4 minutes" in await status_reply(f"what's happening with {reference}?", DAVID)
    reply = await status_reply("any news on my case", ANA)
    assert reply == (
        "Your case KM-1001 is waiting for a person from our team; the expected wait is about "
        "8 minutes."
    )


async def test_a_claimed_case_says_who_is_working_on_it(deps: Deps) -> None:
    case_id = davids_pending_case(deps)
    claim_case(deps, case_id, "alex")
    reference = reference_of(deps, case_id)
    assert await status_reply(f"status of {reference.lower()}", DAVID) == (
        f"Your case {reference} is with our team: Alex is working on it."
    )


async def test_an_approved_credit_says_the_amount_and_the_new_balance(deps: Deps) -> None:
    case_id = davids_pending_case(deps)
    decide_case(deps, case_id, "alex", "approve")
    reply = await status_reply("did my case get approved", DAVID)
    assert reply.startswith(f"Your case {reference_of(deps, case_id)} has been decided. Good news")
    assert "our team approved your $180.00 credit" in reply
    assert "Your new balance is $74.10." in reply


async def test_an_approved_extension_says_the_new_due_date(deps: Deps) -> None:
    step = offer_extension(deps, ANA, 30, ORIGIN)
    assert step.happened is Happened.HANDED_OFF and step.record.case_id
    decided = decide_case(deps, step.record.case_id, "alex", "approve")
    new_due = decided.record.new_due_date  # type: ignore[union-attr]
    reply = await status_reply("any update on my case please", ANA)
    assert f"Your new due date is {new_due:%B} {new_due.day}." in reply


async def test_a_rejected_proposal_says_our_team_could_not_approve_it(deps: Deps) -> None:
    case_id = davids_pending_case(deps)
    decide_case(deps, case_id, "sam", "reject", reason="charge was confirmed with the provider")
    reply = await status_reply("what did your team decide about my case", DAVID)
    assert "our team could not approve your $180.00 credit" in reply
    assert "confirmed with the provider" not in reply  # the staff's reason stays internal


async def test_someone_elses_case_is_answered_like_one_that_does_not_exist(deps: Deps) -> None:
    reference = reference_of(deps, davids_pending_case(deps))
    assert await status_reply(f"what's happening with {reference}?", ANA) == (
        f"I can't find a case {reference} on your account."
    )
    assert await status_reply("status of KM-9999", DAVID) == (
        "I can't find a case KM-9999 on your account."
    )


async def test_without_a_reference_the_newest_case_is_answered(deps: Deps) -> None:
    assert await status_reply("any news on my case", ANA) == "I don't see any case on your account."
    older = request_person(deps, conversation_id="a", account_id=ANA, channel="rest", reason="x")
    claim_case(deps, older.case.id, "sam")
    deps.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    newer = request_person(deps, conversation_id="b", account_id=ANA, channel="rest", reason="y")
    view = case_status(deps, ANA)
    assert view.case is not None and view.case.id == newer.case.id
    assert "Sam" in await status_reply(f"status of {older.case.reference}", ANA)
