"""The customers' messages as Rasa's SQL event broker records them (read-only).

bot/endpoints.yml configures ``event_broker: type: SQL`` on the SQLite file RASA_EVENTS_DB.
Rasa 3.6's ``SQLEventBroker`` writes every event of every conversation (redacted by
bot/tracker_store.py before it is published) as one row of its table ``events``: ``id``,
``sender_id`` and ``data``, the event's JSON (``{"event": "user", "timestamp": <unix seconds>,
"parse_data": {"intent": {"name", "confidence"}}, ...}``). That table is the broker's published
output, meant for analytics; the tracker store's own tables are Rasa's internals and stay unread.

The file is opened read-only (``mode=ro``): the dashboard can never write to Rasa's data. No
file or no table yet (Rasa has not started, or nobody has talked) means no conversation data.
In the scaled stack (bot/endpoints.scaled.yml) the broker writes to PostgreSQL instead, and
RASA_EVENTS_DB is that database's URL (``postgresql://...``): it is read in read-only
transactions, and a database that does not answer means no conversation data, as above.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.web.console.metrics import UserTurn

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
BOT_CONFIG = ROOT / "bot" / "config.yml"

# SQLEventBroker.SQLBrokerEvent (rasa/core/brokers/sql.py), as SQLAlchemy Core.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)
# json.dumps's default separators, as the broker writes it: a cheap filter before parsing.
USER_EVENT = '%"event": "user"%'


RASA_DEFAULT_THRESHOLD = 0.3  # FallbackClassifier's own default


def fallback_threshold(config_file: Path = BOT_CONFIG) -> float:
    """The FallbackClassifier's ``threshold`` in the bot's NLU pipeline (Rasa's default if the
    pipeline has none; a web app deployed without bot/ still starts, and says so in its log)."""
    try:
        config = yaml.safe_load(config_file.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        log.warning("no NLU threshold from %s (%s): drift uses 0.3", config_file, error)
        return RASA_DEFAULT_THRESHOLD
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", RASA_DEFAULT_THRESHOLD))
    return RASA_DEFAULT_THRESHOLD


def _read_only(path: Path) -> Any:
    def connect() -> sqlite3.Connection:
        # timeout: wait out Rasa's write of a moment rather than show an empty day.
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def is_database_url(events_db: str | Path) -> bool:
    return isinstance(events_db, str) and "://" in events_db


def _read_only_url(url: str) -> Any:
    options: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # Every transaction read-only (a libpq option): the dashboard cannot write there either.
        options = {"options": "-c default_transaction_read_only=on", "connect_timeout": 5}
    return create_engine(url, poolclass=NullPool, connect_args=options)


def user_turn(sender_id: str | None, data: str | None) -> UserTurn | None:
    """One broker row as a user turn; anything else (another event, bad JSON) is None."""
    try:
        event = json.loads(data or "")
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("event") != "user":
        return None
    stamp = event.get("timestamp")
    sender = sender_id or event.get("sender_id")
    if not isinstance(stamp, int | float) or not isinstance(sender, str):
        return None
    intent = (event.get("parse_data") or {}).get("intent") or {}
    confidence = intent.get("confidence")
    return UserTurn(
        sender_id=sender,
        at=datetime.fromtimestamp(stamp, tz=timezone.utc),
        intent=intent.get("name"),
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
    )


def read_user_turns(events_db: str | Path, since: datetime, until: datetime) -> list[UserTurn]:
    """The customers' messages with ``since <= at < until``, oldest first."""
    if is_database_url(events_db):
        engine = _read_only_url(str(events_db))
        where: object = engine.url.render_as_string(hide_password=True)
    else:
        path = Path(events_db)
        if not path.is_file():
            return []
        engine, where = _read_only(path), path
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(EVENTS.name):
                return []
            query = (
                EVENTS.select()
                .with_only_columns(EVENTS.c.sender_id, EVENTS.c.data)
                .where(EVENTS.c.data.like(USER_EVENT))
                .order_by(EVENTS.c.id)
            )
            rows = connection.execute(query).all()
    except SQLAlchemyError as error:
        # A file that is not (yet) a database must not take the dashboard down with it.
        log.warning("cannot read Rasa's event broker table in %s: %s", where, error)
        return []
    finally:
        engine.dispose()
    turns = (user_turn(sender, data) for sender, data in rows)
    return sorted((t for t in turns if t is not None and since <= t.at < until), key=lambda t: t.at)
