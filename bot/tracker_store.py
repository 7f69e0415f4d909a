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

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.redaction import redact_events

logger = logging.getLogger(__name__)


def _redacted_dicts(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    return redact_events([event.as_dict() for event in tracker.events])


class RedactingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose stored (and streamed) events have the PIN removed."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events not yet in the database, redacted."""
        await self.stream_events(tracker)

        with self.session_scope() as session:
            already_stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            redacted = _redacted_dicts(tracker)
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
        """Publish the new events to the event broker, redacted."""
        if self.event_broker is None:
            return None

        old_tracker = await self.retrieve(tracker.sender_id)
        already_published = len(old_tracker.events) if old_tracker else 0
        for data in _redacted_dicts(tracker)[already_published:]:
            self.event_broker.publish({"sender_id": tracker.sender_id, **data})
