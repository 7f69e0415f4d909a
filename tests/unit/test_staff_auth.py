"""Staff sign-in without a web server: the store's hashes, limits and sessions, and the edge's
rules on redirects, origins and tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.backoffice.staff import (
    BEARER,
    COOKIE,
    DEMO_STAFF,
    SignInLimits,
    SignInThrottled,
    StaffStore,
    check_staff_at_start,
)
from app.backoffice.tables import ConsoleSessionRow, SignInFailureRow, StaffRow
from app.policy_loader import load_policy
from app.settings import Settings
from app.web.console.guards import bearer_of, console_origins, cross_site, safe_next
from domain.errors import NotAuthenticated
from domain.policy import StaffMember
from tests.unit.fakes import POLICY_FILE, FakeClock, sqlite_backoffice

LIMITS = SignInLimits(
    idle=timedelta(minutes=30),
    lifetime=timedelta(hours=12),
    window=timedelta(minutes=15),
    max_per_user=5,
    max_per_address=20,
)


class CountingHasher(PasswordHasher):
    """Cheap parameters (the tests hash a lot), and a count of verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine() -> Engine:
    return sqlite_backoffice().engine


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def store(engine: Engine, clock: FakeClock, hasher: CountingHasher) -> StaffStore:
    store = StaffStore(engine, clock.now, load_policy(POLICY_FILE).staff, LIMITS, hasher)
    store.ensure_demo_staff()
    return store


def rows(engine: Engine, table: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.execute(select(table)).scalars())


def test_a_password_is_kept_only_as_an_argon2_hash(engine: Engine, store: StaffStore) -> None:
    hashes = {row.username: row.password_hash for row in rows(engine, StaffRow)}
    assert set(hashes) == {"alex", "sam"}
    assert all(value.startswith("$argon2id$") for value in hashes.values())
    assert not any("kestrel" in value for value in hashes.values())


def test_the_default_hasher_is_argon2id_with_the_librarys_parameters(engine: Engine) -> None:
    store = StaffStore(engine, FakeClock().now, {}, LIMITS)
    store.set_staff("zoe", "Zoe", "a-long-enough-password")
    (row,) = rows(engine, StaffRow)
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_right_password_signs_in_with_the_role_of_the_policy(store: StaffStore) -> None:
    alex = store.authenticate("alex", "kestrel-alex", "10.0.0.1")
    sam = store.authenticate(" Sam ", "kestrel-sam", "10.0.0.1")
    assert (alex.username, alex.display_name, alex.role) == ("alex", "Alex", "agent")
    assert (sam.username, sam.role, sam.is_supervisor) == ("sam", "supervisor", True)


def test_an_unknown_name_costs_one_verification_like_a_wrong_password(
    store: StaffStore, hasher: CountingHasher
) -> None:
    with pytest.raises(NotAuthenticated, match="wrong username or password") as unknown:
        store.authenticate("mallory", "guess", "10.0.0.1")
    assert hasher.verified == 1
    with pytest.raises(NotAuthenticated) as wrong:
        store.authenticate("alex", "guess", "10.0.0.1")
    assert hasher.verified == 2
    assert str(unknown.value) == str(wrong.value)


def test_a_person_taken_off_the_policy_can_no_longer_sign_in_nor_use_a_session(
    engine: Engine, clock: FakeClock, hasher: CountingHasher
) -> None:
    staff = dict(load_policy(POLICY_FILE).staff)
    store = StaffStore(engine, clock.now, staff, LIMITS, hasher)
    store.ensure_demo_staff()
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    del staff["alex"]
    with pytest.raises(NotAuthenticated):
        store.authenticate("alex", "kestrel-alex", "a")
    assert store.session_user(session.secret, COOKIE) is None
    assert rows(engine, ConsoleSessionRow) == []


