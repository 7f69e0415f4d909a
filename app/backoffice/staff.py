"""The console's staff over SQL: argon2 password hashes, sessions and API tokens, sign-in limits.

A session (cookie) or API token (bearer) is a random secret handed to the client once; only its
SHA-256 is stored, so a copy of the database signs nobody in. Roles and limits are not stored
here: they come from the policy's staff table, and a person no longer on it cannot sign in.
Each method runs short transactions of its own, outside the serialised money transactions.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, sessionmaker
from sqlalchemy.sql import Executable

from app.backoffice.tables import BackOfficeBase, ConsoleSessionRow, SignInFailureRow, StaffRow
from app.settings import Settings
from domain.errors import NotAuthenticated, StorageUnavailable, TooManyAttempts
from domain.policy import StaffMember

T = TypeVar("T")
SessionKind = Literal["cookie", "bearer"]
COOKIE: SessionKind = "cookie"
BEARER: SessionKind = "bearer"
DEMO_STAFF = {"alex": ("Alex", "kestrel-alex"), "sam": ("Sam", "kestrel-sam")}
WRONG = "wrong username or password"
# last_seen_at is written at most this often: every console request reads its session, and
# SQLite has one writer for the whole back office.
TOUCH_EVERY = timedelta(seconds=30)
LONGEST_PASSWORD = 1024  # argon2 takes any length; this only bounds the work of one attempt


class StaffUser(BaseModel):
    """A signed-in person as the console and the APIs see them."""

    model_config = ConfigDict(frozen=True)

    username: str
    display_name: str
    role: Literal["agent", "supervisor"]
    csrf_token: str = ""

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class SignInLimits:
    idle: timedelta
    lifetime: timedelta
    window: timedelta
    max_per_user: int
    max_per_address: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            idle=timedelta(minutes=settings.console_idle_minutes),
            lifetime=timedelta(hours=settings.console_session_max_hours),
            window=timedelta(minutes=settings.sign_in_window_minutes),
            max_per_user=settings.sign_in_max_failures_per_user,
            max_per_address=settings.sign_in_max_failures_per_address,
        )


@dataclass(frozen=True)
class NewSession:
    secret: str  # give it to the client; it is not stored anywhere
    user: StaffUser
    expires_in_s: int  # if unused; each use extends it, up to the absolute lifetime


class SignInThrottled(TooManyAttempts):
    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"too many failed sign-ins; try again in {minutes} minute(s)")
        self.retry_after_s = retry_after_s


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def normalise(username: str) -> str:
    return username.strip().lower()[:64]


def role_of(member: StaffMember) -> Literal["agent", "supervisor"]:
    return "supervisor" if member.role == "supervisor" else "agent"


class StaffStore:
    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime],
        staff: Mapping[str, StaffMember],
        limits: SignInLimits,
        hasher: PasswordHasher | None = None,  # tests pass cheap parameters; production: default
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._now, self._staff, self._limits = now, staff, limits
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def _run(self, what: str, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction, committed when it returns."""
        try:
            with self._sessions() as session:
                result = work(session)
                session.commit()
                return result
        except SQLAlchemyError as error:
            raise StorageUnavailable(f"staff: could not {what}: {type(error).__name__}") from error

    @staticmethod
    def _change(session: Session, statement: Executable, row: BackOfficeBase) -> None:
        session.execute(statement)
        session.add(row)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Constant work whether or not the person exists: an unknown name checks a dummy hash."""
        if password_hash is None:
            if self._dummy_hash is None:  # made once, with the same parameters as real ones
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            password_hash = self._dummy_hash
        try:
            return self._hasher.verify(password_hash, password[:LONGEST_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False

    def set_staff(self, username: str, display_name: str, password: str) -> bool:
        """Create the person (True) or replace their name and password, ending their sessions."""
        name, password_hash = normalise(username), self._hasher.hash(password)

        def save(session: Session) -> bool:
            row = session.get(StaffRow, name)
            if row is None:
                hashed, now = password_hash, self._now()
                session.add(StaffRow(username=name, display_name=display_name,
                                     password_hash=hashed, created_at=now))  # fmt: skip
            else:
                row.display_name, row.password_hash = display_name, password_hash
                session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.username == name))
            return row is None

        return self._run("save a staff member", save)

    def remove_staff(self, username: str) -> bool:
        name = normalise(username)

        def remove(session: Session) -> bool:
            session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.username == name))
            row = session.get(StaffRow, name)
            if row is not None:
                session.delete(row)
            return row is not None

        return self._run("remove a staff member", remove)

    def password_hashes(self) -> dict[str, str]:
        rows = self._run("read the staff", lambda s: s.execute(select(StaffRow)).scalars().all())
        return {row.username: row.password_hash for row in rows}

    def ensure_demo_staff(self) -> list[str]:
        """Demo mode: alex and sam with their demo passwords, if absent. Returns who was created."""
        existing, existing_now = self.password_hashes(), self.password_hashes
        created = [name for name in DEMO_STAFF if name not in existing]
        for name in created:
            try:
                self.set_staff(name, *DEMO_STAFF[name])
            except StorageUnavailable as error:  # another replica, starting too, was first?
                if not isinstance(error.__cause__, IntegrityError) or name not in existing_now():
                    raise
        return created

    def demo_passwords_in_use(self) -> list[str]:
        demo = [password for _, password in DEMO_STAFF.values()]
        hashes = self.password_hashes()
        return sorted(n for n, h in hashes.items() if any(self._verify(h, p) for p in demo))

    def _retry_after(self, moments: list[datetime], limit: int, now: datetime) -> int | None:
        """Seconds until fewer than ``limit`` failures remain in the window; None: not over."""
        if len(moments) < limit:
            return None
        freed_at = sorted(moments)[len(moments) - limit] + self._limits.window
        return max(1, math.ceil((freed_at - now).total_seconds()))

    def _check_throttle(self, name: str, address: str) -> None:
        now = self._now()
        since = now - self._limits.window

        def failures(session: Session, column: Mapped[str], value: str) -> list[datetime]:
            query = select(SignInFailureRow.at).where(column == value, SignInFailureRow.at > since)
            return list(session.execute(query).scalars())

        by_user, by_address = self._run("count failed sign-ins", lambda session: (
            failures(session, SignInFailureRow.username, name),
            failures(session, SignInFailureRow.address, address)))  # fmt: skip
        waits = [
            self._retry_after(by_user, self._limits.max_per_user, now),
            self._retry_after(by_address, self._limits.max_per_address, now),
        ]
        if any(wait is not None for wait in waits):
            raise SignInThrottled(max(wait for wait in waits if wait is not None))

    def authenticate(self, username: str, password: str, address: str) -> StaffUser:
        """The person, if the password is theirs and they are on the policy's staff table.

        Over a rate limit: SignInThrottled, before the password is looked at. A wrong password,
        an unknown name and a name not on the policy are one NotAuthenticated, in the same time.
        """
        name, address = normalise(username), (address or "unknown")[:64]
        self._check_throttle(name, address)
        row = self._run("read a staff member", lambda s: s.get(StaffRow, name))
        good = self._verify(row.password_hash if row else None, password)
        member = self._staff.get(name)
        if row is None or member is None or not good:
            now = self._now()
            failed = SignInFailureRow(username=name, address=address, at=now)
            old = delete(SignInFailureRow).where(SignInFailureRow.at <= now - self._limits.window)
            self._run("record a failed sign-in", lambda s: self._change(s, old, failed))
            raise NotAuthenticated(WRONG)

        def succeeded(session: Session) -> None:
            # The address keeps its count: one good password must not reset a guessing run.
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.username == name))
            if self._hasher.check_needs_rehash(row.password_hash):
                staff = session.get(StaffRow, name)
                if staff is not None:
                    staff.password_hash = self._hasher.hash(password)

        self._run("clear failed sign-ins", succeeded)
        return StaffUser(username=name, display_name=row.display_name, role=role_of(member))

    def start_session(self, user: StaffUser, kind: SessionKind) -> NewSession:
        secret, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self._now()
        row = ConsoleSessionRow(token_hash=token_hash(secret), username=user.username, kind=kind,
                                csrf_token=csrf, created_at=now, last_seen_at=now)  # fmt: skip
        # Sessions nobody came back to are deleted here, since nothing else will meet them.
        ended = or_(ConsoleSessionRow.last_seen_at <= now - self._limits.idle,
                    ConsoleSessionRow.created_at <= now - self._limits.lifetime)  # fmt: skip
        purge = delete(ConsoleSessionRow).where(ended)
        self._run("start a session", lambda s: self._change(s, purge, row))
        expires = min(self._limits.idle, self._limits.lifetime).total_seconds()
        return NewSession(secret, user.model_copy(update={"csrf_token": csrf}), int(expires))

    def session_user(self, secret: str, kind: SessionKind) -> StaffUser | None:
        """Whose session this is; None when unknown, of the other kind, expired or revoked."""
        if not secret:
            return None
        key, now = token_hash(secret), self._now()

        def find(session: Session) -> StaffUser | None:
            row = session.get(ConsoleSessionRow, key)
            if row is None or row.kind != kind:
                return None
            member, staff = self._staff.get(row.username), session.get(StaffRow, row.username)
            idle, age = now - row.last_seen_at, now - row.created_at
            ended = idle >= self._limits.idle or age >= self._limits.lifetime
            if member is None or staff is None or ended:
                session.delete(row)  # met expired (or its person removed): gone for good
                return None
            if idle >= TOUCH_EVERY:
                row.last_seen_at = now
            return StaffUser(username=row.username, display_name=staff.display_name,
                             role=role_of(member), csrf_token=row.csrf_token)  # fmt: skip

        return self._run("read a session", find)

    def end_session(self, secret: str) -> None:
        key = token_hash(secret)
        self._run("end a session", lambda session: session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == key)))  # fmt: skip


def check_staff_at_start(settings: Settings, store: StaffStore) -> None:
    """Demo mode: create the demo staff if absent. Otherwise refuse to run with a demo password."""
    if settings.demo_mode:
        store.ensure_demo_staff()
        return
    weak = store.demo_passwords_in_use()
    if weak:
        raise RuntimeError(
            f"staff {', '.join(weak)} still use a demo password and DEMO_MODE is off: set a new "
            "password with `make staff-add NAME=<name>` (python -m app.cli.staff add <name>) "
            "or remove them (python -m app.cli.staff remove <name>)"
        )
