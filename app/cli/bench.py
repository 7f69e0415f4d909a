"""`make bench`: a plain `rasa init` bot, our embedded stack and our scaled stack, side by side,
in one run, with the same client (keep-alive, TCP_NODELAY, one write per request).

Per stack, one after the other (so they never share the CPU): closed loop at 1, 10 and 50
concurrent conversations with no think time (per journey); an open loop at a fixed arrival rate
(latency from the scheduled send time); one long conversation (turns 1-10 against 100-120); the
voice webhook's server time (ours only); peak RSS per process; cold and cached training time.
Then the ratios ours/baseline and the targets. A readable table, then ONE JSON document, last.

Environment (read when it runs): BENCH_SCALE (default 1: about 10 minutes on 2 cores),
BENCH_STACKS (default baseline,embedded,scaled), BENCH_OPEN_RATE (turns/s, default 20),
BENCH_TRAIN_COLD=1 (train ours from scratch again), BENCH_RETRAIN_BASELINE=1 (cold-train the
baseline again), BENCH_VOICE_MODEL=1 (also the phone line with a loopback LLM: one more stack).
Keys of the JSON document: README.md, "Performance".
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from app.cli.bench_client import RestClient, Tally, closed_loop, long_conversation, open_loop, play
from app.cli.bench_report import legacy_keys, table
from app.cli.bench_stacks import KINDS, Target
from app.cli.bench_stats import LEVELS, Plan, evaluate_targets, plan_for, ratios

SCHEMA = "kestrel-bench-2"
__all__ = ["RestClient", "RssSampler", "main"]


class RssSampler:
    """Peak memory per process (with its whole process tree), sampled every 0.2 s: resident
    (RSS, as `ps` shows it) and proportional (PSS: a page shared by N processes counts 1/N, so
    PostgreSQL's shared buffers count once and the stack's total can be added up)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self.peak_pss = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self, pid: int) -> tuple[float, float]:
        rss = pss = 0.0
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0, 0.0
        for process in procs:
            try:
                memory = process.memory_full_info()
            except psutil.Error:
                continue  # gone between listing and reading
            rss += memory.rss
            pss += getattr(memory, "pss", memory.rss)
        return rss / 2**20, pss / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                rss, pss = self._tree(pid)
                self.peak[name] = max(self.peak[name], rss)
                self.peak_pss[name] = max(self.peak_pss[name], pss)
            self._stop.wait(0.2)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _say(target: Target, what: str) -> None:
    print(f"  {target.kind}: {what}", flush=True)


def _brief(figures: dict[str, Any]) -> str:
    verified = f"{figures.get('verified', 0)}/{figures.get('conversations', 0)} verified"
    return (
        f"{figures['turns']} turns, {figures['errors']} errors, {verified}; p50 "
        f"{figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, {figures['turns_per_s']} turns/s"
    )


