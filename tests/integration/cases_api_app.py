"""The web app as main.py builds it for the case API, on the seeded demo, with a fake Rasa.

Shared by test_cases_api.py and test_cases_api_decisions.py, which import ``api_fixture``,
``staffed_template_fixture`` (console_app.py's, re-exported here) and ``fake_rasa_fixture`` to use
the ``api`` fixture: the app (console_app.py's handlers and sign-in, plus the cases router), the
demo's cases made through the real domain (David's TrivaFun dispute, Elena's 30-day extension, an
unverified customer), and bearer tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.backoffice.tables import DecisionRow
from app.web.cases_api import build_cases_router
from app.web.console.rasa_conversations import RasaConversations
from app.web.console.takeover import Takeover
from billing_adapters.sql.tables import BssCredit
from domain.records import AdjustmentKind, Case
from domain.usecases.cases import Origin, request_person
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import offer_credit, offer_extension
from domain.usecases.lifecycle.transitions import Happened
from tests.integration.console_app import PASSWORDS, console_app, console_parts
from tests.integration.console_app import (  # re-exported: the api fixture is built on it
    staffed_template_fixture as staffed_template_fixture,
)
from tests.integration.fake_rasa import FakeRasa

OPS_TOKEN = "ops-token-for-the-tests"
DAVID, ELENA = "100004", "100005"


@dataclass
class CasesApi:
    """One test's world: its database, deps, fake Rasa and a client of the app."""

    engine: Engine
    deps: Deps
    rasa: FakeRasa
    app: FastAPI
    client: TestClient

    def token(self, user: str) -> dict[str, str]:
        """The Authorization header of ``user`` signed in through POST /api/token."""
        response = self.client.post(
            "/api/token", data={"username": user, "password": PASSWORDS[user]}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def balance(self, account_id: str) -> int:
        return self.deps.billing.get_balance_cents(account_id)

    def credits_posted(self, account_id: str) -> list[int]:
        with Session(self.engine) as s:
            query = select(BssCredit.amount_cents).where(BssCredit.account_id == account_id)
            return list(s.scalars(query))

    def decisions_by(self, actor: str) -> int:
        with Session(self.engine) as s:
            query = select(func.count()).where(DecisionRow.actor == actor)
            return int(s.execute(query).scalar_one())

    def david_case(self, conversation_id: str = "chat-david") -> Case:
        """What the bot does when David disputes TrivaFun: a case proposing $180.00."""
        step = offer_credit(
            self.deps, DAVID, AdjustmentKind.THIRD_PARTY_DISPUTE,
            Origin(conversation_id=conversation_id, channel="socketio"),
        )  # fmt: skip
        assert step.happened is Happened.HANDED_OFF and step.handoff is not None
        return step.handoff.case

    def elena_extension_case(self) -> Case:
        """Elena asks for 30 more days: beyond the bot, a case proposing 30 days."""
        origin = Origin(conversation_id="chat-elena", channel="socketio")
        step = offer_extension(self.deps, ELENA, 30, origin)
        assert step.happened is Happened.HANDED_OFF and step.handoff is not None
        return step.handoff.case

    def unverified_case(self) -> Case:
        handoff = request_person(
            self.deps, conversation_id="chat-anon", account_id=None, channel="socketio",
            reason="wants to speak to a person",
        )  # fmt: skip
        return handoff.case


@pytest.fixture(name="api")
def api_fixture(staffed_template: Path, tmp_path: Path, fake_rasa: FakeRasa) -> Iterator[CasesApi]:
    parts = console_parts(
        staffed_template, tmp_path, ops_api_token=OPS_TOKEN,
        rasa_url=fake_rasa.url, rasa_token=fake_rasa.token,
    )  # fmt: skip
    takeover = Takeover(lambda: parts.deps, RasaConversations(fake_rasa.url, fake_rasa.token))
    app = console_app(parts, build_cases_router(lambda: parts.deps, parts.auth, lambda: takeover))
    with TestClient(app) as client:
        yield CasesApi(parts.engine, parts.deps, fake_rasa, app, client)
    parts.engine.dispose()
