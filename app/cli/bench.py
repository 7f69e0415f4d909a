"""`make bench`: latency and throughput of verified conversations, over the REST channel and
the phone line.

Each conversation verifies, asks why the bill went up, asks for the late fee to be waived and says
yes, on an account the benchmark generates for itself (a copy of Ana's bills), so every one takes
the full apply path. Uses a running stack if one answers on the configured ports; otherwise starts
its own on free ports with a throwaway database. The last line printed is one JSON object.

The phone line is measured by the voice gateway's own server time per turn (its
``Server-Timing`` header), for calls signed as Twilio signs them: once without a model, and once
on a second stack whose model is a loopback OpenAI-compatible server answering after
``MODEL_LATENCY_S`` (the explanation turn is then an LLM turn, within LLM_BUDGET_VOICE_S).
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
from sqlalchemy.orm import Session

from app.bootstrap import get_settings
from app.cli.stack import Stack, StackConfig, isolated_config
from app.db import make_engine, upgrade_to_head
from app.seeding import reset_demo
from billing_adapters.demo_operator import DemoOperator, demo_operator
from billing_adapters.sql.load import insert_demo

CONVERSATIONS = {1: 8, 10: 40}
CALLS = 8
MODEL_LATENCY_S = 0.3
# What the loopback model says about a copy of Ana's bill: every figure is in her facts.
GROUNDED_EXPLANATION = (
    "Your bill went up by $42.25: you used international roaming in Canada ($32.00) and a late "
    "fee of $5.00 was added."
)
TEMPLATE_ACCOUNT = "100001"  # Ana: a late fee on the current bill and no waiver in the window


def bench_accounts(now: datetime, count: int) -> tuple[DemoOperator, list[str]]:
    """``count`` copies of the template account with fresh ids, phones and line ids."""
    demo = demo_operator(now)
    entry = next(a for a in demo.accounts if a.account.account_id == TEMPLATE_ACCOUNT)
    bills = [b for b in demo.bills if b.account_id == TEMPLATE_ACCOUNT]
    base = 700000 + secrets.randbelow(200) * 1000
    accounts, all_bills, ids = [], [], []
    for n in range(count):
        account_id = str(base + n)
        ids.append(account_id)
        account = entry.account.model_copy(
            update={"account_id": account_id, "phone": f"+1555{account_id}9"[:12]}
        )
        accounts.append(entry.model_copy(update={"account": account}))
        for bill in bills:
            bill_id = bill.bill_id.replace(TEMPLATE_ACCOUNT, account_id)
            lines = tuple(
                line.model_copy(update={"line_id": f"{bill_id}-{i}"})
                for i, line in enumerate(bill.lines)
            )
            all_bills.append(
                bill.model_copy(
                    update={"bill_id": bill_id, "account_id": account_id, "lines": lines}
                )
            )
    payments = tuple(
        p.model_copy(
            update={
                "account_id": a,
                "bill_id": p.bill_id.replace(TEMPLATE_ACCOUNT, a),
            }
        )
        for a in ids
        for p in demo.payments
        if p.account_id == TEMPLATE_ACCOUNT
    )
    subset = demo.model_copy(
        update={
            "accounts": tuple(accounts),
            "bills": tuple(all_bills),
            "payments": payments,
            "orders": (),
            "incidents": (),
            "history": (),
        }
    )
    return subset, ids


def add_accounts(database_url: str, count: int) -> list[str]:
    engine = make_engine(database_url)
    subset, ids = bench_accounts(datetime.now(timezone.utc), count)
    with Session(engine) as session, session.begin():
        insert_demo(session, subset)
    engine.dispose()
    return ids


class RestClient:
    """A keep-alive HTTP client that sends each request in one write.

    httpx 0.23 writes headers and body separately; with Nagle and delayed ACKs that adds ~40 ms
    to every request on loopback, which would be measured as bot latency.
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)

    def post_json(self, path: str, body: object) -> list[dict[str, str]]:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        self.connection.request("POST", path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path}: HTTP {response.status}")
        return list(json.loads(data))


def conversation(rasa_url: str, account_id: str) -> tuple[list[float], bool]:
    sender = f"bench-{account_id}-{secrets.token_hex(3)}"
    turns = ["hi", "why is my bill higher", account_id, "4321", "waive the late fee", "yes"]
    client = RestClient(rasa_url)
    latencies, last = [], ""
    for text in turns:
        started = time.perf_counter()
        messages = client.post_json("/webhooks/rest/webhook", {"sender": sender, "message": text})
        latencies.append((time.perf_counter() - started) * 1000)
        last = " ".join(m.get("text", "") for m in messages)
    client.connection.close()
    return latencies, last.startswith("Done.")


