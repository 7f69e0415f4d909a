"""Who may open the widget's socket, where it connects, and the credentials Rasa starts with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.cli.stack import ROOT, Stack, StackConfig
from app.settings import Settings, origin_of, widget_origins

SOCKET_CHANNEL = "bot.channels.socketio.KestrelSocketIOInput"
VOICE_CHANNEL = "bot.channels.voice.VoiceInput"
LEAKY = (
    "WIDGET_ALLOWED_ORIGINS",
    "WIDGET_SOCKET_URL",
    "PUBLIC_BASE_URL",
    "DEMO_MODE",
    "RASA_URL",
    "WEB_HOST",
    "WEB_PORT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LEAKY:
        monkeypatch.delenv(name, raising=False)


def settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://help.example/chat/", "https://help.example"),
        ("HTTPS://Help.Example:8443/x?y=1", "https://help.example:8443"),
        ("  http://127.0.0.1:8000  ", "http://127.0.0.1:8000"),
    ],
)
def test_the_origin_of_a_url_is_its_lower_case_scheme_and_host(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://help.example:443/", "https://help.example"),
        ("http://a.example:80", "http://a.example"),
    ],
)
def test_a_default_port_is_left_out_as_a_browser_does(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url", ["ftp://files.example", "help.example", "https://a.example;script-src *", "https://"]
)
def test_anything_but_an_http_origin_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        origin_of(url)


def test_explicit_origins_win_over_the_default_even_in_demo_mode() -> None:
    explicit = "https://shop.example/, https://help.example ,"
    assert widget_origins(explicit, "http://127.0.0.1:8000", demo_mode=True) == [
        "https://shop.example",
        "https://help.example",
    ]


def test_outside_demo_mode_only_the_web_apps_own_origin_may_open_the_widget() -> None:
    assert widget_origins("", "https://help.example", demo_mode=False) == ["https://help.example"]


def test_demo_mode_adds_localhost_and_loopback_on_the_same_port_without_duplicates() -> None:
    assert widget_origins("", "http://127.0.0.1:8123", demo_mode=True) == [
        "http://127.0.0.1:8123",
        "http://localhost:8123",
    ]


def test_the_web_origin_defaults_to_the_web_host_and_port() -> None:
    production = settings(web_port=8123, demo_mode=False)
    assert production.web_origin == "http://127.0.0.1:8123"
    assert production.widget_origins == ["http://127.0.0.1:8123"]


def test_a_public_base_url_is_the_web_origin_and_the_only_default_outside_demo() -> None:
    public = settings(public_base_url="https://help.example/support/", demo_mode=False)
    assert public.web_origin == "https://help.example"
    assert public.widget_origins == ["https://help.example"]


def test_the_allowed_origins_setting_wins_over_the_web_origin() -> None:
    chosen = settings(widget_allowed_origins="https://shop.example/", web_port=8123)
    assert chosen.widget_origins == ["https://shop.example"]


def test_the_widget_socket_is_the_rasa_url_unless_set_without_a_trailing_slash() -> None:
    assert settings(rasa_url="http://127.0.0.1:5005/").widget_socket == "http://127.0.0.1:5005"
    chosen = settings(rasa_url="http://rasa:5005", widget_socket_url="https://chat.example/")
    assert chosen.widget_socket == "https://chat.example"


def test_in_demo_mode_rasa_starts_with_the_repositorys_credentials() -> None:
    path = StackConfig(demo_mode=True).credentials_file()
    assert path == ROOT / "bot" / "credentials.yml"
    channels = yaml.safe_load(path.read_text())
    assert "rest" in channels and SOCKET_CHANNEL in channels


def test_outside_demo_mode_the_credentials_have_the_widget_and_voice_line_but_no_rest_channel(
    tmp_path: Path,
) -> None:
    path = StackConfig(demo_mode=False, work_dir=tmp_path).credentials_file()
    assert path.parent == tmp_path
    text = path.read_text()
    channels = yaml.safe_load(text)
    assert "rest" not in channels
    assert set(channels) == {SOCKET_CHANNEL, VOICE_CHANNEL}
    # Rasa substitutes environment variables only in unquoted values.
    assert "allowed_origins: ${WIDGET_ALLOWED_ORIGINS}\n" in text
    assert "secret: ${VOICE_GATEWAY_SECRET}\n" in text


def test_the_stacks_allowed_origins_follow_its_web_port_and_demo_flag() -> None:
    assert StackConfig(web_port=8123, demo_mode=False).allowed_origins() == "http://127.0.0.1:8123"
    assert (
        StackConfig(web_port=8123, demo_mode=True).allowed_origins()
        == "http://127.0.0.1:8123,http://localhost:8123"
    )


def test_the_stacks_explicit_widget_origins_win() -> None:
    config = StackConfig(widget_origins=("https://a.example", "https://b.example"))
    assert config.allowed_origins() == "https://a.example,https://b.example"


def test_the_stack_tells_its_processes_the_allowed_origins_and_the_demo_flag() -> None:
    environment = Stack(StackConfig(web_port=8123, demo_mode=False)).environment()
    assert environment["WIDGET_ALLOWED_ORIGINS"] == "http://127.0.0.1:8123"
    assert environment["DEMO_MODE"] == "false"
    assert Stack(StackConfig(demo_mode=True)).environment()["DEMO_MODE"] == "true"
