"""`make bench`, the arithmetic: percentiles, summaries, the open-loop schedule, the ratios
ours/baseline and the targets. Pure functions (no clock, no network), unit-tested."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LEVELS = (1, 10, 50)  # closed-loop concurrent conversations
OURS = ("embedded", "scaled")
BASELINE = "baseline"
BASELINE_JOURNEY = "read"  # the init bot's greet/mood/goodbye turns: what every ratio divides by


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the value below which ``share`` of ``values`` lie (0 <= share <= 1)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def percentiles(values: Sequence[float], prefix: str, *points: int) -> dict[str, float]:
    """``{"<prefix>p50_ms": ..., ...}`` for each of ``points`` (percent), in ms to 0.1."""
    return {f"{prefix}p{point}_ms": round(percentile(values, point / 100), 1) for point in points}


def summarize(latencies_ms: Sequence[float], elapsed_s: float, errors: int = 0) -> dict[str, Any]:
    """What every scenario reports: turns, errors, p50/p95/p99, mean and turns per second."""
    summary: dict[str, Any] = {"turns": len(latencies_ms), "errors": errors}
    if latencies_ms:
        summary.update(percentiles(latencies_ms, "", 50, 95, 99))
        summary["mean_ms"] = round(sum(latencies_ms) / len(latencies_ms), 1)
    else:
        summary.update({"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None})
    summary["turns_per_s"] = round(len(latencies_ms) / elapsed_s, 1) if elapsed_s > 0 else None
    return summary


def open_loop_schedule(rate_per_s: float, duration_s: float, slots: int) -> list[list[float]]:
    """Send times (s from the start) per slot: turn k of the run is due at k / rate on slot
    k mod ``slots``. A slot is one client playing conversations back to back, so each one
    sends a turn every ``slots / rate`` seconds whatever the replies take: a slow reply delays
    the slot's next send, and that delay counts in the next turn's latency."""
    if rate_per_s <= 0 or duration_s <= 0 or slots <= 0:
        raise ValueError("rate, duration and slots must be positive")
    total = math.floor(rate_per_s * duration_s + 1e-9)
    schedule: list[list[float]] = [[] for _ in range(slots)]
    for k in range(total):
        schedule[k % slots].append(k / rate_per_s)
    return schedule


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or not baseline:
        return None
    return round(ours / baseline, 2)


def ratios(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Ours/baseline per matching scenario: throughput and p95 at each closed-loop level (each
    of our journeys against the baseline's), open-loop p95, and long-conversation p95."""
    base = stacks.get(BASELINE) or {}
    if "closed_loop" not in base:
        return {}
    base_levels = base["closed_loop"].get(BASELINE_JOURNEY, {})
    result: dict[str, Any] = {}
    for name in OURS:
        ours = stacks.get(name) or {}
        if "closed_loop" not in ours:
            continue
        entry: dict[str, Any] = {"closed_loop": {}}
        for journey, levels in ours["closed_loop"].items():
            entry["closed_loop"][journey] = {
                level: {
                    "throughput": ratio(
                        figures.get("turns_per_s"), base_levels.get(level, {}).get("turns_per_s")
                    ),
                    "p95": ratio(figures.get("p95_ms"), base_levels.get(level, {}).get("p95_ms")),
                }
                for level, figures in levels.items()
            }
        for scenario in ("open_loop",):
            if scenario in ours and scenario in base:
                entry[scenario] = {
                    "p95": ratio(ours[scenario].get("p95_ms"), base[scenario].get("p95_ms"))
                }
        if "conversation_length" in ours and "conversation_length" in base:
            entry["conversation_length"] = {
                part: {
                    "p95": ratio(
                        ours["conversation_length"][part].get("p95_ms"), figures.get("p95_ms")
                    )
                }
                for part, figures in base["conversation_length"].items()
                if isinstance(figures, dict) and part in ours["conversation_length"]
            }
        result[name] = entry
    return result


@dataclass(frozen=True)
class Target:
    name: str
    path: tuple[str, ...]  # where the figure is in a stack's report (or in its ratios)
    limit: float
    at_least: bool  # True: figure >= limit passes; False: figure <= limit passes
    in_ratios: bool = False

    def describe(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:g}"


TARGETS = (
    Target(
        "apply_c10_throughput_x_baseline",
        ("closed_loop", "apply", "10", "throughput"),
        1.5,
        True,
        True,
    ),
    Target("apply_c10_p95_ms", ("closed_loop", "apply", "10", "p95_ms"), 150, False),
    Target("open_loop_p95_ms", ("open_loop", "p95_ms"), 100, False),
    Target("voice_non_llm_p95_ms", ("voice_server_ms", "no_model", "turns_p95_ms"), 300, False),
)


def _dig(tree: Any, path: Sequence[str]) -> float | None:
    for key in path:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return float(tree) if isinstance(tree, (int, float)) else None


def evaluate_targets(
    stacks: Mapping[str, Any], ratio_table: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Each target on each of our stacks that ran: its figure, the limit and pass (None when the
    figure is missing, e.g. no baseline to divide by)."""
    rows = []
    for name in OURS:
        if name not in stacks or "closed_loop" not in stacks[name]:
            continue
        for target in TARGETS:
            value = _dig(ratio_table.get(name) if target.in_ratios else stacks[name], target.path)
            passed = (
                None
                if value is None
                else (value >= target.limit if target.at_least else value <= target.limit)
            )
            rows.append(
                {
                    "stack": name,
                    "target": target.name,
                    "value": value,
                    "limit": target.describe(),
                    "pass": passed,
                }
            )
    return rows


@dataclass(frozen=True)
class Plan:
    """How much each stack is driven: ``make bench`` is BENCH_SCALE=1 (about 10 minutes for
    the three stacks on a 2-core machine); smaller scales are for quick runs."""

    closed_s: float  # seconds per closed-loop level and journey
    open_rate_per_s: float
    open_s: float
    open_slots: int
    long_turns: int
    voice_calls: int

    def apply_accounts(self, journey_turns: int = 6, turns_per_s_ceiling: float = 80) -> int:
        """Fresh accounts the apply path may use up: closed loop at a generous throughput,
        the open loop's conversations, one per slot started, the calls and the warm-ups."""
        # Each client takes one when it starts, and one more whenever it finishes one.
        closed = math.ceil(len(LEVELS) * self.closed_s * turns_per_s_ceiling / journey_turns)
        closed += sum(LEVELS)
        opened = math.ceil(self.open_rate_per_s * self.open_s / journey_turns) + self.open_slots
        return closed + opened + self.voice_calls + 4  # + warm-ups


def plan_for(scale: float, open_rate_per_s: float = 20.0) -> Plan:
    if scale <= 0:
        raise ValueError("BENCH_SCALE must be positive")
    return Plan(
        closed_s=round(10 * scale, 1),
        open_rate_per_s=open_rate_per_s,
        open_s=round(20 * scale, 1),
        open_slots=max(1, round(open_rate_per_s)),  # each slot sends a turn about every second
        long_turns=120,  # turns 100-120 are measured whatever the scale
        voice_calls=max(2, round(8 * scale)),
    )
