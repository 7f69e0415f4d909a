"""The supervisor dashboard, the audit view and the kill switch, through the real routes.

The back office is the migrated, seeded demo (plus the demo staff); the day's cases, credits and
decisions are made through the real domain; Rasa's conversation data is a temp SQLite file with
the table layout of Rasa 3.6's SQLEventBroker (``events``: id, sender_id, data), filled here with
SQLAlchemy (the app env has no rasa). Staff sign in through the real sign-in form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, select, update

from app.backoffice.tables import DecisionRow, OperatorActionRow, OperatorFlagRow
from app.db import make_engine
from app.web.console.dashboard import build_dashboard_router
from app.web.console.templating import static_router
from domain.ids import new_id
from domain.money import format_cents
from domain.records import BOT, AdjustmentKind, DecisionRecord, Outcome, PinAttempt
from domain.usecases.cases import Origin
from domain.usecases.console import claim_case, decide_case
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import accept_offer, offer_credit, offer_extension
from domain.usecases.lifecycle.transitions import Happened
from tests.integration.conftest import SEED_TIME
from tests.integration.console_app import (
    console_app,
    console_parts,
    sign_in,
    staffed_template_fixture,  # noqa: F401  (the seeded demo with its staff)
)
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.integration

# Rasa 3.6's SQLEventBroker.SQLBrokerEvent (rasa/core/brokers/sql.py), rebuilt for the test.
BROKER_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


@dataclass
class Console:
    """One test's world: its back office, deps, clock, client and event-broker file."""

    engine: Engine
    deps: Deps
    clock: FakeClock
    client: TestClient
    events_db: Path

    def sign_in(self, user: str) -> str:
        """Sign ``user`` in through the form; the session's CSRF token of the pages."""
        return sign_in(self.client, user, "/console/dashboard")

    def broker(self, *events: tuple[str, str, dict[str, Any]]) -> None:
        """Rows as SQLEventBroker.publish writes them: the event's JSON with its sender."""
        engine = make_engine(f"sqlite:///{self.events_db}")
        BROKER_EVENTS.metadata.create_all(engine)
        with engine.begin() as connection:
            for sender, kind, body in events:
                data = json.dumps({"sender_id": sender, "event": kind, **body})
                connection.execute(BROKER_EVENTS.insert(), {"sender_id": sender, "data": data})
        engine.dispose()

    def flag(self) -> str | None:
        with self.engine.connect() as db:
            return db.scalar(
                select(OperatorFlagRow.value).where(OperatorFlagRow.key == "kill_switch")
            )


@pytest.fixture
def console(staffed_template: Path, tmp_path: Path) -> Iterator[Console]:
    events_db = tmp_path / "events.db"
    parts = console_parts(
        staffed_template, tmp_path, rasa_events_db=str(events_db), operator_timezone="UTC"
    )
    dashboard = build_dashboard_router(lambda: parts.deps, parts.auth, parts.settings)
    app = console_app(parts, static_router(), dashboard)
    with TestClient(app) as client:
        yield Console(parts.engine, parts.deps, parts.clock, client, events_db)
    parts.engine.dispose()


def user(at: datetime, confidence: float, intent: str = "ask_balance") -> dict[str, Any]:
    parse = {"intent": {"name": intent, "confidence": confidence}}
    return {"timestamp": at.timestamp(), "text": "[redacted]", "parse_data": parse}


