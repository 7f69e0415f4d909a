"""The agent console's pieces as app/web/main.py wires them, for the integration tests.

Shared by cases_api_app.py, test_dashboard.py, test_console_pages.py and test_console_sign_in.py:
``staffed_template_fixture`` (import it to use the ``staffed_template`` fixture: the seeded demo
plus the demo staff), ``console_parts`` (one test's copy of it with its settings, engine, clock,
deps, staff store and sign-in), ``console_app`` (the app around the routers under test) and
``sign_in`` (the sign-in form, as a person uses it).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.backoffice.sql import SqlBackOfficeFactory
from app.backoffice.staff import SignInLimits, StaffStore
from app.db import make_engine
from app.policy_loader import load_policy
from app.settings import Settings
from app.web.console.auth import ConsoleAuth, build_console_auth
from app.web.console.guards import install_console_handlers
from app.web.errors import install_error_handlers
from app.web.ops_api import ApiError, error_response
from billing_adapters.sql import SqlBss
from domain.usecases.deps import Deps
from tests.integration.conftest import SEED_TIME
from tests.unit.fakes import POLICY_FILE, FakeClock

PASSWORDS = {"alex": "kestrel-alex", "sam": "kestrel-sam"}
# Cheap argon2 parameters: the tests sign in many times; production keeps the library's default.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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


@dataclass
class ConsoleParts:
    """One test's back office (a copy of the template) and what the console is built from."""

    settings: Settings
    engine: Engine
    clock: FakeClock
    deps: Deps
    store: StaffStore
    auth: ConsoleAuth


def console_parts(template: Path, folder: Path, **settings: Any) -> ConsoleParts:
    """The template copied into ``folder``, in demo mode unless ``settings`` say otherwise.

    The clock stands at the seed time, where the demo's relative dates hold. The caller disposes
    of ``engine``.
    """
    path = folder / "backoffice.db"
    shutil.copy(template, path)
    values: dict[str, Any] = {"demo_mode": True, **settings}
    config = Settings(_env_file=None, database_url=f"sqlite:///{path}", **values)
    engine = make_engine(config.database_url)
    clock = FakeClock(SEED_TIME)
    bss = SqlBss(engine, clock)
    policy = load_policy(POLICY_FILE)
    deps = Deps(
        billing=bss, orders=bss, network=bss, backoffice=SqlBackOfficeFactory(engine),
        clock=clock, policy=policy,
    )  # fmt: skip
    limits = SignInLimits.from_settings(config)
    store = StaffStore(engine, clock.now, policy.staff, limits, CHEAP)
    auth = build_console_auth(config, lambda: store)
    return ConsoleParts(config, engine, clock, deps, store, auth)


def console_app(parts: ConsoleParts, *routers: APIRouter) -> FastAPI:
    """The app as main.py builds it: its error handlers, the sign-in router, then ``routers``."""
    app = FastAPI()
    install_error_handlers(app)
    install_console_handlers(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    app.include_router(parts.auth.router)
    for router in routers:
        app.include_router(router)
    return app


def sign_in(client: TestClient, user: str, page: str = "/console/") -> str:
    """Sign ``user`` in through the sign-in form in a fresh cookie jar; returns the CSRF token
    that ``page`` shows in the signed-in session ("" where it shows none)."""
    client.cookies.clear()
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token is not None, form.text
    signed = client.post(
        "/console/login", follow_redirects=False,
        data={"username": user, "password": PASSWORDS[user], "csrf_token": token[1]},
    )  # fmt: skip
    assert signed.status_code == 303, signed.text
    found = CSRF.search(client.get(page).text)
    return found[1] if found else ""
