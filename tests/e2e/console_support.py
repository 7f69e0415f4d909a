"""Shared by the console's browser tests: the browser, a person signed in to the console, the
cases the bot hands over, and the staff API for cleaning up.

The console is driven only through the ids, labels and button texts of its UI contract
(docs: the console layout), so a test failing here names a broken promise of the page.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.e2e.conftest import LiveStack
from tests.e2e.test_outcomes import CASE_REFERENCE, DAVID, DISPUTE, new_rows
from tests.e2e.test_widget import CHROMIUM_FLAGS, chromium_path

PASSWORDS = {"alex": "kestrel-alex", "sam": "kestrel-sam"}
COOKIE = "kestrel_console"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}  # the README screenshots' size
WAIT_MS = 10_000

# Counts the person's real clicks on the console's pages; sessionStorage keeps the count across
# the page loads of one tab (sign-in -> queue -> case -> decision).
CLICK_COUNTER = """
document.addEventListener("click", (event) => {
  if (!event.isTrusted) return;
  const clicks = Number(sessionStorage.getItem("e2eClicks") || 0) + 1;
  sessionStorage.setItem("e2eClicks", String(clicks));
}, true);
"""


@contextmanager
def launched_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """One person's browser context on the console."""

    def __init__(self, browser: Browser, live: LiveStack, username: str) -> None:
        self.live = live
        self.username = username
        self.web = live.config.web_url
        self.context: BrowserContext = browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(CLICK_COUNTER)
        self.page: Page = self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def sign_in(self, password: str | None = None) -> None:
        """Type the name and password, click the one button; the queue is open after it, with
        its live stream connected (so a case made from now on must arrive without reload)."""
        page = self.page
        page.goto(f"{self.web}/console/login")
        page.locator('input[name="username"]').fill(self.username)
        page.locator('input[name="password"]').fill(password or PASSWORDS[self.username])
        with page.expect_response(lambda r: r.url.endswith("/console/events"), timeout=WAIT_MS):
            page.get_by_role("button", name=re.compile(r"^\s*sign in\s*$", re.I)).click()
        expect(page.get_by_role("heading", level=1, name="Queue")).to_be_visible()

    def clicks(self) -> int:
        return int(self.page.evaluate("() => Number(sessionStorage.getItem('e2eClicks') || 0)"))

    def open_case(self, case_id: str) -> None:
        self.page.goto(f"{self.web}/console/cases/{case_id}")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Case KM-")

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def notice(self) -> Locator:
        return self.page.locator('p.notice[role="status"]')

    def error(self) -> Locator:
        return self.page.locator('p.error[role="alert"]')

    def row(self, reference: str) -> Locator:
        return self.page.locator(f'#queue tr[data-reference="{reference}"]')

    def session_secret(self) -> str:
        [cookie] = [c for c in self.context.cookies(f"{self.web}/console/") if c["name"] == COOKIE]
        return str(cookie["value"])

    def csrf_token(self) -> str:
        return str(self.page.locator('input[name="csrf_token"]').first.get_attribute("value"))

    def goto_status(self, path: str) -> int:
        response = self.page.goto(f"{self.web}{path}")
        assert response is not None, path
        return response.status


# --------------------------------------------------------------------------------------------
# Cases the bot hands over (REST conversations) and what the back office says about them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handoff:
    """A turn that handed the conversation to a person, timed with time.time() (the browser's
    Date.now() runs on the same clock)."""

    reply: str
    sent_at: float  # the customer's message left
    replied_at: float  # the bot's handoff reply came back


def handoff_turn(live: LiveStack, sender: str, text: str) -> Handoff:
    sent_at = time.time()
    reply = " ".join(live.say(sender, text))
    return Handoff(reply, sent_at, time.time())


def davids_case(live: LiveStack, sender: str) -> tuple[dict[str, Any], Handoff]:
    """David disputes TrivaFun over REST and is verified: his PIN's turn makes the case
    proposing $180.00. (The case, that turn.)"""
    assert "automated assistant" in " ".join(live.say(sender, "hi"))
    assert "account number" in " ".join(live.say(sender, DISPUTE))
    assert "PIN" in " ".join(live.say(sender, DAVID.account))
    turn = handoff_turn(live, sender, DAVID.pin)
    assert "you're verified" in turn.reply and "$180.00" in turn.reply, turn.reply
    [case] = live.ops(DAVID.account)["cases"]
    assert case["reference"] in turn.reply, (case, turn.reply)
    return case, turn


def person_asked(live: LiveStack, sender: str) -> tuple[str, Handoff]:
    """An unverified customer asks for a person and declines to verify. (The case's reference,
    the turn that made it.)"""
    assert "verify" in " ".join(live.say(sender, "i want to talk to a person"))
    turn = handoff_turn(live, sender, "no")
    found = CASE_REFERENCE.findall(turn.reply)
    assert len(found) == 1, turn.reply
    return str(found[0]), turn


def proposal(live: LiveStack, account: str = DAVID.account) -> dict[str, Any]:
    """The one adjustment the bot proposed in this test."""
    [row] = new_rows(live.ops(account)["adjustments"])
    return row


def settled_proposal(live: LiveStack, account: str = DAVID.account) -> dict[str, Any]:
    """The proposal once billing has answered (an approval posts it, then records the result)."""
    deadline = time.monotonic() + 10
    row = proposal(live, account)
    while row["status"] == "applying" and time.monotonic() < deadline:
        time.sleep(0.2)
        row = proposal(live, account)
    return row


def p95(values: list[float]) -> float:
    """Nearest rank: the smallest value at or above 95 % of the samples."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# The staff API, for cleaning up after a test that took a case
# --------------------------------------------------------------------------------------------


def staff_token(live: LiveStack, username: str) -> str:
    response = httpx.post(
        f"{live.config.web_url}/api/token",
        data={"username": username, "password": PASSWORDS[username]},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def release_if_held(live: LiveStack, case_id: str, username: str) -> None:
    """Hand a case back if the test left it held (the stack is shared with other modules, and a
    held conversation keeps its bot paused)."""
    headers = {"Authorization": f"Bearer {staff_token(live, username)}"}
    url = f"{live.config.web_url}/api/cases/{case_id}"
    case = httpx.get(url, headers=headers, timeout=10).json()
    if case.get("claimed_by"):
        httpx.post(f"{url}/release", headers=headers, timeout=20)