def a_day_of_work(c: Console) -> int:
    """Ana gets a bot credit; David's dispute and Elena's extension go to people: alex claims
    David's after 2 min and approves at 6 min, sam claims Elena's at 4 and rejects it at 10.
    Returns Ana's credit in cents."""
    t0 = SEED_TIME
    ana = Origin(conversation_id="chat-ana", channel="socketio")
    offer = offer_credit(c.deps, "100001", AdjustmentKind.LATE_FEE_WAIVER, ana)
    applied = accept_offer(c.deps, offer.record.id, ana)
    assert applied.happened is Happened.APPLIED
    david = offer_credit(
        c.deps, "100004", AdjustmentKind.THIRD_PARTY_DISPUTE,
        Origin(conversation_id="chat-david", channel="socketio"),
    ).handoff  # fmt: skip
    elena = offer_extension(
        c.deps, "100005", 30, Origin(conversation_id="chat-elena", channel="socketio")
    ).handoff
    assert david is not None and elena is not None
    with c.deps.backoffice() as office:
        for chat, account in (("chat-ana", "100001"), ("chat-david", "100004")):
            office.pin_attempts.add(PinAttempt(conversation_id=chat, account_id=account,
                                               succeeded=True, at=t0))  # fmt: skip
        office.commit()
    for minutes, act in (
        (2, lambda: claim_case(c.deps, david.case.id, "alex")),
        (4, lambda: claim_case(c.deps, elena.case.id, "sam")),
        (6, lambda: decide_case(c.deps, david.case.id, "alex", "approve")),
        (10, lambda: decide_case(c.deps, elena.case.id, "sam", "reject", reason="too long")),
    ):
        c.clock.moment = t0 + timedelta(minutes=minutes)
        act()
    c.broker(
        ("chat-ana", "user", user(t0, 0.9)),
        ("chat-ana", "bot", {"timestamp": t0.timestamp(), "text": "Done."}),
        ("chat-ana", "user", user(t0, 0.95)),
        ("chat-david", "user", user(t0, 0.3)),
        ("chat-elena", "user", user(t0, 0.45, intent="nlu_fallback")),
        ("chat-zoe", "user", user(t0, 0.8)),
        ("chat-old", "user", user(t0 - timedelta(days=9), 0.9)),  # before the charted week
    )
    return applied.record.amount_cents  # type: ignore[union-attr]


def card(label: str, value: str) -> str:
    return f"<dt>{label}</dt><dd>{value}</dd>"


def test_sam_sees_todays_figures_and_server_drawn_svg_charts(console: Console) -> None:
    credit = a_day_of_work(console)
    console.clock.moment = SEED_TIME + timedelta(minutes=15)
    console.sign_in("sam")
    page = console.client.get("/console/dashboard")
    assert page.status_code == 200
    html = page.text
    for label, value in (
        ("Conversations", "4"), ("Verified", "2"), ("Resolved by the bot", "2"),
        ("Handed off", "2"), ("Containment", "50%"),
        ("Bot credits / daily budget", f"{format_cents(credit)} / $1,000.00"),
        ("Approvals by people", "1"), ("Rejections by people", "1"), ("Override rate", "50%"),
        ("Median wait to claim", "3 min 00 s"), ("Median wait to decision", "8 min 00 s"),
        ("Drift (turns below threshold)", "40% (2 of 5)"),
    ):  # fmt: skip
        assert card(label, value) in html, label
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 4
    assert '<title id="chart-conversations-title">Conversations per day</title>' in html
    assert "<caption>Figures of the last 7 days" in html and "Sun 22 Nov" in html
    assert "<script" not in html and "style=" not in html  # nothing the CSP would block
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert console.client.get("/console/static/dashboard.css").status_code == 200


def test_without_conversation_data_the_dashboard_says_so(console: Console) -> None:
    console.sign_in("sam")
    page = console.client.get("/console/dashboard")  # no events file at all
    assert page.status_code == 200 and "No conversation data yet" in page.text
    console.events_db.write_bytes(b"")  # a file, but Rasa has not created its table yet
    page = console.client.get("/console/dashboard")
    assert page.status_code == 200 and "No conversation data yet" in page.text
    assert card("Conversations", "0") in page.text and card("Containment", "–") in page.text


def test_an_agent_is_refused_all_three_supervisor_routes(console: Console) -> None:
    csrf = console.sign_in("alex")
    assert console.client.get("/console/dashboard").status_code == 403
    assert console.client.get("/console/audit").status_code == 403
    posted = console.client.post(
        "/console/kill-switch", data={"csrf_token": csrf, "state": "on"}, follow_redirects=False
    )
    assert posted.status_code == 403 and console.flag() != "on"


