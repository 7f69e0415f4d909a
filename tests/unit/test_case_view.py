"""The case page's data, assembled from the demo operator (in-memory BSS, SQLite back office),
and what the page's forms accept: money in dollars to integer cents, never a float."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from app.web.console.case_forms import dollars_to_cents, notice_text, whole_days
from app.web.console.case_view import build_case_view
from app.web.console.case_words import local_time
from app.web.console.queue_feed import sla_state, wait_text
from domain.errors import InvalidInput, NotFound
from domain.records import AdjustmentKind
from domain.usecases import console
from domain.usecases.cases import Origin, request_person
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import offer_credit, offer_extension
from tests.unit.fakes import demo_deps

CHAT = Origin(conversation_id="chat-1", channel="socketio")
DAVID, ELENA = "100004", "100005"


def david_case(deps: Deps) -> str:
    step = offer_credit(deps, DAVID, AdjustmentKind.THIRD_PARTY_DISPUTE, CHAT)
    assert step.handoff is not None
    return step.handoff.case.id


def test_davids_case_shows_who_he_is_the_proposal_and_the_caps_for_alex() -> None:
    deps = demo_deps()
    view = build_case_view(deps, david_case(deps), "alex")

    assert view.reference.startswith("KM-") and view.open and view.live_chat
    assert view.verified and view.verification_text.startswith("Verified by PIN at ")
    assert view.customer is not None
    assert (view.customer.account_id, view.customer.name, view.customer.plan) == (
        DAVID,
        "David Kim",
        "Unlimited Plus",
    )
    assert view.customer.balance.startswith("$")
    proposal = view.proposal
    assert proposal is not None and proposal.pending and not proposal.is_extension
    assert proposal.approve_label == "Approve $180.00"
    assert proposal.caps_text == "$180.00 — above the bot's $25.00 cap; within your $200.00 limit"
    assert proposal.rule == "third_party_charge.always_human"
    assert "always decided by a person" in proposal.rule_text
    assert "per_adjustment_cap" in proposal.rules_fired


def test_the_bill_line_the_proposal_is_about_is_highlighted() -> None:
    deps = demo_deps()
    view = build_case_view(deps, david_case(deps), "alex")

    assert view.bill is not None
    highlighted = [line for line in view.bill.lines if line.highlighted]
    assert [(line.description, line.amount) for line in highlighted] == [
        ("Premium SMS subscription TrivaFun", "$180.00")
    ]
    assert view.bill.total == "$254.10"


def test_a_supervisor_sees_the_proposal_within_their_own_limit() -> None:
    deps = demo_deps()
    view = build_case_view(deps, david_case(deps), "sam")

    assert view.proposal is not None
    assert view.proposal.caps_text.endswith("within your $5,000.00 limit")


def test_an_extension_is_shown_in_days_against_the_bots_days() -> None:
    deps = demo_deps()
    step = offer_extension(deps, ELENA, 30, CHAT)
    assert step.handoff is not None

    view = build_case_view(deps, step.handoff.case.id, "alex")

    assert view.proposal is not None and view.proposal.is_extension
    assert view.proposal.approve_label == "Approve 30 days"
    assert view.proposal.caps_text == "30 days — above the bot's 14 days; within your 30 days limit"


def test_the_history_lists_earlier_adjustments_of_the_account_but_not_this_cases_own() -> None:
    deps = demo_deps()
    step = offer_extension(deps, ELENA, 30, CHAT)
    assert step.handoff is not None

    view = build_case_view(deps, step.handoff.case.id, "alex")

    assert [item.what for item in view.history] == ["$5.00 late fee waiver"]
    assert view.history[0].status == "applied by bot"


def test_an_unverified_customer_shows_no_account_data_at_all() -> None:
    deps = demo_deps()
    handoff = request_person(
        deps, conversation_id="chat-anon", account_id=None, channel="socketio",
        reason="wants a person",
    )  # fmt: skip

    view = build_case_view(deps, handoff.case.id, "alex")

    assert not view.verified and view.verification_text == "Not verified"
    assert view.customer is None and view.bill is None and view.history == ()
    assert view.proposal is None


def test_private_notes_and_who_holds_the_case_are_shown() -> None:
    deps = demo_deps()
    case_id = david_case(deps)
    before = build_case_view(deps, case_id, "alex")
    console.claim_case(deps, case_id, "alex")
    console.add_note(deps, case_id, "alex", "Customer says he never texted TRIVA.")

    mine = build_case_view(deps, case_id, "alex")
    theirs = build_case_view(deps, case_id, "sam")

    assert mine.held_by_you and mine.status_text == "Claimed, held by you"
    assert not theirs.held_by_you and theirs.status_text == "Claimed, held by alex"
    assert [(n.author, n.text) for n in mine.notes] == [
        ("alex", "Customer says he never texted TRIVA.")
    ]
    assert mine.state != before.state  # the page's script reloads on such a change


def test_times_are_shown_in_the_operators_timezone() -> None:
    deps = dataclasses.replace(demo_deps(), operator_timezone="America/New_York")
    view = build_case_view(deps, david_case(deps), "alex")

    assert view.opened_at == "20 Nov 2026, 10:30 EST"  # T is 15:30 UTC
    assert local_time(datetime(2026, 7, 1, 12, tzinfo=timezone.utc), "Europe/Paris") == (
        "01 Jul 2026, 14:00 CEST"
    )


def test_an_unknown_case_is_not_found() -> None:
    with pytest.raises(NotFound):
        build_case_view(demo_deps(), "case_nope", "alex")


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("180", 18000), ("180.5", 18050), ("180.50", 18050), ("$1,180.05", 118005), (" 0.30 ", 30)],
)
def test_a_changed_amount_in_dollars_becomes_exact_cents(typed: str, cents: int) -> None:
    assert dollars_to_cents(typed) == cents


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("180.505", "at most 2 decimals"),
        ("abc", "dollars and cents"),
        ("1e3", "dollars and cents"),
        ("NaN", "dollars and cents"),
        ("-5", "dollars and cents"),
        ("0.00", "more than $0.00"),
        ("", "dollars and cents"),
        ("١٨٠", "dollars and cents"),
        ("9" * 20, "dollars and cents"),
    ],
)
def test_a_changed_amount_that_is_not_whole_cents_is_refused_with_a_reason(
    typed: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words.replace("$", r"\$")):
        dollars_to_cents(typed)


def test_changed_days_are_a_whole_positive_number() -> None:
    assert whole_days(" 20 ") == 20
    for typed in ("0", "2.5", "-3", "x", "12345"):
        with pytest.raises(InvalidInput):
            whole_days(typed)


def test_a_notice_code_has_a_fixed_text_and_an_unknown_one_shows_nothing() -> None:
    assert notice_text("approved") == "Approved. The customer has been told."
    assert notice_text("<script>") == "" and notice_text(None) == ""


@pytest.mark.parametrize(
    ("waited", "state", "text"),
    [
        (timedelta(minutes=4, seconds=59), "ok", "4:59"),
        (timedelta(minutes=5), "warn", "5:00 — due soon"),
        (timedelta(minutes=10), "warn", "10:00 — due soon"),
        (timedelta(minutes=10, seconds=1), "late", "10:01 — late"),
        (timedelta(minutes=75, seconds=3), "late", "75:03 — late"),
    ],
)
def test_the_wait_says_in_words_when_it_is_nearly_or_already_late(
    waited: timedelta, state: str, text: str
) -> None:
    seconds = waited.total_seconds()
    assert sla_state(seconds, 10) == state
    assert wait_text(seconds, 10) == text
