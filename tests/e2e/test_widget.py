"""The chat widget in a real browser (Playwright driving Debian's chromium) against the live stack.

The widget's socket goes through the stack's loopback TCP proxy (tests/e2e/tcp_proxy.py), so a
test can cut the connection the way a bad network does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from app.settings import ROOT
from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

PIN = "4321"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # this machine's closed network refuses them anyway
    "--disable-component-update",
    "--disable-sync",
]
REPLY_LATENCIES_MS: list[float] = []


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("chromium is not installed: `make test-setup` installs Debian's chromium")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
    if REPLY_LATENCIES_MS:
        print(
            f"\nwidget: send -> reply rendered, median {statistics.median(REPLY_LATENCIES_MS):.0f}"
            f" ms over {len(REPLY_LATENCIES_MS)} turns"
        )


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


class Chat:
    """The widget on the demo page, driven as a customer would."""

    def __init__(self, page: Page, live: LiveStack) -> None:
        self.page = page
        self.live = live
        self.widget = page.locator("kestrel-chat")
        self.log = page.locator("kestrel-chat .log")
        self.input = page.locator("kestrel-chat #kc-input")

    @classmethod
    def open_page(cls, context: BrowserContext, live: LiveStack) -> Chat:
        page = context.new_page()
        page.goto(live.config.web_url + "/")
        return cls(page, live)

    def open(self) -> None:
        self.page.get_by_role("button", name="Chat with us").click()
        self.wait_online()

    def wait_online(self) -> None:
        expect(self.page.locator("kestrel-chat .status")).to_have_text("Online", timeout=15_000)

    def messages(self, role: str = "") -> Locator:
        return self.page.locator(f"kestrel-chat .message{'.' + role if role else ''}")

    def texts(self) -> list[str]:
        return [
            text.strip()
            for text in self.page.locator("kestrel-chat .message .text").all_inner_texts()
        ]

    def wait_for_reply(self, bots_before: int) -> None:
        expect(self.messages("bot")).not_to_have_count(bots_before, timeout=20_000)
        expect(self.page.locator("kestrel-chat .typing")).to_be_hidden(timeout=20_000)

    def say(self, text: str) -> str:
        """Type and send; the bot's replies to it, joined."""
        before = self.messages("bot").count()
        self.input.fill(text)
        self.input.press("Enter")
        self.wait_for_reply(before)
        return " ".join(self.messages("bot").all_inner_texts()[before:])

    def press(self, button: str) -> str:
        before = self.messages("bot").count()
        self.page.locator("kestrel-chat .choices button", has_text=button).last.click()
        self.wait_for_reply(before)
        return " ".join(self.messages("bot").all_inner_texts()[before:])

    def latencies(self) -> list[float]:
        return list(self.widget.evaluate("element => element.latencies"))

    def stored(self) -> dict:
        raw = self.page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
        return {key: json.loads(value) for key, value in json.loads(raw).items()}

    def session_id(self) -> str:
        (conversation,) = self.stored().values()
        return str(conversation["sessionId"])


