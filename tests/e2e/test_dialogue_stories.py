"""Every journey and its unhappy paths as Rasa end-to-end test stories (bot/tests/).

`rasa test core --e2e --fail-on-prediction-errors` classifies each story message with the real
NLU model and checks every predicted action (plain `rasa test` exits 0 on failures). It predicts
actions without running them, so the story files spell out the events the policies depend on
(see the header of bot/tests/test_conversations.yml); it is run against the live stack's action
server and a tracker store of its own all the same, like the real bot.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "bot"
BOT_PYTHON = ROOT / ".venv" / "bot" / "bin" / "python"
STORIES = "tests/test_conversations.yml"


def story_count() -> int:
    return sum(
        1 for line in (BOT_DIR / STORIES).read_text().splitlines() if line.startswith("  - story:")
    )


def test_every_test_story_passes(live: LiveStack, tmp_path: Path) -> None:
    live.reset()
    out = tmp_path / "core-report"
    env = {
        **os.environ,
        "ACTION_SERVER_URL": live.config.action_url,
        "RASA_TRACKER_DB": str(tmp_path / "tracker.db"),
        "RASA_EVENTS_DB": str(tmp_path / "events.db"),
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = subprocess.run(
        [
            str(BOT_PYTHON),
            "-m",
            "bot.launch",
            "test",
            "core",
            "--stories",
            STORIES,
            "--model",
            "models/current.tar.gz",
            "--endpoints",
            "endpoints.yml",
            "--e2e",
            "--fail-on-prediction-errors",
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=BOT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    print(f"\n{story_count()} test stories in bot/{STORIES}")
    if result.returncode != 0:
        failed = out / "failed_test_stories.yml"
        if failed.is_file():
            print(failed.read_text())
        print(result.stdout[-4000:])
        print(result.stderr[-8000:])
    assert result.returncode == 0, "a test story failed (the failed story is printed above)"
