"""The TMF reference BSS's injected faults on a real uvicorn: latency, an error status, a
dropped connection, a posting applied whose answer comes too late, pages split in two, the
``times`` countdown, and which calls a plan hits. Nothing is done for a status or a drop.
Also validate mode with a client at fault: a request outside the specs is still answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from billing_adapters.tmf import vocabulary as v
from tests.integration.tmf_reference_server import (
    ReferenceServer,
    reference_fixture,  # noqa: F401  (the module's server)
    server_fixture,  # noqa: F401  (... from a clean slate)
)

pytestmark = pytest.mark.integration

ANA = "100001"
ACCOUNT = f"{v.BILLING_ACCOUNT}/{ANA}"
CREDIT = {
    "adjustType": "credit",
    "amount": {"value": 5.0, "unit": "USD"},
    "billingAccount": {"id": ANA},
    "bill": {"id": "B-100001-2"},
    "description": "Late fee waived",
    "@type": "AdjustBalance",
}


@pytest.fixture(name="client")
def client_fixture(server: ReferenceServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def post_credit(client: httpx.Client, key: str = "key-1", **kwargs: Any) -> httpx.Response:
    return client.post(v.ADJUST_BALANCE, json=CREDIT, headers={v.IDEMPOTENCY_HEADER: key}, **kwargs)


def timed(call: Any) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = call()
    return response, time.perf_counter() - start


def test_latency_delays_every_hit_call_and_only_those(
    server: ReferenceServer, client: httpx.Client
) -> None:
    server.set_faults({"calls": "reads", "latency_s": 0.3})
    read, read_s = timed(lambda: client.get(ACCOUNT))
    posting, posting_s = timed(lambda: post_credit(client))
    assert read.status_code == 200 and read_s >= 0.3
    assert posting.status_code == 201 and posting_s < 0.25


def test_an_error_status_is_answered_instead_and_nothing_is_done(
    server: ReferenceServer, client: httpx.Client
) -> None:
    server.set_faults({"calls": "postings", "status": 503})
    response = post_credit(client)
    assert response.status_code == 503
    assert response.json() == {
        "code": "503",
        "reason": "Service Unavailable",
        "message": "injected fault",
        "status": "503",
        "@type": "Error",
    }
    assert client.get(ACCOUNT).status_code == 200  # reads are not hit
    stats = server.stats()
    assert stats["credits"] == 0
    assert stats["requests"][f"POST {v.ADJUST_BALANCE}"] == 1  # counted all the same


def test_a_drop_ends_the_connection_mid_answer_and_nothing_is_done(
    server: ReferenceServer, client: httpx.Client
) -> None:
    server.set_faults({"drop": True, "times": 2})
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(ACCOUNT)
    with pytest.raises(httpx.RemoteProtocolError):
        post_credit(client)
    assert server.stats()["credits"] == 0
    assert client.get(ACCOUNT).status_code == 200  # the plan ran out: served again


def test_a_held_answer_times_the_client_out_although_the_credit_was_posted(
    server: ReferenceServer, client: httpx.Client
) -> None:
    server.set_faults({"calls": "postings", "timeout_after_apply": True, "hang_s": 1.0, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        post_credit(client, timeout=0.3)
    assert server.stats()["credits"] == 1
    retry = post_credit(client)  # the same key: the answer the first attempt never got
    assert retry.status_code == 200 and retry.json()["id"].startswith("CR-")
    assert server.stats()["credits"] == 1


def test_a_held_answer_does_not_hold_up_the_retry_that_overlaps_it(
    server: ReferenceServer,
) -> None:
    server.set_faults({"calls": "postings", "timeout_after_apply": True, "hang_s": 0.8, "times": 1})
    answers: list[httpx.Response] = []

    def first_attempt() -> None:
        with server.client() as own:
            answers.append(post_credit(own))

    hung = threading.Thread(target=first_attempt)
    hung.start()
    deadline = time.monotonic() + 2
    while server.stats()["credits"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # until the first attempt has posted and is being held
    with server.client() as other:
        retry, retry_s = timed(lambda: post_credit(other))
        read, read_s = timed(lambda: other.get(ACCOUNT))
    hung.join()
    assert retry.status_code == 200 and retry_s < 0.5
    assert read.status_code == 200 and read_s < 0.5
    [first] = answers  # held, then sent: the same credit, as a new one
    assert first.status_code == 201 and first.json() == retry.json()


def test_split_pages_halves_every_list_page(server: ReferenceServer, client: httpx.Client) -> None:
    server.set_faults({"split_pages": True})
    first = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA, "offset": 0, "limit": 10})
    assert (first.headers["X-Total-Count"], first.headers["X-Result-Count"]) == ("2", "1")
    second = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA, "offset": 1, "limit": 10})
    assert [b["id"] for b in first.json() + second.json()] == ["B-100001-2", "B-100001-1"]
    rates = client.get(v.BILLING_RATE, params={v.ACCOUNT_FILTER: ANA})
    assert rates.headers["X-Result-Count"] == "3"  # of 6


def test_times_counts_the_faulted_calls_down(server: ReferenceServer, client: httpx.Client) -> None:
    plan = server.set_faults({"calls": "reads", "status": 502, "times": 2, "latency_s": 0.0})
    assert plan["times"] == 2
    assert client.get(ACCOUNT).status_code == 502
    assert server.faults()["times"] == 1
    assert post_credit(client).status_code == 201  # a posting is not hit: nothing used up
    assert client.get(ACCOUNT).status_code == 502
    assert server.faults()["times"] == 0
    assert client.get(ACCOUNT).status_code == 200


def test_a_fault_plan_is_shown_replaced_and_cleared(server: ReferenceServer) -> None:
    assert server.faults()["status"] is None
    server.set_faults({"calls": "reads", "status": 504})
    assert server.set_faults({"latency_s": 0.01})["status"] is None  # replaced, not merged
    server.clear_faults()
    assert server.faults() == {
        "calls": "all",
        "latency_s": 0.0,
        "status": None,
        "drop": False,
        "timeout_after_apply": False,
        "hang_s": 10.0,
        "split_pages": False,
        "times": None,
    }
    with server.client() as client:
        refused = client.put("/admin/faults", json={"status": 418})
        assert refused.status_code == 400 and refused.json()["@type"] == "Error"
        typo = client.put("/admin/faults", json={"latency": 1})
        assert typo.status_code == 400


def test_a_request_outside_the_specs_is_answered_and_its_violation_kept(
    server: ReferenceServer, client: httpx.Client
) -> None:
    response = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA, "colour": "blue"})
    assert response.status_code == 200 and len(response.json()) == 2
    report = server.conformance()
    assert report["checked"] == 1
    [violation] = report["violations"]
    assert "colour" in violation
    server.clear_conformance()
    assert server.conformance() == {"checked": 0, "violations": []}
