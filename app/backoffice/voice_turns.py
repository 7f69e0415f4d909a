"""The voice gateway's turns over SQL (satisfies app.web.voice.turns.VoiceTurns).

Short transactions of their own, outside the serialised money transactions. The primary key
(call, turn) decides which of two simultaneous requests answers a turn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.backoffice.tables import VoiceCallEndRow, VoiceTurnRow
from app.web.voice.turns import STALE_CLAIM, Claim, ClaimState
from domain.errors import StorageUnavailable

T = TypeVar("T")


class SqlVoiceTurns:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _run(self, what: str, work: Callable[[Session], T]) -> T:
        try:
            with self._sessions() as session:
                return work(session)
        except SQLAlchemyError as error:
            raise StorageUnavailable(
                f"voice turns: could not {what}: {type(error).__name__}"
            ) from error

    def _insert_once(self, what: str, row: VoiceTurnRow | VoiceCallEndRow) -> bool:
        """Insert ``row``; False when its key is there already (the primary key decides)."""

        def insert(session: Session) -> bool:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

        return self._run(what, insert)

    def claim(self, call_sid: str, turn: int, now: datetime) -> Claim:
        if self._insert_once(
            "claim a turn", VoiceTurnRow(call_sid=call_sid, turn=turn, claimed_at=now)
        ):
            return Claim(ClaimState.NEW)

        def existing(session: Session) -> Claim:
            row = session.get(VoiceTurnRow, (call_sid, turn))
            if row is None:  # deleted in between: nobody answers it, so this request does
                session.add(VoiceTurnRow(call_sid=call_sid, turn=turn, claimed_at=now))
                session.commit()
                return Claim(ClaimState.NEW)
            if row.twiml is not None:
                return Claim(ClaimState.DONE, row.twiml)
            if now - row.claimed_at > STALE_CLAIM:
                row.claimed_at = now
                session.commit()
                return Claim(ClaimState.TAKEN_OVER)
            return Claim(ClaimState.PENDING)

        return self._run("read a turn", existing)

    def finish(
        self, call_sid: str, turn: int, twiml: str, prompt: dict[str, Any], now: datetime
    ) -> None:
        def save(session: Session) -> None:
            row = session.get(VoiceTurnRow, (call_sid, turn))
            if row is None:
                row = VoiceTurnRow(call_sid=call_sid, turn=turn, claimed_at=now)
                session.add(row)
            row.twiml, row.prompt, row.finished_at = twiml, dict(prompt), now
            session.commit()

        self._run("save a turn", save)

    def answer(self, call_sid: str, turn: int) -> str | None:
        def read(session: Session) -> str | None:
            row = session.get(VoiceTurnRow, (call_sid, turn))
            return row.twiml if row else None

        return self._run("read a turn", read)

    def prompt_before(self, call_sid: str, turn: int) -> dict[str, Any] | None:
        def read(session: Session) -> dict[str, Any] | None:
            prompt = session.scalar(
                select(VoiceTurnRow.prompt)
                .where(
                    VoiceTurnRow.call_sid == call_sid,
                    VoiceTurnRow.turn < turn,
                    VoiceTurnRow.prompt.is_not(None),
                )
                .order_by(VoiceTurnRow.turn.desc())
                .limit(1)
            )
            return dict(prompt) if prompt else None

        return self._run("read the last prompt", read)

    def end_call(self, call_sid: str, status: str, now: datetime) -> bool:
        ended = VoiceCallEndRow(call_sid=call_sid, status=status, at=now)
        return self._insert_once("record the end of a call", ended)

    def call_ended(self, call_sid: str) -> bool:
        return self._run(
            "read the end of a call",
            lambda session: session.get(VoiceCallEndRow, call_sid) is not None,
        )
