"""`make bench`, the phone line: the voice gateway's own server time per turn (its
``Server-Timing`` header) over calls signed as Twilio signs them, without a model and with a
loopback OpenAI-compatible model answering after ``MODEL_LATENCY_S`` (the explanation turn is
then an LLM turn, to be within LLM_BUDGET_VOICE_S)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.bootstrap import get_settings
from app.cli.bench_data import add_accounts, percentile, percentiles, throwaway_stack

if TYPE_CHECKING:
    from tests.e2e.twilio_caller import TwilioCaller

CALLS = 8
MODEL_LATENCY_S = 0.3
# What the loopback model says about a copy of Ana's bill: every figure is in her facts.
GROUNDED_EXPLANATION = (
    "Your bill went up by $42.25: you used international roaming in Canada ($32.00) and a late "
    "fee of $5.00 was added."
)


def waiver_call(
    web_url: str, auth_token: str, account_id: str
) -> tuple[TwilioCaller, list[Callable[[], object]]]:
    """A simulated call and its turns: account and PIN on the keypad, the bill, the waiver, yes."""
    from tests.e2e.twilio_caller import TwilioCaller  # Twilio's side of a call (a simulator)

    call = TwilioCaller(web_url, auth_token)
    turns: list[Callable[[], object]] = [
        call.ring,
        lambda: call.press(f"{account_id}#"),
        lambda: call.press("4321#"),
        lambda: call.say("why is my bill higher"),
        lambda: call.say("waive the late fee"),
        lambda: call.say("yes"),
    ]
    return call, turns


def voice_call(web_url: str, auth_token: str, account_id: str) -> tuple[list[float], bool]:
    """One call, signed as Twilio signs it; the gateway's server time of each turn (ms)."""
    call, turns = waiver_call(web_url, auth_token, account_id)
    timings: list[float] = []
    for turn in turns:
        turn()
        timings.append(call.server_ms[-1])
    call.hang_up()
    done = call.last is not None and call.last.spoken.startswith("Done")
    return timings, done


def voice_report(web_url: str, auth_token: str, accounts: list[str], label: str) -> dict[str, Any]:
    """p50/p95 of the non-LLM turns and of the explanation turn."""
    explained, other, applied = [], [], 0
    for account_id in accounts:
        timings, done = voice_call(web_url, auth_token, account_id)
        explained.append(timings[3])
        other.extend(timings[:3] + timings[4:])
        applied += done
    print(
        f"  voice, {label}: {len(accounts)} calls, {applied} waivers applied; explanation turn "
        f"p95 {percentile(explained, 0.95):.0f} ms, other turns p95 "
        f"{percentile(other, 0.95):.0f} ms",
        flush=True,
    )
    return {
        **percentiles(other, "turns_", 50, 95),
        **percentiles(explained, "explanation_", 50, 95),
    }


def voice_with_model() -> dict[str, Any]:
    """The phone line on a stack of its own whose model is a loopback server (fixed latency)."""
    from tests.integration.fake_openai import FakeOpenAi, Scripted  # an LLM provider stand-in

    model = FakeOpenAi()
    model.script = lambda _body: Scripted(content=GROUNDED_EXPLANATION, stall_s=MODEL_LATENCY_S)
    model.start()
    try:
        print("Starting a stack with a loopback model for the LLM voice turns...", flush=True)
        with throwaway_stack(
            LLM_BASE_URL=model.base_url, LLM_API_KEY="bench", LLM_MODEL="bench"
        ) as (
            config,
            _,
        ):
            accounts = add_accounts(config.env["DATABASE_URL"], CALLS + 1)
            token = config.env["TWILIO_AUTH_TOKEN"]
            voice_call(config.web_url, token, accounts.pop())  # warm-up
            report = voice_report(config.web_url, token, accounts, "with a model")
    finally:
        model.stop()
    report["model_latency_s"] = MODEL_LATENCY_S
    report["llm_requests"] = len(model.requests)
    report["budget_voice_s"] = get_settings().llm_budget_voice_s
    return report
