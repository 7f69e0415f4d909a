"""`make bench`, the baseline: a plain `rasa init` bot (Rasa's template data, default config),
trained once per template and Rasa version and kept in the user's cache.

    ${XDG_CACHE_HOME:-~/.cache}/kestrel-selfcare/baseline/<key>/
        project/            a copy of rasa/cli/initial_project (Rasa's own cache in project/.rasa)
        project/models/baseline.tar.gz
        training.json       {"cold_train_s": ..., "rasa": ..., "trained_at": ...}

The cold training time is measured once, when the cache is made, and kept with the model; every
run measures the cached time again: a second `rasa train` on unchanged data, which Rasa answers
from its own cache (fingerprints, no component is retrained). The template has no custom actions
and an in-memory tracker store, so it runs as `rasa run --enable-api` alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import httpx

from app.cli.stack_config import free_ports
from app.cli.train_model import bot_venv, rasa_version

MODEL_NAME = "baseline"


def template_dir() -> Path:
    found = sorted(bot_venv().glob("lib/python*/site-packages/rasa/cli/initial_project"))
    if not found:
        raise RuntimeError(f"rasa's initial_project template is not in {bot_venv()}")
    return found[0]


def template_files(template: Path) -> list[Path]:
    """The template's files, without byte code (it differs by interpreter, not by content)."""
    return sorted(p for p in template.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def baseline_key(template: Path, version: str) -> str:
    digest = hashlib.sha256(f"kestrel-baseline-v1\0rasa=={version}\0".encode())
    for path in template_files(template):
        digest.update(path.relative_to(template).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kestrel-selfcare" / "baseline"


def _environment() -> dict[str, str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)  # the template imports nothing of ours
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _rasa_train(project: Path, log: Path) -> float:
    """`rasa train` in ``project`` (its default config); seconds, output into ``log``."""
    command = [str(bot_venv() / "bin" / "rasa"), "train", "--fixed-model-name", MODEL_NAME]
    started = time.monotonic()
    with log.open("ab") as output:
        code = subprocess.run(
            command, cwd=project, env=_environment(), stdout=output, stderr=subprocess.STDOUT
        ).returncode
    elapsed = time.monotonic() - started
    if code != 0:
        raise RuntimeError(f"baseline rasa train failed (exit {code}); see {log}")
    return elapsed


def ensure_baseline(retrain: bool = False) -> dict[str, object]:
    """The trained baseline (training on a miss) and its cold and cached training times."""
    template = template_dir()
    version = rasa_version()
    folder = cache_root() / baseline_key(template, version)
    project, record = folder / "project", folder / "training.json"
    model = project / "models" / f"{MODEL_NAME}.tar.gz"
    log = folder / "train.log"
    hit = record.is_file() and model.is_file() and not retrain
    if not hit:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copytree(template, project, ignore=shutil.ignore_patterns("__pycache__"))
        print(f"  baseline: cold training (`rasa train`, default config) in {project}", flush=True)
        cold = _rasa_train(project, log)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record.write_text(
            json.dumps({"cold_train_s": round(cold, 1), "rasa": version, "trained_at": stamp})
        )
    facts = json.loads(record.read_text())
    print("  baseline: cached training (a second `rasa train` on unchanged data)", flush=True)
    cached = _rasa_train(project, log)
    return {
        "cache": "hit" if hit else "miss",
        "cold_train_s": facts["cold_train_s"],
        "cold_trained_at": facts["trained_at"],
        "cached_train_s": round(cached, 1),
        "rasa": version,
        "project": str(project),
        "model": str(model),
    }


@contextmanager
def baseline_server(project: Path, log_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`rasa run --enable-api` on a free port with the baseline model, until its /status answers."""
    (port,) = free_ports(1)
    command = [
        str(bot_venv() / "bin" / "rasa"),
        "run",
        "--enable-api",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        str(project / "models" / f"{MODEL_NAME}.tar.gz"),
        "--credentials",
        "credentials.yml",
        "--endpoints",
        "endpoints.yml",
    ]
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "baseline-rasa.log").open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_status(url, process, timeout_s=240)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_status(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"baseline rasa exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/status", timeout=2).status_code == 200:  # the model is loaded
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"baseline rasa not ready after {timeout_s:.0f} s")
