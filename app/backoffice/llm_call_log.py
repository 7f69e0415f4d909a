"""The LLM call log over SQL, written outside the serialised back-office transactions."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from app.backoffice.codec import from_row, to_columns
from app.backoffice.tables import LlmCallRow
from domain.errors import StorageUnavailable
from domain.llm import LlmCall


class SqlLlmCallLog:
    """The LLM call log over SQL (satisfies domain.ports.LlmCallLog).

    Its own short transaction per call, outside the serialised back-office transactions: a log
    write must never hold up, or be rolled back with, a money decision.
    """

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, call: LlmCall) -> None:
        try:
            with self._sessions() as session:
                session.add(LlmCallRow(**to_columns(call)))
                session.commit()
        except SQLAlchemyError as error:
            failure = type(error).__name__
            raise StorageUnavailable(f"could not record LLM call: {failure}") from error

    def for_conversation(self, conversation_id: str) -> list[LlmCall]:
        try:
            with self._sessions() as session:
                rows = session.scalars(
                    select(LlmCallRow)
                    .where(LlmCallRow.conversation_id == conversation_id)
                    .order_by(LlmCallRow.at, LlmCallRow.id)
                )
                return [from_row(LlmCall, r) for r in rows]
        except SQLAlchemyError as error:
            raise StorageUnavailable(f"could not read LLM calls: {type(error).__name__}") from error
