"""What one running reference BSS holds in memory: its store, faults, counters, conformance log.

Only the data lives in the database; the rest belongs to the process (a restart clears it),
which is what a test controlling the server through /admin expects.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from billing_adapters.tmf_reference.config import ReferenceConfig
from billing_adapters.tmf_reference.faults import FaultState
from billing_adapters.tmf_reference.store import ReferenceStore

if TYPE_CHECKING:
    from billing_adapters.tmf.conformance import Conformance, Exchange

log = logging.getLogger(__name__)

MAX_KEPT_VIOLATIONS = 1000


class RequestStats:
    """Requests per ``"<METHOD> <path template>"`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class ConformanceLog:
    """Validate mode: every /tmf-api exchange checked against the specs, the violations kept.

    The checker (billing_adapters.tmf.conformance) is imported when validate mode is on only,
    so a server without it still starts in the normal mode.
    """

    def __init__(self) -> None:
        from billing_adapters.tmf.conformance import Conformance

        self._conformance: Conformance = Conformance.load()
        self._lock = threading.Lock()
        self._checked = 0
        self._violations: list[str] = []

    def check(self, exchange: Exchange) -> None:
        try:
            problems = self._conformance.check(exchange)
        except Exception as error:  # a checker bug must not take the BSS down
            log.exception("conformance check of %s %s failed", exchange.method, exchange.url)
            problems = [f"{exchange.method} {exchange.url}: checker failed: {error!r}"]
        for problem in problems:
            log.warning("TMF conformance: %s", problem)
        with self._lock:
            self._checked += 1
            room = MAX_KEPT_VIOLATIONS - len(self._violations)
            self._violations.extend(problems[: max(room, 0)])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"checked": self._checked, "violations": list(self._violations)}

    def clear(self) -> None:
        with self._lock:
            self._checked, self._violations = 0, []


@dataclass
class ReferenceRuntime:
    config: ReferenceConfig
    store: ReferenceStore
    faults: FaultState = field(default_factory=FaultState)
    stats: RequestStats = field(default_factory=RequestStats)
    conformance: ConformanceLog | None = None
    # Postings are serialised in the process, so "was this key new?" (201 or 200) is exact.
    postings_lock: threading.Lock = field(default_factory=threading.Lock)


def runtime_of(request: Request) -> ReferenceRuntime:
    runtime: ReferenceRuntime = request.app.state.runtime
    return runtime


def base_of(request: Request) -> str:
    """The request's base URL without its trailing slash: hrefs are absolute from it."""
    return str(request.base_url).rstrip("/")
