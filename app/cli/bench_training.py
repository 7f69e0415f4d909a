"""`make bench`, our training times: cached (``python -m app.cli.train_model`` on a cache hit,
what `make train` costs when nothing changed) and cold (recorded by train_model when it trained
the model in use; with BENCH_TRAIN_COLD=1 measured again now, from scratch, into a temporary
folder with an empty Rasa cache, and recorded)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from app.cli.stack_config import APP_PYTHON, ROOT
from app.cli.train_model import BOT_DIR, bot_venv, cache_dir, model_hash, record_training_time


def cold_train_s() -> float:
    """`rasa train` of our bot with nothing cached (Rasa's own cache empty too)."""
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-train-") as folder:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(folder) / "cache")}
        env["RASA_TELEMETRY_ENABLED"] = "false"
        command = [
            str(bot_venv() / "bin" / "rasa"),
            "train",
            "--fixed-model-name",
            "cold",
            "--out",
            folder,
        ]
        started = time.monotonic()
        with (Path(folder) / "train.log").open("wb") as log:
            code = subprocess.run(command, cwd=BOT_DIR, env=env, stdout=log, stderr=log).returncode
        elapsed = time.monotonic() - started
        if code != 0:
            raise RuntimeError(f"cold rasa train of our bot failed (exit {code})")
        return elapsed


def _train_model() -> tuple[float, bool]:
    """``python -m app.cli.train_model``: seconds, and whether its cache had the model."""
    started = time.monotonic()
    result = subprocess.run(
        [str(APP_PYTHON), "-m", "app.cli.train_model"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return round(time.monotonic() - started, 2), "model cache hit" in result.stdout


def our_training() -> dict[str, Any]:
    key, cache = model_hash(), cache_dir()
    cached, hit = _train_model()
    if not hit:  # it trained (and recorded the cold time): the cached time is the next run
        cached, _ = _train_model()
    facts: dict[str, Any] = {"model_key": key, "cache": "hit" if hit else "miss"}
    facts["cached_train_s"] = cached
    record = cache / f"{key}.json"
    if os.environ.get("BENCH_TRAIN_COLD") == "1":
        print("  ours: cold training from scratch (BENCH_TRAIN_COLD=1)", flush=True)
        record_training_time(cache, key, cold_train_s())
    if record.is_file():
        facts["cold_train_s"] = json.loads(record.read_text())["train_s"]
    else:
        facts["cold_train_s"] = (
            None  # trained before times were kept; BENCH_TRAIN_COLD=1 measures it
        )
    return facts