def voice_call(web_url: str, auth_token: str, account_id: str) -> tuple[list[float], bool]:
    """One call, signed as Twilio signs it; the gateway's server time of each turn (ms)."""
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
        with tempfile.TemporaryDirectory(prefix="kestrel-bench-llm-") as folder:
            print("Starting a stack with a loopback model for the LLM voice turns...", flush=True)
            config = isolated_config(
                Path(folder), LLM_BASE_URL=model.base_url, LLM_API_KEY="bench", LLM_MODEL="bench"
            )
            database_url = config.env["DATABASE_URL"]
            upgrade_to_head(database_url)
            engine = make_engine(database_url)
            reset_demo(engine, datetime.now(timezone.utc))
            engine.dispose()
            with Stack(config) as stack:
                stack.wait_ready(timeout_s=240, progress=True)
                accounts = add_accounts(database_url, CALLS + 1)
                token = config.env["TWILIO_AUTH_TOKEN"]
                voice_call(config.web_url, token, accounts.pop())  # warm-up
                report = voice_report(config.web_url, token, accounts, "with a model")
    finally:
        model.stop()
    report["model_latency_s"] = MODEL_LATENCY_S
    report["llm_requests"] = len(model.requests)
    report["budget_voice_s"] = get_settings().llm_budget_voice_s
    return report


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def percentiles(values: list[float], prefix: str, *points: int) -> dict[str, float]:
    """``{"<prefix>p50_ms": ..., ...}`` for each of ``points`` (percent), in ms to 0.1."""
    return {f"{prefix}p{point}_ms": round(percentile(values, point / 100), 1) for point in points}


class RssSampler:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self, pid: int) -> float:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            return float(sum(p.memory_info().rss for p in procs)) / 2**20
        except psutil.Error:
            return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], self._tree_rss(pid))
            self._stop.wait(0.2)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def listening_pid(port: int) -> int | None:
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return int(connection.pid) if connection.pid else None
    return None


@contextmanager
def stack_under_test() -> Iterator[tuple[StackConfig, str, dict[str, int]]]:
    settings = get_settings()
    running = StackConfig(
        rasa_port=int(settings.rasa_url.rsplit(":", 1)[-1]),
        action_port=settings.action_server_port,
        web_port=settings.web_port,
    )
    try:
        up = httpx.get(f"{running.web_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        up = False
    if up:
        print("Using the running stack.", flush=True)
        names = {"rasa": running.rasa_port, "actions": running.action_port, "web": running.web_port}
        pids = {n: pid for n, port in names.items() if (pid := listening_pid(port))}
        yield running, settings.database_url, pids
        return
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as folder:
        print("Starting a stack of its own (throwaway database, free ports)...", flush=True)
        config = isolated_config(Path(folder))
        database_url = config.env["DATABASE_URL"]
        upgrade_to_head(database_url)
        engine = make_engine(database_url)
        reset_demo(engine, datetime.now(timezone.utc))
        engine.dispose()
        with Stack(config) as stack:
            stack.wait_ready(timeout_s=240, progress=True)
            yield config, database_url, {n: p.pid for n, p in stack.processes.items()}


def run_level(rasa_url: str, accounts: list[str], concurrency: int) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda a: conversation(rasa_url, a), accounts))
    elapsed = time.perf_counter() - started
    latencies = [ms for turns, _ in results for ms in turns]
    applied = sum(ok for _, ok in results)
    print(
        f"  concurrency {concurrency}: {len(accounts)} conversations, {len(latencies)} turns in "
        f"{elapsed:.1f} s; {applied}/{len(accounts)} waivers applied; "
        f"mean {statistics.mean(latencies):.0f} ms",
        flush=True,
    )
    return {
        **percentiles(latencies, "", 50, 95, 99),
        "turns_per_s": round(len(latencies) / elapsed, 1),
    }


def main() -> None:
    voice: dict[str, Any] = {}
    with stack_under_test() as (config, database_url, pids):
        accounts = add_accounts(database_url, sum(CONVERSATIONS.values()) + CALLS + 1)
        conversation(config.rasa_url, accounts.pop())  # warm-up, not measured
        report: dict[str, object] = {"concurrency": {}}
        with RssSampler(pids) as sampler:
            for level, count in CONVERSATIONS.items():
                batch, accounts = accounts[:count], accounts[count:]
                report["concurrency"][str(level)] = run_level(config.rasa_url, batch, level)  # type: ignore[index]
        report["peak_rss_mb"] = {name: round(mb) for name, mb in sampler.peak.items()}
        token = config.env.get("TWILIO_AUTH_TOKEN") or get_settings().twilio_auth_token
        if token:
            voice["no_model"] = voice_report(config.web_url, token, accounts[:CALLS], "no model")
        else:
            print("  voice: skipped on the running stack (TWILIO_AUTH_TOKEN is not in .env)")
    voice["with_model"] = voice_with_model()
    report["voice_server_ms"] = voice
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
