"""The demo help page and the widget's files, served by the web app from this repository."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web import pages
from app.web.pages import build_pages

pytestmark = pytest.mark.integration

SOCKET = "https://chat.example:8443/"


def client_for(socket_url: str = SOCKET) -> TestClient:
    app = FastAPI()
    settings = Settings(_env_file=None, widget_socket_url=socket_url)  # type: ignore[call-arg]
    app.include_router(build_pages(settings))
    return TestClient(app)


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_the_help_page_embeds_the_widget_pointed_at_the_socket() -> None:
    response = client_for().get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    tag = re.search(r"<kestrel-chat\b[^>]*>", response.text)
    assert tag is not None
    assert 'socket-url="https://chat.example:8443"' in tag.group(0)


def test_a_hostile_socket_url_is_escaped_in_the_page() -> None:
    hostile = 'https://chat.example/"><script>alert(1)</script>'
    response = client_for(hostile).get("/")
    assert "<script>alert(1)" not in response.text
    assert f'socket-url="{html.escape(hostile, quote=True)}"' in response.text


def test_the_page_allows_only_its_own_scripts_and_the_sockets_origins() -> None:
    response = client_for().get("/")
    header = response.headers["content-security-policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    csp = csp_directives(header)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"]
    assert set(csp["connect-src"]) == {
        "'self'",
        "https://chat.example:8443",
        "wss://chat.example:8443",
    }
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_plain_http_socket_is_allowed_over_ws() -> None:
    header = client_for("http://127.0.0.1:5005").get("/").headers["content-security-policy"]
    connect = csp_directives(header)["connect-src"]
    assert "http://127.0.0.1:5005" in connect and "ws://127.0.0.1:5005" in connect


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/widget.js", "text/javascript"),
        ("/widget.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
        ("/widget/connection.js", "text/javascript"),
        ("/widget/message.js", "text/javascript"),
        ("/vendor/socket.io.esm.min.js", "text/javascript"),
    ],
)
def test_the_widgets_files_are_served_with_their_type_and_nosniff(
    path: str, media_type: str
) -> None:
    response = client_for().get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"  # modules load cross-origin
    assert response.content


def test_only_the_widgets_own_parts_are_served_under_widget() -> None:
    assert client_for().get("/widget/../pages.py").status_code == 404
    assert client_for().get("/widget/nothing.js").status_code == 404


def test_the_served_socket_io_client_is_the_installed_one() -> None:
    response = client_for().get("/vendor/socket.io.esm.min.js")
    assert response.content == pages.SOCKET_IO_CLIENT.read_bytes()


def test_a_missing_socket_io_client_answers_503_telling_to_run_make_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pages, "SOCKET_IO_CLIENT", tmp_path / "socket.io.esm.min.js")
    response = client_for().get("/vendor/socket.io.esm.min.js")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert "make setup" in response.json()["error"]
