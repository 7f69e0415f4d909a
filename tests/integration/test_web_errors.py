"""The web app's edge: the domain's error tree as HTTP statuses with a JSON body, never a trace.

The app is the real one (``create_app()``, lifespan and reconciler included) on a migrated and
seeded SQLite file; an error is provoked through a real route by a billing system that raises it.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.backoffice.sql import SqlBackOfficeFactory
from app.bootstrap import get_deps, get_settings, use_deps
from domain.errors import (
    AlreadyDecided,
    ApprovalLimitExceeded,
    Conflict,
    DomainError,
    ExternalRefused,
    ExternalSystemError,
    ExternalTimeout,
    FactsChanged,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    StorageUnavailable,
    VerificationRequired,
)

pytestmark = pytest.mark.integration

TOKEN = "test-ops-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANA = "/api/accounts/100001"


class RaisingBss:
    """The real billing system, except that ``method`` raises ``error``."""

    def __init__(self, inner: Any, error: BaseException, method: str = "get_account") -> None:
        self._inner = inner
        self._error = error
        self._method = method

    def __getattr__(self, name: str) -> Any:
        if name == self._method:

            def raising(*_args: Any, **_kwargs: Any) -> Any:
                raise self._error

            return raising
        return getattr(self._inner, name)


@pytest.fixture
def database(seeded_engine: Engine) -> Path:
    """A file migrated to head and seeded with the demo operator (tests/integration/conftest)."""
    assert seeded_engine.url.database is not None
    seeded_engine.dispose()  # the app opens its own engine on the file
    return Path(seeded_engine.url.database)


@pytest.fixture
def make_client(
    monkeypatch: pytest.MonkeyPatch, database: Path
) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**env)``: the real app on ``database``, settings read afresh."""
    opened: list[TestClient] = []

    def make(**env: str) -> TestClient:
        from app.web.main import create_app

        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
        monkeypatch.setenv("OPS_API_TOKEN", TOKEN)
        monkeypatch.setenv("RECONCILE_INTERVAL_S", "3600")
        for name in ("BSS_FAULT_FILE", "FAULT_HOOKS", "DB_BUSY_TIMEOUT_S", "LLM_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        use_deps(None)
        client = TestClient(create_app(), raise_server_exceptions=False)
        client.__enter__()  # runs the lifespan: the reconciler starts (its first pass at once)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
    factory = get_deps().backoffice
    if isinstance(factory, SqlBackOfficeFactory):
        factory.engine.dispose()
    use_deps(None)
    get_settings.cache_clear()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def billing_raising(error: BaseException, method: str = "get_account") -> None:
    """Keep the app's real deps, with a billing system whose ``method`` raises ``error``."""
    real = get_deps()
    use_deps(dataclasses.replace(real, billing=RaisingBss(real.billing, error, method)))


def assert_json_error(response: Any, status: int, error_type: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, str] = response.json()
    assert set(body) == {"error", "type"}
    assert body["type"] == error_type
    assert body["error"]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return body


# --- the real app answers normally --------------------------------------------------------------


def test_a_known_account_answers_200_with_its_back_office_view(client: TestClient) -> None:
    response = client.get(ANA, headers=AUTH)

    assert response.status_code == 200
    assert response.json()["account_id"] == "100001"


def test_an_unknown_account_answers_404_json(client: TestClient) -> None:
    response = client.get("/api/accounts/999999", headers=AUTH)

    assert response.status_code == 404
    assert response.json()["error"] == "unknown account 999999"


def test_a_malformed_account_id_answers_422_json(client: TestClient) -> None:
    response = client.get("/api/accounts/12ab56", headers=AUTH)

    assert response.status_code == 422
    assert "malformed account id" in response.json()["error"]


def test_a_missing_token_answers_401_json(client: TestClient) -> None:
    response = client.get(ANA)

    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}


# --- the domain's error tree --------------------------------------------------------------------

