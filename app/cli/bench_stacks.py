"""`make bench`, what it measures: the stack kinds (baseline, embedded, scaled) behind one
interface (``Target``), each with its scripted journeys.

A kind is a context manager that trains what it needs, starts its processes on free ports,
yields a ``Target`` and stops everything it started.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.cli.bench_baseline import baseline_server, ensure_baseline
from app.cli.bench_client import Exhausted, Journey, JourneySource, Turn
from app.cli.bench_data import add_accounts, throwaway_stack
from app.cli.bench_stats import Plan
from app.cli.bench_training import our_training
from app.cli.bench_voice import voice_call, voice_report
from app.settings import Settings

BENCH_DAILY_BUDGET_CENTS = 100_000_000  # $1,000,000: the bench measures the apply path
PIN = "4321"  # every generated account is a copy of Ana's (app/cli/bench_data.py)
EXPLAINED = "$32.00"  # the roaming charge in the answer to "why is my bill higher"
BALANCE = Turn("what's my balance", "Your balance is $112.40.")


def our_read(account: str) -> Journey:
    """Verify (the question first, then account and PIN), then the balance: no write."""
    return [
        Turn("hi"),
        Turn("why is my bill higher"),
        Turn(account),
        Turn(PIN, EXPLAINED),
        BALANCE,
    ]


def our_apply(account: str) -> Journey:
    """The full apply path: verify, why higher, waive the late fee, yes -> "Done."."""
    return [*our_read(account)[:4], Turn("waive the late fee"), Turn("yes", "Done.")]


# The `rasa init` bot's stories and rules (its data/*.yml), as read turns.
BASELINE_READ: Journey = [
    Turn("hi", "Hey! How are you?"),
    Turn("I am sad", "Here is something to cheer you up"),
    Turn("yes", "Great, carry on!"),
    Turn("are you a bot?", "I am a bot, powered by Rasa."),
    Turn("bye", "Bye"),
]
BASELINE_LONG_PRELUDE: Journey = [
    Turn("hi", "Hey! How are you?"),
    Turn("I am great", "Great, carry on!"),
]
BASELINE_LONG_REPEAT: Journey = [Turn("are you a bot?", "I am a bot"), Turn("bye", "Bye")]


class AccountPool:
    """Generated accounts, each used by one apply journey (a waiver is applied only once)."""

    def __init__(self, ids: list[str]) -> None:
        self._ids = list(ids)
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            if not self._ids:
                raise Exhausted("no fresh account left")
            return self._ids.pop()

    def take_many(self, count: int) -> list[str]:
        return [self.take() for _ in range(count)]


def cycling(journeys: Callable[[str], Journey], accounts: list[str]) -> JourneySource:
    """Read journeys reuse a few accounts (nothing is written), round robin."""
    ids, lock = itertools.cycle(accounts), threading.Lock()

    def source() -> Journey:
        with lock:
            account = next(ids)
        return journeys(account)

    return source


@dataclass
class Target:
    kind: str
    rasa_url: str
    pids: dict[str, int]  # process name -> pid; RSS is sampled over each one's process tree
    journeys: dict[str, JourneySource]
    open_loop_journey: str
    long_prelude: Journey
    long_repeat: Journey
    voice: Callable[[], dict[str, Any]] | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # startup_s, training


@contextmanager
def baseline_kind(plan: Plan, folder: Path) -> Iterator[Target]:
    training = ensure_baseline()
    started = time.monotonic()
    with baseline_server(Path(str(training["project"])), folder / "logs") as (url, process):
        yield Target(
            kind="baseline",
            rasa_url=url,
            pids={"rasa": process.pid},
            journeys={"read": lambda: list(BASELINE_READ)},
            open_loop_journey="read",
            long_prelude=BASELINE_LONG_PRELUDE,
            long_repeat=BASELINE_LONG_REPEAT,
            facts={"startup_s": round(time.monotonic() - started, 1), "training": training},
        )


def _ours(
    kind: str,
    plan: Plan,
    rasa_url: str,
    web_url: str,
    token: str,
    database_url: str,
    pids: dict[str, int],
    startup_s: float,
    training: dict[str, Any],
) -> Target:
    """Our journeys on a stack of ours (embedded or scaled): same scripts, same accounts."""
    print(f"  {kind}: generating {plan.apply_accounts()} accounts (copies of Ana's)", flush=True)
    pool = AccountPool(add_accounts(database_url, plan.apply_accounts() + 10))
    readers = pool.take_many(10)
    callers = pool.take_many(plan.voice_calls + 1)  # kept aside: the loops may use up the rest

    def apply() -> Journey:
        return our_apply(pool.take())

    def voice() -> dict[str, Any]:
        voice_call(web_url, token, callers[0])  # warm-up, not measured
        return {"no_model": voice_report(web_url, token, callers[1:], "no model")}

    return Target(
        kind=kind,
        rasa_url=rasa_url,
        pids=pids,
        journeys={"read": cycling(our_read, readers), "apply": apply},
        open_loop_journey="apply",
        long_prelude=our_read(readers[0])[:4],
        long_repeat=[BALANCE, Turn("why is my bill higher", EXPLAINED)],
        voice=voice,
        facts={"startup_s": startup_s, "training": training},
    )


def bench_policy(folder: Path) -> str:
    """The demo policy with a daily budget no bench reaches, so that every apply journey applies
    (the demo's $1,000 a day hands the 201st waiver of the day to a person)."""
    policy = yaml.safe_load(Settings.model_fields["policy_file"].default.read_text())
    policy["version"] = f"{policy['version']}-bench"
    policy["daily_budget_cents"] = BENCH_DAILY_BUDGET_CENTS
    path = folder / "autonomy-policy.bench.yml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return str(path)


@contextmanager
def embedded_kind(plan: Plan, folder: Path) -> Iterator[Target]:
    training = our_training()
    started = time.monotonic()
    with throwaway_stack(POLICY_FILE=bench_policy(folder)) as (config, stack):
        startup = round(time.monotonic() - started, 1)
        yield _ours(
            "embedded",
            plan,
            config.rasa_url,
            config.web_url,
            config.env["TWILIO_AUTH_TOKEN"],
            config.env["DATABASE_URL"],
            {n: p.pid for n, p in stack.processes.items()},
            startup,
            training,
        )


@contextmanager
def scaled_kind(plan: Plan, folder: Path) -> Iterator[Target]:
    """The scaled stack (app/cli/scaled.py): nginx in front of two of everything."""
    from app.cli.scaled import ScaledStack, scaled_isolated_config

    training = our_training()
    started = time.monotonic()
    config = scaled_isolated_config(folder, POLICY_FILE=bench_policy(folder))
    with ScaledStack(config, progress=True) as stack:
        stack.wait_ready(timeout_s=300, progress=True)
        startup = round(time.monotonic() - started, 1)
        yield _ours(
            "scaled",
            plan,
            config.rasa_url,
            config.web_url,
            config.env["TWILIO_AUTH_TOKEN"],
            config.database_url,
            _scaled_pids(stack),
            startup,
            training,
        )


def _scaled_pids(stack: Any) -> dict[str, int]:
    """The replicas, and the servers under them (PostgreSQL: its postmaster's process tree)."""
    pids = {name: process.pid for name, process in stack.processes.items()}
    for name in ("nginx", "redis"):
        process = getattr(getattr(stack, name, None), "process", None)
        if process is not None:
            pids[name] = process.pid
    try:
        postmaster = stack.postgres.data_dir / "postmaster.pid"
        pids["postgres"] = int(postmaster.read_text().split("\n", 1)[0])
    except (AttributeError, OSError, ValueError):
        pass  # no figure for PostgreSQL rather than no bench
    return pids


KINDS: dict[str, Callable[[Plan, Path], AbstractContextManager[Target]]] = {
    "baseline": baseline_kind,
    "embedded": embedded_kind,
    "scaled": scaled_kind,
}
