"""`make bench` arithmetic: percentiles, the open-loop schedule, ratios ours/baseline, the targets
and the shape of the JSON document (no stack, no network)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.cli.bench_baseline import baseline_key
from app.cli.bench_client import Turn, matches
from app.cli.bench_report import legacy_keys, table
from app.cli.bench_stats import (
    evaluate_targets,
    open_loop_schedule,
    percentile,
    percentiles,
    plan_for,
    ratios,
    summarize,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_percentile_is_the_nearest_rank_and_spans_min_to_max():
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, 0) == 1
    assert percentile(values, 1) == 100
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.99) == 7


def test_percentile_of_no_values_is_an_error_not_a_zero():
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_percentiles_are_named_by_point_and_rounded_to_a_tenth_of_a_ms():
    assert percentiles([1.04, 2.06, 3.0], "turns_", 50, 99) == {
        "turns_p50_ms": 2.1,
        "turns_p99_ms": 3.0,
    }


def test_summary_gives_throughput_from_elapsed_time_and_keeps_errors():
    summary = summarize([10.0] * 50, elapsed_s=2.0, errors=3)
    assert summary["turns"] == 50
    assert summary["turns_per_s"] == 25.0
    assert summary["errors"] == 3
    assert summary["p95_ms"] == 10.0


def test_summary_of_a_scenario_without_turns_has_no_latency_figures():
    summary = summarize([], elapsed_s=1.0, errors=4)
    assert summary["p95_ms"] is None
    assert summary["turns_per_s"] == 0.0
    assert summary["errors"] == 4


def test_open_loop_schedule_sends_at_the_fixed_rate_spread_round_robin_over_slots():
    schedule = open_loop_schedule(rate_per_s=20, duration_s=2, slots=4)
    assert sum(len(times) for times in schedule) == 40
    assert sorted(t for times in schedule for t in times) == [k / 20 for k in range(40)]
    for slot, times in enumerate(schedule):
        assert times[0] == pytest.approx(slot / 20)
        gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
        assert gaps == {0.2}, "each slot sends every slots/rate seconds, whatever replies take"


def test_open_loop_schedule_refuses_a_rate_of_zero():
    with pytest.raises(ValueError):
        open_loop_schedule(rate_per_s=0, duration_s=10, slots=4)


def _level(tps: float, p95: float) -> dict[str, Any]:
    return {
        "turns": 100,
        "errors": 0,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95,
        "turns_per_s": tps,
        "matched_turns": 100,
        "conversations": 20,
        "verified": 20,
    }


# What bench_baseline.ensure_baseline and bench_training.our_training report.
TRAINING = {
    True: {
        "cache": "hit",
        "cold_train_s": 108.5,
        "cold_trained_at": "2026-12-03T14:08:01+00:00",
        "cached_train_s": 17.0,
        "rasa": "3.6.21",
        "project": "/cache/project",
        "model": "/cache/project/models/baseline.tar.gz",
    },
    False: {
        "model_key": "10544d889a2cbc29d2cc4252",
        "cache": "hit",
        "cached_train_s": 0.2,
        "cold_train_s": None,
    },
}


def _stack(kind: str, journeys: dict[str, tuple[float, float]], open_p95: float) -> dict[str, Any]:
    report: dict[str, Any] = {
        "kind": kind,
        "startup_s": 30.0,
        "training": TRAINING[kind == "baseline"],
        "closed_loop": {
            name: {level: _level(tps, p95) for level in ("1", "10", "50")}
            for name, (tps, p95) in journeys.items()
        },
        "open_loop": {"journey": "apply", "rate_per_s": 20.0, **_level(19.5, open_p95)},
        "conversation_length": {
            "turns_1_10": _level(0, 50),
            "turns_100_120": _level(0, 60),
            "p50_growth": 1.2,
        },
        "peak_rss_mb": {"rasa": 600},
        "peak_pss_mb": {"rasa": 550},
        "logs": "/tmp/kestrel-bench-logs-" + kind,
        "wall_s": 100.0,
    }
    if kind != "baseline":
        report["voice_server_ms"] = {"no_model": {"turns_p50_ms": 60.0, "turns_p95_ms": 320.0}}
    return report


STACKS = {
    "baseline": _stack("baseline", {"read": (50.0, 300.0)}, open_p95=200.0),
    "embedded": _stack("embedded", {"read": (90.0, 120.0), "apply": (80.0, 140.0)}, 90.0),
    "scaled": {"kind": "scaled", "skipped": "No module named 'app.cli.scaled'"},
}


def test_ratios_divide_each_of_our_journeys_by_the_baseline_at_the_same_concurrency():
    table_ = ratios(STACKS)
    assert table_["embedded"]["closed_loop"]["apply"]["10"] == {"throughput": 1.6, "p95": 0.47}
    assert table_["embedded"]["closed_loop"]["read"]["50"]["throughput"] == 1.8
    assert table_["embedded"]["open_loop"] == {"p95": 0.45}
    assert "scaled" not in table_, "a stack that did not run has no ratios"


def test_there_are_no_ratios_without_a_baseline():
    assert ratios({"embedded": STACKS["embedded"]}) == {}


def test_targets_pass_or_fail_on_their_figures_and_are_unknown_when_one_is_missing():
    rows = evaluate_targets(STACKS, ratios(STACKS))
    verdicts = {row["target"]: row["pass"] for row in rows if row["stack"] == "embedded"}
    assert verdicts == {
        "apply_c10_throughput_x_baseline": True,  # 1.6 >= 1.5
        "apply_c10_p95_ms": True,  # 140 <= 150
        "open_loop_p95_ms": True,  # 90 <= 100
        "voice_non_llm_p95_ms": False,  # 320 > 300
    }
    without_baseline = evaluate_targets({"embedded": STACKS["embedded"]}, {})
    assert {r["target"]: r["pass"] for r in without_baseline}[
        "apply_c10_throughput_x_baseline"
    ] is None


def test_a_journey_turn_matches_only_a_reply_holding_its_expected_text():
    assert matches(Turn("yes", "Done."), "Done. The late fee is waived.")
    assert not matches(Turn("yes", "Done."), "Sorry, something went wrong.")
    assert matches(Turn("hi"), "Hello!")
    assert not matches(Turn("hi"), "  "), "an empty reply is not an answer"


def test_plan_scales_durations_but_keeps_the_long_conversation_at_120_turns():
    full, quick = plan_for(1), plan_for(0.1)
    assert (full.closed_s, full.open_s, full.open_slots) == (10, 20, 20)
    assert quick.closed_s == 1 and quick.long_turns == full.long_turns == 120
    assert full.apply_accounts() > quick.apply_accounts() > 0
    with pytest.raises(ValueError):
        plan_for(0)


def test_baseline_cache_key_follows_template_content_and_rasa_version_not_bytecode(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("nlu: []\n")
    key = baseline_key(tmp_path, "3.6.21")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert baseline_key(tmp_path, "3.6.21") == key
    assert baseline_key(tmp_path, "3.6.20") != key
    (tmp_path / "data" / "nlu.yml").write_text("nlu: [x]\n")
    assert baseline_key(tmp_path, "3.6.21") != key


def _document() -> dict[str, Any]:
    report: dict[str, Any] = {
        "schema": "kestrel-bench-2",
        "started_at": "2026-12-03T14:00:00+00:00",
        "scale": 1.0,
        "cpus": 2,
        "plan": plan_for(1).__dict__,
        "stacks": STACKS,
    }
    report["ratios"] = ratios(STACKS)
    report["targets"] = evaluate_targets(STACKS, report["ratios"])
    report.update(legacy_keys(STACKS))
    report["wall_s"] = 500.0
    return report


def test_the_json_document_keeps_the_keys_of_the_earlier_bench_line():
    document = json.loads(json.dumps(_document()))
    assert set(document["concurrency"]) == {"1", "10"}
    assert document["concurrency"]["10"]["turns_per_s"] == 80.0
    assert {"p50_ms", "p95_ms", "p99_ms"} <= set(document["concurrency"]["1"])
    assert document["peak_rss_mb"] == {"rasa": 600}
    assert document["voice_server_ms"]["no_model"]["turns_p95_ms"] == 320.0


def test_every_key_of_the_json_document_is_documented_in_the_readme():
    document = _document()
    keys = set(document) | set(document["stacks"]["embedded"]) | set(document["plan"])
    keys |= set(document["stacks"]["embedded"]["open_loop"]) | set(document["targets"][0])
    keys |= set(TRAINING[True]) | set(TRAINING[False]) | {"skipped", "error", "mismatches"}
    keys |= set(document["stacks"]["embedded"]["closed_loop"]["apply"]["10"]) | {"concurrency"}
    keys |= set(document["stacks"]["embedded"]["voice_server_ms"]["no_model"])
    keys |= {"explanation_p50_ms", "explanation_p95_ms", "voice_with_model"}
    keys |= {"model_latency_s", "llm_requests", "budget_voice_s", "throughput", "p95"}
    keys |= set(document["stacks"]["embedded"]["conversation_length"])
    section = README.read_text().split("## Performance", 1)[1].split("\n## ", 1)[0]
    spans = re.findall(r"`([^`]+)`", section)  # `closed_loop.<journey>.<level>` documents 3
    documented = {word for span in spans for word in re.findall(r"[a-z][a-z0-9_]*", span)}
    assert sorted(keys - documented) == []


def test_the_table_shows_every_stack_side_by_side_with_ratios_and_verdicts():
    text = table(_document())
    assert re.search(r"closed apply c=10\s+embedded .* 1\.60x, 0\.47x", text)
    assert re.search(r"closed read c=10\s+baseline", text)
    assert "scaled: not measured (No module named 'app.cli.scaled')" in text
    assert re.search(r"PASS\s+embedded\s+apply_c10_p95_ms", text)
    assert re.search(r"FAIL\s+embedded\s+voice_non_llm_p95_ms", text)
