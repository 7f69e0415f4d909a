"""What the voice gateway remembers of a call: each turn's answer, and whether the call ended.

A turn is keyed by ``(CallSid, turn)``. The first request of a turn claims it; its TwiML is kept,
so a request Twilio repeats gets the very same answer and never reaches the bot twice. A claim
left pending by a gateway that died mid-turn is taken over once it is stale (the bot's voice
channel then recognises a turn it already handled by its message id).

Two adapters: ``MemoryVoiceTurns`` (unit tests, one process) and
``app.backoffice.voice_turns.SqlVoiceTurns`` (the back-office database; several workers).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

STALE_CLAIM = timedelta(seconds=30)  # longer than any turn may take (Twilio waits 15 s)


class ClaimState(str, Enum):
    NEW = "new"  # this request answers the turn
    TAKEN_OVER = "taken_over"  # an earlier attempt died mid-turn: answer it, as a retry
    PENDING = "pending"  # another request is answering it right now
    DONE = "done"  # answered already: send the same TwiML


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    twiml: str | None = None


class VoiceTurns(Protocol):
    def claim(self, call_sid: str, turn: int, now: datetime) -> Claim: ...

    def finish(
        self, call_sid: str, turn: int, twiml: str, prompt: dict[str, Any], now: datetime
    ) -> None: ...

    def answer(self, call_sid: str, turn: int) -> str | None:
        """The TwiML of a finished turn (None while pending or unknown)."""
        ...

    def prompt_before(self, call_sid: str, turn: int) -> dict[str, Any] | None:
        """What the newest finished turn before ``turn`` asked the caller."""
        ...

    def end_call(self, call_sid: str, status: str, now: datetime) -> bool:
        """Record the call's end; True the first time only."""
        ...

    def call_ended(self, call_sid: str) -> bool: ...


@dataclass
class _Turn:
    claimed_at: datetime
    twiml: str | None = None
    prompt: dict[str, Any] | None = None


class MemoryVoiceTurns:
    """In one process only (unit tests); the SQL adapter serves real calls."""

    def __init__(self) -> None:
        self._turns: dict[tuple[str, int], _Turn] = {}
        self._ended: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim(self, call_sid: str, turn: int, now: datetime) -> Claim:
        with self._lock:
            known = self._turns.get((call_sid, turn))
            if known is None:
                self._turns[(call_sid, turn)] = _Turn(claimed_at=now)
                return Claim(ClaimState.NEW)
            if known.twiml is not None:
                return Claim(ClaimState.DONE, known.twiml)
            if now - known.claimed_at > STALE_CLAIM:
                known.claimed_at = now
                return Claim(ClaimState.TAKEN_OVER)
            return Claim(ClaimState.PENDING)

    def finish(
        self, call_sid: str, turn: int, twiml: str, prompt: dict[str, Any], now: datetime
    ) -> None:
        with self._lock:
            known = self._turns.setdefault((call_sid, turn), _Turn(claimed_at=now))
            known.twiml, known.prompt = twiml, dict(prompt)

    def answer(self, call_sid: str, turn: int) -> str | None:
        with self._lock:
            known = self._turns.get((call_sid, turn))
            return known.twiml if known else None

    def prompt_before(self, call_sid: str, turn: int) -> dict[str, Any] | None:
        with self._lock:
            earlier = [
                (number, saved)
                for (sid, number), saved in self._turns.items()
                if sid == call_sid and number < turn and saved.prompt is not None
            ]
        return dict(max(earlier, key=lambda item: item[0])[1].prompt or {}) if earlier else None

    def end_call(self, call_sid: str, status: str, now: datetime) -> bool:
        with self._lock:
            if call_sid in self._ended:
                return False
            self._ended[call_sid] = status
            return True

    def call_ended(self, call_sid: str) -> bool:
        with self._lock:
            return call_sid in self._ended
