"""Every error the reference BSS answers is a TMF Error JSON, whatever raised it."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from billing_adapters.tmf_reference.wire import error
from domain.errors import (
    ExternalProtocolError,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    StorageUnavailable,
)

log = logging.getLogger(__name__)


class TmfError(Exception):
    """Answer ``status`` with ``message`` (raised by the routes)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(error(status, message), status_code=status)


# SqlBss's errors (and the exact-money check's) as HTTP statuses.
_DOMAIN_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (IdempotencyConflict, 409),
    (InvalidInput, 400),
    (ExternalProtocolError, 400),  # money in a request that is not whole cents or not ours
    (StorageUnavailable, 503),
)


def _tmf_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TmfError)
    return error_response(exc.status, exc.message)


def _domain_error(_request: Request, exc: Exception) -> Response:
    for kind, status in _DOMAIN_STATUS:
        if isinstance(exc, kind):
            return error_response(status, str(exc))
    raise exc  # not ours to map: the 500 handler answers


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = f"no resource at {request.url.path}" if exc.status_code == 404 else str(exc.detail)
    response = error_response(exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _invalid_request(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    )
    return error_response(400, problems or "invalid request")


def _unexpected(_request: Request, exc: Exception) -> Response:
    log.error("reference BSS error: %s", type(exc).__name__, exc_info=exc)
    return error_response(500, "internal error of the reference BSS")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TmfError, _tmf_error)
    for kind, _status in _DOMAIN_STATUS:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
