"""Errors as OpenAI-compatible clients read them: ``{"error": {"message", "type", "param", "code"}}`` with the
HTTP status they expect, for a :class:`rag.errors.RagError` (its message is for the user), a malformed request,
or a bug (logged; the client is told to read the server log)."""
from __future__ import annotations

import logging
from typing import Any

from rag.errors import (
    Busy,
    IndexNotBuilt,
    ModelNotFound,
    ModelServerError,
    QuestionError,
    RagError,
    SettingsError,
    UnknownArticle,
)

logger = logging.getLogger(__name__)

# (HTTP status, error type, code) by the kind of RagError; any other RagError is a server error.
STATUS: list[tuple[type[RagError], int, str, str]] = [
    (QuestionError, 400, "invalid_request_error", "invalid_question"),
    (SettingsError, 400, "invalid_request_error", "invalid_value"),
    (UnknownArticle, 404, "invalid_request_error", "article_not_found"),
    (Busy, 429, "rate_limit_error", "queue_full"),
    (IndexNotBuilt, 503, "server_error", "index_not_built"),
    (ModelNotFound, 503, "server_error", "model_not_found"),
    (ModelServerError, 502, "server_error", "model_server_error"),
]


class ApiError(Exception):
    """An error response: its status, OpenAI's error fields, and headers (Retry-After, WWW-Authenticate)."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def api_error(exc: BaseException) -> ApiError:
    """The response for ``exc``: a RagError's own message and status; anything else is a bug, logged."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RagError):
        status, kind, code = next(((s, k, c) for error, s, k, c in STATUS if isinstance(exc, error)),
                                  (500, "server_error", "error"))
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else {}
        logger.log(logging.ERROR if status >= 500 else logging.INFO, "API request failed: %s", exc)
        return ApiError(status, str(exc), kind, code, headers=headers)
    logger.error("API request failed: this is a bug", exc_info=exc)
    return ApiError(500, f"something went wrong ({type(exc).__name__}); the server log has the details",
                    "server_error", "internal_error")
