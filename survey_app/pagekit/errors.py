"""Friendly pages for respondent requests that go wrong: never a traceback, never the request itself.

Registered on the respondent controllers only (survey and receipt pages); staff and API routes keep their own error handling.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from survey_app import pagekit as pages

logger = logging.getLogger("survey_app.respond")


def _wave_slug(request: Request[Any, Any, Any]) -> str | None:
    slug = request.path_params.get("wave")
    return slug if isinstance(slug, str) else None


def not_found(_request: Request[Any, Any, Any], _exc: Exception) -> Template:
    return pages.closed()


def too_large(request: Request[Any, Any, Any], _exc: Exception) -> Template:
    return pages.problem("too_large", _wave_slug(request))


def unreadable(request: Request[Any, Any, Any], _exc: Exception) -> Template:
    return pages.problem("unreadable", _wave_slug(request))


def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Template:
    # Log where it failed but not the exception's message or the request: a message can quote a
    # value the respondent typed, and nothing about a respondent belongs in a log.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("respondent page failed with %s\n%s", type(exc).__name__, frames)
    return pages.problem("error", _wave_slug(request))


respondent_exception_handlers: ExceptionHandlersMap = {
    NotFoundException: not_found,
    RequestEntityTooLarge: too_large,
    ClientException: unreadable,
    Exception: unexpected,
}
