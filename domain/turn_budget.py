"""A conversation turn's time budget, for the calls to outside systems made during the turn.

The edge that starts a turn (the action server, per channel) opens a budget; adapters that call
out (the TMF BSS over HTTP) cap their timeouts and retries by what is left, so a slow BSS makes
the turn fall back politely instead of outliving the channel's patience. Context variables follow
``asyncio.to_thread``, so a budget opened in an action reaches the use case's thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("turn_deadline", default=None)


@contextmanager
def turn_budget(seconds: float) -> Iterator[None]:
    """Calls made inside (this thread or tasks started from it) get ``seconds`` in all."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left in the turn's budget (0 when spent), or None when no budget is open."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())
