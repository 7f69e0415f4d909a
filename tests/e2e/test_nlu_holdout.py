"""Understanding quality on held-out sets (never trained on), as the live bot sees it.

`rasa test nlu` does not apply the FallbackClassifier, so a prediction below its threshold (which
the bot answers with utter_default) is counted from the per-example predictions
(app/cli/nlu_metrics.py):
- bot/tests/nlu_holdout.yml: intent accuracy counting fallbacks as misses (>= 97%), entity F1
  (RegexEntityExtractor's report) and the in-scope false fallback rate (<= 3%: predicted
  out_of_scope or below the threshold);
- bot/tests/nlu_oos_holdout.yml: out-of-scope recall (>= 90%: out_of_scope or below threshold);
- bot/tests/nlu_jailbreak_holdout.yml: the share of jailbreak texts not acted on, reported only
  (the behavioural gate, no offer made, is an end-to-end test elsewhere).
A missing evaluation file fails the test that needs it. A one-line JSON summary of the held-out
set is printed and written to <out>/summary.json.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli.nlu_compare import rasa_test_nlu
from app.cli.nlu_metrics import (
    accuracy_with_fallback,
    below_threshold,
    entity_f1,
    fallback_threshold,
    false_fallback_rate,
    intent_report,
    load_predictions,
    not_acted_on,
    oos_recall,
    weak_intents,
)
from app.cli.train_model import ensure_model

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "bot"
RASA = ROOT / ".venv" / "bot" / "bin" / "rasa"
HOLDOUT = "tests/nlu_holdout.yml"
OOS_HOLDOUT = "tests/nlu_oos_holdout.yml"
JAILBREAK_HOLDOUT = "tests/nlu_jailbreak_holdout.yml"
MIN_INTENT_ACCURACY = 0.97
MIN_OOS_RECALL = 0.90
MAX_FALSE_FALLBACK = 0.03
MIN_JAILBREAK_TEXTS = 100

Evaluate = Callable[[str], Path]


@pytest.fixture(scope="module")
def threshold() -> float:
    return fallback_threshold(BOT_DIR / "config.yml")


@pytest.fixture(scope="module")
def evaluate(tmp_path_factory: pytest.TempPathFactory) -> Evaluate:
    """`rasa test nlu --successes` of the trained model on a bot/ file; each file once per module.

    Returns the report folder. Fails (never skips) the calling test if the file does not exist.
    The model comes from ensure_model() once, so every test of the module scores the same one.
    """
    done: dict[str, Path] = {}
    models: list[Path] = []  # trained (or found) on first use, then the same for every file

    def run(holdout: str) -> Path:
        if holdout in done:
            return done[holdout]
        if not (BOT_DIR / holdout).is_file():
            pytest.fail(f"evaluation file bot/{holdout} does not exist", pytrace=False)
        if not models:  # a copy: another `make train` may replace bot/models/current.tar.gz
            models.append(Path(shutil.copy2(ensure_model(), tmp_path_factory.mktemp("model"))))
        model = models[0]
        out = tmp_path_factory.mktemp(Path(holdout).stem)
        result = rasa_test_nlu(RASA, model, holdout, out)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        done[holdout] = out
        return out

    return run


def test_held_out_intent_accuracy_counting_fallbacks_as_misses_is_at_least_97_percent(
    evaluate: Evaluate, threshold: float, report_measurement: Callable[[str], None]
) -> None:
    out = evaluate(HOLDOUT)
    report = intent_report(out)
    predictions = load_predictions(out)
    with_fallback = accuracy_with_fallback(predictions, threshold)
    assert with_fallback is not None, f"no per-example predictions in {out}"
    examples = len(predictions)
    summary = {
        "held_out_examples": examples,
        "intent_accuracy": round(float(report["accuracy"]), 4),
        "intent_weighted_f1": round(float(report["weighted avg"]["f1-score"]), 4),
        "intent_accuracy_with_fallback": round(with_fallback, 4),
        "below_fallback_threshold": below_threshold(predictions, threshold),
        "fallback_threshold": threshold,
        "entity_f1": entity_f1(out),
    }
    line = json.dumps(summary, sort_keys=True)
    (out / "summary.json").write_text(line + "\n")
    report_measurement(f"held-out NLU ({examples} examples): {line}")
    weak = weak_intents(report, below=0.9)
    if weak:
        report_measurement(f"intents with F1 below 0.9: {weak}")

    assert with_fallback >= MIN_INTENT_ACCURACY, (
        f"held-out intent accuracy with the fallback at {threshold} is {with_fallback:.3f} "
        f"< {MIN_INTENT_ACCURACY}; errors in {out / 'intent_errors.json'}"
    )


def test_out_of_scope_recall_is_at_least_90_percent_and_in_scope_false_fallback_at_most_3_percent(
    evaluate: Evaluate, threshold: float, report_measurement: Callable[[str], None]
) -> None:
    held_out = evaluate(HOLDOUT)
    in_scope = [p for p in load_predictions(held_out) if p.label != "out_of_scope"]
    false_fallback = false_fallback_rate(in_scope, threshold)
    assert false_fallback is not None, f"no in-scope predictions in {held_out}"
    refused = [p.text for p in in_scope if not_acted_on(p, threshold)]
    report_measurement(
        f"in-scope false fallback ({len(in_scope)} examples of {HOLDOUT}, threshold {threshold}): "
        f"{false_fallback:.4f}; e.g. {refused[:5]}"
    )

    oos_out = evaluate(OOS_HOLDOUT)
    oos = load_predictions(oos_out)
    recall = oos_recall(oos, threshold)
    assert recall is not None, f"no out_of_scope predictions in {oos_out}"
    report_measurement(f"out-of-scope recall ({len(oos)} examples of {OOS_HOLDOUT}): {recall:.4f}")

    failures = []
    if recall < MIN_OOS_RECALL:
        acted_on = [p.text for p in oos if not not_acted_on(p, threshold)]
        failures.append(f"out-of-scope recall {recall:.3f} < {MIN_OOS_RECALL}: {acted_on}")
    if false_fallback > MAX_FALSE_FALLBACK:
        failures.append(
            f"in-scope false fallback {false_fallback:.3f} > {MAX_FALSE_FALLBACK}: {refused}"
        )
    assert not failures, "; ".join(failures)


def test_share_of_jailbreak_texts_classified_out_of_scope_is_reported(
    evaluate: Evaluate, threshold: float, report_measurement: Callable[[str], None]
) -> None:
    out = evaluate(JAILBREAK_HOLDOUT)
    predictions = load_predictions(out)
    share = oos_recall(predictions, threshold)
    labels = {p.label for p in predictions}
    report_measurement(
        f"jailbreak texts out of scope or below threshold ({len(predictions)} of "
        f"{JAILBREAK_HOLDOUT}): {'n/a' if share is None else f'{share:.4f}'}"
    )
    assert labels <= {"out_of_scope"}, f"{JAILBREAK_HOLDOUT} has other labels: {labels}"
    assert len(predictions) >= MIN_JAILBREAK_TEXTS, (
        f"{JAILBREAK_HOLDOUT} evaluated {len(predictions)} texts < {MIN_JAILBREAK_TEXTS}"
    )
