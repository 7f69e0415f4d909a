"""Staff sign-in for the console and the staff APIs, and the FastAPI dependencies that guard them.

Pages: a session cookie (``kestrel_console``: HttpOnly, SameSite=Strict, Path=/console, Secure on
https) from ``POST /console/login``. APIs: a bearer token from ``POST /api/token`` (OAuth2
password form). Both are rows of console_sessions (see app/backoffice/staff.py). The rules on
cookies, CSRF and redirects are in guards.py.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.backoffice.staff import BEARER, COOKIE, SignInThrottled, StaffStore, StaffUser
from app.settings import Settings
from app.web.console.guards import (
    CONSOLE,
    CROSS_SITE,
    HOME,
    LOGIN,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    STALE_FORM,
    ConsoleForbidden,
    SignInNeeded,
    bearer_of,
    clear_cookie,
    client_address,
    console_origins,
    cross_site,
    form_field,
    next_for,
    safe_next,
    same_secret,
    set_cookie,
)
from app.web.console.templating import render
from app.web.errors import error_body
from domain.errors import InvalidInput, NotAuthenticated, NotPermitted

__all__ = ["ConsoleAuth", "StaffUser", "build_console_auth"]

LOGIN_FORM_TTL_S = 3600  # a sign-in page left open longer asks again (its CSRF cookie ends)
OPS_TOKEN_ACTS = "the ops token may only read; act with a staff token from POST /api/token"
NEEDS_TOKEN = "a staff bearer token from POST /api/token is needed"
SUPERVISORS_ONLY = "This page is for supervisors."


class ConsoleAuth:
    """Dependencies (``Depends(auth.page_user)`` ...) and the sign-in routes (``auth.router``)."""

    def __init__(self, settings: Settings, store_factory: Callable[[], StaffStore]) -> None:
        self._settings, self._store = settings, store_factory
        self._origins = console_origins(settings)
        self._secure = settings.web_origin.startswith("https")
        self.router = self._routes()

    # Dependencies of the APIs ------------------------------------------------------------

    def _is_ops_token(self, token: str) -> bool:
        ops = self._settings.ops_api_token
        return bool(ops and token) and hmac.compare_digest(token.encode(), ops.encode())

    def api_staff(self, request: Request) -> StaffUser:
        """A person, from ``Authorization: Bearer <token from POST /api/token>``."""
        token = bearer_of(request)
        if self._is_ops_token(token):
            raise NotPermitted(OPS_TOKEN_ACTS)  # it is no person, so it may not act
        user = self._store().session_user(token, BEARER) if token else None
        if user is None:
            raise NotAuthenticated(NEEDS_TOKEN)
        return user

    def api_reader(self, request: Request) -> StaffUser | None:
        """A person, or None for the ops token (which may read, never act)."""
        if self._is_ops_token(bearer_of(request)):
            return None
        return self.api_staff(request)

    # Dependencies of the pages -----------------------------------------------------------

    def page_user(self, request: Request) -> StaffUser:
        """The signed-in person; anyone else is sent to the sign-in page (SignInNeeded)."""
        secret = request.cookies.get(SESSION_COOKIE, "")
        user = self._store().session_user(secret, COOKIE) if secret else None
        if user is None:
            raise SignInNeeded(next_for(request), stale_cookie=bool(secret))
        return user

    async def form_user(self, request: Request) -> StaffUser:
        """page_user for a change: same origin and the session's CSRF token, else 403."""
        if cross_site(request, self._origins):
            raise ConsoleForbidden(CROSS_SITE)
        user = await run_in_threadpool(self.page_user, request)
        sent = request.headers.get("x-csrf-token") or await form_field(request, "csrf_token")
        if not same_secret(sent, user.csrf_token):
            raise ConsoleForbidden(STALE_FORM, user)
        return user

    def supervisor_page(self, request: Request) -> StaffUser:
        return _supervisor(self.page_user(request))

    async def supervisor_form(self, request: Request) -> StaffUser:
        return _supervisor(await self.form_user(request))

    # Routes ------------------------------------------------------------------------------

    def _routes(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/api/token", self.issue_token, methods=["POST"], tags=["staff"])
        router.add_api_route(LOGIN, self.login_page, methods=["GET"], include_in_schema=False)
        router.add_api_route(LOGIN, self.sign_in, methods=["POST"], include_in_schema=False)
        router.add_api_route(f"{CONSOLE}/logout", self.sign_out, methods=["POST"],
                             dependencies=[Depends(self.form_user)],
                             include_in_schema=False)  # fmt: skip
        return router

    def issue_token(
        self,
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        grant_type: Annotated[str, Form()] = "password",
    ) -> JSONResponse:
        """OAuth2 password grant: a staff bearer token for the case API."""
        if grant_type != "password":
            raise InvalidInput("grant_type must be password")
        store = self._store()
        try:
            user = store.authenticate(username, password, client_address(request))
        except SignInThrottled as error:
            return JSONResponse(status_code=429, content=error_body(error),
                                headers={"Retry-After": str(error.retry_after_s)})  # fmt: skip
        session = store.start_session(user, BEARER)
        body = {"access_token": session.secret, "token_type": "bearer",
                "expires_in": session.expires_in_s}  # fmt: skip
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _login_form(
        self, request: Request, target: str, status: int = 200, error: str = "", username: str = ""
    ) -> Response:
        token = secrets.token_urlsafe(32)  # double-submit: this cookie must come back equal
        response = render(request, "login.html", status, csrf_token=token, next=target,
                          error=error, username=username,
                          demo_mode=self._settings.demo_mode)  # fmt: skip
        set_cookie(response, LOGIN_CSRF_COOKIE, token, LOGIN, self._secure, LOGIN_FORM_TTL_S)
        return response

    def login_page(self, request: Request, next: str = HOME) -> Response:
        target = safe_next(next)
        secret = request.cookies.get(SESSION_COOKIE, "")
        if secret and self._store().session_user(secret, COOKIE) is not None:
            return RedirectResponse(target, status_code=303)  # signed in already
        return self._login_form(request, target)

    def sign_in(
        self,
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = HOME,
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        target, username = safe_next(next), username.strip()
        if cross_site(request, self._origins):
            return self._login_form(request, target, 403, CROSS_SITE, username)
        if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
            expired = "This sign-in form had expired. Please sign in again."
            return self._login_form(request, target, 403, expired, username)
        if not username or not password:
            return self._login_form(request, target, 401, "Enter your username and password.",
                                    username)  # fmt: skip
        store = self._store()
        try:
            user = store.authenticate(username, password, client_address(request))
        except SignInThrottled as error:
            minutes = max(1, math.ceil(error.retry_after_s / 60))
            wait = f"Too many failed sign-ins. Please try again in {minutes} minute(s)."
            response = self._login_form(request, target, 429, wait, username)
            response.headers["Retry-After"] = str(error.retry_after_s)
            return response
        except NotAuthenticated:
            return self._login_form(request, target, 401, "Wrong username or password.", username)
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:  # a new sign-in never keeps an old session's secret alive
            store.end_session(previous)
        session = store.start_session(user, COOKIE)
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, SESSION_COOKIE, session.secret, CONSOLE, self._secure)
        clear_cookie(response, LOGIN_CSRF_COOKIE, LOGIN, self._secure)
        return response

    def sign_out(self, request: Request) -> Response:
        self._store().end_session(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse(LOGIN, status_code=303)
        clear_cookie(response, SESSION_COOKIE, CONSOLE, self._secure)
        return response


def _supervisor(user: StaffUser) -> StaffUser:
    if not user.is_supervisor:
        raise ConsoleForbidden(SUPERVISORS_ONLY, user)
    return user


def build_console_auth(settings: Settings, store_factory: Callable[[], StaffStore]) -> ConsoleAuth:
    """The console's auth; ``store_factory`` is called on each use (return one cached store)."""
    return ConsoleAuth(settings, store_factory)
