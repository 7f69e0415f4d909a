"""The domain's exception tree mapped to HTTP, at the web app's edge: a JSON body, never a trace.

NotFound 404 · NotPermitted (ApprovalLimitExceeded) 403 · Conflict (AlreadyDecided,
IdempotencyConflict, FactsChanged) 409 · InvalidInput 422 · VerificationRequired and
NotAuthenticated 401 · TooManyAttempts 429 ·
ExternalSystemError (StorageUnavailable, ExternalTimeout, ...) 503 · anything else 500
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import (
    Conflict,
    DomainError,
    ExternalSystemError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    TooManyAttempts,
    VerificationRequired,
)

log = logging.getLogger(__name__)

STATUS_FOR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (NotPermitted, 403),
    (Conflict, 409),
    (InvalidInput, 422),
    (VerificationRequired, 401),
    (NotAuthenticated, 401),
    (TooManyAttempts, 429),
    (ExternalSystemError, 503),
)


def status_for(error: DomainError) -> int:
    for kind, status in STATUS_FOR:
        if isinstance(error, kind):
            return status
    return 500


def error_body(error: Exception) -> dict[str, str]:
    return {"error": str(error) or type(error).__name__, "type": type(error).__name__}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> JSONResponse:
        status = status_for(error)
        level = logging.ERROR if status >= 500 else logging.INFO
        log.log(level, "%s %s -> %d %s: %s", request.method, request.url.path, status,
                type(error).__name__, error)  # fmt: skip
        return JSONResponse(status_code=status, content=error_body(error))

    @app.exception_handler(RequestValidationError)
    async def bad_body(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        return JSONResponse(
            status_code=422, content={"error": f"invalid request: {fields}", "type": "InvalidInput"}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("%s %s failed unexpectedly", request.method, request.url.path)
        return JSONResponse(
            status_code=500, content={"error": "internal error (logged)", "type": "InternalError"}
        )
