"""Resilient JSON over HTTP to a TMF BSS: timeouts, retries, a circuit breaker, the turn budget,
pagination, and the translation of every failure into the domain's error tree.

Reads (every GET, and the PIN check) and postings (credits, due-date extensions) retry the same
failures, but give up differently: a read that ran out of attempts simply failed, while a
posting that may have reached the BSS may have acted, so it ends as ExternalTimeout (the caller
leaves it for the reconciler, which repeats it under the same Idempotency-Key), and one that
certainly never left (connect failure, open circuit) as ExternalRefused ("not sent").
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from billing_adapters.tmf.circuit import CircuitBreaker, Failure, failure_of, failure_of_answer
from billing_adapters.tmf.transport import nodelay_transport
from billing_adapters.tmf.vocabulary import IDEMPOTENCY_HEADER
from domain.errors import (
    ExternalProtocolError,
    ExternalRefused,
    ExternalSystemError,
    ExternalTimeout,
    IdempotencyConflict,
    NotFound,
)
from domain.turn_budget import remaining_s

log = logging.getLogger(__name__)

MIN_ATTEMPT_S = 0.05  # no attempt starts with less time than this left
MAX_LIST_ITEMS = 10_000  # a list longer than this is a server repeating itself
_RANDOM = random.Random()  # the retry jitter


@dataclass(frozen=True)
class TmfConfig:
    base_url: str  # the BSS origin (and path prefix, if any) before /tmf-api/...
    bearer_token: str = ""
    currency: str = "USD"  # the operator's currency: every Money must be in it
    timeout_s: float = 2.0  # read timeout of one attempt
    connect_timeout_s: float = 1.0
    retries: int = 2  # extra attempts after the first
    backoff_s: float = 0.2  # before the first retry; then x2, each +-20 % jitter
    page_size: int = 100
    circuit_failures: int = 5  # consecutive failed attempts that open the circuit
    circuit_open_s: float = 30.0
    deadline_s: float = 5.0  # one request, its retries included


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    params: dict[str, str | int] = field(default_factory=dict)
    body: bytes | None = None
    posting: bool = False  # adjustBalance / paymentExtension: may have acted
    key: str | None = None  # Idempotency-Key of a posting
    sensitive: bool = False  # pinVerification: no body or server message in logs and errors

    @property
    def label(self) -> str:
        """``GET /customerBill``: the path after the API's base, without the query (PII)."""
        return f"{self.method} /{self.path.split('/', 4)[-1]}"


