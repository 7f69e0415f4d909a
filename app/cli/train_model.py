"""Train the Rasa model once per content hash, and reuse it from the user's cache.

    python -m app.cli.train_model        (app env; stdlib only)

The key hashes bot/config.yml, the domain (bot/domain.yml or bot/domain/), every file under
bot/data/ and the Rasa version installed in the bot env. Models live in
`${XDG_CACHE_HOME:-~/.cache}/kestrel-selfcare/models/<hash>.tar.gz`, outside the repository, so a
fresh clone with the same bot files trains nothing. The model in use is bot/models/current.tar.gz
(a hard link to the cached file, or a copy across file systems).

Environment: KESTREL_BOT_VENV overrides the bot env (default <repo>/.venv/bot).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = REPO_ROOT / "bot"
CURRENT_MODEL = BOT_DIR / "models" / "current.tar.gz"
HASH_SCHEME = "kestrel-model-v1"


class TrainingError(RuntimeError):
    """The model could not be trained or installed; the message says why."""


def bot_venv() -> Path:
    return Path(os.environ.get("KESTREL_BOT_VENV", REPO_ROOT / ".venv" / "bot"))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kestrel-selfcare" / "models"


def rasa_version(venv: Path | None = None) -> str:
    """Rasa's version in the bot env, from its dist-info folder (no slow `import rasa`)."""
    venv = venv or bot_venv()
    for dist_info in sorted(venv.glob("lib/python*/site-packages/rasa-*.dist-info")):
        return dist_info.name[len("rasa-") : -len(".dist-info")]
    python = venv / "bin" / "python"
    if not python.exists():
        raise TrainingError(f"No bot env at {venv}: create it first (it needs rasa==3.6.21).")
    result = subprocess.run(
        [str(python), "-c", "import rasa; print(rasa.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise TrainingError(f"Rasa is not installed in the bot env {venv}: {result.stderr[-500:]}")
    return result.stdout.strip()


def training_inputs(bot_dir: Path = BOT_DIR) -> list[Path]:
    """Every file that changes the trained model, in a stable order."""
    domain = bot_dir / "domain"
    domain_files = (
        sorted(p for p in domain.rglob("*") if p.is_file())
        if domain.is_dir()
        else [bot_dir / "domain.yml"]
    )
    data_files = sorted(p for p in (bot_dir / "data").rglob("*") if p.is_file())
    files = [bot_dir / "config.yml", *domain_files, *data_files]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise TrainingError(f"Missing training input(s): {', '.join(missing)}")
    return files


def model_hash(bot_dir: Path = BOT_DIR, version: str | None = None) -> str:
    digest = hashlib.sha256()
    digest.update(f"{HASH_SCHEME}\0rasa=={version or rasa_version()}\0".encode())
    for path in training_inputs(bot_dir):
        digest.update(path.relative_to(bot_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def train(key: str, cache: Path) -> Path:
    """Run `rasa train` into the cache, streaming its output; return the cached model."""
    rasa = bot_venv() / "bin" / "rasa"
    if not rasa.exists():
        raise TrainingError(f"{rasa} not found: create the bot env first (rasa==3.6.21).")
    cache.mkdir(parents=True, exist_ok=True)
    partial_name = f"{key}-partial-{os.getpid()}"  # no dot: rasa cuts names at one
    command = [str(rasa), "train", "--fixed-model-name", partial_name, "--out", str(cache)]
    print(f"training a new model (key {key}): {' '.join(command)}", flush=True)
    started = time.monotonic()
    try:
        returncode = subprocess.run(command, cwd=BOT_DIR, check=False).returncode
    except KeyboardInterrupt:
        (cache / f"{partial_name}.tar.gz").unlink(missing_ok=True)
        raise
    elapsed = time.monotonic() - started
    partial = cache / f"{partial_name}.tar.gz"
    if returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise TrainingError(f"rasa train failed (exit code {returncode}) after {elapsed:.1f} s")
    final = cache / f"{key}.tar.gz"
    os.replace(partial, final)  # a model in the cache is always complete
    record_training_time(cache, key, elapsed)
    print(f"trained in {elapsed:.1f} s", flush=True)
    return final


def record_training_time(cache: Path, key: str, seconds: float) -> None:
    """Keep the cold training time next to the model: `make bench` reports it on cache hits."""
    record = {"train_s": round(seconds, 1), "rasa": rasa_version()}
    (cache / f"{key}.json").write_text(json.dumps(record))


def install(cached: Path) -> Path:
    """Make bot/models/current.tar.gz the cached model (hard link, else copy), atomically."""
    CURRENT_MODEL.parent.mkdir(parents=True, exist_ok=True)
    if CURRENT_MODEL.is_file() and os.path.samefile(cached, CURRENT_MODEL):
        return CURRENT_MODEL  # already linked (rename() between two links is a no-op)
    staging = CURRENT_MODEL.with_name(f".current-{os.getpid()}.tar.gz")
    staging.unlink(missing_ok=True)
    try:
        os.link(cached, staging)
    except OSError:
        shutil.copy2(cached, staging)
    os.replace(staging, CURRENT_MODEL)
    staging.unlink(missing_ok=True)
    return CURRENT_MODEL


def ensure_model() -> Path:
    """Return bot/models/current.tar.gz for the current bot files, training only on a miss."""
    key = model_hash()
    cache = cache_dir()
    cached = cache / f"{key}.tar.gz"
    if cached.is_file():
        print(f"model cache hit: {cached}", flush=True)
    else:
        cached = train(key, cache)
    return install(cached)


def main() -> int:
    started = time.monotonic()
    try:
        path = ensure_model()
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"model: {path} ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
