"""The reference BSS's FastAPI app.

    uvicorn billing_adapters.tmf_reference.app:app_from_settings --factory --port 8090

``create_app(config)`` builds one from a ReferenceConfig (tests); ``app_from_settings`` from the
Settings (TMF_REFERENCE_DATABASE_URL, TMF_BEARER_TOKEN, TMF_REFERENCE_VALIDATE), read when uvicorn
calls it. The database's tables are created at start-up if missing; the data comes from
``make reset`` / ``make run`` (store.reset_reference, seed_reference_if_stale) or POST /admin/reset.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from billing_adapters.tmf_reference import admin, routes_postings, routes_reads
from billing_adapters.tmf_reference.config import ReferenceConfig
from billing_adapters.tmf_reference.errors import install_error_handlers
from billing_adapters.tmf_reference.gate import Gate
from billing_adapters.tmf_reference.runtime import ConformanceLog, ReferenceRuntime
from billing_adapters.tmf_reference.store import ReferenceStore

__all__ = ["ReferenceConfig", "app_from_settings", "create_app"]


def create_app(config: ReferenceConfig) -> FastAPI:
    if config.max_page_size < 1:
        raise ValueError("max_page_size must be at least 1")
    runtime = ReferenceRuntime(
        config=config,
        store=ReferenceStore(config.database_url),
        # Imported only in validate mode; a missing checker fails the start, not a request.
        conformance=ConformanceLog() if config.validate else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(runtime.store.ensure_schema)
        yield

    app = FastAPI(
        title="Kestrel TMF reference BSS",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(routes_reads.router)
    app.include_router(routes_postings.router)
    app.include_router(admin.router)
    # The routers' own routes (FastAPI wraps included routers): the stats keys' templates.
    tmf_routes = [*routes_reads.router.routes, *routes_postings.router.routes]
    app.add_middleware(Gate, runtime=runtime, routes=tmf_routes)
    return app


def app_from_settings() -> FastAPI:
    """The uvicorn factory of the stack (``BSS=tmf``): the app configured from Settings."""
    from app.bootstrap import get_settings

    settings = get_settings()
    return create_app(
        ReferenceConfig(
            database_url=settings.tmf_reference_database_url,
            bearer_token=settings.tmf_bearer_token,
            validate=settings.tmf_reference_validate,
        )
    )
