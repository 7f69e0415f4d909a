"""The agent console in a real browser (Playwright driving Debian's chromium) on the live stack.

alex watches the queue while real bot conversations hand cases over, opens David's and approves
it; an amount above his own limit is refused and sam approves it; alex takes over a live chat
in the customer's widget (a second browser context) and hands it back. With KESTREL_SCREENSHOTS
set to a folder, the README's screenshots of the case view and the dashboard are saved there.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.console_support import (
    WAIT_MS,
    Console,
    Handoff,
    davids_case,
    launched_browser,
    p95,
    person_asked,
    proposal,
    release_if_held,
    settled_proposal,
)
from tests.e2e.test_outcomes import DAVID, DISPUTE
from tests.e2e.test_widget import Chat, tracker

pytestmark = pytest.mark.e2e

HANDOFF_TARGET_MS = 2000  # the target: a handed-off case shows in an open queue in 2 s
QUIET_MS = 3000  # how long a held conversation must stay silent after the customer writes
MOST_CLICKS = 4  # from sign-in to an approved proposal
SLOW_ANSWER_S = 2.5  # an approval answered this late: the case page polls every second

# Notes, in the page, when each queue row first appeared (Date.now(), the test's clock too):
# the live update is measured where it happens, not at Playwright's polling.
WATCH_ROWS = """() => {
  window.rowsSeen = {};
  const note = () => {
    for (const row of document.querySelectorAll("#queue tr[data-reference]")) {
      const reference = row.dataset.reference;
      if (!(reference in window.rowsSeen)) window.rowsSeen[reference] = Date.now();
    }
  };
  note();
  const queue = document.getElementById("queue");
  new MutationObserver(note).observe(queue, {childList: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_browser() as launched:
        yield launched


def screenshot_folder() -> Path | None:
    folder = os.environ.get("KESTREL_SCREENSHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def arrival_ms(console: Console, reference: str, turn: Handoff) -> float:
    """From the customer's message that hands over (the case is made during the bot's turn,
    often before its reply is back) to the case's row showing in the open queue."""
    expect(console.row(reference)).to_be_visible(timeout=WAIT_MS)
    seen = console.page.evaluate("reference => window.rowsSeen[reference]", reference)
    return float(seen) - turn.sent_at * 1000


def test_alex_sees_davids_case_arrive_without_reload_and_approves_it_in_three_clicks(
    fresh: LiveStack, browser: Browser, sender: str, report_measurement: Callable[[str], None]
) -> None:
    balance_before = fresh.ops(DAVID.account)["balance_cents"]
    alex = Console(browser, fresh, "alex")
    try:
        alex.sign_in()  # click 1
        expect(alex.page.locator("#queue tbody")).to_contain_text("No open cases.")
        alex.page.evaluate(WATCH_ROWS)

        case, turn = davids_case(fresh, sender)
        reference = case["reference"]
        latencies, turns = [arrival_ms(alex, reference, turn)], [turn]
        row = alex.row(reference)
        for shown in ("High", "100004", "David", "$180.00"):
            expect(row).to_contain_text(shown)
        expect(row.locator("span.wait")).to_have_class(re.compile(r"\bsla-ok\b"))
        expect(alex.page.locator("#queue-status")).to_contain_text(f"New case {reference}")
        for n in range(4):  # more customers asking for a person, for the p95
            other, turn = person_asked(fresh, f"{sender}-{n}")
            latencies.append(arrival_ms(alex, other, turn))
            turns.append(turn)
        worst = p95(latencies)
        turn_ms = statistics.median((t.replied_at - t.sent_at) * 1000 for t in turns)
        report_measurement(
            f"console: handoff -> queue p95 {worst:.0f} ms over {len(latencies)} (from the"
            f" customer's handoff message; the bot's handoff turn alone: median {turn_ms:.0f} ms)"
        )
        assert worst <= HANDOFF_TARGET_MS, latencies

        row.get_by_role("link", name=reference).click()  # click 2
        page = alex.page
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
        customer = page.get_by_role("region", name="Customer", exact=True)
        for shown in ("100004", "David Kim", "Verified by PIN"):
            expect(customer).to_contain_text(shown)
        offer = page.get_by_role("region", name="Proposal", exact=True)
        for shown in ("$180.00", "$25.00", "$200.00"):  # the proposal against both caps
            expect(offer).to_contain_text(shown)
        expect(page.locator("#transcript")).to_contain_text(DISPUTE)
        expect(page.locator("#transcript")).to_contain_text("••••")
        assert DAVID.pin not in page.locator("#transcript").inner_text()
        if folder := screenshot_folder():
            page.screenshot(path=str(folder / "console-case.png"), full_page=True)

        alex.button("Approve $180.00").click()  # click 3
        expect(alex.notice()).to_contain_text("Approved")
        clicks = alex.clicks()
    finally:
        alex.close()

    report_measurement(f"console: sign-in -> approved in {clicks} clicks")
    assert clicks <= MOST_CLICKS
    row_after = settled_proposal(fresh)
    assert (row_after["status"], row_after["amount_cents"], row_after["decided_by"]) == (
        "applied",
        18000,
        "agent:alex",
    )
    assert fresh.ops(DAVID.account)["balance_cents"] == balance_before - 18000


def test_alex_cannot_approve_a_changed_250_dollars_on_davids_case_and_sam_can(
    fresh: LiveStack, browser: Browser, sender: str
) -> None:
    case, _ = davids_case(fresh, sender)
    balance_before = fresh.ops(DAVID.account)["balance_cents"]
    alex, sam = Console(browser, fresh, "alex"), Console(browser, fresh, "sam")
    try:
        alex.sign_in()
        alex.open_case(case["id"])
        alex.page.get_by_label("Changed amount ($)", exact=True).fill("250.00")
        with alex.page.expect_response(lambda r: r.url.endswith("/decision")) as refused:
            alex.button("Approve changed amount").click()
        assert refused.value.status == 403
        expect(alex.error()).to_contain_text("$200.00")
        expect(alex.error()).to_contain_text("$250.00")
        still = proposal(fresh)
        assert (still["status"], still["decided_by"]) == ("pending_approval", None)
        assert fresh.ops(DAVID.account)["balance_cents"] == balance_before

        sam.sign_in()
        sam.open_case(case["id"])
        sam.page.get_by_label("Changed amount ($)", exact=True).fill("250.00")
        sam.button("Approve changed amount").click()
        expect(sam.notice()).to_contain_text("Approved")
        decided = settled_proposal(fresh)
        assert (decided["status"], decided["amount_cents"], decided["decided_by"]) == (
            "applied",
            25000,
            "supervisor:sam",
        )
        assert fresh.ops(DAVID.account)["balance_cents"] == balance_before - 25000
        if folder := screenshot_folder():
            assert sam.goto_status("/console/dashboard") == 200
            sam.page.screenshot(path=str(folder / "dashboard.png"), full_page=True)
    finally:
        alex.close()
        sam.close()


def test_alex_still_reads_approved_when_the_page_sees_the_decision_before_its_answer(
    fresh: LiveStack, browser: Browser, sender: str
) -> None:
    """On a slow machine the page's poll can see the approved proposal while the browser still
    waits for the approval's own answer; its reload must not cancel that answer and its notice."""
    case, _ = davids_case(fresh, sender)
    alex = Console(browser, fresh, "alex")
    answers_held: list[int] = []

    def hold_the_answer(route: Route) -> None:
        answer = route.fetch(max_redirects=0)  # the approval is made now, on the server
        time.sleep(SLOW_ANSWER_S)  # the page meanwhile polls and sees the case changed
        answers_held.append(answer.status)
        route.fulfill(response=answer)

    try:
        alex.sign_in()
        alex.open_case(case["id"])
        alex.page.route(re.compile(r"/decision$"), hold_the_answer)
        alex.button("Approve $180.00").click()
        expect(alex.notice()).to_contain_text("Approved", timeout=WAIT_MS)
        assert answers_held == [303]
        decided = settled_proposal(fresh)
        assert (decided["status"], decided["decided_by"]) == ("applied", "agent:alex")
    finally:
        alex.close()


def say_and_hear_nothing(chat: Chat, text: str) -> None:
    """The customer writes while a person holds the chat: the message goes, nothing comes back
    (no bot reply, no agent message, no 'did not get through')."""
    before = chat.messages().count()
    chat.input.fill(text)
    chat.input.press("Enter")
    expect(chat.messages()).to_have_count(before + 1)
    expect(chat.page.locator("kestrel-chat .typing")).to_be_hidden(timeout=WAIT_MS)
    chat.page.wait_for_timeout(QUIET_MS)
    assert chat.messages().count() == before + 1, chat.texts()[before:]


def test_alex_takes_over_davids_chat_the_bot_stays_silent_and_hand_back_tells_the_outcome(
    fresh: LiveStack, browser: Browser
) -> None:
    customer_context = browser.new_context()
    alex = Console(browser, fresh, "alex")
    case_id = ""
    try:
        chat = Chat.open_page(customer_context, fresh)
        chat.open()
        chat.say(DISPUTE)
        chat.say(DAVID.account)
        assert "$180.00" in chat.say(DAVID.pin)
        [case] = fresh.ops(DAVID.account)["cases"]
        case_id, session_id = case["id"], chat.session_id()
        assert case["conversation_id"] == session_id

        alex.sign_in()
        alex.open_case(case_id)
        alex.button("Claim").click()
        expect(alex.notice()).to_be_visible()
        transcript = alex.page.locator("#transcript")
        say_and_hear_nothing(chat, "hello? is anyone there?")
        expect(transcript).to_contain_text("hello? is anyone there?", timeout=WAIT_MS)
        say_and_hear_nothing(chat, "/restart")
        assert tracker(fresh, session_id)["paused"] is True

        hello = "Hi David, Alex here. I'm looking at the TrivaFun charge now."
        alex.page.get_by_label("Reply to the customer", exact=True).fill(hello)
        alex.button("Send").click()
        from_alex = chat.messages("agent").last
        expect(from_alex).to_contain_text(hello, timeout=WAIT_MS)
        expect(from_alex).to_contain_text("Alex")
        expect(alex.page.locator("#reply-text")).to_have_value("")
        expect(transcript.locator("li.turn.agent").last).to_contain_text(hello, timeout=WAIT_MS)

        alex.button("Approve $180.00").click()  # while he holds the chat
        expect(alex.notice()).to_contain_text("Approved")
        expect(chat.messages("agent").last).to_contain_text("$180.00", timeout=WAIT_MS)
        alex.button("Hand back to the bot").click()
        expect(alex.notice()).to_be_visible()
        expect(chat.messages("system").last).to_contain_text(
            "You're back with the automated assistant.", timeout=WAIT_MS
        )
        outcome = chat.messages("bot").last
        expect(outcome).to_contain_text("approved your $180.00 credit")
        expect(outcome).to_contain_text("Your new balance is $74.10")
        assert tracker(fresh, session_id)["paused"] is False
        bots = chat.messages("bot").count()
        chat.say("what's my balance")
        assert chat.messages("bot").count() > bots
    finally:
        if case_id:
            release_if_held(fresh, case_id, "alex")
        alex.close()
        customer_context.close()
