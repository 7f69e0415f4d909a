"""NLU figures from the output folder of `rasa test nlu --successes` (no Rasa import).

`rasa test nlu` scores the raw intent prediction: it does not apply the FallbackClassifier. The
live bot answers every prediction below that threshold with the fallback, so here such a
prediction counts as a miss (accuracy), as "not acted on" (out-of-scope recall) or as a false
fallback (in-scope examples). Per-example rows come from intent_successes.json plus
intent_errors.json; each has `text`, `intent` and `intent_prediction: {name, confidence}`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

OUT_OF_SCOPE = "out_of_scope"
NLU_FALLBACK = "nlu_fallback"  # what the FallbackClassifier itself predicts, should it show up
DEFAULT_FALLBACK_THRESHOLD = 0.3  # Rasa's default when FallbackClassifier sets none
# `rasa test nlu` scores intents only if the set has two labels or more; a one-label set (all
# out_of_scope) is evaluated with one extra example of this label, which is never counted here.
SENTINEL_INTENT = "zz_nlu_eval_sentinel"


@dataclass(frozen=True)
class Prediction:
    """One evaluated example: its label, the predicted intent and that prediction's confidence."""

    text: str
    label: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class SetMetrics:
    """The figures of one evaluation set; a share is None when the set has no example for it."""

    examples: int
    in_scope: int
    out_of_scope: int
    intent_accuracy: float | None  # as Rasa scores it: the fallback not applied
    accuracy_with_fallback: float | None
    below_threshold: int
    oos_recall: float | None  # over the examples labelled out_of_scope
    false_fallback_rate: float | None  # over the examples labelled anything else

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the FallbackClassifier threshold of a Rasa config -----------------------------------------


def fallback_threshold(config: Path) -> float:
    """FallbackClassifier's `threshold` (Rasa's default if unset); 0.0 without the component."""
    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return 0.0


# --- per-example predictions -----------------------------------------------------------------


def _prediction(row: dict[str, Any]) -> Prediction:
    predicted = row.get("intent_prediction") or {}
    return Prediction(
        text=str(row.get("text") or ""),
        label=str(row.get("intent") or ""),
        predicted=str(predicted.get("name") or ""),
        confidence=float(predicted.get("confidence") or 0.0),
    )


def load_predictions(out: Path) -> list[Prediction]:
    """Every evaluated example (successes and errors); [] if `--successes` was not passed."""
    rows: list[dict[str, Any]] = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.is_file():
            rows += json.loads(path.read_text(encoding="utf-8"))
    predictions = (_prediction(row) for row in rows)
    return [p for p in predictions if p.label != SENTINEL_INTENT]


def falls_back(prediction: Prediction, threshold: float) -> bool:
    """The live bot answers this one with the fallback."""
    return prediction.confidence < threshold or prediction.predicted == NLU_FALLBACK


def not_acted_on(prediction: Prediction, threshold: float) -> bool:
    """Out of scope or the fallback: either way the bot does not act on the message."""
    return prediction.predicted == OUT_OF_SCOPE or falls_back(prediction, threshold)


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def intent_accuracy(predictions: list[Prediction]) -> float | None:
    """Rasa's own accuracy: the raw prediction, the fallback not applied."""
    return _share(sum(p.predicted == p.label for p in predictions), len(predictions))


def accuracy_with_fallback(predictions: list[Prediction], threshold: float) -> float | None:
    """Share predicted right AND confident enough not to fall back."""
    right = sum(p.predicted == p.label and not falls_back(p, threshold) for p in predictions)
    return _share(right, len(predictions))


def below_threshold(predictions: list[Prediction], threshold: float) -> int:
    return sum(falls_back(p, threshold) for p in predictions)


def oos_recall(predictions: list[Prediction], threshold: float) -> float | None:
    """Of the examples labelled out_of_scope, the share the bot does not act on."""
    labelled = [p for p in predictions if p.label == OUT_OF_SCOPE]
    return _share(sum(not_acted_on(p, threshold) for p in labelled), len(labelled))


def false_fallback_rate(predictions: list[Prediction], threshold: float) -> float | None:
    """Of the in-scope examples, the share predicted out_of_scope or below the threshold."""
    in_scope = [p for p in predictions if p.label != OUT_OF_SCOPE]
    return _share(sum(not_acted_on(p, threshold) for p in in_scope), len(in_scope))


# --- the report files -------------------------------------------------------------------------


def intent_report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    return report


def weak_intents(report: dict[str, Any], below: float) -> dict[str, float]:
    """Intents whose F1 in intent_report.json is below `below`."""
    return {
        name: round(float(values["f1-score"]), 3)
        for name, values in report.items()
        if isinstance(values, dict) and "avg" not in name and float(values["f1-score"]) < below
    }


def entity_f1(out: Path) -> dict[str, float] | None:
    """Weighted and per-entity F1 from the first entity extractor's report, if any."""
    reports = sorted(out.glob("*Entity*_report.json")) + sorted(out.glob("*Extractor_report.json"))
    for report_path in reports:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        average = report.get("weighted avg") or report.get("micro avg")
        if average:
            per_entity = {
                name: round(float(values["f1-score"]), 4)
                for name, values in report.items()
                if isinstance(values, dict) and "avg" not in name and "f1-score" in values
            }
            return {"weighted_f1": round(float(average["f1-score"]), 4), **per_entity}
    return None


def set_metrics(out: Path, threshold: float) -> SetMetrics:
    """Every figure of one `rasa test nlu --successes` output folder."""
    predictions = load_predictions(out)
    out_of_scope = sum(p.label == OUT_OF_SCOPE for p in predictions)
    return SetMetrics(
        examples=len(predictions),
        in_scope=len(predictions) - out_of_scope,
        out_of_scope=out_of_scope,
        intent_accuracy=intent_accuracy(predictions),
        accuracy_with_fallback=accuracy_with_fallback(predictions, threshold),
        below_threshold=below_threshold(predictions, threshold),
        oos_recall=oos_recall(predictions, threshold),
        false_fallback_rate=false_fallback_rate(predictions, threshold),
    )
