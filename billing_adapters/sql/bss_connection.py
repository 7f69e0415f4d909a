"""What every part of SqlBss shares: the engine, the clock and the account lookup."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.db import read_only
from billing_adapters.sql.tables import BssAccount
from domain.errors import IdempotencyConflict, NotFound, StorageUnavailable
from domain.ports import Clock

log = logging.getLogger(__name__)


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class BssConnection:
    """The ``bss_`` tables behind one engine; SqlBss and its parts build on this."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._read_engine = read_only(engine)
        self._clock: Clock = clock or _SystemClock()

    def _reading(self) -> AbstractContextManager[Session]:
        """A session for reads only (on SQLite it does not wait for the writers' lock)."""
        return self._session(self._read_engine)

    @contextmanager
    def _session(self, engine: Engine | None = None) -> Iterator[Session]:
        """A session whose database errors leave as the domain's (a vendor error never escapes).

        A duplicate key is an IdempotencyConflict (a concurrent posting under the same key); any
        other database error, a locked or missing database included, is StorageUnavailable: the
        reference BSS lives in our own database.
        """
        try:
            with Session(engine or self._engine, expire_on_commit=False) as session:
                yield session
        except IntegrityError as error:
            raise IdempotencyConflict(f"reference BSS: {type(error.orig).__name__}") from error
        except SQLAlchemyError as error:
            log.error("reference BSS database error: %s", type(error).__name__, exc_info=True)
            raise StorageUnavailable(f"reference BSS database: {type(error).__name__}") from error

    @staticmethod
    def _account_row(s: Session, account_id: str) -> BssAccount:
        row = s.get(BssAccount, account_id)
        if row is None:
            raise NotFound(f"account {account_id}")
        return row
