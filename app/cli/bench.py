"""`make bench`: latency and throughput of verified conversations, over the REST channel and
the phone line.

Each conversation verifies, asks why the bill went up, asks for the late fee to be waived and says
yes, on an account the benchmark generates for itself (a copy of Ana's bills), so every one takes
the full apply path. Uses a running stack if one answers on the configured ports; otherwise starts
its own on free ports with a throwaway database. The last line printed is one JSON object.

The phone line is measured too (app/cli/bench_voice.py).
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

from app.bootstrap import get_settings
from app.cli.bench_data import add_accounts, percentiles, throwaway_stack
from app.cli.bench_voice import CALLS, voice_report, voice_with_model
from app.cli.stack import StackConfig

CONVERSATIONS = {1: 8, 10: 40}


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
    print("Starting a stack of its own (throwaway database, free ports)...", flush=True)
    with throwaway_stack() as (config, stack):
        yield config, config.env["DATABASE_URL"], {n: p.pid for n, p in stack.processes.items()}


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
