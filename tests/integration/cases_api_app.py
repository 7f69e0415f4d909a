"""The web app as main.py builds it for the case API, on the seeded demo, with a fake Rasa.

Shared by test_cases_api.py and test_cases_api_decisions.py, which import ``api_fixture``,
``staffed_template_fixture`` and ``fake_rasa_fixture`` to use the ``api`` fixture: the app (error
handlers, the console's sign-in, the cases router), the demo's cases made through the real domain
(David's TrivaFun dispute, Elena's 30-day extension, an unverified customer), and bearer tokens.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.staff import SignInLimits, StaffStore
from app.backoffice.tables import DecisionRow
from app.db import make_engine
from app.policy_loader import load_policy
from app.settings import Settings
from app.web.cases_api import build_cases_router
from app.web.console.auth import build_console_auth
from app.web.console.guards import install_console_handlers
from app.web.console.rasa_conversations import RasaConversations
from app.web.console.takeover import Takeover
from app.web.errors import install_error_handlers
from app.web.ops_api import ApiError, error_response
from billing_adapters.sql import SqlBss
from billing_adapters.sql.tables import BssCredit
from domain.records import AdjustmentKind, Case
from domain.usecases.cases import Origin, request_person
from domain.usecases.deps import Deps
from domain.usecases.lifecycle.offers import offer_credit, offer_extension
from domain.usecases.lifecycle.transitions import Happened
from tests.integration.conftest import SEED_TIME
from tests.integration.fake_rasa import FakeRasa
from tests.unit.fakes import POLICY_FILE, FakeClock

OPS_TOKEN = "ops-token-for-the-tests"
DAVID, ELENA = "100004", "100005"
PASSWORDS = {"alex": "kestrel-alex", "sam": "kestrel-sam"}
# Cheap argon2 parameters: the tests sign in many times; production keeps the library's default.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


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


def build_app(settings: Settings, deps: Deps, store: StaffStore, takeover: Takeover) -> FastAPI:
    """What app/web/main.py wires for the case API."""
    app = FastAPI()
    install_error_handlers(app)
    install_console_handlers(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    auth = build_console_auth(settings, lambda: store)
    app.include_router(auth.router)
    app.include_router(build_cases_router(lambda: deps, auth, lambda: takeover))
    return app


@pytest.fixture(scope="module", name="staffed_template")
def staffed_template_fixture(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The seeded demo plus the demo staff (hashed once per module)."""
    path = tmp_path_factory.mktemp("staffed") / "staffed.db"
    shutil.copy(seeded_template, path)
    engine = make_engine(f"sqlite:///{path}")
    policy = load_policy(POLICY_FILE)
    limits = SignInLimits.from_settings(Settings(_env_file=None))
    StaffStore(engine, lambda: SEED_TIME, policy.staff, limits, CHEAP).ensure_demo_staff()
    engine.dispose()
    return path


@pytest.fixture(name="api")
def api_fixture(staffed_template: Path, tmp_path: Path, fake_rasa: FakeRasa) -> Iterator[CasesApi]:
    path = tmp_path / "backoffice.db"
    shutil.copy(staffed_template, path)
    url = f"sqlite:///{path}"
    settings = Settings(
        _env_file=None, database_url=url, ops_api_token=OPS_TOKEN, demo_mode=True,
        rasa_url=fake_rasa.url, rasa_token=fake_rasa.token,
    )  # fmt: skip
    engine = make_engine(url)
    clock = FakeClock(SEED_TIME)  # the demo's relative dates hold at the seed time
    bss = SqlBss(engine, clock)
    policy = load_policy(POLICY_FILE)
    deps = Deps(
        billing=bss, orders=bss, network=bss, backoffice=SqlBackOfficeFactory(engine),
        clock=clock, policy=policy,
    )  # fmt: skip
    store = StaffStore(engine, clock.now, policy.staff, SignInLimits.from_settings(settings), CHEAP)
    takeover = Takeover(lambda: deps, RasaConversations(fake_rasa.url, fake_rasa.token))
    app = build_app(settings, deps, store, takeover)
    with TestClient(app) as client:
        yield CasesApi(engine, deps, fake_rasa, app, client)
    engine.dispose()
