"""The case API (OPS_API.md), reading and taking cases: the real app on the seeded demo.

Staff sign in through ``POST /api/token``; the ops token reads but never acts. Claiming, replying
and handing back go to a fake Rasa HTTP API on loopback, which records what reached it (and
answers 401 without the Rasa token). Decisions are in test_cases_api_decisions.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

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
AGENT_SAYS = {"kestrel": {"from": "agent", "name": "Alex"}}
SENT = {"output_channel": "latest", "execute_side_effects": "true"}
LISTED = {
    "id", "reference", "status", "channel", "conversation_id", "account_id", "verified",
    "claimed_by", "proposed_amount_cents", "adjustment", "created_at",
}  # fmt: skip


def listed(api: CasesApi, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = api.client.get("/api/cases", params={"status": "open"}, headers=headers)
    assert response.status_code == 200, response.text
    return {case["id"]: case for case in response.json()["cases"]}


@pytest.mark.parametrize("reader", ["ops", "alex"])
def test_the_open_queue_lists_each_case_with_its_proposal(api: CasesApi, reader: str) -> None:
    david, stranger = api.david_case(), api.unverified_case()
    cases = listed(api, OPS if reader == "ops" else api.token("alex"))

    assert {david.id, stranger.id} <= set(cases)
    assert all(set(case) >= LISTED for case in cases.values())
    assert all(case["status"] == "open" for case in cases.values())
    shown = cases[david.id]
    assert {k: shown[k] for k in LISTED - {"adjustment", "created_at"}} == {
        "id": david.id, "reference": david.reference, "status": "open", "channel": "socketio",
        "conversation_id": "chat-david", "account_id": DAVID, "verified": True,
        "claimed_by": None, "proposed_amount_cents": 18000,
    }  # fmt: skip
    adjustment = shown["adjustment"]
    assert adjustment["id"].startswith("adj")
    assert {k: adjustment[k] for k in ("kind", "status", "amount_cents", "decided_by")} == {
        "kind": "third_party_dispute", "status": "pending_approval", "amount_cents": 18000,
        "decided_by": None,
    }  # fmt: skip
    assert datetime.fromisoformat(shown["created_at"].replace("Z", "+00:00")) == david.created_at
    unverified = cases[stranger.id]
    assert unverified["account_id"] is None and unverified["verified"] is False
    assert unverified["adjustment"] is None and unverified["proposed_amount_cents"] is None


def test_an_unknown_status_filter_is_a_422(api: CasesApi) -> None:
    response = api.client.get("/api/cases", params={"status": "maybe"}, headers=OPS)
    assert response.status_code == 422
    assert "open" in response.json()["error"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Basic {OPS_TOKEN}"}],
    ids=["none", "unknown", "not-bearer"],
)
def test_a_missing_or_bad_token_is_a_401(api: CasesApi, headers: dict[str, str]) -> None:
    case = api.david_case()
    assert api.client.get("/api/cases", headers=headers).status_code == 401
    assert api.client.get(f"/api/cases/{case.id}", headers=headers).status_code == 401
    assert api.client.post(f"/api/cases/{case.id}/claim", headers=headers).status_code == 401
    decision = api.client.post(
        f"/api/cases/{case.id}/decision", json={"action": "approve"}, headers=headers
    )
    assert decision.status_code == 401
    assert api.balance(DAVID) == 25410


def test_one_case_is_read_with_its_notes(api: CasesApi) -> None:
    case = api.david_case()
    alex = api.token("alex")
    noted = api.client.post(
        f"/api/cases/{case.id}/notes", json={"text": "Called TrivaFun."}, headers=alex
    )
    assert noted.status_code == 200, noted.text

    response = api.client.get(f"/api/cases/{case.id}", headers=OPS)
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference and body["adjustment"]["amount_cents"] == 18000
    assert [(n["author"], n["text"]) for n in body["notes"]] == [("alex", "Called TrivaFun.")]


def test_an_unknown_case_is_a_404(api: CasesApi) -> None:
    assert api.client.get("/api/cases/case_nope", headers=OPS).status_code == 404
    claim = api.client.post("/api/cases/case_nope/claim", headers=api.token("alex"))
    assert claim.status_code == 404


ACTIONS: list[tuple[str, dict[str, Any] | None]] = [
    ("claim", None),
    ("messages", {"text": "Hello"}),
    ("release", None),
    ("assign", {"to": "alex"}),
    ("notes", {"text": "a note"}),
    ("decision", {"action": "approve"}),
]


@pytest.mark.parametrize(("action", "body"), ACTIONS, ids=[a for a, _ in ACTIONS])
def test_the_ops_token_may_read_but_gets_403_on_every_action(
    api: CasesApi, action: str, body: dict[str, Any] | None
) -> None:
    case = api.david_case()
    response = api.client.post(f"/api/cases/{case.id}/{action}", json=body, headers=OPS)

    assert response.status_code == 403
    assert "ops token" in response.json()["error"]
    after = api.client.get(f"/api/cases/{case.id}", headers=OPS).json()
    assert after["claimed_by"] is None and after["notes"] == []
    assert after["adjustment"]["status"] == "pending_approval"
    assert api.rasa.calls == []


def test_claiming_a_chat_case_pauses_its_bot_through_rasas_api(api: CasesApi) -> None:
    case = api.david_case()
    response = api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("alex"))

    assert response.status_code == 200, response.text
    assert response.json()["claimed_by"] == "alex" and response.json()["status"] == "claimed"
    # The fake records only calls with the Rasa token, and answers 401 to the rest.
    assert api.rasa.posted_events("chat-david") == [({"event": "pause"}, {})]
    assert api.rasa.unauthorised == 0


def test_claiming_a_case_sam_holds_is_a_409(api: CasesApi) -> None:
    case = api.david_case()
    sam = api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("sam"))
    assert sam.status_code == 200

    alex = api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("alex"))

    assert alex.status_code == 409
    assert "sam" in alex.json()["error"]
    shown = api.client.get(f"/api/cases/{case.id}", headers=OPS).json()
    assert shown["claimed_by"] == "sam"
    assert api.rasa.kinds("chat-david") == ["pause"]  # paused once, by sam's claim


def test_a_claim_the_bot_cannot_pause_is_undone(api: CasesApi) -> None:
    case = api.david_case()
    api.rasa.refuse_with = 500

    response = api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("alex"))

    assert response.status_code == 503
    assert api.client.get(f"/api/cases/{case.id}", headers=OPS).json()["claimed_by"] is None


def test_a_reply_reaches_the_customer_with_the_agents_name(api: CasesApi) -> None:
    case = api.david_case()
    alex = api.token("alex")
    assert api.client.post(f"/api/cases/{case.id}/claim", headers=alex).status_code == 200

    response = api.client.post(
        f"/api/cases/{case.id}/messages", json={"text": "Hi David, Alex here."}, headers=alex
    )

    assert response.status_code == 200, response.text
    sent = {"event": "bot", "text": "Hi David, Alex here.", "metadata": AGENT_SAYS}
    assert api.rasa.bot_messages("chat-david") == [(sent, SENT)]


def test_a_reply_without_holding_the_case_is_a_403(api: CasesApi) -> None:
    case = api.david_case()
    response = api.client.post(
        f"/api/cases/{case.id}/messages", json={"text": "Hello"}, headers=api.token("alex")
    )
    assert response.status_code == 403
    assert api.rasa.calls == []


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "hi", "to": "x"}, {"text": 5}])
def test_a_bad_reply_body_is_a_422(api: CasesApi, body: dict[str, Any]) -> None:
    case = api.david_case()
    alex = api.token("alex")
    api.client.post(f"/api/cases/{case.id}/claim", headers=alex)
    response = api.client.post(f"/api/cases/{case.id}/messages", json=body, headers=alex)
    assert response.status_code == 422
    assert api.rasa.bot_messages("chat-david") == []


def test_handing_back_tells_the_outcome_then_resumes_the_bot(api: CasesApi) -> None:
    case = api.david_case()
    alex = api.token("alex")
    api.client.post(f"/api/cases/{case.id}/claim", headers=alex)

    response = api.client.post(f"/api/cases/{case.id}/release", headers=alex)

    assert response.status_code == 200, response.text
    assert response.json()["claimed_by"] is None and response.json()["status"] == "open"
    posted = api.rasa.posted_events("chat-david")
    assert [e["event"] for e, _ in posted] == ["pause", "bot", "resume"]
    (told, told_params), (resumed, resumed_params) = posted[1], posted[2]
    assert told["metadata"] == {"kestrel": {"state": "bot"}} and told_params == SENT
    assert (
        told["text"]
        == f"Your case {case.reference} is still open; a colleague will follow up with you."
    )
    assert resumed == {"event": "resume"} and resumed_params == {}


def test_a_case_is_assigned_to_someone_else(api: CasesApi) -> None:
    case = api.david_case()
    response = api.client.post(
        f"/api/cases/{case.id}/assign", json={"to": "sam"}, headers=api.token("alex")
    )
    assert response.status_code == 200, response.text
    assert response.json()["claimed_by"] == "sam"
    held = api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("alex"))
    assert held.status_code == 409


def test_an_assigned_chat_case_pauses_the_bot_for_its_new_holder(api: CasesApi) -> None:
    case = api.david_case()
    assigned = api.client.post(
        f"/api/cases/{case.id}/assign", json={"to": "sam"}, headers=api.token("alex")
    )
    assert assigned.status_code == 200
    assert (
        api.client.post(f"/api/cases/{case.id}/claim", headers=api.token("sam")).status_code == 200
    )

    assert "pause" in api.rasa.kinds("chat-david")  # a person holds it: the bot must be silent
