"""A circuit breaker for the BSS: stop calling a system that keeps failing, then try it again;
and what counts as a failed attempt (a timeout, a transport error, a 5xx or a 429).

When the BSS is down, every call would otherwise spend its whole turn budget on timeouts and
retries, and every worker thread of the action server would sit waiting on it. After
``failures`` failed attempts in a row the circuit opens: calls fail at once for ``open_s``
seconds. Then one trial call is let through (half-open); its success closes the circuit, its
failure opens it again. An attempt the BSS answered (2xx, 3xx, 4xx) is a success: the system
is up, whatever it thought of the request.

One breaker is shared by all the threads using one TmfBss; a lock guards its state. The clock is
injected so tests can move time without sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class Failure:
    """A failed attempt: what the breaker counts, and what the client's retry decides on."""

    what: str  # "answered 503", "timed out (ReadTimeout)": operator words
    timeout: bool
    reached: bool  # the request may have reached the BSS (a posting may have acted)
    retry_after: float | None = None  # seconds the BSS asked us to wait (Retry-After)


def failure_of(error: httpx.TransportError) -> Failure:
    """Every transport error is a failure; connect failures and pool waits never left."""
    name = type(error).__name__
    if isinstance(error, httpx.ConnectError):
        return Failure(f"could not connect ({name})", False, False)
    if isinstance(error, httpx.TimeoutException):
        sent = not isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout))
        return Failure(f"timed out ({name})", True, sent)
    return Failure(f"failed in transport ({name})", False, True)


def failure_of_answer(response: httpx.Response) -> Failure | None:
    """A 5xx or 429 is a failure (worth retrying); any other answer is a success."""
    if response.status_code < 500 and response.status_code != 429:
        return None
    try:  # delta-seconds; an HTTP date would need the BSS's clock to agree with ours
        retry_after: float | None = max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        retry_after = None
    return Failure(f"answered {response.status_code}", False, True, retry_after)


class CircuitBreaker:
    """Counts consecutive failed attempts; decides whether the next attempt may go out."""

    def __init__(
        self,
        failures: int,
        open_s: float,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "BSS",
    ) -> None:
        self._threshold = max(1, failures)
        self._open_s = open_s
        self._monotonic = monotonic
        self._name = name
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None  # None: closed
        self._trial_since: float | None = None  # a half-open trial attempt is out

    @property
    def state(self) -> State:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._trial_since is not None or self._open_for() >= self._open_s:
                return "half_open"
            return "open"

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def allow(self) -> float | None:
        """None: the attempt may go out (and, half-open, it is the trial); else the seconds
        until a trial will be let through."""
        with self._lock:
            if self._opened_at is None:
                return None
            now = self._monotonic()
            # A trial that never reported (its thread died) does not hold the circuit forever.
            trial_out = self._trial_since is not None and now - self._trial_since < self._open_s
            wait = self._open_s - (now - self._opened_at)
            if trial_out or wait > 0:
                return max(wait, 0.0)
            self._trial_since = now
            log.info("%s circuit half-open: letting one trial call through", self._name)
            return None

    def success(self) -> None:
        """The BSS answered: it is up."""
        with self._lock:
            if self._opened_at is not None:
                log.info("%s circuit closed: the BSS answered again", self._name)
            self._failures = 0
            self._opened_at = None
            self._trial_since = None

    def failure(self) -> None:
        """An attempt timed out, failed in transport, or got a 5xx or 429."""
        with self._lock:
            self._failures += 1
            if self._trial_since is not None:
                self._open(f"the trial call failed; calls fail at once for {self._open_s:g} s")
            elif self._opened_at is None and self._failures >= self._threshold:
                self._open(
                    f"{self._failures} failed attempts in a row; calls fail at once for "
                    f"{self._open_s:g} s"
                )
            # Already open: a late failure of an attempt sent before it opened changes nothing.

    def release(self) -> None:
        """The attempt ended without a verdict on the BSS (our own configuration error)."""
        with self._lock:
            self._trial_since = None

    def _open(self, why: str) -> None:
        self._opened_at = self._monotonic()
        self._trial_since = None
        log.warning("%s circuit opened: %s", self._name, why)

    def _open_for(self) -> float:
        return 0.0 if self._opened_at is None else self._monotonic() - self._opened_at
