"""The customer's pages: the demo help page at ``/`` and the widget's files, served from this
repository (no CDN, no third-party request of any kind)."""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from app.settings import ROOT, Settings, origin_of

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.esm.min.js"
JAVASCRIPT = "text/javascript"

ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # revalidated (ETag) so a new release reaches browsers at once
    # Operators embed the widget on their site: its ES modules load cross-origin (CORS).
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
}


def socket_sources(socket_url: str) -> str:
    """The CSP ``connect-src`` of a socket.io server: its HTTP origin (polling) and websocket."""
    origin = origin_of(socket_url)
    secure = urlsplit(origin).scheme == "https"
    return f"{origin} {'wss' if secure else 'ws'}://{urlsplit(origin).netloc}"


def content_security_policy(socket_url: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {socket_sources(socket_url)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def demo_page(socket_url: str) -> str:
    template = Template((WIDGET_DIR / "index.html").read_text(encoding="utf-8"))
    return template.substitute(socket_url=html.escape(socket_url, quote=True))


def _assets() -> dict[str, tuple[Path, str]]:
    """URL path -> (file, media type): the widget, its ES-module parts, the demo page's files."""
    assets = {
        "/widget.js": (WIDGET_DIR / "widget.js", JAVASCRIPT),
        "/widget.css": (WIDGET_DIR / "widget.css", "text/css"),
        "/demo.css": (WIDGET_DIR / "demo.css", "text/css"),
        "/favicon.svg": (WIDGET_DIR / "favicon.svg", "image/svg+xml"),
        "/vendor/socket.io.esm.min.js": (SOCKET_IO_CLIENT, JAVASCRIPT),
    }
    for part in sorted((WIDGET_DIR / "widget").glob("*.js")):
        assets[f"/widget/{part.name}"] = (part, JAVASCRIPT)
    return assets


def _asset(path: Path, media_type: str) -> Response:
    if not path.is_file():
        return JSONResponse(
            status_code=503,
            content={"error": f"{path.name} is missing: run `make setup` (npm packages)"},
        )
    return FileResponse(path, media_type=media_type, headers=ASSET_HEADERS)


def build_pages(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    socket_url = settings.widget_socket
    page = demo_page(socket_url)
    page_headers = {
        "Content-Security-Policy": content_security_policy(socket_url),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }

    @router.get("/")
    def help_page() -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    for url, (path, media_type) in _assets().items():
        router.add_api_route(url, partial(_asset, path, media_type), methods=["GET"])
    return router