def test_the_sixth_attempt_is_refused_before_the_password_is_looked_at(
    store: StaffStore, hasher: CountingHasher, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            store.authenticate("alex", "wrong", "10.0.0.1")
        clock.advance(timedelta(seconds=10))
    verified = hasher.verified
    with pytest.raises(SignInThrottled) as refused:
        store.authenticate("alex", "kestrel-alex", "10.0.0.2")  # another address too
    assert hasher.verified == verified
    # the oldest of the five failures leaves the window 15 min after it: 50 s have passed
    assert refused.value.retry_after_s == 15 * 60 - 50
    clock.advance(timedelta(seconds=refused.value.retry_after_s))
    assert store.authenticate("alex", "kestrel-alex", "10.0.0.2").username == "alex"


def test_the_address_limit_counts_every_name_tried_from_it(
    engine: Engine, clock: FakeClock, hasher: CountingHasher
) -> None:
    limits = SignInLimits(LIMITS.idle, LIMITS.lifetime, LIMITS.window, 5, max_per_address=3)
    store = StaffStore(engine, clock.now, load_policy(POLICY_FILE).staff, limits, hasher)
    store.ensure_demo_staff()
    for name in ("ann", "bob", "cy"):
        with pytest.raises(NotAuthenticated):
            store.authenticate(name, "guess", "203.0.113.9")
    with pytest.raises(SignInThrottled):
        store.authenticate("alex", "kestrel-alex", "203.0.113.9")
    assert store.authenticate("alex", "kestrel-alex", "198.51.100.1").username == "alex"


def test_a_good_sign_in_clears_the_persons_failures_but_not_the_addresses(
    engine: Engine, store: StaffStore
) -> None:
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            store.authenticate("alex", "wrong", "10.0.0.1")
    store.authenticate("alex", "kestrel-alex", "10.0.0.1")
    assert [row.username for row in rows(engine, SignInFailureRow)] == []
    with pytest.raises(NotAuthenticated):
        store.authenticate("mallory", "guess", "10.0.0.1")
    with pytest.raises(NotAuthenticated):
        store.authenticate("alex", "wrong", "10.0.0.1")
    store.authenticate("alex", "kestrel-alex", "10.0.0.1")
    assert [(r.username, r.address) for r in rows(engine, SignInFailureRow)] == [
        ("mallory", "10.0.0.1")
    ]


def test_failures_older_than_the_window_are_deleted(
    engine: Engine, store: StaffStore, clock: FakeClock
) -> None:
    with pytest.raises(NotAuthenticated):
        store.authenticate("mallory", "guess", "10.0.0.1")
    clock.advance(timedelta(minutes=16))
    with pytest.raises(NotAuthenticated):
        store.authenticate("eve", "guess", "10.0.0.2")
    assert [row.username for row in rows(engine, SignInFailureRow)] == ["eve"]


def test_only_the_sha256_of_a_session_secret_is_stored(engine: Engine, store: StaffStore) -> None:
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    (row,) = rows(engine, ConsoleSessionRow)
    assert len(session.secret) >= 43  # 32 random bytes
    assert row.token_hash == hashlib.sha256(session.secret.encode()).hexdigest()
    assert session.secret not in {row.token_hash, row.csrf_token}
    assert session.user.csrf_token == row.csrf_token and len(row.csrf_token) >= 43
    assert session.expires_in_s == 30 * 60


def test_a_session_unused_for_the_idle_time_ends_and_its_row_goes(
    engine: Engine, store: StaffStore, clock: FakeClock
) -> None:
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    clock.advance(timedelta(minutes=29))
    assert store.session_user(session.secret, COOKIE) is not None
    clock.advance(timedelta(minutes=29))  # 29 min after the last use
    assert store.session_user(session.secret, COOKIE) is not None
    clock.advance(timedelta(minutes=30))
    assert store.session_user(session.secret, COOKIE) is None
    assert rows(engine, ConsoleSessionRow) == []


def test_a_session_ends_at_its_absolute_lifetime_however_active(
    store: StaffStore, clock: FakeClock
) -> None:
    session = store.start_session(store.authenticate("sam", "kestrel-sam", "a"), BEARER)
    for _ in range(12 * 60 // 20 - 1):
        clock.advance(timedelta(minutes=20))
        assert store.session_user(session.secret, BEARER) is not None
    clock.advance(timedelta(minutes=20))  # 12 hours after sign-in
    assert store.session_user(session.secret, BEARER) is None


def test_use_touches_last_seen_at_at_most_every_30_seconds(
    engine: Engine, store: StaffStore, clock: FakeClock
) -> None:
    started = clock.now()
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    clock.advance(timedelta(seconds=20))
    store.session_user(session.secret, COOKIE)
    assert rows(engine, ConsoleSessionRow)[0].last_seen_at == started
    clock.advance(timedelta(seconds=20))
    store.session_user(session.secret, COOKIE)
    assert rows(engine, ConsoleSessionRow)[0].last_seen_at == started + timedelta(seconds=40)


def test_a_token_of_one_kind_is_not_a_session_of_the_other(store: StaffStore) -> None:
    cookie = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    bearer = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), BEARER)
    assert store.session_user(cookie.secret, BEARER) is None
    assert store.session_user(bearer.secret, COOKIE) is None
    assert store.session_user("forged", COOKIE) is None
    assert store.session_user("", COOKIE) is None


