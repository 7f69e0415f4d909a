"""The whole stack with a model: a fake OpenAI-compatible server on loopback behind the real
openai client, the real Rasa server, action server and web app."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from app.cli.stack import Stack, isolated_config
from app.db import upgrade_to_head
from billing_adapters.demo_operator import demo_operator
from tests.e2e.conftest import LiveStack
from tests.integration.fake_openai import FakeOpenAi, answer

pytestmark = pytest.mark.e2e

GROUNDED = (
    "Your bill went up by $42.25: you used international roaming in Canada ($32.00) and a late "
    "fee of $5.00 was added."
)
INVENTED = "Your bill went up because of a $99.99 roaming charge, and I've refunded it for you."


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAi]:
    server = FakeOpenAi().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def with_llm(model: FakeOpenAi) -> Iterator[LiveStack]:
    with tempfile.TemporaryDirectory(prefix="kestrel-llm-") as folder:
        root = Path(folder)
        config = isolated_config(
            root, LLM_BASE_URL=model.base_url, LLM_API_KEY="test-key", LLM_MODEL="fake-model"
        )
        live = LiveStack(
            config,
            config.env["DATABASE_URL"],
            root / "tracker.db",
            root / "logs",
            config.env["OPS_API_TOKEN"],
            socket_proxy=None,
        )
        upgrade_to_head(live.database_url)
        live.reset()
        with Stack(config) as stack:
            stack.wait_ready(timeout_s=240)
            yield live


def explain(live: LiveStack, account: str = "100001", pin: str = "4321") -> tuple[str, str]:
    sender = f"llm-{uuid.uuid4().hex[:8]}"
    live.say(sender, "why is my bill higher")
    live.say(sender, account)
    return sender, " ".join(live.say(sender, pin))


def test_a_grounded_explanation_from_the_model_reaches_the_customer(
    with_llm: LiveStack, model: FakeOpenAi
) -> None:
    model.script = answer(GROUNDED)
    sender, reply = explain(with_llm)
    assert GROUNDED in reply
    usage = httpx.get(
        f"{with_llm.config.web_url}/api/conversations/{sender}/llm-usage",
        headers={"Authorization": f"Bearer {with_llm.ops_token}"},
        timeout=10,
    ).json()
    assert usage["calls"] >= 1 and usage["prompt_tokens"] > 0


def test_an_invented_number_never_reaches_the_customer(
    with_llm: LiveStack, model: FakeOpenAi
) -> None:
    model.script = answer(INVENTED)
    _, reply = explain(with_llm, "100002", "8765")  # Ben: no explanation cached for his bill
    assert "$99.99" not in reply and "refunded" not in reply
    assert "$81.30, up $15.90" in reply  # the deterministic wording


def test_the_model_never_sees_a_customers_name_phone_account_or_pin(
    with_llm: LiveStack, model: FakeOpenAi
) -> None:
    model.script = answer(GROUNDED)
    explain(with_llm)
    sent = "\n".join(model.raw_requests)
    assert model.raw_requests
    for entry in demo_operator(datetime.now(timezone.utc)).accounts:
        account = entry.account
        for secret in (account.name, account.first_name, account.phone, account.phone[2:]):
            assert secret not in sent
        assert re.search(rf"(?<!\d){account.account_id}(?!\d)", sent) is None
        assert re.search(rf"(?<!\d){entry.pin}(?!\d)", sent) is None
