"""Rendering console pages: one Jinja2 environment (autoescaped), the headers every page carries,
and the console's static files.

The CSP allows no inline script or style at all: templates link files under /console/static/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",  # pages show customers' data: never kept by a browser or proxy
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
MEDIA_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
}
ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

# StrictUndefined: a misspelt variable fails the page (and its test) instead of rendering empty.
environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with ``request``, ``user`` (None if not given) and ``csrf_token`` (the user's
    if not given) in its context, and the console's headers."""
    values: dict[str, Any] = {"request": request, "user": None, "csrf_token": ""}
    values.update(context)
    if not values["csrf_token"] and values["user"] is not None:
        values["csrf_token"] = values["user"].csrf_token
    body = environment.get_template(template).render(values)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def error_page(
    request: Request, status: int, title: str, message: str, user: Any = None
) -> HTMLResponse:
    return render(request, "error.html", status, title=title, message=message, user=user)


def static_router() -> APIRouter:
    """``GET /console/static/{name}``: a file of app/web/console/static/ of a known type."""
    router = APIRouter()

    @router.get("/console/static/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        path = STATIC / name
        media_type = MEDIA_TYPES.get(path.suffix.lower())
        if not ASSET_NAME.fullmatch(name) or media_type is None or not path.is_file():
            raise HTTPException(status_code=404, detail="no such console file")
        return FileResponse(path, media_type=media_type, headers=ASSET_HEADERS)

    return router
