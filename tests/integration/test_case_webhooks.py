"""The case webhook end to end: the domain writes the outbox on a migrated SQLite file, the sender
posts to a real HTTP receiver on loopback, which checks the signature with ``verify``."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.backoffice.case_events import CaseEventStore
from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.tables import CaseEventRow
from app.db import make_engine
from app.policy_loader import load_policy
from app.web.webhooks import WebhookSender, verify
from billing_adapters.demo_operator import demo_operator
from billing_adapters.memory import InMemoryBss
from domain.records import CaseEvent
from domain.usecases.cases import CASE_CREATED, CASE_DECIDED, request_person
from domain.usecases.deps import Deps
from tests.integration.loopback import LoopbackServer
from tests.unit.fakes import POLICY_FILE, T

pytestmark = pytest.mark.integration

SECRET = "whsec-integration"


class RealClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Seen:
    delivery: str
    event: str
    verified: bool
    body: dict[str, Any]


class Receiver:
    """An operator's endpoint: verifies each post and answers ``answer(body, nth try of it)``."""

    def __init__(self, answer: Callable[[dict[str, Any], int], int]) -> None:
        self.seen: list[Seen] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = verify(SECRET, self.headers["X-Kestrel-Timestamp"], body,
                            self.headers["X-Kestrel-Signature"], now=time.time())  # fmt: skip
                document = json.loads(body)
                delivery = self.headers["X-Kestrel-Delivery"]
                receiver.seen.append(Seen(delivery, self.headers["X-Kestrel-Event"], ok, document))
                tries = sum(1 for s in receiver.seen if s.delivery == delivery)
                self.send_response(answer(document, tries) if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:  # quiet test output
                pass

        self.server = LoopbackServer(Handler, poll_interval_s=0.02)
        self.url = f"{self.server.origin}/hooks/kestrel"
        self.server.start()

    def close(self) -> None:
        self.server.stop()


@pytest.fixture
def receivers() -> Iterator[Callable[[Callable[[dict[str, Any], int], int]], Receiver]]:
    started: list[Receiver] = []

    def start(answer: Callable[[dict[str, Any], int], int]) -> Receiver:
        started.append(Receiver(answer))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def deps(engine: Engine) -> Deps:
    bss = InMemoryBss.from_demo(demo_operator(T))
    return Deps(billing=bss, orders=bss, network=bss, backoffice=SqlBackOfficeFactory(engine),
                clock=RealClock(), policy=load_policy(POLICY_FILE))  # fmt: skip


def render(deps: Deps, case_id: str) -> dict[str, Any] | None:
    """A stand-in for app.web.cases_api.render_case (the test does not depend on the API)."""
    with deps.backoffice() as office:
        case = office.cases.get(case_id)
    return None if case is None else {"id": case.id, "reference": case.reference}


def sender_for(engine: Engine, deps: Deps, url: str, **kw: Any) -> WebhookSender:
    options: dict[str, Any] = {"secret": SECRET, "backoff_s": 0.01, "interval_s": 0.02} | kw
    return WebhookSender(lambda: engine, lambda case_id: render(deps, case_id), url=url, **options)


def new_case(deps: Deps, conversation: str = "conv-1") -> str:
    handoff = request_person(deps, conversation_id=conversation, account_id=None, channel="chat",
                             reason="billing dispute")  # fmt: skip
    return handoff.case.id


def events(engine: Engine) -> list[CaseEventRow]:
    by_age = select(CaseEventRow).order_by(CaseEventRow.at, CaseEventRow.id)
    with Session(engine) as session:
        return list(session.scalars(by_age))


def wait_until(condition: Callable[[], bool], timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_receiver_that_first_answers_500_sees_the_same_delivery_again_and_it_verifies(
    engine, deps, receivers
) -> None:
    receiver = receivers(lambda _body, tries: 500 if tries == 1 else 200)
    sender = sender_for(engine, deps, receiver.url, interval_s=5)  # only wake() and retries
    sender.start()
    try:
        case_id = new_case(deps)
        sender.wake()
        wait_until(lambda: events(engine)[0].status == "delivered")
    finally:
        sender.stop()
    [row] = events(engine)
    assert [s.delivery for s in receiver.seen] == [row.id, row.id]
    assert all(s.verified for s in receiver.seen)
    assert receiver.seen[1].event == "case.created"
    body = receiver.seen[1].body
    assert (body["event"], body["id"], body["case"]["id"]) == ("case.created", row.id, case_id)
    assert body["at"].endswith("Z")
    assert body["case"]["reference"] == "KM-1001"
    assert (row.attempts, row.last_error, row.delivered_at is not None) == (2, "HTTP 500", True)


def test_a_receiver_that_always_answers_500_gets_six_attempts_then_the_event_fails(
    engine, deps, receivers
) -> None:
    receiver = receivers(lambda _body, _tries: 500)
    sender = sender_for(engine, deps, receiver.url)
    new_case(deps)
    started = time.monotonic()
    sender.start()
    try:
        wait_until(lambda: events(engine)[0].status == "failed")
    finally:
        sender.stop()
    assert time.monotonic() - started < 3
    [row] = events(engine)
    assert (row.attempts, row.last_error) == (6, "HTTP 500")
    assert len(receiver.seen) == 6 and all(s.verified for s in receiver.seen)


def test_without_a_url_pending_events_are_marked_skipped(engine, deps) -> None:
    new_case(deps, "c1")
    new_case(deps, "c2")
    assert sender_for(engine, deps, url="").run_once() == 0
    assert [row.status for row in events(engine)] == ["skipped", "skipped"]


def test_with_a_url_but_no_secret_nothing_is_sent_and_one_error_is_logged(
    engine, deps, receivers, caplog
) -> None:
    receiver = receivers(lambda _body, _tries: 200)
    sender = sender_for(engine, deps, receiver.url, secret="")
    new_case(deps)
    sender.run_once()
    sender.run_once()
    assert receiver.seen == []
    assert [(row.status, row.attempts) for row in events(engine)] == [("pending", 0)]
    assert [r.levelname for r in caplog.records if "CASE_WEBHOOK_SECRET" in r.message] == ["ERROR"]


def test_a_refused_connection_is_logged_and_retried_later(engine, deps, caplog) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = sender_for(engine, deps, f"http://127.0.0.1:{port}/", backoff_s=60)
    new_case(deps)
    assert sender.run_once() == 0
    [row] = events(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error and "ConnectError" in row.last_error
    assert row.next_attempt_at and row.next_attempt_at > datetime.now(timezone.utc) + timedelta(
        seconds=50
    )
    assert any(
        "attempt 1/6 failed" in r.message and SECRET not in r.message for r in caplog.records
    )


def test_a_failing_event_does_not_hold_back_another_cases_event(engine, deps, receivers) -> None:
    stuck = new_case(deps, "c1")
    receiver = receivers(lambda body, _tries: 500 if body["case"]["id"] == stuck else 200)
    new_case(deps, "c2")
    assert sender_for(engine, deps, receiver.url, backoff_s=60).run_once() == 1
    assert [row.status for row in events(engine)] == ["pending", "delivered"]


def test_the_events_of_one_case_go_out_in_order_even_when_the_first_is_retried(
    engine, deps, receivers
) -> None:
    receiver = receivers(
        lambda body, tries: 500 if (body["event"], tries) == (CASE_CREATED, 1) else 200
    )
    case_id = new_case(deps)
    with deps.backoffice() as office:
        later = deps.clock.now() + timedelta(milliseconds=1)
        office.outbox.publish(
            CaseEvent(id="evt_decided", kind=CASE_DECIDED, case_id=case_id, at=later)
        )
        office.commit()
    sender = sender_for(engine, deps, receiver.url)
    sender.run_once()
    assert [s.event for s in receiver.seen] == ["case.created"]  # decided waits for created
    time.sleep(0.05)  # past the 0.01 s backoff
    assert sender.run_once() == 2  # created, then the decided it held back, in one pass
    assert [s.event for s in receiver.seen] == ["case.created", "case.created", "case.decided"]


def test_an_event_whose_case_is_gone_fails_without_a_post(engine, deps, receivers) -> None:
    receiver = receivers(lambda _body, _tries: 200)
    new_case(deps)
    sender = WebhookSender(lambda: engine, lambda _case_id: None, url=receiver.url, secret=SECRET)
    sender.run_once()
    assert receiver.seen == []
    assert [(r.status, r.last_error) for r in events(engine)] == [
        ("failed", "the case no longer exists")
    ]


def test_two_senders_on_one_database_never_post_the_same_event_twice(
    engine, deps, receivers
) -> None:
    receiver = receivers(lambda _body, _tries: 200)
    for n in range(12):
        new_case(deps, f"conv-{n}")
    other_process = make_engine(str(engine.url))
    senders = [
        sender_for(engine, deps, receiver.url),
        sender_for(other_process, deps, receiver.url),
    ]
    for sender in senders:
        sender.start()
    try:
        wait_until(lambda: all(row.status == "delivered" for row in events(engine)))
    finally:
        for sender in senders:
            sender.stop()
        other_process.dispose()
    deliveries = [s.delivery for s in receiver.seen]
    assert len(deliveries) == 12 and len(set(deliveries)) == 12


def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_next_claim(engine, deps) -> None:
    new_case(deps)
    store, now, lease = CaseEventStore(engine), datetime.now(timezone.utc), timedelta(seconds=30)
    first = store.claim_next(now, lease, max_attempts=6)
    assert first is not None and store.claim_next(now, lease, max_attempts=6) is None  # leased
    second = store.claim_next(now + timedelta(seconds=31), lease, max_attempts=6)
    assert second is not None and (first.id, first.attempt, second.attempt) == (second.id, 1, 2)
    assert not store.mark_delivered(first, now)
    assert store.mark_delivered(second, now)
    assert [(r.status, r.attempts) for r in events(engine)] == [("delivered", 2)]


def test_an_event_whose_last_claim_never_reported_is_marked_failed(engine, deps) -> None:
    new_case(deps)
    store, now, lease = CaseEventStore(engine), datetime.now(timezone.utc), timedelta(seconds=1)
    assert store.claim_next(now, lease, max_attempts=1) is not None  # and then the process died
    assert store.claim_next(now + timedelta(seconds=2), lease, max_attempts=1) is None
    assert [(r.status, r.last_error) for r in events(engine)] == [
        ("failed", "no result of the last attempt")
    ]
