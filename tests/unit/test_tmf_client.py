"""The HTTP layer on httpx.MockTransport: retries, errors, keys, budget, pages (no sleeping)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from billing_adapters.tmf.client import TmfClient, TmfConfig
from domain.errors import (
    ExternalProtocolError,
    ExternalRefused,
    ExternalSystemError,
    ExternalTimeout,
    IdempotencyConflict,
    NotFound,
)
from tests.unit.tmf_fake_bss import FakeTime, answer, error_body

pytestmark = pytest.mark.unit

PATH = "/tmf-api/customerBillManagement/v4/customerBill"
POSTING = "/tmf-api/kestrel/v1/adjustBalance"


class Script:
    """Answers in order (a status, an exception class, or a Response), then 200 {}."""

    def __init__(self, *steps: Any, time: FakeTime | None = None) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.time = time

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step: Any = self.steps.pop(0) if self.steps else 200
        if isinstance(step, type) and issubclass(step, httpx.TransportError):
            if self.time is not None:  # a timeout costs the attempt's whole read timeout
                self.time.now += request.extensions["timeout"]["read"]
            raise step("scripted", request=request)
        if isinstance(step, httpx.Response):
            return step
        return answer(step, {} if step < 300 else error_body(step, "scripted"))

    def timeouts(self) -> list[float]:
        return [r.extensions["timeout"]["read"] for r in self.requests]


def make(
    handler: Callable[[httpx.Request], httpx.Response],
    time: FakeTime | None = None,
    budget: Callable[[], float | None] = lambda: None,
    **config: Any,
) -> TmfClient:
    clock = time or FakeTime()
    return TmfClient(
        TmfConfig(base_url="http://bss.test", **config),
        httpx.Client(transport=httpx.MockTransport(handler)),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        budget=budget,
        jitter=lambda low, high: 1.0,
    )


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def test_a_read_that_fails_once_is_retried_after_the_backoff(time, caplog):
    script = Script(503)
    with caplog.at_level(logging.WARNING):
        assert make(script, time).get(PATH) == {}
    assert len(script.requests) == 2 and time.sleeps == [0.2]
    assert "BSS GET /customerBill answered 503; retrying in 0.2 s (attempt 2 of 3)" in caplog.text


def test_the_backoff_doubles_and_is_jittered_by_a_fifth_either_way(time):
    asked: list[tuple[float, float]] = []
    client = make(Script(502, httpx.ConnectError), time, retries=2)

    def jitter(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    client._jitter = jitter
    client.get(PATH)
    assert time.sleeps == pytest.approx([0.24, 0.48]) and asked == [(0.8, 1.2)] * 2


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        ((503, 500, 502), ExternalSystemError),
        ((503, 429, httpx.ReadTimeout), ExternalTimeout),
        ((httpx.ConnectError,) * 3, ExternalSystemError),
        ((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectTimeout), ExternalTimeout),
    ],
)
def test_a_read_out_of_attempts_says_timeout_only_if_the_last_failure_was_one(time, steps, error):
    script = Script(*steps)
    with pytest.raises(ExternalSystemError) as raised:
        make(script, time).get(PATH)
    assert type(raised.value) is error and len(script.requests) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFound), (400, ExternalRefused), (401, ExternalRefused), (403, ExternalRefused)],
)
def test_a_read_answered_4xx_is_not_retried(time, caplog, status, error):
    script = Script(status)
    with caplog.at_level(logging.ERROR), pytest.raises(error):
        make(script, time).get(PATH)
    assert len(script.requests) == 1
    assert ("configuration problem" in caplog.text) is (error is ExternalRefused)


def test_a_2xx_that_is_not_json_is_a_protocol_error(time):
    with pytest.raises(ExternalProtocolError):
        make(Script(httpx.Response(200, content=b"<html>")), time).get(PATH)


def test_a_posting_is_retried_with_the_same_key_and_body(time):
    script = Script(httpx.ReadTimeout, 503, time=time)
    make(script, time).post(POSTING, {"amount": 5}, "k-1")
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["k-1"] * 3
    assert len({r.content for r in script.requests}) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(409, IdempotencyConflict), (404, NotFound), (400, ExternalRefused), (422, ExternalRefused)],
)
def test_a_posting_answered_4xx_maps_to_the_domain_and_is_not_retried(time, status, error):
    script = Script(status)
    with pytest.raises(error):
        make(script, time).post(POSTING, {}, "k-1")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "steps",
    [(httpx.ConnectError, httpx.ReadTimeout, httpx.ConnectError), (500, 503, 502)],
)
def test_a_posting_that_may_have_reached_the_bss_is_a_timeout(time, steps):
    with pytest.raises(ExternalTimeout, match="may have acted"):
        make(Script(*steps), time).post(POSTING, {}, "k-1")


def test_a_posting_that_never_connected_was_not_sent(time):
    steps = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    with pytest.raises(ExternalRefused, match="not sent"):
        make(Script(*steps), time).post(POSTING, {}, "k-1")


def test_a_posting_answered_2xx_unreadably_is_a_protocol_error(time):
    with pytest.raises(ExternalProtocolError):
        make(Script(httpx.Response(201, content=b"")), time).post(POSTING, {}, "k-1")


def test_retry_after_is_honoured_when_it_fits_the_deadline(time):
    script = Script(answer(429, error_body(429), {"Retry-After": "1.5"}))
    make(script, time).get(PATH)
    assert time.sleeps == [1.5] and len(script.requests) == 2


def test_a_retry_after_beyond_the_deadline_ends_the_call_without_waiting(time):
    script = Script(answer(503, error_body(503), {"Retry-After": "30"}))
    with pytest.raises(ExternalSystemError, match="retry after 30 s") as raised:
        make(script, time).get(PATH)
    assert type(raised.value) is ExternalSystemError
    assert time.sleeps == [] and len(script.requests) == 1


def test_each_attempt_gets_the_configured_timeouts_without_a_budget(time):
    script = Script()
    make(script, time, timeout_s=2.0, connect_timeout_s=1.0).get(PATH)
    timeout = script.requests[0].extensions["timeout"]
    assert (timeout["read"], timeout["connect"]) == (2.0, 1.0)


def test_the_turn_budget_caps_the_timeout_of_an_attempt(time):
    script = Script()
    make(script, time, budget=lambda: 0.4).get(PATH)
    timeout = script.requests[0].extensions["timeout"]
    assert (timeout["read"], timeout["connect"]) == (0.4, 0.4)


def test_the_budget_stops_a_retry_whose_backoff_would_overrun_it(time):
    start = time.now
    script = Script(httpx.ReadTimeout, time=time)
    with pytest.raises(ExternalTimeout, match="no time left"):
        make(script, time, budget=lambda: 0.5 - (time.now - start)).get(PATH)
    assert script.timeouts() == [0.5] and time.sleeps == []


def test_the_call_deadline_caps_the_retries_including_their_backoff(time):
    script = Script(httpx.ReadTimeout, httpx.ReadTimeout, time=time)
    with pytest.raises(ExternalTimeout):
        make(script, time, timeout_s=0.6, deadline_s=1.0).get(PATH)
    assert script.timeouts() == pytest.approx([0.6, 0.2]) and time.sleeps == [0.2]


def test_no_attempt_starts_with_almost_no_time_left(time):
    script = Script()
    with pytest.raises(ExternalTimeout):
        make(script, time, budget=lambda: 0.04).get(PATH)
    with pytest.raises(ExternalRefused, match="not sent"):
        make(script, time, budget=lambda: 0.0).post(POSTING, {}, "k-1")
    assert script.requests == []


def test_the_bearer_token_is_sent_when_configured(time):
    script = Script(200, 200)
    make(script, time, bearer_token="s3cret").get(PATH)
    make(script, time).get(PATH)
    assert script.requests[0].headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in script.requests[1].headers


def test_the_pin_check_is_retried_but_its_pin_is_never_logged_or_quoted(time, caplog):
    echo = answer(400, error_body(400, "pin 4321 is not numeric enough"))
    with caplog.at_level(logging.DEBUG), pytest.raises(ExternalRefused) as raised:
        make(Script(503, echo), time).check("/tmf-api/kestrel/v1/pinVerification", {"pin": "4321"})
    assert "4321" not in caplog.text and "4321" not in str(raised.value)
    assert "POST /pinVerification answered 503" in caplog.text


@pytest.mark.parametrize("base_url", ["ftp://bss.test", ""])
def test_a_bss_address_that_cannot_be_used_is_refused_without_retrying(time, base_url):
    client = TmfClient(TmfConfig(base_url=base_url), sleep=time.sleep, monotonic=time.monotonic)
    with pytest.raises(ExternalRefused, match="not sent"):
        client.get(PATH)  # httpx refuses the URL before any connection
    assert client.circuit.state == "closed" and time.sleeps == []
    client.close()


# Pagination


class Pages:
    """A server over ``items`` that serves at most ``cap`` per page."""

    def __init__(self, items: list[dict[str, Any]], cap: int, total: bool = True) -> None:
        self.items, self.cap, self.total = items, cap, total
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        page = self.items[offset : offset + min(limit, self.cap)]
        return answer(200, page, {"X-Total-Count": str(len(self.items))} if self.total else {})

    def offsets(self) -> list[int]:
        return [int(r.url.params["offset"]) for r in self.requests]


def test_a_list_is_followed_until_x_total_count_is_reached(time):
    items = [{"id": str(n)} for n in range(5)]
    server = Pages(items, cap=1)  # the server serves fewer than we asked
    assert make(server, time, page_size=2).get_list(PATH, {"billingAccount.id": "1"}) == items
    assert server.offsets() == [0, 1, 2, 3, 4]
    assert {r.url.params["limit"] for r in server.requests} == {"2"}
    assert server.requests[0].url.params["billingAccount.id"] == "1"


@pytest.mark.parametrize(("count", "offsets"), [(5, [0, 2, 4]), (4, [0, 2, 4]), (0, [0])])
def test_without_x_total_count_a_list_ends_at_a_short_or_empty_page(time, count, offsets):
    items = [{"id": str(n)} for n in range(count)]
    server = Pages(items, cap=10, total=False)
    assert make(server, time, page_size=2).get_list(PATH, {}) == items
    assert server.offsets() == offsets


def test_a_server_that_repeats_its_page_is_a_protocol_error(time):
    same = answer(200, [{"id": "1"}, {"id": "2"}])
    with pytest.raises(ExternalProtocolError, match="repeats"):
        make(lambda r: same, time, page_size=2).get_list(PATH, {})


def test_a_list_that_ends_before_its_promised_total_is_a_protocol_error(time):
    total = {"X-Total-Count": "3"}
    script = Script(answer(200, [{"id": "1"}], total), answer(200, [], total))
    with pytest.raises(ExternalProtocolError, match="1 of 3"):
        make(script, time, page_size=1).get_list(PATH, {})


@pytest.mark.parametrize(
    "reply",
    [answer(200, {"id": "1"}), answer(200, [1, 2]), answer(200, [], {"X-Total-Count": "many"})],
)
def test_a_list_answered_in_the_wrong_shape_is_a_protocol_error(time, reply):
    with pytest.raises(ExternalProtocolError):
        make(lambda r: reply, time).get_list(PATH, {})