def tracker(live: LiveStack, session_id: str) -> dict:
    response = httpx.get(
        f"{live.config.rasa_url}/conversations/{session_id}/tracker",
        params={"token": live.config.env["RASA_TOKEN"]},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def user_texts(live: LiveStack, session_id: str) -> list[str]:
    return [e.get("text") for e in tracker(live, session_id)["events"] if e["event"] == "user"]


def post_as_agent(live: LiveStack, session_id: str, text: str, kestrel: dict) -> None:
    """What the console will do: a bot event with the agent's metadata, sent to the widget."""
    response = httpx.post(
        f"{live.config.rasa_url}/conversations/{session_id}/tracker/events",
        params={
            "token": live.config.env["RASA_TOKEN"],
            "output_channel": "latest",
            "execute_side_effects": "true",
        },
        json={"event": "bot", "text": text, "metadata": {"kestrel": kestrel}},
        timeout=10,
    )
    response.raise_for_status()


def verify_as_ana(chat: Chat) -> None:
    chat.say("why did my bill go up")
    prompt = chat.say("100001")
    assert "PIN" in prompt
    assert chat.input.get_attribute("type") == "password"
    chat.say(PIN)


def assert_pin_kept_nowhere(chat: Chat, context: BrowserContext) -> None:
    for entry in next(iter(chat.stored().values()))["entries"]:
        assert PIN not in entry["text"], entry
    storage = chat.page.evaluate(
        "() => JSON.stringify([Object.assign({}, localStorage), Object.assign({}, sessionStorage),"
        " document.cookie])"
    )
    assert PIN not in storage.replace(chat.session_id(), "")
    assert all(PIN not in cookie["value"] for cookie in context.cookies())


def test_ana_settles_her_late_fee_in_the_widget_and_a_reload_keeps_the_transcript(
    fresh: LiveStack, context: BrowserContext
) -> None:
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.on("websocket", lambda socket: requests.append(socket.url))
    chat = Chat.open_page(context, fresh)
    expect(chat.messages("system").first).to_contain_text("Kestrel's automated assistant")
    chat.open()

    verify_as_ana(chat)
    sent_pin = chat.messages("user").last.locator(".text")
    expect(sent_pin).to_contain_text("••••")
    expect(sent_pin).to_contain_text("PIN sent (hidden)")  # what a screen reader says
    assert PIN not in " ".join(chat.texts())
    offer = chat.say("can you waive the late fee")
    assert "$5.00" in offer and "Shall I go ahead?" in offer
    done = chat.press("Yes")

    assert "$107.40" in done
    assert chat.texts()[-2] == "Yes", "the button's title is shown as the customer's reply"
    expect(chat.page.locator("kestrel-chat .choices button").first).to_be_disabled()
    applied = [a for a in fresh.ops("100001")["adjustments"] if a["status"] == "applied"]
    assert [(a["kind"], a["amount_cents"]) for a in applied] == [("late_fee_waiver", 500)]

    REPLY_LATENCIES_MS.extend(chat.latencies())
    before_reload = chat.texts()
    chat.page.reload()
    expect(chat.messages()).to_have_count(len(before_reload))
    assert chat.texts() == before_reload
    assert_pin_kept_nowhere(chat, context)

    allowed = {urlsplit(fresh.config.web_url).netloc, urlsplit(fresh.socket_proxy.url).netloc}
    assert {urlsplit(url).netloc for url in requests} <= allowed, requests


def focused(page: Page) -> str:
    """What has the keyboard focus, looking inside the widget's shadow root."""
    return str(
        page.evaluate(
            """() => {
                let node = document.activeElement;
                while (node && node.shadowRoot && node.shadowRoot.activeElement) {
                    node = node.shadowRoot.activeElement;
                }
                return node ? (node.id || node.textContent || node.tagName).trim() : "";
            }"""
        )
    )


def tab_to(page: Page, name: str, key: str = "Tab", limit: int = 30) -> None:
    for _ in range(limit):
        if focused(page) == name:
            return
        page.keyboard.press(key)
    pytest.fail(f"{name!r} is not reachable with {key} (focus is on {focused(page)!r})")


def test_the_whole_journey_works_with_the_keyboard_alone(
    fresh: LiveStack, context: BrowserContext
) -> None:
    chat = Chat.open_page(context, fresh)
    tab_to(chat.page, "Chat with us")
    chat.page.keyboard.press("Enter")
    chat.wait_online()
    assert focused(chat.page) == "kc-input", "opening the widget puts the focus in the input"

    def type_and_send(text: str) -> None:
        before = chat.messages("bot").count()
        chat.page.keyboard.type(text)
        chat.page.keyboard.press("Enter")
        chat.wait_for_reply(before)

    for text in ("why did my bill go up", "100001", PIN, "please waive the late fee"):
        type_and_send(text)
    before = chat.messages("bot").count()
    tab_to(chat.page, "Yes", key="Shift+Tab")
    chat.page.keyboard.press("Enter")
    chat.wait_for_reply(before)

    assert "$107.40" in chat.messages("bot").last.inner_text()
    assert fresh.ops("100001")["balance_cents"] == 11240 - 500
    chat.page.keyboard.press("Escape")
    expect(chat.page.locator("kestrel-chat .panel")).to_be_hidden()
    assert focused(chat.page) == "Chat with us", "closing gives the focus back to the launcher"


def axe_violations(chat: Chat) -> list[tuple[str, str]]:
    """Every axe-core violation on the page, widget included (axe enters open shadow roots)."""
    chat.page.add_script_tag(path=str(AXE))
    results = chat.page.evaluate("async () => (await axe.run(document)).violations")
    return [(v["id"], v["impact"]) for v in results]


def test_axe_finds_no_violation_on_the_open_widget_before_and_during_a_chat(
    fresh: LiveStack, browser: Browser
) -> None:
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script of the test's
    try:
        chat = Chat.open_page(context, fresh)
        chat.open()
        assert axe_violations(chat) == []  # of any impact, serious and critical included
        verify_as_ana(chat)
        chat.say("waive my late fee")
        assert axe_violations(chat) == []
    finally:
        context.close()


def test_a_message_sent_while_the_connection_drops_reaches_the_bot_exactly_once(
    fresh: LiveStack, context: BrowserContext
) -> None:
    proxy = fresh.socket_proxy
    assert proxy is not None
    chat = Chat.open_page(context, fresh)
    chat.open()
    chat.say("hello")
    session_id = chat.session_id()

    proxy.cut()
    expect(chat.page.locator("kestrel-chat .status")).to_contain_text("Reconnecting")
    chat.input.fill("what's my balance")
    chat.input.press("Enter")
    expect(chat.messages("user").last).to_have_class(re.compile("queued"))
    proxy.restore()
    expect(chat.messages("bot").last).to_contain_text("verify", timeout=20_000)

    before = chat.messages("bot").count()
    chat.input.fill("100003")
    chat.input.press("Enter")
    proxy.cut()  # while the message is on its way: it may or may not have reached the bot
    chat.page.wait_for_timeout(300)
    proxy.restore()
    chat.wait_for_reply(before)

    texts = user_texts(fresh, session_id)
    assert texts.count("what's my balance") == 1, texts
    assert texts.count("100003") == 1, texts


def test_markup_from_the_customer_or_a_person_is_shown_as_text(
    fresh: LiveStack, context: BrowserContext
) -> None:
    chat = Chat.open_page(context, fresh)
    chat.open()
    attack = '<img src=x onerror="window.pwned=1">'
    chat.say(attack)
    post_as_agent(
        fresh,
        chat.session_id(),
        "<b>Hi</b>, I'm Alex.\n<img src=x onerror=window.pwned=2>",
        {"from": "agent", "name": "Alex"},
    )

    agent = chat.messages("agent").last
    expect(agent).to_contain_text("Alex (Kestrel team)")
    assert (
        agent.locator(".text").inner_text()
        == "<b>Hi</b>, I'm Alex.\n<img src=x onerror=window.pwned=2>"
    )
    assert attack in chat.texts()
    assert chat.page.locator("kestrel-chat .log img, kestrel-chat .log b").count() == 0
    assert chat.page.evaluate("() => window.pwned") is None


def test_a_handoff_shows_the_case_then_the_person_then_the_bot_again(
    fresh: LiveStack, context: BrowserContext
) -> None:
    chat = Chat.open_page(context, fresh)
    chat.open()
    offer = chat.say("I want to talk to a person")
    assert "verify who you are first" in offer, offer
    reply = chat.say("no")
    reference = re.search(r"KM-\d+", reply)
    assert reference, reply
    banner = chat.page.locator("kestrel-chat .handoff")
    expect(banner).to_contain_text(f"Connecting you with a person · Case {reference.group()}")

    post_as_agent(fresh, chat.session_id(), "Hi, Alex here.", {"from": "agent", "name": "Alex"})
    expect(chat.messages("agent")).to_have_count(1)
    post_as_agent(fresh, chat.session_id(), "Back to the assistant.", {"state": "bot"})
    expect(banner).to_be_hidden()
    expect(chat.messages("system").last).to_have_text(
        re.compile("You're back with the automated assistant")
    )


def test_two_browsers_hold_two_separate_conversations(fresh: LiveStack, browser: Browser) -> None:
    first, second = browser.new_context(), browser.new_context()
    try:
        ana, other = Chat.open_page(first, fresh), Chat.open_page(second, fresh)
        ana.open()
        other.open()
        verify_as_ana(ana)
        other.say("hello")

        assert ana.session_id() != other.session_id()
        assert uuid.UUID(ana.session_id()).version == 4
        assert not any("Ana" in text for text in other.texts())
        assert "100001" not in user_texts(fresh, other.session_id())
    finally:
        first.close()
        second.close()


def test_start_over_forgets_the_conversation(fresh: LiveStack, context: BrowserContext) -> None:
    chat = Chat.open_page(context, fresh)
    chat.open()
    chat.say("hello")
    old_session = chat.session_id()
    chat.page.locator("kestrel-chat").get_by_role("button", name="Start over").click()
    expect(chat.messages()).to_have_count(1)  # the disclosure again
    chat.wait_online()
    assert chat.session_id() != old_session
    chat.page.reload()
    expect(chat.messages()).to_have_count(1)


@pytest.mark.parametrize(
    "viewport",
    [{"width": 320, "height": 640}, {"width": 640, "height": 400}],  # phone; 1280x800 at 200 %
    ids=["320px", "200pct-zoom"],
)
def test_the_widget_fits_a_small_screen_and_200_percent_zoom(
    fresh: LiveStack, browser: Browser, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        chat = Chat.open_page(context, fresh)
        chat.open()
        chat.say("hello")
        for part in ("kestrel-chat .panel", "kestrel-chat #kc-input", "kestrel-chat .send"):
            box = chat.page.locator(part).bounding_box()
            assert box is not None, part
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (part, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (part, box)
        scroll = chat.page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= viewport["width"]
    finally:
        context.close()
