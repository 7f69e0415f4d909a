"""Understanding quality on the held-out set (bot/tests/nlu_holdout.yml, never trained on).

Runs `rasa test nlu` on the trained model and fails below 92% intent accuracy. Also reports:
- entity F1 (order_id, duration, date, from RegexEntityExtractor's report);
- the accuracy the live bot actually gets: `rasa test nlu` does not apply the FallbackClassifier,
  so a prediction below its threshold (which the bot answers with utter_default) is counted as a
  miss here, from the per-example predictions (--successes plus intent_errors.json).
A one-line JSON summary is printed and written to <out>/summary.json.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli.train_model import ensure_model

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "bot"
RASA = ROOT / ".venv" / "bot" / "bin" / "rasa"
HOLDOUT = "tests/nlu_holdout.yml"
MIN_INTENT_ACCURACY = 0.92


def fallback_threshold() -> float:
    config = yaml.safe_load((BOT_DIR / "config.yml").read_text())
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def accuracy_with_fallback(out: Path, threshold: float) -> tuple[float, int] | None:
    """Share of held-out examples right AND confident enough not to fall back; and how many fell."""
    successes = out / "intent_successes.json"
    errors = out / "intent_errors.json"
    if not successes.is_file():
        return None
    rows: list[dict[str, Any]] = json.loads(successes.read_text())
    if errors.is_file():
        rows += json.loads(errors.read_text())
    if not rows:
        return None
    right = fell_back = 0
    for row in rows:
        prediction = row.get("intent_prediction") or {}
        confident = float(prediction.get("confidence") or 0.0) >= threshold
        fell_back += not confident
        right += confident and prediction.get("name") == row.get("intent")
    return right / len(rows), fell_back


def entity_f1(out: Path) -> dict[str, float] | None:
    reports = sorted(out.glob("*Entity*_report.json")) + sorted(out.glob("*Extractor_report.json"))
    for report_path in reports:
        report = json.loads(report_path.read_text())
        average = report.get("weighted avg") or report.get("micro avg")
        if average:
            per_entity = {
                name: round(float(values["f1-score"]), 4)
                for name, values in report.items()
                if isinstance(values, dict) and "avg" not in name and "f1-score" in values
            }
            return {"weighted_f1": round(float(average["f1-score"]), 4), **per_entity}
    return None


def test_held_out_intent_accuracy_is_at_least_92_percent(
    tmp_path: Path, report_measurement: Callable[[str], None]
) -> None:
    model = ensure_model()
    out = tmp_path / "nlu-report"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            HOLDOUT,
            "--model",
            str(model),
            "--out",
            str(out),
            "--successes",
            "--no-plot",
        ],
        cwd=BOT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    report = json.loads((out / "intent_report.json").read_text())
    accuracy = float(report["accuracy"])
    threshold = fallback_threshold()
    with_fallback = accuracy_with_fallback(out, threshold)
    examples = int(report["weighted avg"]["support"])
    summary = {
        "held_out_examples": examples,
        "intent_accuracy": round(accuracy, 4),
        "intent_weighted_f1": round(float(report["weighted avg"]["f1-score"]), 4),
        "intent_accuracy_with_fallback": round(with_fallback[0], 4) if with_fallback else None,
        "below_fallback_threshold": with_fallback[1] if with_fallback else None,
        "fallback_threshold": threshold,
        "entity_f1": entity_f1(out),
    }
    line = json.dumps(summary, sort_keys=True)
    (out / "summary.json").write_text(line + "\n")
    report_measurement(f"held-out NLU ({examples} examples): {line}")
    weak = {
        name: round(float(values["f1-score"]), 3)
        for name, values in report.items()
        if isinstance(values, dict) and "avg" not in name and float(values["f1-score"]) < 0.9
    }
    if weak:
        report_measurement(f"intents with F1 below 0.9: {weak}")

    assert accuracy >= MIN_INTENT_ACCURACY, (
        f"held-out intent accuracy {accuracy:.3f} < {MIN_INTENT_ACCURACY}; "
        f"errors in {out / 'intent_errors.json'}"
    )
