"""Sessions whose transactions are serialised across processes (caps must hold under load).

SQLite: every transaction already starts with BEGIN IMMEDIATE (app/db.py). PostgreSQL: each
transaction takes one transaction-level advisory lock before anything else, released at its end.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

# Any constant works; it only has to be the same in every process that writes the back office.
ADVISORY_LOCK_KEY = 7_351_042


def _lock_on_postgres(session: Session, _tx: SessionTransaction, connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def serialised_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose every transaction is serialised with all other back-office writers."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "postgresql":
        # after_begin also fires for the transaction that follows a commit() in the same block.
        event.listen(sessions, "after_begin", _lock_on_postgres)
    return sessions
