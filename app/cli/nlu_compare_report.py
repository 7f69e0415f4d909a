"""The rows of `make nlu-compare` (app/cli/nlu_compare.py) and how they are written out: a
Markdown table for people, results.json for tools."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.cli.nlu_metrics import SetMetrics
from app.cli.train_model import rasa_version


@dataclass(frozen=True)
class EvaluationSet:
    key: str
    path: str  # relative to bot/
    heading: str  # the figure this set contributes to the table


EVALUATION_SETS = (
    EvaluationSet("held_out", "tests/nlu_holdout.yml", "held-out accuracy (with fallback)"),
    EvaluationSet("oos", "tests/nlu_oos_holdout.yml", "out-of-scope recall"),
    EvaluationSet("jailbreak", "tests/nlu_jailbreak_holdout.yml", "jailbreak share out of scope"),
)


@dataclass(frozen=True)
class Candidate:
    name: str
    config: Path


@dataclass
class Row:
    name: str
    config: str
    threshold: float
    train_seconds: float | None = None
    sets: dict[str, SetMetrics] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": self.config,
            "fallback_threshold": self.threshold,
            "cold_train_seconds": self.train_seconds,
            "sets": {key: metrics.as_dict() for key, metrics in self.sets.items()},
            "errors": self.errors,
        }


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _cells(row: Row, present_keys: set[str]) -> list[str]:
    def cell(key: str, attribute: str) -> str:
        if key not in present_keys:
            return "no set"
        metrics = row.sets.get(key)
        return "FAILED" if metrics is None else _figure(getattr(metrics, attribute))

    train = "FAILED" if row.train_seconds is None else f"{row.train_seconds:.0f}"
    return [
        row.name,
        train,
        cell("held_out", "accuracy_with_fallback"),
        cell("oos", "oos_recall"),
        cell("held_out", "false_fallback_rate"),
        cell("jailbreak", "oos_recall"),
        f"{row.threshold:g}",
    ]


def set_sizes(rows: list[Row]) -> dict[str, SetMetrics]:
    """One evaluated SetMetrics per set (the sizes are the same for every candidate)."""
    sizes: dict[str, SetMetrics] = {}
    for row in rows:
        for key, metrics in row.sets.items():
            sizes.setdefault(key, metrics)
    return sizes


def _count(sizes: dict[str, SetMetrics], key: str, part: str = "examples") -> str:
    metrics = sizes.get(key)
    return "" if metrics is None else f" (n={getattr(metrics, part)})"


def markdown_table(rows: list[Row], present: list[EvaluationSet]) -> str:
    sizes = set_sizes(rows)
    header = [
        "config",
        "cold train s",
        f"held-out accuracy (with fallback){_count(sizes, 'held_out')}",
        f"out-of-scope recall{_count(sizes, 'oos', 'out_of_scope')}",
        f"in-scope false fallback{_count(sizes, 'held_out', 'in_scope')}",
        f"jailbreak share out of scope{_count(sizes, 'jailbreak', 'out_of_scope')}",
        "fallback threshold",
    ]
    present_keys = {evaluation.key for evaluation in present}
    lines = [header, ["---"] * len(header), *(_cells(row, present_keys) for row in rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def notes(rows: list[Row], present: list[EvaluationSet], missing: list[EvaluationSet]) -> str:
    lines = [f"not evaluated (no file yet): bot/{evaluation.path}" for evaluation in missing]
    sizes = set_sizes(rows)
    for evaluation in present:
        metrics = sizes.get(evaluation.key)
        if metrics is not None:
            lines.append(
                f"bot/{evaluation.path}: {metrics.examples} examples "
                f"({metrics.in_scope} in scope, {metrics.out_of_scope} out_of_scope)"
            )
    return "\n".join(lines)


def write_results(
    out: Path, rows: list[Row], present: list[EvaluationSet], missing: list[EvaluationSet]
) -> None:
    document = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rasa_version": rasa_version(),
        "sets": {
            e.key: {"file": f"bot/{e.path}", "present": e in present} for e in EVALUATION_SETS
        },
        "missing_sets": [f"bot/{evaluation.path}" for evaluation in missing],
        "rows": [row.as_dict() for row in rows],
    }
    (out / "results.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    table = markdown_table(rows, present) + "\n\n" + notes(rows, present, missing) + "\n"
    (out / "results.md").write_text(table, encoding="utf-8")
