"""The scaled stack (`make run-scaled`): two Rasa replicas, two action servers and two web apps on
PostgreSQL and Redis behind nginx. A conversation may move between the replicas at any turn,
lose one of them, or be confirmed on both at once, and it still keeps its state and its money."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.backoffice.tables import AdjustmentRow
from app.cli.bench_data import add_accounts
from app.cli.scaled import ScaledStack, scaled_isolated_config
from app.cli.stack_config import ROOT
from app.db import make_engine
from billing_adapters.sql.tables import BssCredit
from tests.e2e.test_socketio_channel import WidgetClient

pytestmark = pytest.mark.e2e

ANA, ANA_PIN = "100001", "4321"
BALANCE = "what's my balance"
ANA_BALANCE = "$112.40"
REDACTED = "[redacted]"  # the benchmark's accounts are copies of Ana's
CONFIRMATIONS = 20


class Scaled:
    def __init__(self, stack: ScaledStack) -> None:
        self.stack = stack
        self.config = stack.config
        self.token = self.config.env["RASA_TOKEN"]

    def say(self, sender: str, text: str, rasa_url: str | None = None) -> str:
        response = httpx.post(
            f"{rasa_url or self.config.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=120,  # the Redis lock queues a conversation's turns, polling once a second
        )
        response.raise_for_status()
        return " ".join(m.get("text", "") for m in response.json())

    def replica(self, name: str) -> str:
        return self.config.rasa_replica_urls[name]

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.config.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        response.raise_for_status()
        return dict(response.json())

    def credits(self, account: str) -> tuple[list[int], list[str]]:
        """The BSS's credits on ``account`` (cents) and our ledger's applied adjustments (ids)."""
        engine = make_engine(self.config.database_url)
        try:
            with engine.connect() as connection:
                bss = connection.scalars(
                    select(BssCredit.amount_cents).where(BssCredit.account_id == account)
                ).all()
                ledger = connection.scalars(
                    select(AdjustmentRow.id).where(
                        AdjustmentRow.account_id == account, AdjustmentRow.status == "applied"
                    )
                ).all()
        finally:
            engine.dispose()
        return list(bss), list(ledger)

    def db_command(self, *args: str) -> str:
        """`python -m app.cli.db ...` on the scaled back office, as `make ... SCALED=1` runs it."""
        env = {**os.environ, "DATABASE_URL": self.config.database_url, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "app.cli.db", *args],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return done.stdout


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    folder: Path = tmp_path_factory.mktemp("scaled")
    with ScaledStack(scaled_isolated_config(folder)) as stack:
        try:
            stack.wait_ready(timeout_s=300)
        except (RuntimeError, TimeoutError):
            print("\n".join(p.read_text(errors="replace")[-3000:] for p in folder.rglob("*.log")))
            raise
        yield Scaled(stack)


@pytest.fixture
def sender() -> str:
    return f"scaled-{uuid.uuid4().hex[:10]}"


def verified_on(scaled: Scaled, sender: str, account: str, *replicas: str) -> None:
    """Verified, turn by turn on ``replicas`` in turn (none given: through nginx)."""
    for number, text in enumerate(["hi", BALANCE, account, ANA_PIN]):
        url = scaled.replica(replicas[number % len(replicas)]) if replicas else None
        reply = scaled.say(sender, text, url)
    assert ANA_BALANCE in reply, reply


def test_a_conversation_whose_turns_alternate_between_the_replicas_keeps_its_state(
    scaled: Scaled, sender: str
) -> None:
    account = add_accounts(scaled.config.database_url, 1)[0]
    sent = ["hi", BALANCE, account, ANA_PIN, "why is my bill higher", BALANCE,
            "waive the late fee", "yes"]  # fmt: skip
    replies = [
        scaled.say(sender, text, scaled.replica(f"rasa-{1 + n % 2}")) for n, text in enumerate(sent)
    ]

    # Verified on rasa-2; the bill explained by rasa-1, the balance told by rasa-2, the offer
    # made by rasa-1 and accepted on rasa-2: nobody asked for the PIN again.
    assert ANA_BALANCE in replies[3], replies
    assert not any("pin" in reply.lower() for reply in replies[4:]), replies
    assert "$" in replies[4] and ANA_BALANCE in replies[5], replies
    assert "$5.00" in replies[6] and "Shall I go ahead" in replies[6], replies
    assert replies[7].startswith("Done.") and "$107.40" in replies[7], replies
    bss, ledger = scaled.credits(account)
    assert len(bss) == 1 and len(ledger) == 1, (bss, ledger)
    # Every turn is in the tracker store once, in the order it was said, whichever replica took it.
    events = scaled.tracker(sender)["events"]
    said = [REDACTED if text == ANA_PIN else text for text in sent]  # no PIN is ever stored
    assert [e["text"] for e in events if e["event"] == "user"] == said
    bot_turns = [e for e in events if e["event"] == "bot"]
    assert len(bot_turns) >= len(sent)


def test_twenty_identical_confirmations_at_once_over_both_replicas_apply_one_credit(
    scaled: Scaled, sender: str
) -> None:
    account = add_accounts(scaled.config.database_url, 1)[0]
    verified_on(scaled, sender, account, "rasa-1", "rasa-2")
    assert "Shall I go ahead" in scaled.say(sender, "waive the late fee")

    with ThreadPoolExecutor(max_workers=CONFIRMATIONS) as pool:
        answers = list(
            pool.map(
                lambda n: scaled.say(sender, "yes", scaled.replica(f"rasa-{1 + n % 2}")),
                range(CONFIRMATIONS),
            )
        )

    bss, ledger = scaled.credits(account)
    assert len(bss) == 1 and len(ledger) == 1, (bss, ledger, answers)
    assert sum(a.startswith("Done.") for a in answers) == 1, answers
    user_turns = [e for e in scaled.tracker(sender)["events"] if e["event"] == "user"]
    assert [e["text"] for e in user_turns].count("yes") == CONFIRMATIONS


def test_an_agent_reply_sent_through_one_replica_reaches_a_widget_on_the_other(
    scaled: Scaled,
) -> None:
    widget = WidgetClient(scaled.replica("rasa-1"))
    try:
        widget.join()
        widget.say("hi")
        response = httpx.post(
            f"{scaled.replica('rasa-2')}/conversations/{widget.session_id}/tracker/events",
            params={
                "token": scaled.token,
                "output_channel": "latest",
                "execute_side_effects": "true",
            },
            json=[{"event": "bot", "text": "Hi, Alex here. I'm looking at your bill now."}],
            timeout=30,
        )
        response.raise_for_status()
        reply = widget.next_reply(timeout_s=15)
    finally:
        widget.close()
    assert reply["text"] == "Hi, Alex here. I'm looking at your bill now."


def test_reset_and_the_kill_switch_work_on_the_scaled_back_office(
    scaled: Scaled, sender: str
) -> None:
    verified_on(scaled, sender, ANA)
    assert "Shall I go ahead" in scaled.say(sender, "waive the late fee")
    assert "paused" in scaled.db_command("kill-switch", "on")
    try:
        reply = scaled.say(sender, "yes")
    finally:
        assert "resumed" in scaled.db_command("kill-switch", "off")
    assert "automatic adjustments are paused" in reply, reply
    assert scaled.credits(ANA) == ([], [])

    assert "restored to the seed" in scaled.db_command("reset")
    engine = make_engine(scaled.config.database_url)
    try:
        with engine.connect() as connection:
            left = connection.scalars(
                select(AdjustmentRow.id).where(AdjustmentRow.account_id == ANA)
            ).all()
    finally:
        engine.dispose()
    assert left == []


def test_a_conversation_goes_on_through_nginx_when_one_rasa_replica_dies(
    scaled: Scaled, sender: str
) -> None:
    account = add_accounts(scaled.config.database_url, 1)[0]
    verified_on(scaled, sender, account)
    scaled.stack.kill("rasa-1")
    try:
        replies = [scaled.say(sender, text) for text in ["why is my bill higher", BALANCE] * 2]
    finally:
        scaled.stack.restart("rasa-1", timeout_s=300)
    assert ANA_BALANCE in replies[1] and ANA_BALANCE in replies[3], replies
    assert "$" in replies[0] and "$" in replies[2], replies
    assert not any("pin" in reply.lower() for reply in replies), replies
    user_turns = [e["text"] for e in scaled.tracker(sender)["events"] if e["event"] == "user"]
    assert user_turns[-4:] == ["why is my bill higher", BALANCE] * 2
