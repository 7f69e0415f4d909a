"""`make staff-add`: create a console user, or set a new password; remove one.

python -m app.cli.staff add <username> [--name NAME] [--password-stdin]
python -m app.cli.staff remove <username>

Only people on the autonomy policy's staff table may be added (their role and limits live
there). Without --password-stdin the password is asked twice, never echoed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TextIO

from app.backoffice.staff import DEMO_STAFF, SignInLimits, StaffStore, normalise
from app.db import make_engine, upgrade_to_head
from app.policy_loader import load_policy
from app.settings import Settings

SHORTEST_PASSWORD = 12


class Refused(Exception):
    """Nothing was changed; the message says why."""


def read_password(from_stdin: bool, stdin: TextIO, ask: Callable[[str], str]) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    password = ask("Password: ")
    if ask("Password again: ") != password:
        raise Refused("the two passwords differ; nothing changed")
    return password


def check_password(username: str, password: str) -> None:
    if len(password) < SHORTEST_PASSWORD:
        raise Refused(f"a password needs at least {SHORTEST_PASSWORD} characters")
    if password in {demo for _, demo in DEMO_STAFF.values()}:
        raise Refused("that is a published demo password; choose another")
    if password.strip().lower() == username:
        raise Refused("the password must not be the username")


def run(
    argv: list[str] | None,
    settings: Settings,
    stdin: TextIO | None = None,  # None: sys.stdin at the time of the call
    ask: Callable[[str], str] = getpass.getpass,
) -> str:
    """Do what ``argv`` says and return what was done (Refused: nothing was)."""
    parser = argparse.ArgumentParser(
        prog="python -m app.cli.staff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create a console user, or set a new password")
    add.add_argument("username")
    add.add_argument("--name", help="the name shown in the console (default: the username)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    remove = sub.add_parser("remove", help="delete a console user and end their sessions")
    remove.add_argument("username")
    args = parser.parse_args(argv)

    policy = load_policy(settings.policy_file)
    username = normalise(args.username)
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url, busy_timeout_s=settings.db_busy_timeout_s)
    store = StaffStore(
        engine,
        lambda: datetime.now(timezone.utc),
        policy.staff,
        SignInLimits.from_settings(settings),
    )
    try:
        if args.command == "remove":
            if not store.remove_staff(username):
                raise Refused(f"there is no console user {username!r}")
            return f"Removed console user {username} and ended their sessions."
        if username not in policy.staff:
            known = ", ".join(sorted(policy.staff)) or "(none)"
            raise Refused(
                f"{username!r} is not on the staff table of {settings.policy_file} "
                f"(policy {policy.version}); add them there first. Staff there: {known}"
            )
        password = read_password(args.password_stdin, stdin or sys.stdin, ask)
        check_password(username, password)
        name = (args.name or "").strip() or username.capitalize()
        created = store.set_staff(username, name, password)
    finally:
        engine.dispose()
    member = policy.staff[username]
    did = "Created" if created else "Set a new password for (and signed out)"
    return (
        f"{did} console user {username} ({name}), {member.role} with an approval limit of "
        f"${member.approval_limit_cents / 100:,.2f} and extensions up to "
        f"{member.extension_limit_days} days (from the policy)."
    )


def main(argv: list[str] | None = None) -> int:
    try:
        print(run(argv, Settings()))
    except Refused as refused:
        print(f"staff: {refused}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
