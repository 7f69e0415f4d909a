"""One contract for every BillingSystem / OrderSystem / NetworkStatus adapter, on the demo seed:
in memory, the SQL reference BSS (on SQLite and on PostgreSQL), and the TMF adapter over HTTP
against the TMF reference BSS (where every request sent and every answer received must also
conform to the TM Forum specs)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from billing_adapters.demo_operator import demo_operator
from billing_adapters.memory import InMemoryBss
from billing_adapters.sql import SqlBss
from billing_adapters.tmf.adapter import TmfBss, TmfConfig
from billing_adapters.tmf.conformance import Conformance, Exchange
from billing_adapters.tmf.transport import nodelay_transport
from domain.errors import IdempotencyConflict, NotFound
from domain.model import IncidentKind, LineCategory, OrderStatus
from tests.integration.tmf_reference_server import TOKEN, ReferenceServer, reference_fixture

pytestmark = pytest.mark.integration

T = datetime(2026, 11, 22, 20, 54, 34, tzinfo=timezone.utc)  # conftest.SEED_TIME

BALANCES = {
    "100001": 11240, "100002": 8130, "100003": 6840, "100004": 25410,
    "100005": 10810, "100006": 6840, "100007": 7340, "100008": 7410,
}  # fmt: skip
CURRENT_TOTALS = {
    "100001": 11240, "100002": 8130, "100003": 6840, "100004": 25410,
    "100005": 5580, "100006": 6840, "100007": 7340, "100008": 7410,
}  # fmt: skip
PREVIOUS_TOTALS = {
    "100001": 7015, "100002": 6540, "100003": 6840, "100004": 7410,
    "100005": 5230, "100006": 6840, "100007": 6840, "100008": 7410,
}  # fmt: skip


__all__ = ["reference_fixture"]  # the module's TMF reference BSS (a fixture named "reference")


def recording_client(exchanges: list[Exchange]) -> httpx.Client:
    """An HTTP client that keeps every exchange exactly as it went over the wire."""

    def keep(response: httpx.Response) -> None:
        response.read()
        request = response.request
        exchanges.append(
            Exchange(
                method=request.method,
                url=str(request.url),
                request_headers=dict(request.headers),
                request_body=request.content,
                status=response.status_code,
                response_headers=dict(response.headers),
                response_body=response.content,
            )
        )

    return httpx.Client(
        transport=nodelay_transport(10, verify=False), event_hooks={"response": [keep]}
    )


@pytest.fixture
def tmf_bss(reference: ReferenceServer) -> Iterator[TmfBss]:
    """TmfBss over HTTP; afterwards, every exchange of the test is checked against the specs."""
    reference.clean_slate(T)
    exchanges: list[Exchange] = []
    with (
        recording_client(exchanges) as client,
        TmfBss(TmfConfig(base_url=reference.origin, bearer_token=TOKEN), client=client) as bss,
    ):
        yield bss
    conformance = Conformance.load()
    assert exchanges, "the adapter sent nothing"
    assert [v for e in exchanges for v in conformance.check(e)] == []
    assert reference.conformance()["violations"] == []


@pytest.fixture(params=["memory", "sql", "sql-postgresql", "tmf"])
def bss(request: pytest.FixtureRequest):
    if request.param == "memory":
        return InMemoryBss.from_demo(demo_operator(T))
    if request.param == "tmf":
        return request.getfixturevalue("tmf_bss")
    if request.param == "sql-postgresql":
        return SqlBss(request.getfixturevalue("pg_seeded_engine"))
    return SqlBss(request.getfixturevalue("seeded_engine"))


def test_an_account_is_found_by_number_or_by_phone(bss):
    assert bss.find_account_id(account_id="100001") == "100001"
    assert bss.find_account_id(phone="+15550100003") == "100003"
    assert bss.find_account_id(phone="+1 555-010-0003") == "100003"
    assert bss.find_account_id(account_id="100003", phone="+15550100003") == "100003"


def test_unknown_or_mismatched_identifiers_find_nothing(bss):
    assert bss.find_account_id(account_id="999999") is None
    assert bss.find_account_id(phone="+15559999999") is None
    assert bss.find_account_id(account_id="100001", phone="+15550100003") is None
    assert bss.find_account_id() is None


def test_unknown_account_raises_not_found(bss):
    with pytest.raises(NotFound):
        bss.get_account("999999")
    with pytest.raises(NotFound):
        bss.get_bills("999999")
    with pytest.raises(NotFound):
        bss.get_balance_cents("999999")


def test_the_right_pin_verifies_and_a_wrong_one_does_not(bss):
    assert bss.verify_pin("100001", "4321")
    assert not bss.verify_pin("100001", "1234")
    assert not bss.verify_pin("999999", "4321")
    assert not bss.verify_pin("", "4321")  # no account found: checked against nothing


def test_accounts_carry_plan_zip_and_status(bss):
    grace = bss.get_account("100007")
    assert (grace.name, grace.phone, grace.plan, grace.plan_price_cents, grace.zip_code) == (
        "Grace Liu", "+15550100007", "Unlimited", 6000, "02108",
    )  # fmt: skip
    assert grace.status.value == "flagged"
    assert bss.get_account("100005").status.value == "past_due"
    assert bss.get_account("100001").status.value == "good_standing"


@pytest.mark.parametrize("account_id", sorted(BALANCES))
def test_bills_come_newest_first_with_the_seeded_totals(bss, account_id):
    current, previous = bss.get_bills(account_id)
    assert current.bill_id == f"B-{account_id}-2" and previous.bill_id == f"B-{account_id}-1"
    assert current.total_cents == CURRENT_TOTALS[account_id]
    assert previous.total_cents == PREVIOUS_TOTALS[account_id]
    assert current.due_date == (T + timedelta(days=11)).date()
    assert previous.due_date == (T - timedelta(days=19)).date()
    assert (current.period_start, current.period_end) == (T - timedelta(40), T - timedelta(10))
    assert current.paid_at is None


@pytest.mark.parametrize("account_id", sorted(BALANCES))
def test_balances_are_as_the_demo_operator_says(bss, account_id):
    assert bss.get_balance_cents(account_id) == BALANCES[account_id]


def test_line_items_keep_categories_and_units(bss):
    ana = bss.get_bills("100001")[0]
    (roaming,) = ana.lines_in(LineCategory.ROAMING)
    assert (roaming.quantity, roaming.unit_cents, roaming.unit_label) == (4, 800, "day")
    assert [line.amount_cents for line in ana.lines_in(LineCategory.LATE_FEE)] == [500]
    ben = bss.get_bills("100002")[0]
    assert [line.amount_cents for line in ben.lines_in(LineCategory.ADDON)] == [1500, 1500]
    david = bss.get_bills("100004")[0]
    assert "TrivaFun" in david.lines_in(LineCategory.THIRD_PARTY)[0].description


def test_previous_bills_show_when_they_were_paid(bss):
    assert bss.get_bills("100001")[1].paid_at == T - timedelta(days=13)
    assert bss.get_bills("100007")[1].paid_at == T - timedelta(days=16)
    assert bss.get_bills("100005")[1].paid_at is None


def test_a_repeated_credit_with_the_same_key_posts_once(bss):
    first = bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    again = bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    assert again == first and first.bss_reference.startswith("CR-")
    assert bss.get_balance_cents("100001") == 11240 - 500


def test_a_reused_key_with_a_different_request_is_a_conflict(bss):
    bss.post_credit("100001", "B-100001-2", 500, "late fee waiver", "k-1")
    with pytest.raises(IdempotencyConflict):
        bss.post_credit("100001", "B-100001-2", 600, "late fee waiver", "k-1")
    with pytest.raises(IdempotencyConflict):
        bss.post_credit("100002", "B-100002-2", 500, "late fee waiver", "k-1")
    assert bss.get_balance_cents("100001") == 11240 - 500


def test_a_credit_on_someone_elses_bill_is_not_found(bss):
    with pytest.raises(NotFound):
        bss.post_credit("100001", "B-100002-2", 500, "memo", "k-2")


def test_a_due_date_extension_moves_the_current_bill_once(bss):
    new_due = (T + timedelta(days=25)).date()
    bss.extend_due_date("100005", "B-100005-2", new_due, "ext-1")
    bss.extend_due_date("100005", "B-100005-2", new_due, "ext-1")
    current, previous = bss.get_bills("100005")
    assert current.due_date == new_due
    assert previous.due_date == (T - timedelta(days=19)).date()
    with pytest.raises(IdempotencyConflict):
        bss.extend_due_date("100005", "B-100005-2", new_due + timedelta(days=1), "ext-1")
    assert bss.get_balance_cents("100005") == 10810


def test_farid_has_a_shipped_phone_and_a_backordered_sim(bss):
    shipped, backordered = bss.list_orders("100006")
    assert (shipped.order_id, shipped.status, shipped.carrier, shipped.tracking_number) == (
        "ORD-5001", OrderStatus.SHIPPED, "UPS", "1Z999AA10123456784",
    )  # fmt: skip
    assert shipped.shipped_at == T - timedelta(days=2)
    assert shipped.expected_at == T + timedelta(days=2)
    assert (backordered.order_id, backordered.status) == ("ORD-5002", OrderStatus.BACKORDERED)
    assert backordered.expected_at == T + timedelta(days=9)
    assert bss.list_orders("100001") == []


def test_the_full_outage_covers_60614_for_four_days(bss):
    (outage,) = bss.incidents_for_zip("60614", T - timedelta(40), T - timedelta(10))
    assert outage.incident_id == "INC-7781" and outage.kind is IncidentKind.FULL_OUTAGE
    midnight = (T - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert (outage.starts_at, outage.ends_at) == (midnight, midnight + timedelta(days=4))
    assert outage.zip_codes == ("60614",)


def test_94110_had_three_hours_of_degraded_data(bss):
    (degraded,) = bss.incidents_for_zip("94110", T - timedelta(40), T - timedelta(10))
    assert degraded.incident_id == "INC-7790" and degraded.kind is IncidentKind.DEGRADED
    assert degraded.ends_at - degraded.starts_at == timedelta(hours=3)


def test_incidents_outside_the_window_or_zip_are_not_returned(bss):
    assert bss.incidents_for_zip("60614", T - timedelta(10), T) == []
    assert bss.incidents_for_zip("10001", T - timedelta(70), T) == []
