"""The web app's factory. ``uvicorn app.web.main:create_app --factory`` serves it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.backoffice.staff import check_staff_at_start
from app.bootstrap import (
    build_takeover,
    build_voice_gateway,
    get_deps,
    get_engine,
    get_llm_services,
    get_settings,
    get_staff_store,
)
from app.web.cases_api import build_cases_router, render_case
from app.web.console.auth import build_console_auth
from app.web.console.dashboard import build_dashboard_router
from app.web.console.guards import install_console_handlers
from app.web.console.pages import build_console_pages
from app.web.console.templating import static_router
from app.web.errors import install_error_handlers
from app.web.health import health_report
from app.web.ops_api import ApiError, build_router, error_response
from app.web.pages import build_pages
from app.web.reconciler import Reconciler
from app.web.voice.gateway import build_voice_router
from app.web.webhooks import WebhookSender


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(  # a no-op when the server configured logging already
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    reconciler = Reconciler(get_deps, settings.reconcile_interval_s)
    webhooks = WebhookSender.from_settings(
        settings,
        lambda: get_engine(settings.database_url, settings.db_busy_timeout_s),
        lambda case_id: render_case(get_deps(), case_id),
    )
    takeover = build_takeover(settings, webhooks.wake)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        check_staff_at_start(settings, get_staff_store())  # demo staff, or no demo passwords
        reconciler.start()  # its first pass runs at once: finish what a crash left applying
        webhooks.start()
        yield
        webhooks.stop()
        reconciler.stop()

    app = FastAPI(title="Kestrel self-care: web app", version="1", lifespan=lifespan)
    install_error_handlers(app)
    install_console_handlers(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        report: dict[str, Any] = health_report(
            settings.rasa_url,
            settings.action_server_url,
            get_engine(settings.database_url, settings.db_busy_timeout_s),
        )
        return JSONResponse(status_code=200 if report["ok"] else 503, content=report)

    auth = build_console_auth(settings, get_staff_store)
    app.include_router(auth.router)
    app.include_router(build_cases_router(get_deps, auth, lambda: takeover))
    app.include_router(build_router(get_deps, settings.ops_api_token, get_llm_services))
    app.include_router(build_console_pages(get_deps, auth, lambda: takeover, settings))
    app.include_router(build_dashboard_router(get_deps, auth, settings))
    app.include_router(static_router())
    app.include_router(build_pages(settings))
    app.include_router(build_voice_router(build_voice_gateway(settings)))
    return app
