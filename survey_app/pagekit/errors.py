"""Friendly pages for respondent requests that go wrong: never a traceback, never the request itself.

Registered on the respondent controllers only (survey and receipt pages); staff and API routes keep their own error handling.
The guard `refuse_cross_site` goes on every respondent POST (survey_app/cross_site.py says why).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from survey_app import pagekit as pages
from survey_app.cross_site import is_cross_site
from survey_app.outage import DATABASE_UNAVAILABLE, outage_log

logger = logging.getLogger("survey_app.respond")


def _wave_slug(request: Request[Any, Any, Any]) -> str | None:
    slug = request.path_params.get("wave")
    return slug if isinstance(slug, str) else None


class CrossSiteRefused(PermissionDeniedException):
    """A respondent POST that another website made the browser send."""


def refuse_cross_site(connection: ASGIConnection[Any, Any, Any, Any], _handler: Any) -> None:
    """Guard for respondent POSTs: runs before the body is read, so nothing of it is kept."""
    if connection.scope.get("method") == "POST" and is_cross_site(
        connection.headers, connection.app.state.settings.public_base_url
    ):
        raise CrossSiteRefused()


def cross_site(request: Request[Any, Any, Any], _exc: Exception) -> Template:
    return pages.problem("cross_site", _wave_slug(request))


def unavailable(request: Request[Any, Any, Any], exc: Exception) -> Template:
    outage_log.record(exc)
    return pages.problem("unavailable", _wave_slug(request))


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
    CrossSiteRefused: cross_site,
    **{kind: unavailable for kind in DATABASE_UNAVAILABLE},
    NotFoundException: not_found,
    RequestEntityTooLarge: too_large,
    ClientException: unreadable,
    Exception: unexpected,
}
