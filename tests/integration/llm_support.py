"""The LLM layer wired to the fake OpenAI server through the real openai client."""

from __future__ import annotations

import time
from typing import Any

from app.backoffice.memory import InMemoryLlmCallLog
from app.llm.openai_client import OpenAiLlm
from domain.llm import LlmConfig
from domain.records import AdjustmentKind
from domain.usecases.deps import Deps
from domain.usecases.llm_wording import ExplanationCache, LlmServices
from tests.integration.fake_openai import FakeOpenAi

ACCOUNTS = [f"10000{n}" for n in range(1, 9)]


def services_for(server: FakeOpenAi, **config: Any) -> LlmServices:
    settings = LlmConfig(model="fake-model", **config)
    return LlmServices(
        llm=OpenAiLlm(
            base_url=server.base_url,
            api_key="test",
            model="fake-model",
            timeout_s=settings.timeout_s,
        ),
        log=InMemoryLlmCallLog(),
        config=settings,
        cache=ExplanationCache(),
        monotonic=time.monotonic,
    )


def snapshot(deps: Deps) -> dict[str, Any]:
    """Everything an injection could try to change: records, cases and balances of every account."""
    state: dict[str, Any] = {}
    with deps.backoffice() as office:
        for account in ACCOUNTS:
            state[account] = {
                "adjustments": sorted(
                    (a.kind.value, a.amount_cents, a.status.value, a.idempotency_key)
                    for a in office.adjustments.for_account(account)
                ),
                "extensions": sorted(
                    (e.days, e.status.value) for e in office.extensions.for_account(account)
                ),
                "cases": sorted(
                    (c.reason, c.proposed_amount_cents) for c in office.cases.for_account(account)
                ),
            }
        state["open_cases"] = office.cases.count_open()
    for account in ACCOUNTS:  # the BSS is read outside the back-office transaction
        state[account]["balance"] = deps.billing.get_balance_cents(account)
        state[account]["due"] = [b.due_date for b in deps.billing.get_bills(account)]
    return state


KIND_FOR = {"100001": AdjustmentKind.LATE_FEE_WAIVER, "100004": AdjustmentKind.THIRD_PARTY_DISPUTE}
