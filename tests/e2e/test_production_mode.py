"""Outside demo mode Rasa serves the widget's socket.io but not the unauthenticated REST channel."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from app.cli.stack import Stack, isolated_config

pytestmark = pytest.mark.e2e


def test_outside_demo_mode_rasa_has_no_rest_channel_but_serves_the_widget(tmp_path: Path) -> None:
    config = isolated_config(tmp_path)
    config.demo_mode = False
    stack = Stack(config)
    stack.spawn("rasa")  # only Rasa: the channels are its own
    try:
        stack.wait_ready(timeout_s=240, only=("rasa",))
        rest = httpx.post(
            f"{config.rasa_url}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}
        )
        socketio = httpx.get(f"{config.rasa_url}/webhooks/socketio/")
    finally:
        stack.stop()
    assert rest.status_code == 404
    assert socketio.status_code == 200
    channels = yaml.safe_load((tmp_path / "credentials.production.yml").read_text())
    assert list(channels) == ["bot.channels.socketio.KestrelSocketIOInput"]