def test_without_a_session_the_dashboard_sends_to_sign_in(console: Console) -> None:
    page = console.client.get("/console/dashboard", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=")


def test_sam_turns_the_kill_switch_on_and_off_and_each_change_is_recorded(console: Console) -> None:
    csrf = console.sign_in("sam")
    for state, reason in (("on", "BSS posting twice"), ("off", "fixed")):
        posted = console.client.post(
            "/console/kill-switch", data={"csrf_token": csrf, "state": state, "reason": reason},
            follow_redirects=False,
        )  # fmt: skip
        assert posted.status_code == 303 and console.flag() == state
        page = console.client.get("/console/dashboard").text
        assert f"<strong>{state.capitalize()}:</strong>" in page
        assert f"by supervisor:sam at 2026-11-22 20:54: {reason}" in page
    with console.engine.connect() as connection:
        rows = connection.execute(select(OperatorActionRow).order_by(OperatorActionRow.id)).all()
    assert [(r.actor, r.action, r.detail) for r in rows] == [
        ("supervisor:sam", "kill_switch_on", "BSS posting twice"),
        ("supervisor:sam", "kill_switch_off", "fixed"),
    ]
    audit = console.client.get("/console/audit").text
    assert "<td>supervisor:sam</td>" in audit and "kill switch on" in audit


def test_a_kill_switch_post_without_the_csrf_token_is_refused(console: Console) -> None:
    console.sign_in("sam")
    posted = console.client.post("/console/kill-switch", data={"state": "on"})
    assert posted.status_code == 403 and console.flag() != "on"


def test_the_audit_view_filters_decisions_and_shows_the_chain_verifies(console: Console) -> None:
    a_day_of_work(console)
    console.sign_in("sam")
    with console.engine.connect() as connection:
        total = len(connection.execute(select(DecisionRow.id)).all())
    page = console.client.get("/console/audit").text
    assert re.search(r"Chain verifies \(\d+ rows\)", page)
    assert f"{total} decisions, newest first" in page

    def rows(**query: str) -> list[tuple[str, str]]:
        html = console.client.get("/console/audit", params=query).text
        return re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td>", html)

    assert {actor for _, actor in rows(actor="agent:alex")} == {"agent:alex"}
    assert [actor for _, actor in rows(override="1")] == ["supervisor:sam"]
    assert [actor for _, actor in rows(outcome="decline")] == ["supervisor:sam"]
    assert {actor for _, actor in rows(account="100001")} == {BOT}
    assert rows(**{"from": "2026-11-23"}) == []
    seqs = [int(seq) for seq, _ in rows()]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    assert "not a date" in console.client.get("/console/audit", params={"to": "soon"}).text


def test_the_audit_view_pages_by_fifty_and_names_the_first_broken_row(console: Console) -> None:
    with console.deps.backoffice() as office:
        for n in range(55):
            office.decisions.add(DecisionRecord(
                id=new_id("dec"), at=SEED_TIME, actor=BOT, account_id="100002",
                subject=f"adjustment:adj-{n}", request={"amount_cents": 100 + n}, facts={},
                policy_version="test", rules_fired=("within_caps",), outcome=Outcome.APPLY,
            ))  # fmt: skip
        office.commit()
    console.sign_in("sam")
    first = console.client.get("/console/audit", params={"account": "100002"}).text
    assert "page 1 of 2" in first and first.count("<td>100002</td>") == 50
    assert 'href="/console/audit?account=100002&amp;page=2" rel="next"' in first
    second = console.client.get("/console/audit", params={"account": "100002", "page": "2"})
    assert second.text.count("<td>100002</td>") == 5 and "$1.00" in second.text
    with console.engine.begin() as db:  # someone edits a stored decision behind our back
        db.execute(update(DecisionRow).where(DecisionRow.subject == "adjustment:adj-7")
                   .values(request={"amount_cents": 999_999}))  # fmt: skip
    broken = console.client.get("/console/audit").text
    assert "Chain broken at seq" in broken and "Chain verifies" not in broken
