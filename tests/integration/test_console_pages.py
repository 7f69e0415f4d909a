"""The console's queue and case pages through the real routes: the seeded demo, the demo staff
signed in through the sign-in form, cases made by the real domain, and a fake Rasa HTTP API on
loopback that records what the console sent. The live feed is read from a real uvicorn server.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.web.console.pages import build_console_pages
from app.web.console.queue_feed import QueueFeed, queue_events
from app.web.console.rasa_conversations import RasaConversations
from app.web.console.takeover import Takeover
from app.web.console.templating import static_router
from tests.integration.cases_api_app import DAVID, CasesApi
from tests.integration.console_app import (
    console_app,
    console_parts,
    sign_in,
    staffed_template_fixture,  # noqa: F401  (the seeded demo with its staff)
)
from tests.integration.fake_rasa import FakeRasa, fake_rasa_fixture  # noqa: F401

pytestmark = pytest.mark.integration

ROW = re.compile(r'<tr data-case-id="([^"]+)" data-reference="([^"]+)">')


class Pages(CasesApi):
    """CasesApi's world (cases through the domain, balances) with the console's pages."""

    csrf = ""

    def sign_in(self, user: str) -> None:
        self.csrf = sign_in(self.client, user)
        assert self.csrf, "the queue page shows no CSRF token"

    def post(self, case_id: str, what: str, **fields: str) -> httpx.Response:
        data = {"csrf_token": self.csrf, **fields}
        return self.client.post(
            f"/console/cases/{case_id}/{what}", data=data, follow_redirects=False
        )

    def page(self, case_id: str, notice: str = "") -> str:
        response = self.client.get(
            f"/console/cases/{case_id}", params={"notice": notice} if notice else None
        )
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture
def pages(staffed_template: Path, tmp_path: Path, fake_rasa: FakeRasa) -> Iterator[Pages]:
    parts = console_parts(staffed_template, tmp_path, queue_sla_minutes=10)
    takeover = Takeover(lambda: parts.deps, RasaConversations(fake_rasa.url, fake_rasa.token))
    console = build_console_pages(lambda: parts.deps, parts.auth, lambda: takeover, parts.settings)
    app = console_app(parts, static_router(), console)
    with TestClient(app) as client:
        world = Pages(parts.engine, parts.deps, fake_rasa, app, client)
        world.sign_in("alex")
        yield world
    parts.engine.dispose()


def headings(html: str, level: int) -> list[str]:
    return re.findall(rf"<h{level}[^>]*>([^<]+)</h{level}>", html)


def test_the_queue_lists_open_cases_highest_priority_first(pages: Pages) -> None:
    stranger = pages.unverified_case()  # older, but no money waits on it
    david = pages.david_case()

    html = pages.client.get("/console/").text

    assert headings(html, 1) == ["Queue"] and "<caption>" in html
    assert ROW.findall(html) == [(david.id, david.reference), (stranger.id, stranger.reference)]
    assert f'<a href="/console/cases/{david.id}">{david.reference}</a>' in html
    assert "High" in html and "Normal" in html and "Not verified" in html
    assert f"{DAVID} David Kim" in html and "$180.00" in html
    assert re.search(
        r'<span class="wait sla-ok" data-since="2026-11-22T20:54:34Z">0:00</span>', html
    )
    assert (
        'aria-live="polite"' in html
        and 'id="notify-toggle" class="button" aria-pressed="true"' in html
    )


def test_an_empty_queue_says_so_and_signed_out_people_are_sent_to_sign_in(pages: Pages) -> None:
    assert "No open cases." in pages.client.get("/console/").text
    pages.client.cookies.clear()
    response = pages.client.get("/console/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


def test_the_case_page_has_every_section_and_the_decision_forms(pages: Pages) -> None:
    david = pages.david_case()
    pages.rasa.add_user_message("chat-david", "I never signed up for TrivaFun")

    response = pages.client.get(f"/console/cases/{david.id}")
    html = response.text

    assert headings(html, 1) == [f"Case {david.reference}"]
    assert headings(html, 2) == ["Customer", "Summary", "Proposal", "Bill", "Conversation",
                                 "History", "Notes"]  # fmt: skip
    assert "Verified by PIN at" in html and "David Kim" in html and "Unlimited Plus" in html
    assert "$180.00 — above the bot&#39;s $25.00 cap; within your $200.00 limit" in html
    assert '<button type="submit" class="button button-primary">Approve $180.00</button>' in html
    for control in (
        'id="changed-amount" inputmode="decimal"',
        '<label for="changed-amount">Changed amount ($)</label>',
        'id="reject-reason" required',
        'id="note-text"',
        'id="assign-to"',
    ):
        assert control in html
    assert '<tr class="highlight">' in html and "Premium SMS subscription TrivaFun" in html
    assert '<li class="turn customer"><span class="speaker">Customer</span>' in html
    assert "I never signed up for TrivaFun" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_approving_as_alex_applies_the_credit_and_the_page_says_so(pages: Pages) -> None:
    david = pages.david_case()
    before = pages.balance(DAVID)

    response = pages.post(david.id, "decision", action="approve")

    assert response.status_code == 303
    assert response.headers["location"] == f"/console/cases/{david.id}?notice=approved"
    html = pages.client.get(response.headers["location"]).text
    assert (
        '<p role="status" class="notice alert alert-ok">Approved. The customer has been told.</p>'
        in html
    )
    assert pages.balance(DAVID) == before - 18000
    assert pages.credits_posted(DAVID)[-1] == 18000 and pages.decisions_by("agent:alex") == 1
    assert "Applied by agent:alex" in html and "Approve $180.00" not in html
    assert pages.rasa.bot_messages("chat-david")  # the customer still in the chat is told


def test_a_second_decision_is_a_conflict_and_never_a_second_credit(pages: Pages) -> None:
    david = pages.david_case()
    assert pages.post(david.id, "decision", action="approve").status_code == 303

    again = pages.post(david.id, "decision", action="approve")

    assert again.status_code == 409 and 'role="alert"' in again.text
    assert pages.credits_posted(DAVID).count(18000) == 1


def test_alex_may_not_approve_250_dollars_and_is_told_why(pages: Pages) -> None:
    david = pages.david_case()
    before = pages.balance(DAVID)

    response = pages.post(david.id, "decision", action="approve", change="amount", amount="250.00")

    assert response.status_code == 403
    alert = re.search(r'<p role="alert" class="error[^"]*">([^<]+)</p>', response.text)
    assert alert is not None and alert[1].startswith(
        "agent:alex may approve up to $200.00; this is $250.00"
    )
    assert 'value="250.00"' in response.text  # what was typed is kept
    assert pages.balance(DAVID) == before


def test_sam_may_approve_the_changed_250_dollars(pages: Pages) -> None:
    david = pages.david_case()
    before = pages.balance(DAVID)
    pages.sign_in("sam")

    response = pages.post(david.id, "decision", action="approve", change="amount", amount="$250")

    assert response.status_code == 303 and pages.balance(DAVID) == before - 25000


def test_an_extension_is_approved_in_changed_days(pages: Pages) -> None:
    elena = pages.elena_extension_case()
    html = pages.page(elena.id)
    assert "Approve 30 days" in html and '<label for="changed-days">Changed days</label>' in html

    response = pages.post(elena.id, "decision", action="approve", change="days", days="20")

    assert response.headers["location"].endswith("notice=approved")
    assert "Applied by agent:alex" in pages.page(elena.id)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"action": "approve", "change": "amount", "amount": "180.555"}, "at most 2 decimals"),
        ({"action": "approve", "change": "amount", "amount": "lots"}, "dollars and cents"),
        ({"action": "approve", "change": "amount", "amount": ""}, "enter the changed amount"),
        ({"action": "reject", "reason": "  "}, "a rejection needs a reason"),
    ],
)
def test_a_decision_form_that_makes_no_sense_is_refused_with_a_422(
    pages: Pages, fields: dict[str, str], words: str
) -> None:
    david = pages.david_case()
    response = pages.post(david.id, "decision", **fields)
    assert response.status_code == 422 and words in response.text
    assert pages.credits_posted(DAVID) == []


def test_a_post_without_the_csrf_token_or_from_another_site_changes_nothing(pages: Pages) -> None:
    david = pages.david_case()
    url = f"/console/cases/{david.id}/decision"

    forged = pages.client.post(url, data={"action": "approve"}, follow_redirects=False)
    cross = pages.client.post(url, data={"action": "approve", "csrf_token": pages.csrf},
                              headers={"Origin": "https://evil.example"})  # fmt: skip

    assert forged.status_code == 403 and cross.status_code == 403
    assert pages.credits_posted(DAVID) == []


def test_claiming_pauses_the_bot_and_only_the_holder_may_reply(pages: Pages) -> None:
    david = pages.david_case()
    refused = pages.post(david.id, "messages", text="Hello David")
    assert refused.status_code == 403 and "before replying" in refused.text

    claimed = pages.post(david.id, "claim")
    assert claimed.headers["location"].endswith("?notice=claimed")
    assert "pause" in pages.rasa.kinds("chat-david")
    html = pages.page(david.id)
    assert 'id="reply-form"' in html and "Hand back to the bot" in html

    sent = pages.client.post(
        f"/console/cases/{david.id}/messages",
        data={"text": "Hello David"},
        headers={"X-CSRF-Token": pages.csrf, "Accept": "application/json"},
    )
    assert sent.status_code == 200 and sent.json()["ok"] is True
    event, params = pages.rasa.bot_messages("chat-david")[-1]
    assert event["text"] == "Hello David" and event["metadata"]["kestrel"]["name"] == "Alex"
    assert params["execute_side_effects"] == "true"

    released = pages.post(david.id, "release")
    assert released.headers["location"].endswith("?notice=released")
    assert pages.rasa.kinds("chat-david")[-1] == "resume"


def test_a_decided_case_still_held_can_be_handed_back_to_the_bot(pages: Pages) -> None:
    david = pages.david_case()
    pages.post(david.id, "claim")
    pages.post(david.id, "decision", action="approve")

    html = pages.page(david.id)
    assert "Resolved, chat still held by you" in html and "Hand back to the bot" in html
    assert pages.post(david.id, "release").status_code == 303
    assert pages.rasa.kinds("chat-david")[-1] == "resume"


def test_assigning_an_unclaimed_chat_case_holds_it_for_that_person(pages: Pages) -> None:
    david = pages.david_case()
    assert pages.post(david.id, "assign", to="sam").headers["location"].endswith("notice=assigned")
    assert "pause" in pages.rasa.kinds("chat-david")
    assert "held by sam" in pages.page(david.id)
    assert pages.post(david.id, "assign", to="nobody").status_code == 422


def test_an_unverified_case_asks_the_bot_to_verify_and_takes_notes(pages: Pages) -> None:
    stranger = pages.unverified_case()
    html = pages.page(stranger.id)
    assert "Not verified" in html and "Ask the bot to verify the customer" in html

    assert pages.post(stranger.id, "verify").headers["location"].endswith("notice=verify_asked")
    assert [c.body for c in pages.rasa.calls if c.route == "execute"] == [
        {"name": "action_verify_for_agent"}
    ]
    assert pages.post(stranger.id, "notes", text="Asked twice <b>").status_code == 303
    assert "Asked twice &lt;b&gt;" in pages.page(stranger.id, notice="noted")
    assert "Note added." in pages.page(stranger.id, notice="noted")


def test_the_transcript_json_is_live_and_survives_rasa_being_down(pages: Pages) -> None:
    david = pages.david_case()
    pages.rasa.add_user_message("chat-david", "hello?")
    url = f"/console/cases/{david.id}/transcript.json"

    body = pages.client.get(url).json()
    assert body["turns"][-1]["speaker"] == "customer" and body["turns"][-1]["text"] == "hello?"
    assert body["paused"] is False and body["state"]

    pages.post(david.id, "claim")
    claimed: dict[str, Any] = pages.client.get(url).json()
    assert claimed["paused"] is True and claimed["state"] != body["state"]

    pages.rasa.refuse_with = 503
    down = pages.client.get(url)
    assert down.status_code == 200
    assert (
        down.json()["turns"] == []
        and down.json()["error"] == "the conversation is not available right now"
    )
    assert "the conversation is not available right now" in pages.page(david.id)


def test_an_unknown_case_is_a_404_page(pages: Pages) -> None:
    response = pages.client.get("/console/cases/case_nope")
    assert response.status_code == 404 and "Not found" in response.text


def test_the_console_scripts_and_styles_are_served(pages: Pages) -> None:
    for name, kind in (("queue.js", "text/javascript"), ("case.js", "text/javascript"),
                       ("cases.css", "text/css")):  # fmt: skip
        response = pages.client.get(f"/console/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)


async def test_the_feed_sends_the_queue_at_once_then_only_changes_and_keepalives(
    pages: Pages,
) -> None:
    feed = QueueFeed(lambda: pages.deps, 10, fresh_s=0)
    seen: list[str] = []

    async def gone() -> bool:
        if len(seen) == 3:
            pages.david_case()  # a new case while the page is open
        return len(seen) >= 6

    async for chunk in queue_events(feed, gone, poll_s=0.01, heartbeat_s=0.02):
        seen.append(chunk)
    events = [c for c in seen if c.startswith("event: queue")]
    assert seen[0].startswith("retry: ") and len(events) == 2
    assert '"cases":[]' in events[0] and '"reference":"KM-' in events[1]
    assert any(c.startswith(": keep-alive") for c in seen)


def test_the_event_stream_first_sends_the_case_over_real_http(pages: Pages) -> None:
    david = pages.david_case()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(pages.app, ws="none", lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        cookies = {"kestrel_console": pages.client.cookies["kestrel_console"]}
        with httpx.stream("GET", f"http://127.0.0.1:{port}/console/events", cookies=cookies,
                          timeout=10) as stream:  # fmt: skip
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-store"
            assert stream.headers["x-accel-buffering"] == "no"
            lines = (line.strip() for line in stream.iter_lines())
            first = next(line for line in lines if line.startswith("event:"))
            data = next(lines)
        assert (
            first == "event: queue" and f'"id":"{david.id}"' in data and '"sla_minutes":10' in data
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()  # the stream ended when the client went away
