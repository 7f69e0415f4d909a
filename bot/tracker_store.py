"""A SQL tracker store that never writes a PIN (see bot/redaction.py).

Configured in bot/endpoints.yml as `type: bot.tracker_store.RedactingSQLTrackerStore`; Rasa must
run with the repository root on PYTHONPATH. Imports rasa, so only the bot env can import it.

Written against Rasa 3.6.21's `SQLTrackerStore.save`: the same rows (the tracker's events not yet
stored for the current session, one row per event), but each row's JSON is the redacted copy,
computed over the whole in-memory event list because whether a message is a PIN depends on
what the form asked before it. The in-memory tracker is left untouched (the form validator
still sees the PIN during the turn); what is read back on the next turn is the redacted version.
Events streamed to an event broker, if one is configured, are redacted the same way.

If this class cannot be imported, Rasa silently falls back to an in-memory store with only a
warning ("Tracker store with type ... not found"): check for that line in the server log.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.redaction import redact_events

logger = logging.getLogger(__name__)


def _redacted_dicts(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    return redact_events([event.as_dict() for event in tracker.events])


class RedactingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose stored (and streamed) events have the PIN removed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The tracker file keeps its rollback journal: a failing store must still fail the turn's
        # reads (tests/e2e/test_faults.py holds its lock); only the broker's file gets WAL.
        self.engine, self.sessionmaker = _pooled(self.engine, wal=False)
        broker = self.event_broker
        if isinstance(broker, SQLEventBroker):
            broker.engine, broker.sessionmaker = _pooled(broker.engine, wal=True)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events not yet in the database, redacted (and stream the same ones)."""
        redacted = _redacted_dicts(tracker)
        with self.session_scope() as session:
            # What is stored is also what was published (both happen here, in this order), so
            # one count serves both; Rasa's own stream_events re-reads the whole tracker for it.
            already_stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            self._publish(tracker.sender_id, redacted[already_stored:])
            new_events = itertools.islice(tracker.events, already_stored, None)

            for event, data in zip(new_events, redacted[already_stored:], strict=True):
                parse_data = data.get("parse_data") or {}
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(parse_data.get("intent") or {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database (redacted)")

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events to the event broker, redacted (``save`` does it itself)."""
        with self.session_scope() as session:
            already = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
        self._publish(tracker.sender_id, _redacted_dicts(tracker)[already:])

    def _publish(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        broker = self.event_broker
        if broker is None or not events:
            return
        if not isinstance(broker, SQLEventBroker):
            for data in events:
                broker.publish({"sender_id": sender_id, **data})
            return
        # One transaction for the turn's events: Rasa's SQLEventBroker.publish commits each
        # event on its own, and those commits were a quarter of Rasa's time under load.
        with broker.session_scope() as session:
            session.add_all(
                broker.SQLBrokerEvent(
                    sender_id=sender_id, data=json.dumps({"sender_id": sender_id, **data})
                )
                for data in events
            )
            session.commit()


def _pooled(engine: Engine, wal: bool) -> tuple[Engine, sessionmaker]:
    """On a SQLite file: connections kept open between turns, and commits that do not wait for
    a sync of the file.

    SQLAlchemy 1.4 gives a SQLite file a NullPool: a connection opened and closed for every
    session (and closing the last connection to a WAL file checkpoints it, a sync each time).
    synchronous=NORMAL: a crash of Rasa loses nothing; a crash of the machine may lose the last
    turns' events, never the money: offers, decisions and the audit chain are in the back
    office, which keeps synchronous=FULL. ``wal``: the web app's dashboard reads the broker's
    file while Rasa writes it; in WAL mode neither waits for the other. Otherwise a rollback
    journal that is truncated rather than deleted after each commit (under load a third of the
    cost of a commit: no file created and removed every time).
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine, sessionmaker(bind=engine)
    pooled = create_engine(
        engine.url,
        poolclass=QueuePool,
        pool_size=2,
        connect_args={"check_same_thread": False},
    )
    journal = "WAL" if wal else "TRUNCATE"
    event.listen(pooled, "connect", lambda connection, _record: _tune(connection, journal))
    engine.dispose()
    return pooled, sessionmaker(bind=pooled)


def _tune(dbapi_connection: Any, journal: str) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA journal_mode={journal}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
