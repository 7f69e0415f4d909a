"""The web app's reconciler: at start-up and then periodically, nothing stays ``applying``.

A daemon thread runs domain.usecases.lifecycle.reconcile.reconcile; with several web app replicas
each runs one, and the lease taken under the back-office lock makes exactly one act on a row.
A failing pass (database locked, BSS down) is logged and tried again on the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from domain.errors import DomainError
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.reconcile import reconcile

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(self, get_deps: Callable[[], Deps], interval_s: float) -> None:
        self._get_deps = get_deps
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass; how many rows it finished. Never raises."""
        try:
            steps = reconcile(self._get_deps())
        except DomainError as error:
            log.warning(
                "reconciler pass failed (%s: %s); retrying later", type(error).__name__, error
            )
            return 0
        except Exception:  # a bug must not stop the thread: stuck rows would wait for a restart
            log.exception("reconciler pass failed unexpectedly; retrying later")
            return 0
        for step in steps:
            log.info("reconciler: %s %s -> %s", step.record.id, step.happened.value,
                     step.record.status.value)  # fmt: skip
        return len(steps)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._interval_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
