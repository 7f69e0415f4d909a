"""`make nlu-compare`: train candidate NLU pipelines cold and score them on the held-out sets.

    python -m app.cli.nlu_compare [--only NAME ...] [--out DIR]      (app env)

Candidates: the live bot/config.yml (named "live") and every bot/compare/*.yml (named by file
stem). Each is trained NLU-only with an empty Rasa cache of its own (so the time is a cold
train, Rasa's start-up included), then evaluated with `rasa test nlu --successes` on each
evaluation set that exists:

    bot/tests/nlu_holdout.yml            in scope + out_of_scope: accuracy, false fallbacks
    bot/tests/nlu_oos_holdout.yml        out of scope only: recall
    bot/tests/nlu_jailbreak_holdout.yml  jailbreak texts, labelled out_of_scope: share refused

A prediction below the config's FallbackClassifier threshold counts as a fallback (see
app/cli/nlu_metrics.py). Progress goes to stderr, a Markdown table to stdout; results.json,
results.md and Rasa's reports and logs per candidate go to --out (default: outside the
repository, `${XDG_CACHE_HOME:-~/.cache}/kestrel-selfcare/nlu-compare`). Exit code 1 if any
training or evaluation failed (the table still shows every row), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from app.cli.nlu_compare_report import (
    EVALUATION_SETS,
    Candidate,
    EvaluationSet,
    Row,
    markdown_table,
    notes,
    write_results,
)
from app.cli.nlu_metrics import SENTINEL_INTENT, fallback_threshold, set_metrics
from app.cli.train_model import BOT_DIR, bot_venv

LIVE_CONFIG = BOT_DIR / "config.yml"
COMPARE_DIR = BOT_DIR / "compare"
TRAINING_DATA = "data/nlu"  # relative to bot/
TIMEOUT_S = 3600
_INTENT_LINE = re.compile(r"^\s*-\s*intent:\s*[\"']?([^\s\"'#]+)", re.MULTILINE)
SENTINEL_NLU = f"""version: "3.1"
nlu:
  - intent: {SENTINEL_INTENT}
    examples: |
      - sentinel example added by app/cli/nlu_compare.py, never counted
