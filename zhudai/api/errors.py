"""Every 4xx answer is ``{"error": {"field": ..., "message": ...}}``, naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from zhudai.exceptions import ConfigurationError, InvalidInputError, NotFoundError, ZhudaiError
from zhudai.origination.contract import ErrorDetail


class ErrorBody(BaseModel):
    """The body of every 4xx answer."""

    error: ErrorDetail


class ApiError(Exception):
    """An answer other than 2xx raised by a dependency or a route (401, 403, 409, 429 ...)."""

    def __init__(
        self, status: int, field: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.status, self.field, self.message, self.headers = status, field, message, headers


def error_response(
    status: int, field: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"field": field, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


#: The documented error answers of every route, for the OpenAPI spec.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (401, "no valid X-API-Key"),
        (403, "the key's role or tenant does not allow this"),
        (404, "no such record"),
        (409, "Idempotency-Key reused with another body, or a conflicting state"),
        (422, "invalid input: the field is named"),
        (429, "rate limit: see Retry-After"),
    )
}


def first_problem(errors: Sequence[Any]) -> tuple[str, str]:
    """The field path and message of the first request validation problem (the ``body`` /
    ``query`` / ``header`` prefix dropped; a validator's :class:`InvalidInputError` gives its
    own wording)."""
    first = errors[0]
    cause = (first.get("ctx") or {}).get("error")
    loc = [str(p) for p in first.get("loc", ())]
    field = ".".join(loc[1:] if len(loc) > 1 else loc) or "body"
    if isinstance(cause, InvalidInputError):
        return field, cause.problem
    return field, str(first.get("msg", "invalid"))


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected failure to its status and the error body."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.field, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, *first_problem(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(
            exc.status_code, "path", str(exc.detail), dict(exc.headers) if exc.headers else None
        )

    @app.exception_handler(ZhudaiError)
    async def _zhudai(request: Request, exc: ZhudaiError) -> JSONResponse:
        field = getattr(exc, "field", None) or "request"
        if isinstance(exc, ConfigurationError):  # the server's set-up, not the request
            return error_response(503, "service", str(exc))
        if isinstance(exc, NotFoundError) and request.path_params:  # the path names it
            return error_response(404, field, f"no such {field}: {exc.value!r}")
        if isinstance(exc, NotFoundError):
            return error_response(422, field, f"unknown value {exc.value!r}")
        problem = getattr(exc, "problem", None) or str(exc)
        return error_response(422, field, problem)