def test_logging_out_deletes_the_session(engine: Engine, store: StaffStore) -> None:
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    store.end_session(session.secret)
    assert store.session_user(session.secret, COOKIE) is None
    assert rows(engine, ConsoleSessionRow) == []


def test_a_new_password_ends_the_persons_sessions(store: StaffStore) -> None:
    session = store.start_session(store.authenticate("alex", "kestrel-alex", "a"), COOKIE)
    assert store.set_staff("alex", "Alex", "a-brand-new-password") is False
    assert store.session_user(session.secret, COOKIE) is None
    with pytest.raises(NotAuthenticated):
        store.authenticate("alex", "kestrel-alex", "a")
    assert store.authenticate("alex", "a-brand-new-password", "a").username == "alex"


def test_the_demo_staff_are_created_once_and_keep_a_changed_password(
    store: StaffStore,
) -> None:
    assert store.demo_passwords_in_use() == ["alex", "sam"]
    store.set_staff("sam", "Sam", "sams-own-long-password")
    assert store.ensure_demo_staff() == []
    assert store.demo_passwords_in_use() == ["alex"]


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_at_start_demo_mode_creates_the_demo_staff(engine: Engine, hasher: PasswordHasher) -> None:
    store = StaffStore(engine, FakeClock().now, load_policy(POLICY_FILE).staff, LIMITS, hasher)
    check_staff_at_start(settings(demo_mode=True), store)
    assert store.demo_passwords_in_use() == sorted(DEMO_STAFF)


def test_at_start_outside_demo_mode_a_demo_password_stops_the_app(store: StaffStore) -> None:
    with pytest.raises(RuntimeError, match=r"alex, sam .*make staff-add"):
        check_staff_at_start(settings(demo_mode=False), store)
    store.set_staff("alex", "Alex", "alexs-own-long-password")
    store.remove_staff("sam")
    check_staff_at_start(settings(demo_mode=False), store)


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [
        ("/console/cases/c-1?tab=notes", "/console/cases/c-1?tab=notes"),
        ("/console/dashboard", "/console/dashboard"),
        ("/console", "/console"),
        (None, "/console/"),
        ("", "/console/"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/\\evil.example", "/console/"),
        ("/console//evil.example", "/console/"),
        ("/console/../admin", "/console/"),
        ("/console/%2e%2e/admin", "/console/"),
        ("/consolex", "/console/"),
        ("/api/cases", "/console/"),
        ("javascript:alert(1)", "/console/"),
        ("/console/\r\nSet-Cookie: x=1", "/console/"),
        ("/console/login?next=/console/", "/console/"),
    ],
)
def test_a_sign_in_only_returns_to_a_console_page_of_this_site(
    asked: str | None, sent_to: str
) -> None:
    assert safe_next(asked) == sent_to


def request_with(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),
        ({"Origin": "http://127.0.0.1:8000"}, False),
        ({"Origin": "http://localhost:8000"}, False),
        ({"Sec-Fetch-Site": "same-origin"}, False),
        ({"Origin": "https://evil.example"}, True),
        ({"Origin": "http://127.0.0.1:8001"}, True),
        ({"Origin": "null"}, True),
        ({"Sec-Fetch-Site": "cross-site"}, True),
    ],
)
def test_a_change_from_another_origin_is_refused(headers: dict[str, str], refused: bool) -> None:
    origins = console_origins(settings(demo_mode=True, web_port=8000))
    assert cross_site(request_with(headers), origins) is refused


def test_outside_demo_mode_only_the_public_origin_is_the_consoles_own() -> None:
    origins = console_origins(settings(demo_mode=False, public_base_url="https://care.example/"))
    assert origins == {"https://care.example"}


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", ""), ("", ""), ("abc", "")],
)
def test_the_bearer_token_is_read_from_the_authorization_header(header: str, token: str) -> None:
    assert bearer_of(request_with({"Authorization": header} if header else {})) == token


def test_the_policy_staff_are_the_demo_staff() -> None:
    staff = load_policy(POLICY_FILE).staff
    assert staff["alex"] == StaffMember(
        role="agent", approval_limit_cents=20000, extension_limit_days=30
    )
    assert staff["sam"].role == "supervisor"
