"""The console refuses whoever is not signed in or not allowed, in a real browser on the live stack.

No session, a forged cookie, an idle or too old session and a logged-out one are sent to sign
in; a form posted from another site is refused and moves no money, even carrying a stolen CSRF
token; an agent gets 403 on the supervisor's pages; the case API wants a token.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect
from sqlalchemy import update

from app.backoffice.staff import token_hash
from app.backoffice.tables import ConsoleSessionRow
from app.db import make_engine
from tests.e2e.conftest import LiveStack
from tests.e2e.console_support import COOKIE, WAIT_MS, Console, davids_case, launched_browser
from tests.e2e.console_support import proposal as davids_proposal
from tests.e2e.test_outcomes import DAVID

pytestmark = pytest.mark.e2e

SIGN_IN = re.compile(r"/console/login(\?|$)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_browser() as launched:
        yield launched


def assert_sent_to_sign_in(page: Page, web: str, path: str) -> None:
    page.goto(f"{web}{path}")
    expect(page).to_have_url(SIGN_IN)
    assert parse_qs(urlsplit(page.url).query).get("next") == [path], page.url
    expect(page.locator('input[name="password"]')).to_be_visible()


def test_the_console_without_a_session_sends_the_browser_to_sign_in(
    live: LiveStack, browser: Browser
) -> None:
    web = live.config.web_url
    for path in ("/console/", "/console/cases/x"):
        response = httpx.get(f"{web}{path}", follow_redirects=False, timeout=10)
        assert response.status_code == 303, (path, response.status_code)
        assert SIGN_IN.search(response.headers["location"]), response.headers
    context = browser.new_context()
    try:
        page = context.new_page()
        assert_sent_to_sign_in(page, web, "/console/")
        assert_sent_to_sign_in(page, web, "/console/cases/x")
    finally:
        context.close()


def test_a_forged_session_cookie_is_sent_to_sign_in(live: LiveStack, browser: Browser) -> None:
    context = browser.new_context()
    try:
        forged = "0" * 43  # the shape of a real secret, signed by nobody
        context.add_cookies([{"name": COOKIE, "value": forged, "url": live.config.web_url}])
        assert_sent_to_sign_in(context.new_page(), live.config.web_url, "/console/")
    finally:
        context.close()


def test_a_wrong_password_opens_no_session(fresh: LiveStack, browser: Browser) -> None:
    alex = Console(browser, fresh, "alex")
    try:
        alex.page.goto(f"{fresh.config.web_url}/console/login")
        alex.page.locator('input[name="username"]').fill("alex")
        alex.page.locator('input[name="password"]').fill("not-alexs-password")
        alex.page.get_by_role("button", name=re.compile(r"^\s*sign in\s*$", re.I)).click()
        expect(alex.page).to_have_url(SIGN_IN)
        assert [c for c in alex.context.cookies() if c["name"] == COOKIE] == []
    finally:
        alex.close()


def age_session(live: LiveStack, secret: str, *, idle: timedelta, age: timedelta) -> None:
    """Move a session back in time in the back office, as if the clock had run."""
    now = datetime.now(timezone.utc)
    engine = make_engine(live.database_url)
    try:
        with engine.begin() as connection:
            changed = connection.execute(
                update(ConsoleSessionRow)
                .where(ConsoleSessionRow.token_hash == token_hash(secret))
                .values(last_seen_at=now - idle, created_at=now - age)
            )
        assert changed.rowcount == 1, "the cookie's value is not a stored session's secret"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("idle", "age"),
    [
        (timedelta(minutes=31), timedelta(minutes=40)),  # past CONSOLE_IDLE_MINUTES (30)
        (timedelta(seconds=1), timedelta(hours=13)),  # past CONSOLE_SESSION_MAX_HOURS (12)
    ],
    ids=["idle", "too-old"],
)
def test_an_expired_session_is_sent_to_sign_in(
    fresh: LiveStack, browser: Browser, idle: timedelta, age: timedelta
) -> None:
    alex = Console(browser, fresh, "alex")
    try:
        alex.sign_in()
        age_session(fresh, alex.session_secret(), idle=idle, age=age)
        assert_sent_to_sign_in(alex.page, fresh.config.web_url, "/console/")
    finally:
        alex.close()


def test_a_logged_out_session_is_not_accepted_again(fresh: LiveStack, browser: Browser) -> None:
    alex = Console(browser, fresh, "alex")
    try:
        alex.sign_in()
        secret = alex.session_secret()
        alex.page.locator('form[action="/console/logout"] button').click()
        expect(alex.page).to_have_url(SIGN_IN)
        alex.context.add_cookies([{"name": COOKIE, "value": secret, "url": fresh.config.web_url}])
        assert_sent_to_sign_in(alex.page, fresh.config.web_url, "/console/")
    finally:
        alex.close()


@contextmanager
def foreign_site(host: str, page_html: str) -> Iterator[str]:
    """A page served from another origin on loopback (what a malicious site would serve)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def auto_post(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        f'<!doctype html><form method="post" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.forms[0].submit()</script>"
    )


