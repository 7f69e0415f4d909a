"""What every part of SqlBss shares: the engine, the clock and the account lookup."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from billing_adapters.sql.tables import BssAccount
from domain.errors import NotFound
from domain.ports import Clock


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class BssConnection:
    """The ``bss_`` tables behind one engine; SqlBss and its parts build on this."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or _SystemClock()

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    @staticmethod
    def _account_row(s: Session, account_id: str) -> BssAccount:
        row = s.get(BssAccount, account_id)
        if row is None:
            raise NotFound(f"account {account_id}")
        return row
