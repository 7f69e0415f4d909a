"""The console's rules at the edge: cookies, where a sign-in may send you back to, same-origin
and CSRF checks, and the pages shown instead of a JSON error.

CSRF, two layers: every state-changing console request must carry the session's CSRF token (form
field ``csrf_token`` or header ``X-CSRF-Token``), and a present ``Origin`` (or a
``Sec-Fetch-Site: cross-site``) that is not the web app's own is refused. The session cookie is
SameSite=Strict on top. The sign-in form, before any session exists, uses a double-submit token:
cookie ``kestrel_login_csrf`` equal to the form's ``csrf_token`` (plus the same Origin check).
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import quote, unquote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.backoffice.staff import StaffUser
from app.settings import Settings, widget_origins
from app.web.console.templating import error_page
from app.web.errors import error_body, status_for
from domain.errors import DomainError, NotAuthenticated, NotFound, NotPermitted

log = logging.getLogger(__name__)

SESSION_COOKIE = "kestrel_console"
LOGIN_CSRF_COOKIE = "kestrel_login_csrf"
CONSOLE = "/console"
HOME = "/console/"
LOGIN = "/console/login"
LOGOUT = "/console/logout"
CROSS_SITE = "This request did not come from the console's own pages, so nothing was changed."
STALE_FORM = (
    "This form has expired or did not come from the console, so nothing was changed. "
    "Go back, reload the page and try again."
)


class SignInNeeded(NotAuthenticated):
    """No (valid) session: pages redirect to the sign-in page, which sends you back after."""

    def __init__(self, next_path: str, stale_cookie: bool = False) -> None:
        super().__init__("sign in to the console")
        self.next_path, self.stale_cookie = next_path, stale_cookie


class ConsoleForbidden(NotPermitted):
    """Refused on a console page: shown as a friendly 403 page (never a change)."""

    def __init__(self, message: str, user: StaffUser | None = None) -> None:
        super().__init__(message)
        self.user = user


def safe_next(value: str | None) -> str:
    """Where a sign-in may return to: a path of the console on this site, else the queue."""
    if not value or any(ord(c) < 32 or c == "\\" for c in value):
        return HOME
    parts = urlsplit(value)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not (path == CONSOLE or path.startswith(HOME)):
        return HOME
    if ".." in path.split("/") or path.startswith(HOME + "/") or path in (LOGIN, LOGOUT):
        return HOME  # no tricks, and no loop back to the sign-in page
    return value


def next_for(request: Request) -> str:
    """The page to return to after signing in: this one if it can be fetched again."""
    if request.method not in ("GET", "HEAD"):
        return HOME
    query = request.url.query
    return safe_next(request.url.path + (f"?{query}" if query else ""))


def login_url(next_path: str) -> str:
    return f"{LOGIN}?next={quote(safe_next(next_path), safe='/')}"


def console_origins(settings: Settings) -> frozenset[str]:
    """The web app's own origin; demo mode adds localhost and 127.0.0.1 of the same port."""
    return frozenset(widget_origins("", settings.web_origin, settings.demo_mode))


def cross_site(request: Request, origins: frozenset[str]) -> bool:
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/").lower() not in origins:
        return True
    return request.headers.get("sec-fetch-site", "").lower() == "cross-site"


def same_secret(sent: str | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def bearer_of(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def form_field(request: Request, name: str) -> str:
    """A field of a urlencoded or multipart body (Starlette keeps the parsed form for the route)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ""
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


def set_cookie(
    response: Response, name: str, value: str, path: str, secure: bool, max_age: int | None = None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="strict"
    )


def clear_cookie(response: Response, name: str, path: str, secure: bool) -> None:
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="strict")


def _is_page(request: Request) -> bool:
    return request.url.path == CONSOLE or request.url.path.startswith(HOME)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _as_json(request: Request, error: DomainError) -> JSONResponse:
    status = status_for(error)
    log.info("%s %s -> %d %s: %s", request.method, request.url.path, status,
             type(error).__name__, error)  # fmt: skip
    return JSONResponse(status_code=status, content=error_body(error))


def install_console_handlers(app: FastAPI) -> None:
    """Console pages answer a missing session with the sign-in page and a refusal or a missing
    page with a friendly page; everything else keeps app.web.errors' JSON answers."""

    @app.exception_handler(SignInNeeded)
    async def sign_in(request: Request, error: SignInNeeded) -> Response:
        response: Response
        if _wants_json(request):  # the console's own scripts: they reload into the sign-in
            response = JSONResponse(status_code=401, content={**error_body(error),
                                    "login": login_url(error.next_path)})  # fmt: skip
        else:
            response = RedirectResponse(login_url(error.next_path), status_code=303)
        if error.stale_cookie:
            response.delete_cookie(SESSION_COOKIE, path=CONSOLE, httponly=True, samesite="strict")
        return response

    @app.exception_handler(NotPermitted)
    async def refused(request: Request, error: NotPermitted) -> Response:
        if not _is_page(request) or _wants_json(request):
            return _as_json(request, error)
        user = error.user if isinstance(error, ConsoleForbidden) else None
        log.info("%s %s -> 403: %s", request.method, request.url.path, error)
        return error_page(request, 403, "Not allowed", str(error), user)

    @app.exception_handler(NotFound)
    async def missing(request: Request, error: NotFound) -> Response:
        if not _is_page(request) or _wants_json(request):
            return _as_json(request, error)
        return error_page(request, 404, "Not found", str(error) or "There is no such page.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and _is_page(request) and not _wants_json(request):
            return error_page(request, 404, "Not found", "There is no such page in the console.")
        return await http_exception_handler(request, error)
