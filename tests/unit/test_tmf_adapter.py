"""TmfBss against an in-process TMF BSS: the ports' semantics (as SqlBss), and the breaker."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timedelta

import httpx
import pytest

from billing_adapters.tmf.adapter import TmfBss, TmfConfig
from domain.errors import (
    ExternalProtocolError,
    ExternalRefused,
    ExternalSystemError,
    ExternalTimeout,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
)
from domain.model import IncidentKind, LineCategory, OrderStatus
from tests.unit import tmf_examples as ex
from tests.unit.tmf_fake_bss import ORIGIN, FakeBss, FakeTime, ana_account

pytestmark = pytest.mark.unit

T = ex.SEEDED_AT


class FixedClock:
    def now(self) -> datetime:
        return T


@pytest.fixture
def fake() -> FakeBss:
    return FakeBss()


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def bss(fake: FakeBss, time: FakeTime) -> TmfBss:
    config = TmfConfig(base_url=ORIGIN, page_size=2, circuit_failures=3, circuit_open_s=30.0)
    return TmfBss(config, fake.client(), FixedClock(), sleep=time.sleep, monotonic=time.monotonic)


def test_an_account_is_found_by_number_by_phone_or_by_both(bss):
    assert bss.find_account_id(account_id="100001") == "100001"
    assert bss.find_account_id(phone="+1 555-010-0001") == "100001"
    assert bss.find_account_id(account_id="100004", phone="+15550100004") == "100004"


def test_unknown_or_mismatched_identifiers_find_nothing(bss, fake):
    assert bss.find_account_id(account_id="999999") is None
    assert bss.find_account_id(phone="+15559999999") is None
    assert bss.find_account_id(account_id="100001", phone="+15550100004") is None
    calls = len(fake.requests)
    assert bss.find_account_id() is None and bss.find_account_id(account_id="") is None
    assert len(fake.requests) == calls


def test_an_account_number_is_escaped_into_the_path(bss, fake):
    assert bss.find_account_id(account_id="../100001") is None
    assert fake.requests[-1].url.raw_path.endswith(b"/billingAccount/..%2F100001")


def test_a_phone_shared_by_two_accounts_finds_nobody(fake, bss):
    twin = ana_account()
    twin["id"] = "100009"
    fake.accounts["100009"] = twin
    assert bss.find_account_id(phone="+15550100001") is None


def test_the_pin_is_checked_by_the_bss_and_never_logged(bss, fake, caplog):
    with caplog.at_level(logging.DEBUG):
        assert bss.verify_pin("100001", "4321")
        assert not bss.verify_pin("100001", "1234")
        assert not bss.verify_pin("999999", "4321")
    assert "4321" not in caplog.text and "1234" not in caplog.text
    assert json.loads(fake.requests[0].content)["pin"] == "4321"


def test_an_account_is_read_and_an_unknown_one_is_not_found(bss):
    david = bss.get_account("100004")
    assert (david.name, david.plan_price_cents, david.zip_code) == ("David Kim", 6500, "98101")
    with pytest.raises(NotFound):
        bss.get_account("999999")
    with pytest.raises(NotFound):
        bss.get_balance_cents("999999")


def test_bills_come_newest_first_from_two_paged_lists(bss, fake):
    current, previous = bss.get_bills("100001")
    assert (current.bill_id, previous.bill_id) == ("B-100001-2", "B-100001-1")
    assert (current.total_cents, previous.total_cents) == (11240, 7015)
    assert [ln.line_id for ln in previous.lines] == ["B-100001-1-L1", "B-100001-1-L2"]
    assert current.lines_in(LineCategory.ROAMING)[0].unit_cents == 800
    assert (
        fake.paths()
        == ["GET customerBill", "GET appliedCustomerBillingRate"]
        + ["GET appliedCustomerBillingRate"] * 2
    )  # 6 lines in pages of 2, X-Total-Count says when to stop


def test_an_account_without_bills_or_orders_is_checked_to_exist(bss, fake):
    assert bss.get_bills("100004") == [] and bss.list_orders("100001") == []
    for lister in (bss.get_bills, bss.list_orders):
        with pytest.raises(NotFound):
            lister("999999")
    assert fake.paths()[:2] == ["GET customerBill", "GET billingAccount/100004"]


def test_the_balance_is_the_outstanding_amount(bss):
    assert bss.get_balance_cents("100004") == 25410
    assert bss.get_balance_cents("100001") == 11240


def test_a_credit_is_posted_once_per_key_and_answers_the_same_receipt(bss, fake):
    first = bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    again = bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    assert first == again and first.bss_reference.startswith("CR-")
    assert (first.amount_cents, first.idempotency_key, len(fake.credits)) == (500, "k-1", 1)
    sent = json.loads(fake.requests[0].content)
    assert sent["amount"] == {"value": 5.0, "unit": "USD"} and sent["requestedDate"] == ex.NOW
    assert fake.requests[0].headers["Idempotency-Key"] == "k-1"


def test_a_reused_key_a_foreign_bill_and_a_non_positive_amount_are_refused(bss, fake):
    bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")
    with pytest.raises(IdempotencyConflict):
        bss.post_credit("100001", "B-100001-2", 600, "memo", "k-1")
    with pytest.raises(NotFound):
        bss.post_credit("100001", "B-100002-2", 500, "memo", "k-2")
    calls = len(fake.requests)
    for cents in (0, -5):
        with pytest.raises(InvalidInput):
            bss.post_credit("100001", "B-100001-2", cents, "memo", "k-3")
    assert len(fake.requests) == calls  # checked before sending


def test_a_long_memo_is_cut_to_500_characters(bss, fake):
    bss.post_credit("100001", "B-100001-2", 500, "x" * 900, "k-1")
    assert len(json.loads(fake.requests[0].content)["description"]) == 500


def test_a_credit_whose_answer_was_lost_is_confirmed_by_the_retry(bss, fake, time):
    fake.steps = ["apply-then-timeout"]
    receipt = bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")
    assert (
        len(fake.credits) == 1
        and len(fake.requests) == 2
        and time.sleeps == [pytest.approx(0.2, rel=0.2)]
    )
    assert receipt.bss_reference == fake.credits["k-1"][1]["id"]


def test_a_credit_answered_with_another_amount_is_a_protocol_error(bss, fake):
    bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")
    fake.credits["k-1"][1]["amount"] = {"value": 50, "unit": "USD"}
    with pytest.raises(ExternalProtocolError, match="credited 5000, we sent 500"):
        bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")


def test_a_due_date_extension_moves_the_bill(bss, fake):
    bss.extend_due_date("100001", "B-100001-2", date(2026, 12, 17), "ext-1")
    assert json.loads(fake.requests[0].content)["newPaymentDueDate"] == "2026-12-17T00:00:00Z"
    assert bss.get_bills("100001")[0].due_date == date(2026, 12, 17)
    with pytest.raises(ExternalRefused, match="refused"):
        bss.extend_due_date("100001", "B-100001-2", date(2026, 12, 1), "ext-2")
    with pytest.raises(NotFound):
        bss.extend_due_date("100001", "B-100004-2", date(2026, 12, 30), "ext-3")


def test_farid_has_a_shipped_phone_and_a_backordered_sim(bss):
    shipped, backordered = bss.list_orders("100006")
    assert (shipped.status, shipped.tracking_number) == (OrderStatus.SHIPPED, "1Z999AA10123456784")
    assert (backordered.order_id, backordered.status) == ("ORD-5002", OrderStatus.BACKORDERED)


def test_incidents_are_asked_for_a_zip_and_window_and_checked_again(bss, fake):
    (outage,) = bss.incidents_for_zip("60614", T - timedelta(40), T - timedelta(10))
    assert outage.kind is IncidentKind.FULL_OUTAGE and outage.zip_codes == ("60614",)
    params = fake.requests[0].url.params
    assert (params["postCode"], params["startDateTime"]) == ("60614", "2026-10-13T20:54:34Z")
    assert bss.incidents_for_zip("60614", T - timedelta(10), T) == []


def test_a_bss_that_ignores_the_filters_never_shows_what_is_not_asked_for(bss, fake):
    fake.ignore_filters = True
    assert bss.incidents_for_zip("60614", T - timedelta(10), T) == []
    assert bss.incidents_for_zip("94110", T - timedelta(40), T) == []
    assert bss.find_account_id(phone="+15550100004") == "100004"
    with pytest.raises(ExternalProtocolError, match="another account"):
        bss.get_bills("100004")


# The circuit breaker


def test_the_circuit_opens_after_n_failed_attempts_and_then_fails_fast(bss, fake, caplog):
    fake.steps = [503, 503, 503]
    with caplog.at_level(logging.WARNING), pytest.raises(ExternalSystemError):
        bss.get_account("100004")
    assert bss.circuit.state == "open" and "BSS circuit opened" in caplog.text
    calls = len(fake.requests)
    with pytest.raises(ExternalSystemError, match=r"circuit open, retry in 30 s") as read:
        bss.get_account("100004")
    assert type(read.value) is ExternalSystemError
    with pytest.raises(ExternalRefused, match="not sent: circuit open"):
        bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")
    assert len(fake.requests) == calls  # nothing was sent


def test_after_the_open_period_one_trial_call_closes_the_circuit(bss, fake, time, caplog):
    fake.steps = [503] * 3
    with pytest.raises(ExternalSystemError):
        bss.get_balance_cents("100004")
    time.now += 30.01  # past the open period (with float rounding)
    assert bss.circuit.state == "half_open"
    with caplog.at_level(logging.INFO):
        assert bss.get_balance_cents("100004") == 25410
    assert bss.circuit.state == "closed" and "BSS circuit closed" in caplog.text


def test_a_failed_trial_reopens_the_circuit_for_another_period(bss, fake, time):
    fake.steps = [httpx.ConnectError("down")] * 4
    with pytest.raises(ExternalSystemError):
        bss.get_account("100004")
    time.now += 30.01  # past the open period (with float rounding)
    with pytest.raises(ExternalSystemError, match="could not connect"):
        bss.get_account("100004")  # the trial, not retried: its failure opened the circuit
    assert bss.circuit.state == "open" and len(fake.requests) == 4


def test_a_call_does_not_retry_into_the_circuit_its_own_failure_opened(fake, time):
    config = TmfConfig(base_url=ORIGIN, circuit_failures=2)
    bss = TmfBss(config, fake.client(), sleep=time.sleep, monotonic=time.monotonic)
    fake.steps = [503] * 3
    with pytest.raises(ExternalSystemError, match="circuit opened"):
        bss.get_account("100004")
    assert len(fake.requests) == 2 and len(time.sleeps) == 1


def test_answers_of_the_bss_even_4xx_keep_the_circuit_closed(bss, fake):
    fake.steps = [503, 503]
    for _ in range(3):
        with pytest.raises(NotFound):
            bss.get_account("999999")
    assert bss.circuit.state == "closed" and bss.circuit.consecutive_failures == 0


def test_a_timed_out_posting_stopped_by_the_circuit_may_still_have_acted(bss, fake):
    fake.steps = ["apply-then-timeout", 503, 503]
    with pytest.raises(ExternalTimeout, match="may have acted"):
        bss.post_credit("100001", "B-100001-2", 500, "memo", "k-1")
    assert bss.circuit.state == "open" and len(fake.credits) == 1


def test_one_tmf_bss_serves_several_threads_at_once(bss):
    results: list[int] = []

    def read() -> None:
        results.append(bss.get_balance_cents("100004"))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [25410] * 8


def test_tmf_bss_closes_its_own_pool_but_not_a_client_it_was_given(fake):
    given = fake.client()
    with TmfBss(TmfConfig(base_url=ORIGIN), given) as bss:
        assert bss.get_balance_cents("100004") == 25410
    assert not given.is_closed
    with TmfBss(TmfConfig(base_url=ORIGIN)) as own:
        pool = own._http._http
    assert pool.is_closed
