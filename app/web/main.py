"""The web app's factory. ``uvicorn app.web.main:create_app --factory`` serves it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.bootstrap import build_voice_gateway, get_deps, get_engine, get_llm_services, get_settings
from app.web.errors import install_error_handlers
from app.web.health import health_report
from app.web.ops_api import ApiError, build_router, error_response
from app.web.pages import build_pages
from app.web.reconciler import Reconciler
from app.web.voice.gateway import build_voice_router


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(  # a no-op when the server configured logging already
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    reconciler = Reconciler(get_deps, settings.reconcile_interval_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        reconciler.start()  # its first pass runs at once: finish what a crash left applying
        yield
        reconciler.stop()

    app = FastAPI(title="Kestrel self-care: web app", version="1", lifespan=lifespan)
    install_error_handlers(app)

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

    app.include_router(build_router(get_deps, settings.ops_api_token, get_llm_services))
    app.include_router(build_pages(settings))
    app.include_router(build_voice_router(build_voice_gateway(settings)))
    return app
