"""The web app's factory. ``uvicorn app.web.main:create_app --factory`` serves it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.bootstrap import get_deps, get_engine, get_llm_services, get_settings
from app.web.health import health_report
from app.web.ops_api import ApiError, build_router, error_response
from domain.errors import DomainError


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Kestrel self-care: ops API", version="1")

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": f"back office error: {error}"})

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        report: dict[str, Any] = health_report(
            settings.rasa_url, settings.action_server_url, get_engine(settings.database_url)
        )
        return JSONResponse(status_code=200 if report["ok"] else 503, content=report)

    app.include_router(build_router(get_deps, settings.ops_api_token, get_llm_services))
    return app
