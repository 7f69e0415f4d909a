"""TmfBss against the TMF reference BSS on a real uvicorn, with the reference's faults switched on:
what the bot's adapter does when the operator's BSS loses an answer, storms 5xx, drops a
connection, splits its pages or is slow. Money is checked on the BSS itself (its posted rows and
the balance it reports), never on what the adapter believes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.adapter import TmfBss, TmfConfig
from domain.errors import ExternalRefused, ExternalSystemError, ExternalTimeout, NotFound
from domain.model import PostingReceipt
from domain.turn_budget import turn_budget
from tests.integration.tmf_reference_server import (
    TOKEN,
    ReferenceServer,
    reference_fixture,  # noqa: F401  (the module's server)
    server_fixture,  # noqa: F401  (... from a clean slate)
)

pytestmark = pytest.mark.integration

ANA, ANAS_BILL = "100001", "B-100001-2"  # owes $112.40; the bill with the $5.00 late fee
ANAS_BALANCE = 11240
ADJUST = f"POST {v.ADJUST_BALANCE}"
ACCOUNT_READ = f"GET {v.BILLING_ACCOUNT}/{{id}}"
BILL_LIST = f"GET {v.CUSTOMER_BILL}"


@pytest.fixture(name="config")
def config_fixture(server: ReferenceServer) -> TmfConfig:
    """Short timeouts and back-off so the faults play out in a fraction of a second."""
    return TmfConfig(
        base_url=server.origin,
        bearer_token=TOKEN,
        timeout_s=0.5,
        connect_timeout_s=0.5,
        retries=2,
        backoff_s=0.02,
        circuit_failures=5,
        circuit_open_s=30.0,
        deadline_s=3.0,
    )


@pytest.fixture(name="bss")
def bss_fixture(config: TmfConfig) -> Iterator[TmfBss]:
    with TmfBss(config) as bss:
        yield bss


def requests_to(server: ReferenceServer, call: str) -> int:
    count: int = server.stats()["requests"].get(call, 0)
    return count


def credit_ana(bss: TmfBss, key: str = "waiver-1") -> PostingReceipt:
    return bss.post_credit(ANA, ANAS_BILL, 500, "Late fee waived", key)


def test_a_credit_whose_answer_was_lost_is_applied_once_by_the_retry(
    server: ReferenceServer, bss: TmfBss
) -> None:
    server.set_faults({"calls": "postings", "timeout_after_apply": True, "hang_s": 2, "times": 1})

    receipt = credit_ana(bss)

    assert receipt.amount_cents == 500 and receipt.idempotency_key == "waiver-1"
    assert requests_to(server, ADJUST) == 2  # the lost answer, then the repeat under the key
    assert server.stats()["credits"] == 1
    assert bss.get_balance_cents(ANA) == ANAS_BALANCE - 500


def test_a_credit_whose_every_answer_is_lost_is_unconfirmed_and_its_repeat_applies_nothing_more(
    server: ReferenceServer, bss: TmfBss
) -> None:
    server.set_faults({"calls": "postings", "timeout_after_apply": True, "hang_s": 2})

    with pytest.raises(ExternalTimeout, match="may have acted"):
        credit_ana(bss)
    assert requests_to(server, ADJUST) == 3  # every attempt sent, every answer lost
    assert server.stats()["credits"] == 1

    server.clear_faults()
    repeat = credit_ana(bss)  # what the reconciler does: the same key again

    assert repeat.amount_cents == 500
    assert server.stats()["credits"] == 1
    assert bss.get_balance_cents(ANA) == ANAS_BALANCE - 500


def test_a_5xx_storm_opens_the_circuit_and_the_bss_hears_nothing_more_until_it_recovers(
    server: ReferenceServer, config: TmfConfig
) -> None:
    server.set_faults({"calls": "all", "status": 503})
    with TmfBss(replace(config, circuit_failures=3, circuit_open_s=0.5)) as bss:
        with pytest.raises(ExternalSystemError):
            bss.get_balance_cents(ANA)
        assert bss.circuit.state == "open"
        sent = server.stats()["total"]
        assert sent == 3  # three failed attempts opened it

        with pytest.raises(ExternalSystemError, match="unavailable"):
            bss.get_bills(ANA)
        with pytest.raises(ExternalRefused, match="not sent"):
            credit_ana(bss)
        assert server.stats()["total"] == sent
        assert server.stats()["credits"] == 0

        server.clear_faults()
        time.sleep(0.6)  # the circuit lets one trial through once open_s has passed
        assert bss.get_balance_cents(ANA) == ANAS_BALANCE
        assert bss.circuit.state == "closed"


def test_a_dropped_connection_is_retried_for_a_read_and_for_a_credit(
    server: ReferenceServer, bss: TmfBss
) -> None:
    server.set_faults({"calls": "reads", "drop": True, "times": 1})
    assert bss.get_balance_cents(ANA) == ANAS_BALANCE
    assert requests_to(server, ACCOUNT_READ) == 2

    server.set_faults({"calls": "postings", "drop": True, "times": 1})
    assert credit_ana(bss).amount_cents == 500
    assert requests_to(server, ADJUST) == 2
    assert server.stats()["credits"] == 1


def test_pages_split_in_two_are_followed_to_the_same_bills(
    server: ReferenceServer, bss: TmfBss
) -> None:
    whole = bss.get_bills(ANA)
    assert requests_to(server, BILL_LIST) == 1
    server.clear_stats()

    server.set_faults({"split_pages": True})
    split = bss.get_bills(ANA)

    assert split == whole and len(whole) == 2
    assert requests_to(server, BILL_LIST) == 2


def test_a_slow_bss_within_the_timeout_answers(server: ReferenceServer, bss: TmfBss) -> None:
    server.set_faults({"calls": "reads", "latency_s": 0.3})
    with turn_budget(8.0):
        assert bss.get_balance_cents(ANA) == ANAS_BALANCE
    assert requests_to(server, ACCOUNT_READ) == 1


def test_a_bss_slower_than_the_turn_budget_fails_within_the_budget(
    server: ReferenceServer, config: TmfConfig
) -> None:
    server.set_faults({"calls": "reads", "latency_s": 5.0})
    with TmfBss(replace(config, timeout_s=2.0)) as bss, turn_budget(1.0):
        started = time.monotonic()
        with pytest.raises(ExternalTimeout):
            bss.get_balance_cents(ANA)
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.5, elapsed


def test_a_credit_the_bss_does_not_know_is_not_found_and_not_retried(
    server: ReferenceServer, bss: TmfBss
) -> None:
    with pytest.raises(NotFound):
        bss.post_credit(ANA, "B-100004-2", 500, "Late fee waived", "waiver-2")  # David's bill
    assert requests_to(server, ADJUST) == 1
    assert server.stats()["credits"] == 0
