"""`make bench`, the client side: one HTTP client for every stack, scripted verified journeys,
and the load shapes (closed loop, open loop, one long conversation).

A journey is a list of turns, each with a piece of text its reply must contain: a turn counts
in the latencies whatever it says, but a conversation counts as verified only if every reply
matched, so a fast wrong answer cannot pass for a fast bot.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.cli.bench_stats import open_loop_schedule, summarize

WEBHOOK = "/webhooks/rest/webhook"


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str = ""  # a substring of the reply; "" = any reply with some text


Journey = list[Turn]
JourneySource = Callable[[], Journey]  # a fresh journey per call; raises Exhausted when out


class Exhausted(Exception):
    """No more journeys (the benchmark's accounts for the apply path are used up)."""


class _NoDelayConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class RestClient:
    """A keep-alive HTTP client with TCP_NODELAY that sends each request in one write.

    httpx 0.23 writes headers and body separately; with Nagle and delayed ACKs that adds ~40 ms
    to every request on loopback, which would be measured as bot latency. http.client joins
    headers and a bytes body into one send().
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.connection = _NoDelayConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)

    def post_json(self, path: str, body: object) -> list[dict[str, Any]]:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        try:
            self.connection.request("POST", path, body=payload, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection before this request reached it.
            self.connection.close()
            self.connection.request("POST", path, body=payload, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path}: HTTP {response.status}")
        return list(json.loads(data))

    def say(self, sender: str, text: str) -> str:
        messages = self.post_json(WEBHOOK, {"sender": sender, "message": text})
        return " ".join(str(m.get("text", "")) for m in messages)

    def close(self) -> None:
        self.connection.close()


def matches(turn: Turn, reply: str) -> bool:
    return turn.expect in reply if turn.expect else bool(reply.strip())


@dataclass
class Tally:
    """Latencies and outcomes gathered by several threads."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    matched: int = 0  # turns whose reply held the expected text
    conversations: int = 0
    verified: int = 0
    mismatches: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def turn(self, ms: float, ok: bool, turn: Turn, reply: str) -> None:
        with self.lock:
            self.latencies.append(ms)
            self.matched += ok
            if not ok and len(self.mismatches) < 3:
                self.mismatches.append(f"{turn.text!r} -> {reply[:120]!r}")

    def error(self) -> None:
        with self.lock:
            self.errors += 1

    def finished(self, ok: bool) -> None:
        with self.lock:
            self.conversations += 1
            self.verified += ok

    def summary(self, elapsed_s: float) -> dict[str, Any]:
        figures = summarize(self.latencies, elapsed_s, self.errors)
        figures.update(
            matched_turns=self.matched, conversations=self.conversations, verified=self.verified
        )
        if self.mismatches:
            figures["mismatches"] = self.mismatches
        return figures


def new_sender() -> str:
    return f"bench-{secrets.token_hex(6)}"


def _send(client: RestClient, sender: str, turn: Turn, tally: Tally, since: float) -> bool:
    """One turn; its latency runs from ``since`` (the send, or the scheduled send time)."""
    try:
        reply = client.say(sender, turn.text)
    except (OSError, RuntimeError, http.client.HTTPException, ValueError):
        tally.error()
        client.close()
        return False
    ok = matches(turn, reply)
    tally.turn((time.perf_counter() - since) * 1000, ok, turn, reply)
    return ok


def play(client: RestClient, journey: Journey, tally: Tally) -> None:
    """One conversation, turn after turn with no think time."""
    sender, ok = new_sender(), True
    for turn in journey:
        ok = _send(client, sender, turn, tally, time.perf_counter()) and ok
    tally.finished(ok)


def closed_loop(
    url: str, source: JourneySource, concurrency: int, duration_s: float
) -> dict[str, Any]:
    """``concurrency`` clients, each playing conversations back to back until ``duration_s``
    have passed, then finishing the one it is in (so a journey's last turns count as often as
    its first: cut conversations would leave out most of the apply path's "yes")."""
    tally = Tally()
    started = time.perf_counter()
    deadline = started + duration_s

    def worker() -> None:
        client = RestClient(url)
        try:
            while time.perf_counter() < deadline:
                try:
                    journey = source()
                except Exhausted:
                    return
                play(client, journey, tally)
        finally:
            client.close()

    _run_threads(worker, concurrency)
    figures = tally.summary(time.perf_counter() - started)
    figures["concurrency"] = concurrency
    return figures


def open_loop(
    url: str, source: JourneySource, rate_per_s: float, duration_s: float, slots: int
) -> dict[str, Any]:
    """Turns sent at fixed times (``rate_per_s`` in all); each latency runs from the turn's
    scheduled time, so a backlog shows in the figures instead of slowing the arrivals down."""
    schedule = open_loop_schedule(rate_per_s, duration_s, slots)
    tally, lags = Tally(), list[float]()
    start = time.perf_counter() + 0.2

    def worker(times: list[float]) -> None:
        client, step, sender, ok = RestClient(url), 0, "", True
        journey: Journey = []
        try:
            for due in times:
                if step >= len(journey):
                    if journey:
                        tally.finished(ok)
                    try:
                        journey, step, sender, ok = source(), 0, new_sender(), True
                    except Exhausted:
                        return
                scheduled = start + due
                time.sleep(max(0.0, scheduled - time.perf_counter()))
                with tally.lock:
                    lags.append((time.perf_counter() - scheduled) * 1000)
                ok = _send(client, sender, journey[step], tally, scheduled) and ok
                step += 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(times,), daemon=True) for times in schedule]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures = tally.summary(time.perf_counter() - start)
    figures.update(
        rate_per_s=rate_per_s,
        duration_s=duration_s,
        slots=slots,
        scheduled_turns=sum(len(t) for t in schedule),
        late_sends=sum(lag > 10 for lag in lags),  # sends more than 10 ms behind schedule
    )
    return figures


def long_conversation(
    url: str, prelude: Journey, repeat: Journey, total: int = 120
) -> dict[str, Any]:
    """One conversation of ``total`` turns (``prelude``, then ``repeat`` over and over): turns
    1-10 against turns 100-120, to see whether a long tracker slows each turn down."""
    turns = [*prelude]
    while len(turns) < total:
        turns.extend(repeat)
    early, late = Tally(), Tally()
    client, sender = RestClient(url), new_sender()
    try:
        for number, turn in enumerate(turns[:total], start=1):
            tally = early if number <= 10 else late if number >= 100 else Tally()
            _send(client, sender, turn, tally, time.perf_counter())
    finally:
        client.close()
    first, last = early.summary(0), late.summary(0)
    for part in (first, last):
        for key in ("turns_per_s", "conversations", "verified"):
            part.pop(key, None)
    return {"turns_1_10": first, "turns_100_120": last, "p50_growth": _growth(first, last)}


def _growth(first: dict[str, Any], last: dict[str, Any]) -> float | None:
    if not first.get("p50_ms") or last.get("p50_ms") is None:
        return None
    return round(float(last["p50_ms"]) / float(first["p50_ms"]), 2)


def _run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
