"""`make soak`: the scaled stack under ten minutes of chat and phone calls, with retries.

A scaled stack of its own (PostgreSQL, Redis, two Rasa replicas, two action servers, two web
apps, nginx; free ports, throwaway data) serves, until SOAK_SECONDS have passed:
- chat workers, each a full waiver journey on a fresh account over Rasa's REST channel through
  nginx, then the yes said again (a customer who did not see the answer);
- phone workers, each a call signed as Twilio signs it that waives the late fee, with every
  other webhook posted twice (Twilio retries one that timed out).

The demo policy's daily budget ($1,000 of bot-applied credits, 200 waivers) runs out within
the first minutes: from then on every waiver is handed to a person, as the policy says.

It passes when no turn failed, no account holds more than one credit (in the BSS and in our
ledger), every applied journey holds exactly one, the credits stay within the day's budget, no
journey was handed off while the budget had room for it and each one handed off has a case, and
no process grew its memory by 10 % or more between the end of the warm-up and the end. The last
line printed is one JSON object; the exit code is 1 when a check failed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

import httpx

from app.bootstrap import get_settings
from app.cli.bench_data import add_accounts
from app.cli.bench_voice import waiver_call
from app.cli.scaled import ScaledConfig, ScaledStack, scaled_isolated_config
from app.cli.soak_checks import (
    Budget,
    MemoryWatch,
    accounts_with_a_case,
    credit_counts,
    credited_cents,
)
from app.policy_loader import load_policy

WARM_UP_S = 60.0
CHAT_WORKERS = 3
VOICE_WORKERS = 1
GROWTH_LIMIT = 0.10
WAIVE = "waive the late fee"
LATE_FEE_CENTS = 500  # every soak account is a copy of Ana's (app/cli/bench_data.py): $5.00
WAIVE_STEP = 4  # the call's step that asks for the waiver (app/cli/bench_voice.py)
Outcome = Literal["applied", "handed_off", "failed"]


@dataclass
class Tally:
    """What the workers did; one lock, since several threads add to it."""

    journeys: int = 0
    attempted: list[str] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)  # account -> journeys that said Done
    handed_off: list[str] = field(default_factory=list)  # the day's budget spent: to a person
    turns: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, account: str, turns: int, retries: int, outcome: Outcome, error: str = ""
    ) -> None:
        with self.lock:
            self.journeys += 1
            self.attempted.append(account)
            self.turns += turns
            self.retries += retries
            if outcome == "applied":
                self.applied[account] = self.applied.get(account, 0) + 1
            elif outcome == "handed_off":
                self.handed_off.append(account)
            if error:
                self.errors.append(error)


def handed_to_a_person(reply: str) -> bool:
    """The waiver passed to a colleague: what the policy does once the day's budget is spent."""
    return "to a colleague" in reply and "Your case reference is" in reply


def handed_over(twiml: ElementTree.Element) -> bool:
    """No ``<Gather>``: the call is put through to a person, or ends with its case reference."""
    return twiml.find("Gather") is None


def chat_journey(client: httpx.Client, rasa_url: str, account: str, tally: Tally) -> None:
    sender = f"soak-chat-{account}"
    url = f"{rasa_url}/webhooks/rest/webhook"
    turns = ["hi", "why is my bill higher", account, "4321", WAIVE, "yes", "yes"]
    texts: list[str] = []
    for text in turns:
        response = client.post(url, json={"sender": sender, "message": text})
        if response.status_code != 200:
            error = f"chat {text!r}: HTTP {response.status_code}"
            tally.record(account, len(texts), 1, "failed", error)
            return
        texts.append(" ".join(m.get("text", "") for m in response.json()))
        if text == WAIVE and handed_to_a_person(texts[-1]):
            tally.record(account, len(texts), 0, "handed_off")
            return
    done = texts[5].startswith("Done.")
    error = "" if done else f"chat {account}: the yes got {texts[5][:120]!r}"
    tally.record(account, len(texts), 1, "applied" if done else "failed", error)


def voice_journey(web_url: str, auth_token: str, account: str, tally: Tally) -> None:
    call, steps = waiver_call(web_url, auth_token, account)
    retries = 0
    for number, step in enumerate(steps):
        step()
        if number % 2 == 1:  # Twilio posts the same webhook again; the same answer must come
            url, form = call.sent[-1]
            again = call.post(url, form)
            retries += 1
            if again.status_code != 200 or call.last is None or call.last.spoken not in again.text:
                error = f"voice retry {number}: differs"
                tally.record(account, number + 1, retries, "failed", error)
                return
        if number == WAIVE_STEP and call.last is not None and handed_over(call.last.root):
            tally.record(account, number + 1, retries, "handed_off")
            return
    call.hang_up()
    done = call.last is not None and call.last.spoken.startswith("Done")
    spoken = call.last.spoken[:120] if call.last else ""
    error = "" if done else f"voice: {spoken!r}"
    tally.record(account, len(steps), retries, "applied" if done else "failed", error)


class Feeder:
    """Fresh accounts on demand, created in batches (each journey needs its own late fee)."""

    def __init__(self, make_accounts: Callable[[int], list[str]], batch: int = 100) -> None:
        self._make = make_accounts
        self._batch = batch
        self._ready: list[str] = []
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            if not self._ready:
                self._ready = self._make(self._batch)
            return self._ready.pop()


