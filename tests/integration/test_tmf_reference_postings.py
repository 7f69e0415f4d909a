"""The TMF reference BSS's postings on a real uvicorn: a credit (adjustBalance) and a due-date
extension (paymentExtension) are applied once per Idempotency-Key (201, then 200 with the same
body), refused with 409 / 404 / 400 as the spec says, and a PIN check never tells whether the
account exists. Also a reset, which undoes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from billing_adapters.tmf import vocabulary as v
from tests.integration.tmf_reference_server import (
    SEED_TIME,
    ReferenceServer,
    reference_fixture,  # noqa: F401  (the module's server)
    server_fixture,  # noqa: F401  (... from a clean slate)
)

pytestmark = pytest.mark.integration

ANA, DAVID = "100001", "100004"


@pytest.fixture(name="client")
def client_fixture(server: ReferenceServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def credit(
    account_id: str = ANA, bill_id: str = "B-100001-2", value: Any = 5.0, unit: str = "USD"
) -> dict[str, Any]:
    return {
        "adjustType": "credit",
        "amount": {"value": value, "unit": unit},
        "billingAccount": {"id": account_id},
        "bill": {"id": bill_id},
        "description": "Late fee waived",
        "requestedDate": "2026-11-22T20:54:34Z",
        "@type": "AdjustBalance",
    }


def extension(new_due: str, bill_id: str = "B-100001-2") -> dict[str, Any]:
    return {
        "billingAccount": {"id": ANA},
        "bill": {"id": bill_id},
        "newPaymentDueDate": new_due,
        "@type": "PaymentExtension",
    }


def post(client: httpx.Client, path: str, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {v.IDEMPOTENCY_HEADER: key} if key is not None else {}
    return client.post(path, json=body, headers=headers)


def balance(client: httpx.Client, account_id: str = ANA) -> Any:
    account = client.get(f"{v.BILLING_ACCOUNT}/{account_id}").json()
    return account["accountBalance"][0]["amount"]["value"]


def test_a_credit_posts_once_then_a_repeat_gets_the_same_answer(
    server: ReferenceServer, client: httpx.Client
) -> None:
    first = post(client, v.ADJUST_BALANCE, credit(), "key-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["id"].startswith("CR-")
    assert body["href"] == f"{server.origin}{v.ADJUST_BALANCE}/{body['id']}"
    assert (body["status"], body["adjustType"]) == ("completed", "credit")
    assert body["confirmationDate"].endswith("Z")
    assert body["amount"] == {"value": 5.0, "unit": "USD"}
    assert body["billingAccount"] == {
        "id": ANA,
        "href": f"{server.origin}{v.BILLING_ACCOUNT}/{ANA}",
    }
    assert body["bill"]["id"] == "B-100001-2"
    assert (body["description"], body["@type"]) == ("Late fee waived", "AdjustBalance")
    repeat = post(client, v.ADJUST_BALANCE, credit(), "key-1")
    assert repeat.status_code == 200
    assert repeat.json() == body
    assert server.stats()["credits"] == 1
    assert balance(client) == 107.4  # 112.40 owed, 5.00 credited once
    assert server.conformance()["violations"] == []


def test_a_key_used_for_another_credit_is_a_conflict(
    server: ReferenceServer, client: httpx.Client
) -> None:
    assert post(client, v.ADJUST_BALANCE, credit(), "key-1").status_code == 201
    other = post(client, v.ADJUST_BALANCE, credit(value=6.0), "key-1")
    assert other.status_code == 409
    assert other.json()["code"] == "409"
    assert server.stats()["credits"] == 1


def test_a_credit_on_a_bill_that_is_not_the_accounts_is_not_found(
    server: ReferenceServer, client: httpx.Client
) -> None:
    davids_bill = post(client, v.ADJUST_BALANCE, credit(bill_id="B-100004-2"), "key-1")
    assert davids_bill.status_code == 404 and davids_bill.json()["@type"] == "Error"
    no_bill = post(client, v.ADJUST_BALANCE, credit(bill_id="B-999"), "key-2")
    assert no_bill.status_code == 404
    no_account = post(client, v.ADJUST_BALANCE, credit(account_id="999999"), "key-3")
    assert no_account.status_code == 404
    assert server.stats()["credits"] == 0


@pytest.mark.parametrize(
    ("value", "unit"),
    [(0, "USD"), (-5.0, "USD"), (5.005, "USD"), (5.0, "EUR"), ("5.00", "USD")],
    ids=["zero", "negative", "a fraction of a cent", "another currency", "a string"],
)
def test_a_credit_that_is_not_positive_whole_cents_of_the_account_is_refused(
    server: ReferenceServer, client: httpx.Client, value: Any, unit: str
) -> None:
    response = post(client, v.ADJUST_BALANCE, credit(value=value, unit=unit), "key-1")
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "Bad Request"
    assert server.stats()["credits"] == 0


def test_a_posting_without_an_idempotency_key_or_well_formed_body_is_refused(
    server: ReferenceServer, client: httpx.Client
) -> None:
    assert post(client, v.ADJUST_BALANCE, credit(), None).status_code == 400
    assert (
        post(client, v.PAYMENT_EXTENSION, extension("2026-12-17T00:00:00Z"), None).status_code
        == 400
    )
    debit = {**credit(), "adjustType": "debit"}
    assert post(client, v.ADJUST_BALANCE, debit, "key-1").status_code == 400
    not_json = client.post(v.ADJUST_BALANCE, content=b"{", headers={v.IDEMPOTENCY_HEADER: "key-2"})
    assert not_json.status_code == 400 and not_json.json()["@type"] == "Error"
    stats = server.stats()
    assert (stats["credits"], stats["extensions"]) == (0, 0)


def test_an_extension_moves_the_due_date_once(
    server: ReferenceServer, client: httpx.Client
) -> None:
    first = post(client, v.PAYMENT_EXTENSION, extension("2026-12-17T00:00:00Z"), "ext-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["id"].startswith("EXT-")
    assert body["href"] == f"{server.origin}{v.PAYMENT_EXTENSION}/{body['id']}"
    assert body["status"] == "completed" and body["@type"] == "PaymentExtension"
    assert body["newPaymentDueDate"] == "2026-12-17T00:00:00Z"
    assert (body["billingAccount"]["id"], body["bill"]["id"]) == (ANA, "B-100001-2")
    assert body["confirmationDate"].endswith("Z")
    bill = client.get(f"{v.CUSTOMER_BILL}/B-100001-2").json()
    assert bill["paymentDueDate"] == "2026-12-17T00:00:00Z"
    repeat = post(client, v.PAYMENT_EXTENSION, extension("2026-12-17T00:00:00Z"), "ext-1")
    assert repeat.status_code == 200 and repeat.json() == body
    assert server.stats()["extensions"] == 1
    assert server.conformance()["violations"] == []


def test_an_extension_that_conflicts_goes_nowhere_or_moves_the_date_back_is_refused(
    server: ReferenceServer, client: httpx.Client
) -> None:
    assert (
        post(client, v.PAYMENT_EXTENSION, extension("2026-12-17T00:00:00Z"), "ext-1").status_code
        == 201
    )
    reused = post(client, v.PAYMENT_EXTENSION, extension("2026-12-20T00:00:00Z"), "ext-1")
    assert reused.status_code == 409
    earlier = post(client, v.PAYMENT_EXTENSION, extension("2026-12-10T00:00:00Z"), "ext-2")
    assert earlier.status_code == 400
    davids = post(
        client, v.PAYMENT_EXTENSION, extension("2026-12-30T00:00:00Z", "B-100004-2"), "ext-3"
    )
    assert davids.status_code == 404
    assert server.stats()["extensions"] == 1


def test_a_pin_check_never_says_whether_the_account_exists(client: httpx.Client) -> None:
    def verified(account_id: str, pin: str) -> object:
        response = client.post(
            v.PIN_VERIFICATION,
            json={"billingAccount": {"id": account_id}, "pin": pin, "@type": "PinVerification"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["billingAccount"] == {"id": account_id}
        assert body["@type"] == "PinVerificationResult"
        return body["verified"]

    assert verified(ANA, "4321") is True
    assert verified(ANA, "1234") is False
    assert verified("999999", "4321") is False
    assert verified("", "4321") is False  # the bot found no account: a check all the same


def test_a_reset_seeds_the_demo_at_the_time_given_and_undoes_postings(
    server: ReferenceServer, client: httpx.Client
) -> None:
    post(client, v.ADJUST_BALANCE, credit(), "key-1")
    post(client, v.PAYMENT_EXTENSION, extension("2026-12-17T00:00:00Z"), "ext-1")
    server.reset(SEED_TIME + timedelta(days=3))
    stats = server.stats()
    assert (stats["credits"], stats["extensions"]) == (0, 0)
    assert balance(client) == 112.4
    bills = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA}).json()
    assert bills[0]["billDate"] == "2026-11-15T20:54:34Z"  # T+3d-10d
    assert bills[0]["paymentDueDate"] == "2026-12-06T00:00:00Z"  # not extended any more
    david = client.get(f"{v.BILLING_ACCOUNT}/{DAVID}").json()
    assert david["contact"][0]["validFor"]["startDateTime"] == "2026-11-25T20:54:34Z"