class TmfClient:
    """Thread-safe: httpx.Client pools connections across threads; the breaker has a lock."""

    def __init__(
        self,
        config: TmfConfig,
        client: httpx.Client | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        budget: Callable[[], float | None] = remaining_s,
        jitter: Callable[[float, float], float] = _RANDOM.uniform,
    ) -> None:
        self.config = config
        self._owned = client is None
        self._http = client or httpx.Client(
            transport=nodelay_transport(),  # keep-alive pool, no Nagle delay on POST bodies
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
        )
        self._sleep, self._monotonic, self._budget, self._jitter = sleep, monotonic, budget, jitter
        self.circuit = CircuitBreaker(config.circuit_failures, config.circuit_open_s, monotonic)

    def close(self) -> None:
        if self._owned:
            self._http.close()

    # What the adapter calls

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        return self._call(_Request("GET", path, dict(params or {})))[1]

    def check(self, path: str, body: dict[str, Any]) -> Any:
        """A POST that only reads (pinVerification): retried like a GET, never logged."""
        return self._call(_Request("POST", path, body=_dump(body), sensitive=True))[1]

    def post(self, path: str, body: dict[str, Any], key: str) -> Any:
        """A posting, sent (and re-sent) with the same body and Idempotency-Key."""
        return self._call(_Request("POST", path, body=_dump(body), posting=True, key=key))[1]

    def get_list(self, path: str, params: dict[str, str | int]) -> list[dict[str, Any]]:
        """Every item of a TMF list, page by page (offset/limit, X-Total-Count)."""
        items: list[dict[str, Any]] = []
        pages: set[bytes] = set()
        limit = self.config.page_size
        while True:
            request = _Request("GET", path, {**params, "offset": len(items), "limit": limit})
            response, page = self._call(request)
            total = _count(response, "X-Total-Count", request.label)
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise ExternalProtocolError(f"BSS {request.label}: expected an array of objects")
            seen = hashlib.sha256(json.dumps(page, sort_keys=True, default=str).encode()).digest()
            if (page and seen in pages) or len(items) + len(page) > MAX_LIST_ITEMS:
                raise ExternalProtocolError(f"BSS {request.label}: the server repeats its pages")
            pages.add(seen)
            items.extend(page)
            if (total is None and len(page) < limit) or (total is not None and len(items) >= total):
                return items
            if not page:  # fewer items than X-Total-Count promised
                raise ExternalProtocolError(
                    f"BSS {request.label}: ended at {len(items)} of {total}"
                )

    # One request, its retries included

    def _call(self, request: _Request) -> tuple[httpx.Response, Any]:
        response = self._exchange(request)
        return response, self._answer(request, response)

    def _exchange(self, request: _Request) -> httpx.Response:
        """The first answer that is not worth retrying; else the right domain error."""
        deadline = self._monotonic() + self.config.deadline_s
        attempts = self.config.retries + 1
        last: Failure | None = None
        reached = False
        for attempt in range(1, attempts + 1):
            if self._left(deadline) < MIN_ATTEMPT_S:
                raise self._give_up(request, last, reached, attempt - 1, "no time left")
            wait = self.circuit.allow()
            if wait is not None:
                stop = f"circuit open, retry in {math.ceil(wait)} s"
                raise self._give_up(request, last, reached, attempt - 1, stop)
            outcome = self._attempt(request, attempt, deadline)
            if isinstance(outcome, httpx.Response):
                return outcome
            last, reached = outcome, reached or outcome.reached
            if self.circuit.state == "open":  # this failure opened it: no retry into it
                raise self._give_up(request, last, reached, attempt, "circuit opened")
            if attempt == attempts:
                break
            delay = self.config.backoff_s * 2 ** (attempt - 1) * self._jitter(0.8, 1.2)
            if last.retry_after is not None:
                if last.retry_after + MIN_ATTEMPT_S > self._left(deadline):
                    stop = f"asked to retry after {last.retry_after:g} s, past the deadline"
                    raise self._give_up(request, last, reached, attempt, stop)
                delay = max(delay, last.retry_after)
            if delay + MIN_ATTEMPT_S > self._left(deadline):
                raise self._give_up(request, last, reached, attempt, "no time left")
            log.warning(
                "BSS %s %s; retrying in %.2g s (attempt %d of %d)",
                request.label, last.what, delay, attempt + 1, attempts,
            )  # fmt: skip
            self._sleep(delay)
        raise self._give_up(request, last, reached, attempts, None)

    def _attempt(
        self, request: _Request, attempt: int, deadline: float
    ) -> httpx.Response | Failure:
        cap = min(self.config.timeout_s, self._left(deadline))
        started = self._monotonic()
        try:
            response = self._http.request(
                request.method,
                self.config.base_url.rstrip("/") + request.path,
                params=request.params or None,
                content=request.body,
                headers=self._headers(request),
                timeout=httpx.Timeout(cap, connect=min(self.config.connect_timeout_s, cap)),
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            self.circuit.release()
            log.error("BSS %s cannot be sent (%s): check TMF_BASE_URL", request.label, error)
            raise ExternalRefused(f"not sent: the BSS address is invalid ({error})") from error
        except httpx.TransportError as error:
            failure = failure_of(error)
        except (httpx.HTTPError, httpx.StreamError) as error:  # it answered, unreadably
            self.circuit.success()
            raise ExternalProtocolError(f"BSS {request.label}: {type(error).__name__}") from error
        else:
            answered = failure_of_answer(response)
            if answered is None:
                self._log_attempt(request, f"answered {response.status_code}", started, attempt)
                self.circuit.success()  # it answered: the BSS is up, whatever it thought of us
                return response
            failure = answered
        self._log_attempt(request, failure.what, started, attempt)
        self.circuit.failure()
        return failure

    def _log_attempt(self, request: _Request, what: str, started: float, attempt: int) -> None:
        ms = (self._monotonic() - started) * 1000
        total = self.config.retries + 1
        log.debug(
            "BSS %s %s in %.0f ms (attempt %d of %d)", request.label, what, ms, attempt, total
        )

    def _left(self, deadline: float) -> float:
        budget = self._budget()
        left = deadline - self._monotonic()
        return left if budget is None else min(left, budget)

    def _headers(self, request: _Request) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.config.bearer_token:
            headers["Authorization"] = f"Bearer {self.config.bearer_token}"
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        if request.key is not None:
            headers[IDEMPOTENCY_HEADER] = request.key
        return headers

    def _give_up(
        self, request: _Request, last: Failure | None, reached: bool, tried: int, stop: str | None
    ) -> ExternalSystemError:
        why = last.what if last is not None else ""
        if stop is not None:
            why = f"{why}; {stop}" if why else stop
        log.warning("BSS %s failed after %d attempt(s) (%s); giving up", request.label, tried, why)
        if request.posting:
            if reached:
                return ExternalTimeout(
                    f"BSS {request.label} unconfirmed ({why}): it may have acted; "
                    "repeat with the same idempotency key"
                )
            return ExternalRefused(f"not sent: {why}")
        if last is None and stop is not None and stop.startswith("circuit"):
            return ExternalSystemError(f"billing system unavailable ({stop})")
        if stop == "no time left" or (last is not None and last.timeout):
            return ExternalTimeout(f"BSS {request.label}: {why}")
        return ExternalSystemError(f"BSS {request.label}: {why}")

    def _answer(self, request: _Request, response: httpx.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return json.loads(response.content, parse_float=Decimal)
            except (ValueError, RecursionError) as error:
                raise ExternalProtocolError(f"BSS {request.label}: body is not JSON") from error
        said = f"{request.label} answered {status}{_detail(request, response)}"
        if status == 404:
            raise NotFound(f"BSS {said}")
        if request.posting and status == 409:
            raise IdempotencyConflict(f"BSS {said}: the key was used for another request")
        if request.posting and status in (400, 422):
            log.warning("BSS refused %s", said)
            raise ExternalRefused(f"the BSS refused it: {said}")
        log.error("BSS %s: a configuration problem (address, token, API version?)", said)
        raise ExternalRefused(f"BSS {said}")


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _detail(request: _Request, response: httpx.Response) -> str:
    """The TMF Error's reason/message, short; never for the PIN check (it could echo the PIN)."""
    if request.sensitive:
        return ""
    try:
        error = json.loads(response.content)
        text = str(error.get("message") or error.get("reason") or "")
    except (ValueError, AttributeError, RecursionError):
        return ""
    return f" ({text[:200]})" if text else ""


def _count(response: httpx.Response, header: str, label: str) -> int | None:
    value = response.headers.get(header)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ExternalProtocolError(f"BSS {label}: {header} {value!r} is not a count")
    return int(value)
