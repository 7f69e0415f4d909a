"""Rasa's Redis lock store, with each change of a conversation's lock made atomically.

Rasa 3.6's RedisLockStore issues a ticket by GET, append, SET. Two replicas taking a turn of one
conversation in the same few milliseconds can both read the same lock and both be served at
once; each then saves the tracker it loaded, and the SQL tracker store keeps only the events
past the row count, so one turn's events are lost (seen: 19 of 20 simultaneous "yes" kept).
Here every read-modify-write of a lock runs in a Redis WATCH/MULTI transaction, retried when
another process changed the lock in between, and a waiting turn looks again every 50 ms
instead of every second (the whole turn runs under the lock, so a second is a second lost).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_S = 0.05
KEEP = object()  # a change that leaves the stored lock as it is

T = TypeVar("T")
Change = Callable[[TicketLock | None], tuple[Any, T]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _atomically(self, conversation_id: str, change: Change[T]) -> T:
        """Apply ``change`` to the stored lock; it returns (lock to save, None to delete, or
        KEEP; its result)."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    stored, result = change(lock)
                    pipe.multi()
                    if stored is None:
                        pipe.delete(key)
                    elif stored is not KEEP:
                        pipe.set(key, stored.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # someone else changed this lock between our read and our write

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return KEEP, None
            lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, drop_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[Any, None]:
            if lock is None:
                return KEEP, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish)

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_S,
    ) -> Any:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)