def worker(run_one: Callable[[str], None], feeder: Feeder, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        try:
            account = feeder.take()
        except Exception as error:  # no account to run: the worker stops, and says why
            tally.record("-", 0, 0, "failed", f"accounts: {type(error).__name__}: {error}"[:200])
            return
        try:
            run_one(account)
        except Exception as error:  # any failure is a soak error: counted, and the first shown
            tally.record(account, 0, 0, "failed", f"{type(error).__name__}: {error}"[:200])


@contextmanager
def scaled_stack() -> Iterator[tuple[ScaledConfig, ScaledStack]]:
    with tempfile.TemporaryDirectory(prefix="kestrel-soak-") as folder:
        config = scaled_isolated_config(Path(folder))
        with ScaledStack(config, progress=True) as stack:
            stack.wait_ready(timeout_s=300, progress=True)
            yield config, stack


@dataclass(frozen=True)
class LedgerFacts:
    """What the databases hold once the workers stopped."""

    credits: dict[str, tuple[int, int]]  # account -> (credits in the BSS, applied in our ledger)
    credited_cents: int
    with_a_case: set[str]  # the handed-off accounts that have a case
    budget: Budget


def soak(seconds: float) -> dict[str, Any]:
    settings = get_settings()
    policy = load_policy(settings.policy_file)
    with scaled_stack() as (config, stack):
        feeder = Feeder(lambda count: add_accounts(config.database_url, count))
        tally = Tally()
        until = time.monotonic() + seconds
        chat_client = httpx.Client(timeout=60)
        jobs: list[Callable[[str], None]] = [
            lambda a: chat_journey(chat_client, config.rasa_url, a, tally)
        ] * CHAT_WORKERS + [
            lambda a: voice_journey(config.web_url, config.env["TWILIO_AUTH_TOKEN"], a, tally)
        ] * VOICE_WORKERS
        threads = [
            threading.Thread(target=worker, args=(job, feeder, tally, until), daemon=True)
            for job in jobs
        ]
        started, started_at = time.monotonic(), datetime.now(timezone.utc)
        print(f"==> Soaking {seconds:.0f} s: {CHAT_WORKERS} chat, {VOICE_WORKERS} phone workers")
        pids = {name: process.pid for name, process in stack.processes.items()}
        with MemoryWatch(pids, warm_up_s=min(WARM_UP_S, seconds / 5)) as memory:
            for thread in threads:
                thread.start()
            wait_with_progress(threads, tally, started)
        chat_client.close()
        ended_at = datetime.now(timezone.utc)
        credits = credit_counts(config.database_url, tally.attempted)
        facts = LedgerFacts(
            credits=credits,
            credited_cents=credited_cents(config.database_url, tally.attempted),
            with_a_case=accounts_with_a_case(config.database_url, tally.handed_off),
            budget=Budget.spanning(
                policy.daily_budget_cents, settings.operator_timezone, started_at, ended_at
            ),
        )
    return report(tally, facts, memory, time.monotonic() - started)


def wait_with_progress(threads: list[threading.Thread], tally: Tally, started: float) -> None:
    """A progress line every 30 s while every worker runs, and none once they wind down."""
    while alive := [thread for thread in threads if thread.is_alive()]:
        alive[0].join(timeout=30)
        if all(thread.is_alive() for thread in threads):
            elapsed = time.monotonic() - started
            print(
                f"  {elapsed:4.0f} s: {tally.journeys} journeys, {tally.turns} turns, "
                f"{len(tally.errors)} errors",
                flush=True,
            )


def report(tally: Tally, facts: LedgerFacts, memory: MemoryWatch, elapsed: float) -> dict[str, Any]:
    credits = facts.credits
    duplicates = [a for a, (bss, ledger) in credits.items() if bss > 1 or ledger > 1]
    missing = [a for a in tally.applied if credits[a] != (1, 1)]
    untold = [a for a, (bss, _) in credits.items() if bss and a not in tally.applied]
    caseless = [a for a in tally.handed_off if a not in facts.with_a_case]
    budget = facts.budget.problems(facts.credited_cents, len(tally.handed_off), LATE_FEE_CENTS)
    growth = memory.growth()
    grew = max(growth.values(), default=0.0)
    failed = tally.errors or duplicates or missing or untold or caseless or budget
    return {
        "seconds": round(elapsed),
        "journeys": tally.journeys,
        "turns": tally.turns,
        "retries": tally.retries,
        "applied": len(tally.applied),
        "handed_off": len(tally.handed_off),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "duplicate_credits": len(duplicates),
        "applied_without_one_credit": len(missing),
        "credited_but_not_told": len(untold),
        "handed_off_without_a_case": len(caseless),
        "credited_cents": facts.credited_cents,
        "daily_budget_cents": facts.budget.daily_cents,
        "budget_problems": budget,
        "rss_mb": memory.summary(),
        "max_growth_pct": round(100 * grew, 1),
        "passed": not failed and grew < GROWTH_LIMIT,
    }


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    result = soak(seconds)
    verdict = "PASSED" if result["passed"] else "FAILED"
    print(f"==> Soak {verdict}: {result['journeys']} journeys ({result['applied']} applied, "
          f"{result['handed_off']} handed off), {result['errors']} errors, "
          f"{result['duplicate_credits']} duplicate credits, memory growth "
          f"{result['max_growth_pct']} % (limit {GROWTH_LIMIT:.0%})")  # fmt: skip
    print(json.dumps(result), flush=True)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