# NotFound from get_account is the route's own 404 (see the tests above and below).
CASES = [
    (NotPermitted("staff only"), 403),
    (ApprovalLimitExceeded("agent:alex may approve up to $200.00"), 403),
    (Conflict("collides"), 409),
    (AlreadyDecided("adj_1 is applied, not pending approval"), 409),
    (IdempotencyConflict("key-1 was asked differently"), 409),
    (FactsChanged("the bill changed"), 409),
    (InvalidInput("a changed amount must be at least 1 cent"), 422),
    (VerificationRequired("verify first"), 401),
    (ExternalSystemError("BSS unavailable"), 503),
    (ExternalTimeout("BSS timed out on get_account"), 503),
    (ExternalRefused("BSS refused get_account"), 503),
    (StorageUnavailable("back-office database: OperationalError"), 503),
    (DomainError("a bug that is still ours"), 500),
]


@pytest.mark.parametrize(
    ("error", "status"), CASES, ids=[type(error).__name__ for error, _ in CASES]
)
def test_each_domain_error_answers_its_status_with_its_message_and_type(
    client: TestClient, error: DomainError, status: int
) -> None:
    billing_raising(error)

    body = assert_json_error(client.get(ANA, headers=AUTH), status, type(error).__name__)

    assert body["error"] == str(error)


def test_a_domain_error_without_a_message_is_named_by_its_type(client: TestClient) -> None:
    billing_raising(StorageUnavailable())

    body = assert_json_error(client.get(ANA, headers=AUTH), 503, "StorageUnavailable")

    assert body["error"] == "StorageUnavailable"


def test_a_not_found_after_the_account_lookup_answers_404_with_its_type(
    client: TestClient,
) -> None:
    billing_raising(NotFound("no balance for 100001"), method="get_balance_cents")

    body = assert_json_error(client.get(ANA, headers=AUTH), 404, "NotFound")

    assert body["error"] == "no balance for 100001"


def test_an_unexpected_error_answers_500_with_a_generic_message_and_no_trace(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "password=hunter2 at /srv/kestrel/billing.py line 42"
    billing_raising(RuntimeError(secret))

    with caplog.at_level(logging.ERROR, logger="app.web.errors"):
        response = client.get(ANA, headers=AUTH)

    body = assert_json_error(response, 500, "InternalError")
    assert body == {"error": "internal error (logged)", "type": "InternalError"}
    assert secret not in response.text
    assert "RuntimeError" not in response.text
    # ... but the operator's log has it, with the trace
    logged = [r for r in caplog.records if r.name == "app.web.errors"]
    assert logged and logged[-1].exc_info is not None
    assert logged[-1].exc_info[1] is not None and secret in str(logged[-1].exc_info[1])


def test_the_app_keeps_serving_after_an_unexpected_error(client: TestClient) -> None:
    real = get_deps()
    billing_raising(RuntimeError("boom"))
    assert client.get(ANA, headers=AUTH).status_code == 500

    use_deps(real)

    assert client.get(ANA, headers=AUTH).status_code == 200


# --- a locked database --------------------------------------------------------------------------


def test_a_locked_database_answers_503_storage_unavailable_and_recovers_when_released(
    make_client: Callable[..., TestClient], database: Path
) -> None:
    client = make_client(DB_BUSY_TIMEOUT_S="0.5")
    holder = sqlite3.connect(database, isolation_level=None, timeout=10)
    try:
        holder.execute("BEGIN EXCLUSIVE")

        response = client.get(ANA, headers=AUTH)

        assert_json_error(response, 503, "StorageUnavailable")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    again = client.get(ANA, headers=AUTH)

    assert again.status_code == 200
    assert again.json()["account_id"] == "100001"


def test_a_locked_back_office_answers_503_storage_unavailable_and_recovers(
    make_client: Callable[..., TestClient], database: Path
) -> None:
    """The back office's own translation, with the BSS reads answered before the lock."""
    client = make_client(DB_BUSY_TIMEOUT_S="0.5")
    real = get_deps()
    account = real.billing.get_account("100001")
    balance = real.billing.get_balance_cents("100001")

    class Remembered(RaisingBss):
        def get_account(self, _account_id: str) -> Any:
            return account

        def get_balance_cents(self, _account_id: str) -> int:
            return balance

    use_deps(dataclasses.replace(real, billing=Remembered(real.billing, RuntimeError(), "-")))
    holder = sqlite3.connect(database, isolation_level=None, timeout=10)
    try:
        holder.execute("BEGIN EXCLUSIVE")

        response = client.get(ANA, headers=AUTH)

        body = assert_json_error(response, 503, "StorageUnavailable")
        assert body["error"] == "back-office database: OperationalError"
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert client.get(ANA, headers=AUTH).status_code == 200
