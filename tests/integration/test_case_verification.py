"""Cases say whether their customer is verified: the repository contract and `GET /api/cases`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.backoffice.sql import SqlBackOfficeFactory
from domain.records import VERIFIED_BY_PIN, CaseStatus, PinAttempt
from tests.integration.test_backoffice_contract import NOW, case
from tests.integration.test_web_errors import (  # noqa: F401  (fixtures)
    AUTH,
    client,
    database,
    make_client,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def office(engine) -> SqlBackOfficeFactory:  # type: ignore[no-untyped-def]
    return SqlBackOfficeFactory(engine)


def test_cases_are_listed_oldest_first_and_filtered_by_status_and_verification(office) -> None:
    with office() as bo:
        bo.cases.add(case(1, "KM-1001"))
        bo.cases.add(case(2, "KM-1002", account_id=None, conversation_id="conv-2"))
        bo.cases.add(case(3, "KM-1003", status=CaseStatus.RESOLVED, verified=True))
        bo.commit()
    with office() as bo:
        assert [c.reference for c in bo.cases.listed()] == ["KM-1001", "KM-1002", "KM-1003"]
        assert [c.reference for c in bo.cases.listed(status=CaseStatus.OPEN)] == [
            "KM-1001",
            "KM-1002",
        ]
        assert [c.reference for c in bo.cases.listed(verified=True)] == ["KM-1003"]
        assert [c.reference for c in bo.cases.listed(verified=False, status=CaseStatus.OPEN)] == [
            "KM-1001",
            "KM-1002",
        ]


def test_a_verified_customer_is_put_on_the_open_unverified_cases_of_their_conversation(
    office,
) -> None:
    with office() as bo:
        bo.cases.add(case(1, "KM-1001", account_id=None, conversation_id="c1"))
        bo.cases.add(
            case(2, "KM-1002", account_id=None, conversation_id="c1", status=CaseStatus.CLOSED)
        )
        bo.cases.add(case(3, "KM-1003", account_id=None, conversation_id="c2"))
        bo.commit()
    at = NOW + timedelta(minutes=3)
    with office() as bo:
        assert bo.cases.attach_customer("c1", "100001", at, VERIFIED_BY_PIN) == ["case_1"]
        bo.commit()
    with office() as bo:
        attached = bo.cases.get("case_1")
        assert attached is not None
        assert (attached.account_id, attached.verified, attached.verified_by) == (
            "100001",
            True,
            VERIFIED_BY_PIN,
        )
        assert attached.verified_at == at
        assert bo.cases.get("case_2").account_id is None  # type: ignore[union-attr]
        assert bo.cases.get("case_3").verified is False  # type: ignore[union-attr]


def test_the_last_successful_pin_check_of_a_conversation_is_found(office) -> None:
    with office() as bo:
        for minutes, ok in ((0, True), (1, False), (2, True), (3, False)):
            bo.pin_attempts.add(
                PinAttempt(
                    conversation_id="c1",
                    account_id="100001",
                    succeeded=ok,
                    at=NOW + timedelta(minutes=minutes),
                )
            )
        bo.commit()
    with office() as bo:
        last = bo.pin_attempts.last_success_in_conversation("c1")
        assert last is not None and last.at == NOW + timedelta(minutes=2)
        assert bo.pin_attempts.last_success_in_conversation("c9") is None


def test_unverified_cases_are_listed_with_the_ops_token(
    make_client: Callable[..., TestClient],  # noqa: F811
) -> None:
    api = make_client()
    from app.bootstrap import get_deps

    with get_deps().backoffice() as bo:
        bo.cases.add(case(1, "KM-7001", account_id=None, conversation_id="web-1"))
        bo.cases.add(
            case(2, "KM-7002", verified=True, verified_at=NOW, verified_by=VERIFIED_BY_PIN)
        )
        bo.commit()
    response = api.get("/api/cases?verified=false", headers=AUTH)
    assert response.status_code == 200, response.text
    unverified = [c for c in response.json()["cases"] if c["reference"].startswith("KM-7")]
    assert unverified == [
        {
            "id": "case_1",
            "reference": "KM-7001",
            "status": "open",
            "reason": "third-party charge",
            "proposed_amount_cents": 18000,
            "summary": "TrivaFun dispute",
            "channel": "rest",
            "conversation_id": "web-1",
            "account_id": None,
            "verified": False,
            "verified_at": None,
            "verified_by": None,
            "claimed_by": None,
            "claimed_at": None,
            "priority": 1,
            "adjustment": None,
            "created_at": "2026-11-22T20:54:35Z",
            "resolved_at": None,
        }
    ]
    verified = api.get("/api/cases?verified=true&status=open", headers=AUTH).json()["cases"]
    assert "KM-7002" in [c["reference"] for c in verified]
    assert all(c["verified"] for c in verified)


def test_the_case_list_refuses_a_missing_token_and_an_unknown_status(
    client: TestClient,  # noqa: F811
) -> None:
    assert client.get("/api/cases").status_code == 401
    response = client.get("/api/cases?status=lost", headers=AUTH)
    assert response.status_code == 422
    assert "unknown case status" in response.json()["error"]
