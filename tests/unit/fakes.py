"""Small in-process fakes for unit tests: a clock you set, and the demo operator in memory.

The back office is the real SQL adapter on a throw-away SQLite file (its schema copied from one
template per test process): it has no twin to drift from, and needs no network.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.backoffice.codec import to_columns
from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.tables import AdjustmentRow, backoffice_metadata
from app.db import make_engine
from app.policy_loader import load_policy
from billing_adapters.demo_operator import demo_operator
from billing_adapters.memory import InMemoryBss
from domain.records import Adjustment, AdjustmentKind
from domain.usecases.cases import Origin
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import accept_offer, offer_credit
from domain.usecases.lifecycle.transitions import Happened, Step

POLICY_FILE = Path(__file__).resolve().parents[2] / "app" / "autonomy-policy.yml"
T = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)


@dataclass
class FakeClock:
    moment: datetime = T
    step: timedelta = field(default=timedelta(0))

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@lru_cache(maxsize=1)
def _schema_template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="kestrel-unit-")) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    backoffice_metadata.create_all(engine)
    engine.dispose()
    return path


def sqlite_backoffice(history: tuple[Adjustment, ...] = ()) -> SqlBackOfficeFactory:
    """A fresh back office on its own SQLite file, holding ``history``."""
    path = Path(tempfile.mkdtemp(prefix="kestrel-unit-")) / "backoffice.db"
    shutil.copy(_schema_template(), path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        for adjustment in history:
            connection.execute(AdjustmentRow.__table__.insert(), to_columns(adjustment))
    return SqlBackOfficeFactory(engine)


class _InTransaction(threading.local):
    depth = 0


class WatchedBackOffice:
    """The back office, noting when this thread is inside one of its transactions."""

    def __init__(self, inner: SqlBackOfficeFactory, inside: _InTransaction) -> None:
        self.inner, self._inside = inner, inside
        self.engine = inner.engine

    @contextmanager
    def __call__(self) -> Iterator[Any]:
        with self.inner() as office:
            self._inside.depth += 1
            try:
                yield office
            finally:
                self._inside.depth -= 1


class NoBssInsideTransactions:
    """The BSS, refusing calls made inside a back-office transaction: on SQLite the reference
    BSS shares the database, so such a call would wait for the transaction's own lock."""

    def __init__(self, inner: InMemoryBss, inside: _InTransaction) -> None:
        self._inner, self._inside = inner, inside

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            assert self._inside.depth == 0, f"BSS {name}() called inside a back-office transaction"
            return attribute(*args, **kwargs)

        return call


def demo_deps(clock: FakeClock | None = None) -> Deps:
    clock = clock or FakeClock()
    demo = demo_operator(T)
    inside = _InTransaction()
    bss: Any = NoBssInsideTransactions(InMemoryBss.from_demo(demo, clock=clock), inside)
    return Deps(
        billing=bss,
        orders=bss,
        network=bss,
        backoffice=WatchedBackOffice(sqlite_backoffice(demo.history), inside),
        clock=clock,
        policy=load_policy(POLICY_FILE),
    )


def ask_and_accept(deps: Deps, account_id: str, kind: AdjustmentKind, origin: Origin) -> Step:
    """What a customer who asks for a credit and says yes to the offer gets."""
    step = offer_credit(deps, account_id, kind, origin)
    if step.happened is Happened.OFFERED:
        return accept_offer(deps, step.record.id, origin)
    return step


def dump_backoffice(deps: Deps) -> list[str]:
    """Every statement that would rebuild the back office: schema and rows, as text."""
    connection = deps.backoffice.engine.raw_connection()  # type: ignore[attr-defined]
    try:
        return list(connection.driver_connection.iterdump())  # type: ignore[union-attr]
    finally:
        connection.close()