"""


class CompareError(RuntimeError):
    """A training or evaluation run failed; the message says which and where its log is."""


# --- candidates and paths ---------------------------------------------------------------------


def candidates(compare_dir: Path = COMPARE_DIR, live: Path = LIVE_CONFIG) -> list[Candidate]:
    """The live config first, then bot/compare/*.yml in name order."""
    found = [Candidate(path.stem, path) for path in sorted(compare_dir.glob("*.yml"))]
    return [Candidate("live", live), *(c for c in found if c.name != "live")]


def select(available: list[Candidate], only: Sequence[str]) -> list[Candidate]:
    if not only:
        return available
    names = {c.name for c in available}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise CompareError(f"unknown config(s) {unknown}; choose from {sorted(names)}")
    return [c for c in available if c.name in only]


def default_out_dir() -> Path:
    """Outside the repository: .cache/ in the repository is not git-ignored."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kestrel-selfcare" / "nlu-compare"


def rasa_executable() -> Path:
    rasa = bot_venv() / "bin" / "rasa"
    if not rasa.exists():
        raise CompareError(f"{rasa} not found: run `make setup` first")
    return rasa


# --- running Rasa -----------------------------------------------------------------------------


def rasa_env(cache_dir: Path | None = None) -> dict[str, str]:
    """Quiet Rasa, no telemetry; with `cache_dir`, Rasa's training cache goes there."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if cache_dir is not None:
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)  # rasa/engine/caching.py CACHE_LOCATION_ENV
    return env


def intent_labels(nlu_text: str) -> set[str]:
    return set(_INTENT_LINE.findall(nlu_text))


def rasa_test_nlu(
    rasa: Path, model: Path, nlu_file: str, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`rasa test nlu --successes --no-plot` of `model` on bot/`nlu_file`, reports into `out`.

    Rasa skips the intent evaluation of a set with a single label (all out_of_scope): such a
    set is evaluated from a temporary folder with one SENTINEL_INTENT example added, which
    nlu_metrics.load_predictions leaves out (intent_report.json still lists it).
    """
    source = BOT_DIR / nlu_file
    with tempfile.TemporaryDirectory(prefix="rasa-test-nlu-") as folder:
        target = nlu_file
        if source.is_file() and len(intent_labels(source.read_text(encoding="utf-8"))) < 2:
            shutil.copy2(source, Path(folder) / source.name)
            (Path(folder) / "zz_sentinel.yml").write_text(SENTINEL_NLU, encoding="utf-8")
            target = folder
        command = [str(rasa), "test", "nlu", "--nlu", target, "--model", str(model)]
        command += ["--out", str(out), "--successes", "--no-plot"]
        return subprocess.run(
            command,
            cwd=BOT_DIR,
            env=env if env is not None else rasa_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )


def _write_log(log: Path, result: subprocess.CompletedProcess[str]) -> None:
    command = " ".join(str(part) for part in result.args)
    log.write_text(f"$ {command}\n{result.stdout}\n{result.stderr}", encoding="utf-8")


def train_cold(rasa: Path, candidate: Candidate, models: Path, log: Path) -> tuple[float, Path]:
    """Train `candidate` NLU-only with an empty Rasa cache; wall-clock seconds and the model."""
    with tempfile.TemporaryDirectory(prefix="rasa-cache-") as cache:
        command = [str(rasa), "train", "nlu", "--config", str(candidate.config)]
        command += ["--nlu", TRAINING_DATA, "--out", str(models)]
        command += ["--fixed-model-name", candidate.name]
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=BOT_DIR,
            env=rasa_env(Path(cache)),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        elapsed = time.monotonic() - started
    _write_log(log, result)
    model = models / f"{candidate.name}.tar.gz"
    if result.returncode != 0 or not model.is_file():
        raise CompareError(
            f"training {candidate.name} failed (exit code {result.returncode}) after "
            f"{elapsed:.0f} s; log: {log}\n{_tail(result)}"
        )
    return elapsed, model


def evaluate(rasa: Path, model: Path, evaluation: EvaluationSet, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    result = rasa_test_nlu(rasa, model, evaluation.path, out)
    _write_log(out / "rasa.log", result)
    if result.returncode != 0 or not (out / "intent_report.json").is_file():
        raise CompareError(
            f"rasa test nlu on {evaluation.path} failed (exit code {result.returncode}); "
            f"log: {out / 'rasa.log'}\n{_tail(result)}"
        )


_NOISE = re.compile(r"Warning|^\s|^Implementing implicit namespace|it/s\]")


def _tail(result: subprocess.CompletedProcess[str], lines: int = 8) -> str:
    """The end of Rasa's output without Python's warnings (Rasa prints its error on stdout)."""
    text = (result.stderr or "") + "\n" + (result.stdout or "")
    kept = [line for line in text.splitlines() if line.strip() and not _NOISE.search(line)]
    return "\n".join(kept[-lines:])


# --- one candidate ----------------------------------------------------------------------------


def progress(message: str, end: str = "\n") -> None:
    print(message, end=end, file=sys.stderr, flush=True)


def run_candidate(
    rasa: Path, candidate: Candidate, step: str, present: list[EvaluationSet], out: Path
) -> Row:
    row = Row(candidate.name, str(candidate.config), fallback_threshold(candidate.config))
    folder = out / candidate.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix=f"nlu-compare-{candidate.name}-") as models:
        progress(f"{step} training {candidate.name} ... ", end="")
        try:
            row.train_seconds, model = train_cold(
                rasa, candidate, Path(models), folder / "train.log"
            )
        except (CompareError, subprocess.TimeoutExpired) as error:
            progress("FAILED")
            row.errors.append(str(error))
            return row
        progress(f"{row.train_seconds:.0f} s")
        for evaluation in present:
            progress(f"{step} evaluating {candidate.name} on {evaluation.path} ... ", end="")
            started = time.monotonic()
            try:
                evaluate(rasa, model, evaluation, folder / evaluation.key)
            except (CompareError, subprocess.TimeoutExpired) as error:
                progress("FAILED")
                row.errors.append(str(error))
                continue
            metrics = set_metrics(folder / evaluation.key, row.threshold)
            row.sets[evaluation.key] = metrics
            progress(f"{metrics.examples} examples, {time.monotonic() - started:.0f} s")
    return row


# --- entry point ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.cli.nlu_compare", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--only", nargs="+", action="extend", default=[], metavar="NAME",
        help="only these configs (live, or a bot/compare/*.yml stem); repeatable",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=default_out_dir(), help="results folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chosen = select(candidates(), args.only)
        rasa = rasa_executable()
    except CompareError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    present = [e for e in EVALUATION_SETS if (BOT_DIR / e.path).is_file()]
    missing = [e for e in EVALUATION_SETS if e not in present]
    for evaluation in missing:
        progress(f"note: bot/{evaluation.path} does not exist; its column stays empty")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, candidate in enumerate(chosen, start=1):
        step = f"[{index}/{len(chosen)}]"
        rows.append(run_candidate(rasa, candidate, step, present, out))
        write_results(out, rows, present, missing)  # a partial run still leaves its rows
    print(markdown_table(rows, present))
    print()
    print(notes(rows, present, missing))
    progress(f"results: {out / 'results.json'} and {out / 'results.md'}")
    failed = [row for row in rows if row.errors]
    for row in failed:
        for message in row.errors:
            progress(f"error: {row.name}: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
