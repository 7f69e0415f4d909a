"""Back-office database chores: migrate, seed, reset the demo, the kill switch.

python -m app.cli.db upgrade | seed | reset | kill-switch on|off
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from app.bootstrap import get_deps, get_engine, get_settings
from app.db import upgrade_to_head
from app.seeding import reset_demo, seed_if_empty, seed_is_stale, seeded_at
from app.settings import Settings


def uses_tmf_reference(settings: Settings) -> bool:
    """BSS=tmf runs the reference BSS, or an earlier `make run BSS=tmf` left its database."""
    url = settings.tmf_reference_database_url
    left = url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///")).exists()
    return settings.runs_tmf_reference or left


def reset_everything(settings: Settings, now: datetime) -> None:
    """The demo seed at ``now`` in the back office and, when in use, the TMF reference BSS."""
    from billing_adapters.tmf_reference.store import reset_reference

    upgrade_to_head(settings.database_url)
    reset_demo(get_engine(settings.database_url), now)
    if uses_tmf_reference(settings):
        reset_reference(settings.tmf_reference_database_url, now)


def prepare_database() -> None:
    """Migrate to head and seed the demo operator if the database is empty."""
    settings = get_settings()
    print("==> Migrating the back-office database", flush=True)
    upgrade_to_head(settings.database_url)
    engine = get_engine(settings.database_url)
    now = datetime.now(timezone.utc)
    seeded = seed_if_empty(engine, now)
    if settings.runs_tmf_reference:
        from billing_adapters.tmf_reference.store import seed_reference_if_stale

        # The same seed time as the back office, so seeded history and bills agree.
        if seed_reference_if_stale(settings.tmf_reference_database_url, seeded_at(engine) or now):
            print("  seeded the TMF reference BSS with the same demo operator", flush=True)
    if seeded:
        print("  seeded the demo operator (Kestrel Mobile), dates relative to now", flush=True)
    elif seed_is_stale(engine, now):
        print(
            f"  warning: the demo seed is from {seeded_at(engine):%Y-%m-%d}, more than 7 days ago;"
            " bills and due dates look old. Run `make reset` to re-seed relative to now.",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.cli.db", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="migrate to the newest schema")
    sub.add_parser("seed", help="migrate, then seed the demo if the database is empty")
    sub.add_parser("reset", help="restore the demo back office to exactly the seed")
    switch = sub.add_parser("kill-switch", help="pause or resume bot-applied adjustments")
    switch.add_argument("state", choices=["on", "off"])
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "upgrade":
        upgrade_to_head(settings.database_url)
    elif args.command == "seed":
        prepare_database()
    elif args.command == "reset":
        reset_everything(settings, datetime.now(timezone.utc))
        also = " and the TMF reference BSS" if uses_tmf_reference(settings) else ""
        print(f"Demo back office{also} restored to the seed (dates relative to now).")
    else:
        with get_deps().backoffice() as office:
            office.flags.set_kill_switch(args.state == "on")
            office.commit()
        paused = (
            "paused: every adjustment now goes to a person" if args.state == "on" else "resumed"
        )
        print(f"Bot-applied adjustments {paused}.")


if __name__ == "__main__":
    main()
