"""The customer's pages: the demo help page at ``/`` and the widget's files, served from this
repository (no CDN, no third-party request of any kind)."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from app.settings import ROOT, Settings, origin_of

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"

ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # revalidated (ETag) so a new release reaches browsers at once
    "Cross-Origin-Resource-Policy": "cross-origin",  # operators embed the widget on their site
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


def build_pages(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    socket_url = settings.widget_socket
    page = demo_page(socket_url)
    page_headers = {
        "Content-Security-Policy": content_security_policy(socket_url),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }

    def asset(path: Path, media_type: str) -> Response:
        if not path.is_file():
            return JSONResponse(
                status_code=503,
                content={"error": f"{path.name} is missing: run `make setup` (npm packages)"},
            )
        return FileResponse(path, media_type=media_type, headers=ASSET_HEADERS)

    @router.get("/")
    def help_page() -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    @router.get("/widget.js")
    def widget_script() -> Response:
        return asset(WIDGET_DIR / "widget.js", "text/javascript")

    @router.get("/widget.css")
    def widget_styles() -> Response:
        return asset(WIDGET_DIR / "widget.css", "text/css")

    @router.get("/demo.css")
    def demo_styles() -> Response:
        return asset(WIDGET_DIR / "demo.css", "text/css")

    @router.get("/favicon.svg")
    def favicon() -> Response:
        return asset(WIDGET_DIR / "favicon.svg", "image/svg+xml")

    @router.get("/vendor/socket.io.min.js")
    def socket_io_client() -> Response:
        return asset(SOCKET_IO_CLIENT, "text/javascript")

    return router
