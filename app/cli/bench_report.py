"""`make bench`, the readable table: every scenario side by side for the stacks that ran, the
ratios ours/baseline, training times, peak memory and the targets with pass/fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.cli.bench_stats import BASELINE, LEVELS, OURS

HEADER = (
    f"{'scenario':<26}{'stack':<10}{'turns':>6}{'err':>5}{'p50 ms':>8}{'p95 ms':>8}"
    f"{'p99 ms':>8}{'turns/s':>9}{'verified':>10}  x baseline (turns/s, p95)"
)


def _num(value: Any, width: int, digits: int = 0) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width},.{digits}f}"


def _row(
    label: str, stack: str, figures: Mapping[str, Any], versus: Mapping[str, Any] | None
) -> str:
    verified = (
        f"{figures['verified']}/{figures['conversations']}"
        if figures.get("conversations")
        else f"{figures.get('matched_turns', 0)}/{figures.get('turns', 0)}t"
    )
    line = (
        f"{label:<26}{stack:<10}{figures.get('turns', 0):>6}{figures.get('errors', 0):>5}"
        f"{_num(figures.get('p50_ms'), 8)}{_num(figures.get('p95_ms'), 8)}"
        f"{_num(figures.get('p99_ms'), 8)}{_num(figures.get('turns_per_s'), 9, 1)}{verified:>10}"
    )
    if versus:
        line += f"  {_times(versus.get('throughput'))}, {_times(versus.get('p95'))}"
    return line


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _scenarios(stacks: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, stack, path in the stack's report) in display order."""
    rows: list[tuple[str, str, tuple[str, ...]]] = []
    journeys = sorted({j for s in stacks.values() for j in s.get("closed_loop", {})})
    for journey in journeys:
        for level in LEVELS:
            for name, stack in stacks.items():
                if journey in stack.get("closed_loop", {}):
                    rows.append(
                        (f"closed {journey} c={level}", name, ("closed_loop", journey, str(level)))
                    )
    for name, stack in stacks.items():
        if "open_loop" in stack:
            journey = stack["open_loop"].get("journey", "")
            rate = stack["open_loop"].get("rate_per_s", 0)
            rows.append((f"open {journey} {rate:g}/s", name, ("open_loop",)))
    for part, label in (
        ("turns_1_10", "long conv turns 1-10"),
        ("turns_100_120", "long conv turns 100-120"),
    ):
        for name, stack in stacks.items():
            if "conversation_length" in stack:
                rows.append((label, name, ("conversation_length", part)))
    return rows


def _get(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree.get(key, {}) if isinstance(tree, Mapping) else {}
    return tree


def table(report: Mapping[str, Any]) -> str:
    stacks = {k: v for k, v in report["stacks"].items() if "closed_loop" in v}
    lines = ["", "Results (latency per turn; open loop from the scheduled send time)", HEADER]
    for label, name, path in _scenarios(stacks):
        versus = None
        if name in OURS:
            versus = _ratio_for(report.get("ratios", {}).get(name, {}), path)
        lines.append(_row(label, name, _get(stacks[name], path), versus))
    lines.append("")
    for name, stack in report["stacks"].items():
        if "closed_loop" not in stack:
            lines.append(f"{name}: not measured ({stack.get('skipped') or stack.get('error')})")
            continue
        training = stack.get("training", {})
        lines.append(
            f"{name}: training cold {_num(training.get('cold_train_s'), 0, 1)} s, cached "
            f"{_num(training.get('cached_train_s'), 0, 2)} s (cache {training.get('cache')}); "
            f"startup {stack.get('startup_s')} s; peak RSS "
            + ", ".join(f"{p} {mb} MB" for p, mb in stack.get("peak_rss_mb", {}).items())
            + f" (PSS, shared pages once: {sum(stack.get('peak_pss_mb', {}).values())} MB in all)"
        )
        voice = stack.get("voice_server_ms", {}).get("no_model")
        if voice:
            lines.append(
                f"{name}: voice webhook server time, non-LLM turns p50 {voice['turns_p50_ms']} ms "
                f"p95 {voice['turns_p95_ms']} ms"
            )
    lines.append("")
    lines.append("Targets (benchmark goals, not assertions)")
    for row in report.get("targets", []):
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[row["pass"]]
        value = "-" if row["value"] is None else f"{row['value']:g}"
        lines.append(
            f"  {verdict:<5} {row['stack']:<9} {row['target']:<34} {value:>8}"
            f"  (goal {row['limit']})"
        )
    return "\n".join(lines)


def _ratio_for(ratios: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any] | None:
    if path[0] == "closed_loop":
        found = _get(ratios, path)
    elif path[0] == "open_loop":
        found = ratios.get("open_loop", {})
    else:
        found = _get(ratios, path)
    return found or None


def legacy_keys(stacks: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of the earlier `make bench` line (the embedded stack, apply path)."""
    ours = stacks.get("embedded", {})
    if "closed_loop" not in ours:
        return {}
    apply = ours["closed_loop"].get("apply", {})
    return {
        "concurrency": {level: apply[level] for level in ("1", "10") if level in apply},
        "peak_rss_mb": ours.get("peak_rss_mb", {}),
        "voice_server_ms": ours.get("voice_server_ms", {}),
    }


__all__ = ["BASELINE", "legacy_keys", "table"]
