"""The case API's decisions: bound to the proposal, within each person's limit, decided once.

The app, the seeded demo and the fake Rasa are those of test_cases_api.py. The race sends twenty
approvals at once to a real uvicorn server on a free loopback port, so they run concurrently in
its thread pool as they would in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.integration.cases_api_app import (
    DAVID,
    OPS_TOKEN,
    CasesApi,
    api_fixture,  # noqa: F401  (the api fixture)
    staffed_template_fixture,  # noqa: F401  (what it is built on)
)
from tests.integration.fake_rasa import fake_rasa_fixture  # noqa: F401  (the fake_rasa fixture)

pytestmark = pytest.mark.integration

OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
DAVID_OWES = 25410  # $254.10, TrivaFun's $180.00 included
RACERS = 20


def decide(api: CasesApi, case_id: str, user: str, **body: Any) -> httpx.Response:
    headers = api.token(user)
    response: httpx.Response = api.client.post(
        f"/api/cases/{case_id}/decision", json=body, headers=headers
    )
    return response


def test_alex_approves_davids_proposal_and_the_credit_is_applied(api: CasesApi) -> None:
    case = api.david_case()

    response = decide(api, case.id, "alex", action="approve")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "resolved" and body["id"] == case.id
    assert body["adjustment"]["status"] == "applied"
    assert body["adjustment"]["decided_by"] == "agent:alex"
    assert body["adjustment"]["amount_cents"] == 18000
    assert api.balance(DAVID) == DAVID_OWES - 18000
    assert api.credits_posted(DAVID).count(18000) == 1


def test_the_customer_is_told_the_decision_even_without_a_claim(api: CasesApi) -> None:
    case = api.david_case()

    assert decide(api, case.id, "alex", action="approve").status_code == 200

    told = api.rasa.bot_messages("chat-david")
    assert len(told) == 1
    event, params = told[0]
    assert params == {"output_channel": "latest", "execute_side_effects": "true"}
    assert "$180.00" in event["text"] and "applied" in event["text"]
    assert "$74.10" in event["text"]  # the new balance
    assert "from" not in (event.get("metadata") or {}).get("kestrel", {})  # the bot's voice


def test_a_decision_on_a_held_chat_is_told_in_the_agents_name(api: CasesApi) -> None:
    case = api.david_case()
    alex = api.token("alex")
    api.client.post(f"/api/cases/{case.id}/claim", headers=alex)

    response = api.client.post(
        f"/api/cases/{case.id}/decision", json={"action": "approve"}, headers=alex
    )

    assert response.status_code == 200
    ((event, _),) = api.rasa.bot_messages("chat-david")
    assert event["metadata"] == {"kestrel": {"from": "agent", "name": "Alex"}}


def test_alex_cannot_approve_a_changed_250_dollars_but_sam_can(api: CasesApi) -> None:
    case = api.david_case()

    refused = decide(api, case.id, "alex", action="approve", amount_cents=25000)

    assert refused.status_code == 403
    assert "agent:alex may approve up to $200.00" in refused.json()["error"]
    assert api.balance(DAVID) == DAVID_OWES
    approved = decide(api, case.id, "sam", action="approve", amount_cents=25000)
    assert approved.status_code == 200, approved.text
    adjustment = approved.json()["adjustment"]
    assert adjustment["decided_by"] == "supervisor:sam" and adjustment["amount_cents"] == 25000
    assert adjustment["status"] == "applied"
    assert api.balance(DAVID) == DAVID_OWES - 25000


def test_a_rejection_needs_a_reason(api: CasesApi) -> None:
    case = api.david_case()

    for reason in (None, "", "   "):
        body = {"action": "reject"} | ({} if reason is None else {"reason": reason})
        response = decide(api, case.id, "alex", **body)
        assert response.status_code == 422, reason
    assert api.client.get(f"/api/cases/{case.id}", headers=OPS).json()["status"] == "open"


def test_a_rejection_with_a_reason_is_recorded_and_moves_no_money(api: CasesApi) -> None:
    case = api.david_case()

    response = decide(api, case.id, "alex", action="reject", reason="TrivaFun was subscribed")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "resolved"
    assert body["adjustment"]["status"] == "rejected"
    assert body["adjustment"]["decided_by"] == "agent:alex"
    assert api.balance(DAVID) == DAVID_OWES
    ((told, _),) = api.rasa.bot_messages("chat-david")
    assert "could not approve" in told["text"]


def test_a_decision_on_a_case_with_nothing_pending_is_a_422(api: CasesApi) -> None:
    case = api.unverified_case()
    response = decide(api, case.id, "alex", action="approve")
    assert response.status_code == 422
    assert "no proposal" in response.json()["error"]


def test_a_decision_on_an_unknown_case_is_a_404(api: CasesApi) -> None:
    assert decide(api, "case_nope", "alex", action="approve").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"action": "maybe"},
        {"action": "approve", "amount_cents": "12"},
        {"action": "approve", "amount_cents": 12.5},
        {"action": "approve", "amount_cents": 0},
        {"action": "approve", "by": "sam"},
        {},
    ],
    ids=["action", "string-cents", "float-cents", "zero-cents", "extra-field", "empty"],
)
def test_a_bad_decision_body_is_a_422(api: CasesApi, body: dict[str, Any]) -> None:
    case = api.david_case()
    response = decide(api, case.id, "alex", **body)
    assert response.status_code == 422
    assert api.balance(DAVID) == DAVID_OWES


def test_a_second_decision_is_a_409_and_never_a_second_credit(api: CasesApi) -> None:
    case = api.david_case()
    assert decide(api, case.id, "alex", action="approve").status_code == 200

    again = decide(api, case.id, "sam", action="approve")
    reject = decide(api, case.id, "sam", action="reject", reason="changed my mind")

    assert again.status_code == 409 and reject.status_code == 409
    assert api.balance(DAVID) == DAVID_OWES - 18000
    assert api.credits_posted(DAVID).count(18000) == 1


def test_alex_changes_elenas_extension_within_his_30_days(api: CasesApi) -> None:
    case = api.elena_extension_case()
    assert case.proposed_amount_cents is None

    response = decide(api, case.id, "alex", action="approve", days=20)

    assert response.status_code == 200, response.text
    extension = response.json()["adjustment"]
    assert extension["kind"] == "payment_extension" and extension["days"] == 20
    assert extension["status"] == "applied" and extension["decided_by"] == "agent:alex"


def test_alex_cannot_give_elena_more_than_30_days_but_sam_can(api: CasesApi) -> None:
    case = api.elena_extension_case()

    refused = decide(api, case.id, "alex", action="approve", days=45)
    cents = decide(api, case.id, "alex", action="approve", amount_cents=500)

    assert refused.status_code == 403 and "30 days" in refused.json()["error"]
    assert cents.status_code == 422  # an extension is changed in days
    approved = decide(api, case.id, "sam", action="approve", days=45)
    assert approved.status_code == 200
    assert approved.json()["adjustment"]["decided_by"] == "supervisor:sam"
    assert approved.json()["adjustment"]["days"] == 45


@pytest.fixture
def served(api: CasesApi) -> Iterator[str]:
    """The same app on a real uvicorn server (its own thread, a free loopback port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(api.app, log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_twenty_concurrent_approvals_apply_one_credit(api: CasesApi, served: str) -> None:
    case = api.david_case()
    alex = api.token("alex")
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def approve() -> None:
        with httpx.Client(base_url=served, headers=alex, timeout=60) as client:
            barrier.wait()
            response = client.post(f"/api/cases/{case.id}/decision", json={"action": "approve"})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=approve, daemon=True) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(statuses) == {200: 1, 409: RACERS - 1}
    shown = api.client.get(f"/api/cases/{case.id}", headers=OPS).json()
    assert shown["adjustment"]["status"] == "applied"
    assert shown["adjustment"]["decided_by"] == "agent:alex"
    assert api.balance(DAVID) == DAVID_OWES - 18000
    assert api.credits_posted(DAVID).count(18000) == 1
    assert api.decisions_by("agent:alex") == 1
    assert len(api.rasa.bot_messages("chat-david")) == 1  # told once