def post_from(page: Page, host: str, action: str, fields: dict[str, str]) -> Response:
    """Open the foreign page in the signed-in browser; the response to its form's post."""

    def is_post(response: Response) -> bool:
        return response.url.startswith(action) and response.request.method == "POST"

    with foreign_site(host, auto_post(action, fields)) as url:
        with page.expect_response(is_post, timeout=WAIT_MS) as posted:
            page.goto(url)
        return posted.value


def test_a_cross_site_form_post_is_refused_and_moves_no_money(
    fresh: LiveStack, browser: Browser, sender: str
) -> None:
    case, _ = davids_case(fresh, sender)
    balance = fresh.ops(DAVID.account)["balance_cents"]
    action = f"{fresh.config.web_url}/console/cases/{case['id']}/decision"
    web_host = urlsplit(fresh.config.web_url).hostname or "127.0.0.1"
    alex = Console(browser, fresh, "alex")
    try:
        alex.sign_in()
        alex.open_case(case["id"])
        stolen = alex.csrf_token()
        # Same host, other port: same site, so the SameSite cookie goes with the post and the
        # server's own checks must refuse it: no CSRF token, then a stolen one from another
        # origin. Then from another site, where the browser keeps the cookie back as well.
        attempts = [
            (web_host, {"action": "approve"}, {403}),
            (web_host, {"action": "approve", "csrf_token": stolen}, {403}),
            ("localhost" if web_host != "localhost" else "127.0.0.1", {"action": "approve"},
             {303, 403}),
        ]  # fmt: skip
        for host, fields, refusals in attempts:
            response = post_from(alex.page, host, action, fields)
            assert response.status in refusals, (host, fields, response.status)
            if response.status == 303:
                assert SIGN_IN.search(response.headers["location"]), response.headers
        still = davids_proposal(fresh)
        assert (still["status"], still["decided_by"]) == ("pending_approval", None)
        assert fresh.ops(DAVID.account)["balance_cents"] == balance
    finally:
        alex.close()


def test_an_agent_gets_403_on_the_supervisor_pages_and_a_supervisor_gets_them(
    fresh: LiveStack, browser: Browser
) -> None:
    alex, sam = Console(browser, fresh, "alex"), Console(browser, fresh, "sam")
    try:
        alex.sign_in()
        expect(alex.page.get_by_role("link", name="Dashboard")).to_have_count(0)
        sam.sign_in()
        expect(sam.page.get_by_role("link", name="Dashboard")).to_be_visible()
        for path in ("/console/dashboard", "/console/audit"):
            assert alex.goto_status(path) == 403, path
            assert sam.goto_status(path) == 200, path
    finally:
        alex.close()
        sam.close()


def test_the_case_api_refuses_a_request_without_a_valid_token(live: LiveStack) -> None:
    url = f"{live.config.web_url}/api/cases"
    assert httpx.get(url, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert httpx.get(url, headers=forged, timeout=10).status_code == 401
    cookie_only = {"Cookie": f"{COOKIE}={'0' * 43}"}
    assert httpx.get(url, headers=cookie_only, timeout=10).status_code == 401