def measure(target: Target, plan: Plan, report: dict[str, Any]) -> None:
    """Every scenario on one stack, into ``report`` (what was measured stays if a step fails)."""
    report.update(target.facts)
    with RssSampler(target.pids) as sampler:
        _say(target, "warm-up: one conversation per journey (not measured)")
        warm = RestClient(target.rasa_url)
        for source in target.journeys.values():
            play(warm, source(), Tally())
        warm.close()
        closed: dict[str, dict[str, Any]] = {}
        for name, source in target.journeys.items():
            closed[name] = {}
            for level in LEVELS:
                _say(
                    target,
                    f"closed loop, {name} journeys, {level} concurrent conversations, "
                    f"no think time, {plan.closed_s:g} s",
                )
                figures = closed_loop(target.rasa_url, source, level, plan.closed_s)
                closed[name][str(level)] = figures
                print(f"    {_brief(figures)}", flush=True)
        report["closed_loop"] = closed
        journey = target.open_loop_journey
        _say(
            target,
            f"open loop, {journey} journeys, {plan.open_rate_per_s:g} turns/s for "
            f"{plan.open_s:g} s on {plan.open_slots} conversations at a time; latency from the "
            "scheduled send time",
        )
        figures = open_loop(
            target.rasa_url,
            target.journeys[journey],
            plan.open_rate_per_s,
            plan.open_s,
            plan.open_slots,
        )
        report["open_loop"] = {"journey": journey, **figures}
        print(f"    {_brief(figures)}; {figures['late_sends']} sends >10 ms late", flush=True)
        _say(target, f"one conversation of {plan.long_turns} turns: turns 1-10 against 100-120")
        length = long_conversation(
            target.rasa_url, target.long_prelude, target.long_repeat, plan.long_turns
        )
        report["conversation_length"] = length
        print(
            f"    p50 {length['turns_1_10']['p50_ms']} ms -> "
            f"{length['turns_100_120']['p50_ms']} ms",
            flush=True,
        )
        if target.voice is not None:
            _say(target, f"voice webhook server time (Server-Timing), {plan.voice_calls} calls")
            report["voice_server_ms"] = target.voice()
        report["peak_rss_mb"] = {name: round(mb) for name, mb in sampler.peak.items()}
        report["peak_pss_mb"] = {name: round(mb) for name, mb in sampler.peak_pss.items()}


def keep_logs(kind: str, folder: Path, report: dict[str, Any]) -> None:
    """The stack's log files outlive its throwaway folder (to read after a failed step)."""
    target = Path(tempfile.gettempdir()) / f"kestrel-bench-logs-{kind}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("*.db", "postgres", "redis"))
    report["logs"] = str(target)


def run_stack(kind: str, plan: Plan) -> dict[str, Any]:
    print(f"== {kind}: starting (training and processes)", flush=True)
    started = time.monotonic()
    report: dict[str, Any] = {"kind": kind}
    try:
        with tempfile.TemporaryDirectory(prefix=f"kestrel-bench-{kind}-") as folder:
            try:
                with KINDS[kind](plan, Path(folder)) as target:
                    measure(target, plan, report)
            finally:
                keep_logs(kind, Path(folder), report)
    except ImportError as error:  # the scaled stack's module is not there yet
        print(f"  {kind}: skipped ({error})", flush=True)
        return {"kind": kind, "skipped": str(error)}
    except Exception as error:  # one stack failing must not lose the others' figures
        traceback.print_exc()
        report["error"] = f"{type(error).__name__}: {error}"
    report["wall_s"] = round(time.monotonic() - started, 1)
    print(f"== {kind}: done in {report['wall_s']} s", flush=True)
    return report


def with_model(report: dict[str, Any]) -> None:
    from app.cli.bench_voice import voice_with_model

    try:
        report["voice_with_model"] = voice_with_model()
    except Exception as error:
        traceback.print_exc()
        report["voice_with_model"] = {"error": f"{type(error).__name__}: {error}"}


def main() -> int:
    scale = float(os.environ.get("BENCH_SCALE") or 1)
    plan = plan_for(scale, float(os.environ.get("BENCH_OPEN_RATE") or 20))
    kinds = [k.strip() for k in (os.environ.get("BENCH_STACKS") or ",".join(KINDS)).split(",")]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        print(
            f"BENCH_STACKS: unknown {', '.join(unknown)} (known: {', '.join(KINDS)})",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scale": scale,
        "cpus": os.cpu_count(),
        "plan": plan.__dict__,
        "stacks": {kind: run_stack(kind, plan) for kind in kinds},
    }
    if os.environ.get("BENCH_VOICE_MODEL") == "1":
        with_model(report)
    report["ratios"] = ratios(report["stacks"])
    report["targets"] = evaluate_targets(report["stacks"], report["ratios"])
    report.update(legacy_keys(report["stacks"]))
    if "voice_with_model" in report and "voice_server_ms" in report:
        report["voice_server_ms"] = {
            **report["voice_server_ms"],
            "with_model": report["voice_with_model"],
        }
    report["wall_s"] = round(time.monotonic() - started, 1)
    print(table(report), flush=True)
    print(json.dumps(report, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
