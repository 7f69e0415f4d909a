"""The input channels Rasa 3.6 itself builds from the credentials the stack gives it (its own
loader, ``rasa.core.run.create_http_input_channels``, in the bot env; one process for all cases,
since importing Rasa takes seconds)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from app.cli.stack import BOT_PYTHON, ROOT, StackConfig

pytestmark = pytest.mark.integration

LOAD = """
import json, os, sys
from rasa.core.run import create_http_input_channels
results = []
os.environ["VOICE_GATEWAY_SECRET"] = "a-shared-secret"
for credentials, origins in json.loads(sys.argv[1]):
    os.environ["WIDGET_ALLOWED_ORIGINS"] = origins
    try:
        channels = create_http_input_channels(None, credentials)
        setting = lambda c: getattr(c, "allowed_origins", getattr(c, "secret", None))
        results.append([[c.name(), setting(c)] for c in channels])
    except BaseException as error:  # SystemExit included: what Rasa's start-up would meet
        results.append(str(error))
print(json.dumps(results))
"""
PRODUCTION_ORIGINS = "https://help.kestrel.example, https://www.kestrel.example/"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    demo = StackConfig(demo_mode=True).credentials_file()
    production = StackConfig(
        demo_mode=False, work_dir=tmp_path_factory.mktemp("credentials")
    ).credentials_file()
    cases = [
        [str(demo), "http://127.0.0.1:8000"],
        [str(production), PRODUCTION_ORIGINS],
        [str(production), ""],
    ]
    result = subprocess.run(
        [str(BOT_PYTHON), "-c", LOAD, json.dumps(cases)],
        cwd=ROOT / "bot",
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_demo_mode_gives_rasa_the_rest_channel_the_widgets_socket_and_the_voice_line(
    built: list[Any],
) -> None:
    assert built[0] == [
        ["rest", None],
        ["socketio", ["http://127.0.0.1:8000"]],
        ["voice", "a-shared-secret"],
    ]


def test_outside_demo_mode_rasa_has_only_the_widgets_socket_and_the_voice_line(
    built: list[Any],
) -> None:
    assert built[1] == [
        ["socketio", ["https://help.kestrel.example", "https://www.kestrel.example"]],
        ["voice", "a-shared-secret"],
    ]


def test_rasa_refuses_to_start_the_socket_with_no_allowed_origin(built: list[Any]) -> None:
    assert isinstance(built[2], str) and "allowed_origins is empty" in built[2]
