"""Injected faults: what a test asks the reference BSS to do wrong, held in the process's memory.

``PUT /admin/faults`` replaces the plan, ``DELETE`` clears it. A plan hits ``calls``: postings
(adjustBalance, paymentExtension), reads (every other /tmf-api call) or all. Every hit call waits
``latency_s``; the first ``times`` hit calls (all when None) are answered ``status``, dropped,
or, for postings, applied and then held ``hang_s`` (the client times out although it worked).
``split_pages`` halves every list page. The gate (gate.py) carries the decisions out.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CallKind = Literal["read", "posting"]


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: Literal["all", "reads", "postings"] = "all"
    latency_s: float = Field(default=0.0, ge=0, le=600)
    status: Literal[500, 502, 503, 504] | None = None
    drop: bool = False
    timeout_after_apply: bool = False
    hang_s: float = Field(default=10.0, ge=0, le=600)
    split_pages: bool = False
    times: int | None = Field(default=None, ge=0)

    def hits(self, kind: CallKind) -> bool:
        return self.calls == "all" or self.calls == f"{kind}s"

    def acts_on(self, kind: CallKind) -> bool:
        """Whether a hit call of ``kind`` gets one of the counted faults."""
        return (
            self.drop or self.status is not None or (self.timeout_after_apply and kind == "posting")
        )


@dataclass(frozen=True)
class Decision:
    """What to do to one call; the default does nothing."""

    latency_s: float = 0.0
    drop: bool = False
    status: int | None = None
    hang_s: float | None = None  # answer held this long after the posting was applied


NOTHING = Decision()


class FaultState:
    """The current plan and how many counted faults it has left (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._remaining: int | None = None

    def replace(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan, self._remaining = plan, plan.times

    def clear(self) -> None:
        self.replace(FaultPlan())

    def current(self) -> FaultPlan:
        """The plan, its ``times`` counting down as hit calls use it up."""
        with self._lock:
            return self._plan.model_copy(update={"times": self._remaining})

    def decide(self, kind: CallKind) -> Decision:
        with self._lock:
            plan = self._plan
            if not plan.hits(kind):
                return NOTHING
            acts = plan.acts_on(kind) and (self._remaining is None or self._remaining > 0)
            if acts and self._remaining is not None:
                self._remaining -= 1
        if not acts:
            return Decision(latency_s=plan.latency_s)
        # One fault per call: a drop wins over a status, a status over a held answer.
        return Decision(
            latency_s=plan.latency_s,
            drop=plan.drop,
            status=None if plan.drop else plan.status,
            hang_s=plan.hang_s
            if kind == "posting" and plan.timeout_after_apply and not plan.drop and not plan.status
            else None,
        )

    def page_cap(self, total: int) -> int | None:
        """With split_pages on reads: at most half the matches (rounded up) per page."""
        with self._lock:
            plan = self._plan
        if not (plan.split_pages and plan.hits("read")):
            return None
        return max(1, math.ceil(total / 2))
