"""Faults of the operator's BSS over HTTP, end to end (BSS=tmf): the TMF reference BSS is told to
lose a credit's answer, storm 503s, answer slowly, hang or drop a connection, and a customer
talks to the bot meanwhile. What she hears, what the ledger (ops API) and the BSS's own counters
show, and that service comes back without restarting anything.

The stack is the session's BSS=tmf one (TMF_CIRCUIT_OPEN_S=3), the adapter's defaults otherwise:
TMF_TIMEOUT_S 2, TMF_RETRIES 2, TMF_CIRCUIT_FAILURES 5, BSS_BUDGET_CHAT_S 8.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from billing_adapters.tmf import vocabulary as v
from tests.e2e.conftest import LiveStack
from tests.e2e.test_faults import (
    ANA,
    ANA_PIN,
    BALANCE,
    BALANCE_TEXT,
    SEED_BALANCE,
    SYSTEM_DOWN_TEXT,
    WAIVE,
    WAIVER,
    waivers,
)

pytestmark = pytest.mark.e2e

CHAT_BUDGET_S = 8.0  # BSS_BUDGET_CHAT_S's default
CIRCUIT_OPEN_S = 3.0  # the live_tmf stack's TMF_CIRCUIT_OPEN_S
ADJUST = f"POST {v.ADJUST_BALANCE}"


@pytest.fixture(name="tmf")
def tmf_fixture(live_tmf: LiveStack) -> Iterator[LiveStack]:
    """The BSS=tmf stack from its seed, without faults or counters; faults cleared after."""
    live_tmf.tmf_admin("DELETE", "faults")
    live_tmf.reset()
    live_tmf.tmf_admin("DELETE", "stats")
    yield live_tmf
    live_tmf.tmf_admin("DELETE", "faults")


def said(stack: LiveStack, sender: str, text: str) -> str:
    return " ".join(stack.say(sender, text))


def timed_said(stack: LiveStack, sender: str, text: str) -> tuple[str, float]:
    began = time.monotonic()
    reply = said(stack, sender, text)
    return reply, time.monotonic() - began


def verified(stack: LiveStack, sender: str) -> None:
    """Ana, verified through a balance question (nothing offered, nothing pending)."""
    stack.say(sender, "hi")
    stack.say(sender, BALANCE)
    stack.say(sender, ANA)
    assert BALANCE_TEXT in said(stack, sender, ANA_PIN)


def fault(stack: LiveStack, **plan: object) -> None:
    stack.tmf_admin("PUT", "faults", plan)


def stats(stack: LiveStack) -> dict:
    result: dict = stack.tmf_admin("GET", "stats").json()
    return result


def test_a_credit_whose_answer_the_bss_lost_is_applied_once_and_the_customer_hears_it_is_done(
    tmf: LiveStack, sender: str
) -> None:
    tmf.say(sender, "hi")
    tmf.say(sender, WAIVE)
    tmf.say(sender, ANA)
    offer = said(tmf, sender, ANA_PIN)
    assert "$5.00" in offer and "Shall I go ahead?" in offer, offer
    fault(tmf, calls="postings", timeout_after_apply=True, hang_s=10, times=1)

    done = said(tmf, sender, "yes")

    assert "Done. I've applied a $5.00 credit" in done and "$107.40" in done, done
    counters = stats(tmf)
    assert counters["credits"] == 1
    assert counters["requests"][ADJUST] == 2  # the answer lost, then the same key again
    account = tmf.ops(ANA)
    (row,) = waivers(account)
    assert (row["status"], row["amount_cents"]) == ("applied", WAIVER)
    assert account["balance_cents"] == SEED_BALANCE - WAIVER
    assert "already done" in said(tmf, sender, WAIVE)
    assert stats(tmf)["credits"] == 1


def test_a_5xx_storm_gets_an_apology_and_a_person_offered_then_the_circuit_spares_the_bss(
    tmf: LiveStack, sender: str
) -> None:
    verified(tmf, sender)
    fault(tmf, calls="all", status=503)

    first = said(tmf, sender, BALANCE)  # 3 failed attempts
    second = said(tmf, sender, BALANCE)  # 2 more: 5 in a row open the circuit
    sent = stats(tmf)["total"]
    third, took = timed_said(tmf, sender, BALANCE)

    assert first == second == third == SYSTEM_DOWN_TEXT, (first, second, third)
    assert "connect you with a person" in third
    assert stats(tmf)["total"] == sent, "an open circuit sends nothing to the BSS"
    assert took < 1.0, took

    tmf.tmf_admin("DELETE", "faults")
    time.sleep(CIRCUIT_OPEN_S + 0.2)  # then one trial call, which the healed BSS answers
    assert BALANCE_TEXT in said(tmf, sender, BALANCE)
    assert tmf.ops(ANA)["balance_cents"] == SEED_BALANCE


def test_a_slow_bss_still_answers_within_the_chat_budget(tmf: LiveStack, sender: str) -> None:
    verified(tmf, sender)
    fault(tmf, calls="reads", latency_s=0.4)

    reply, took = timed_said(tmf, sender, BALANCE)

    assert BALANCE_TEXT in reply and "Your current bill of $112.40 is due on" in reply, reply
    assert 0.4 <= took < CHAT_BUDGET_S, took


def test_a_hanging_bss_gets_a_polite_apology_within_the_chat_budget_and_service_comes_back(
    tmf: LiveStack, sender: str
) -> None:
    verified(tmf, sender)
    fault(tmf, calls="reads", latency_s=30)

    reply, took = timed_said(tmf, sender, BALANCE)

    assert reply == SYSTEM_DOWN_TEXT, reply
    assert took < CHAT_BUDGET_S + 1.0, took
    tmf.tmf_admin("DELETE", "faults")
    assert BALANCE_TEXT in said(tmf, sender, BALANCE)


def test_a_dropped_connection_is_retried_without_the_customer_noticing(
    tmf: LiveStack, sender: str
) -> None:
    verified(tmf, sender)
    tmf.tmf_admin("DELETE", "stats")
    fault(tmf, calls="reads", drop=True, times=1)

    reply = said(tmf, sender, BALANCE)

    assert BALANCE_TEXT in reply, reply
    assert tmf.tmf_admin("GET", "faults").json()["times"] == 0, "the drop happened"


def test_every_exchange_under_these_faults_conformed_to_the_tmf_specs(live_tmf: LiveStack) -> None:
    assert live_tmf.tmf_admin("GET", "conformance").json()["violations"] == []
