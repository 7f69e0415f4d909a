"""Sessions whose transactions are serialised across processes (caps must hold under load).

SQLite: every transaction already starts with BEGIN IMMEDIATE (app/db.py). PostgreSQL: each
transaction takes one transaction-level advisory lock before anything else, released at its end.
Also the savepoint insert every repository uses, so a duplicate key is a domain error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from app.db import READ_ONLY
from domain.errors import IdempotencyConflict

# Any constant works; it only has to be the same in every process that writes the back office.
ADVISORY_LOCK_KEY = 7_351_042


def _lock_on_postgres(session: Session, _tx: SessionTransaction, connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def serialised_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose every transaction is serialised with all other back-office writers."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    # Read-only sessions (app.db.read_only) do not take the writers' lock.
    if engine.dialect.name == "postgresql" and not engine.get_execution_options().get(READ_ONLY):
        # after_begin also fires for the transaction that follows a commit() in the same block.
        event.listen(sessions, "after_begin", _lock_on_postgres)
    return sessions


def insert_once(session: Session, row: Any) -> None:
    """Insert in a savepoint, so a duplicate key is a domain error and the transaction lives on."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise IdempotencyConflict(f"{type(row).__name__} already recorded") from error
