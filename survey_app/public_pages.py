"""Pages for anyone who arrives without a survey link: the root, the accessibility statement, and
NHS.UK-styled pages for addresses that do not exist, methods that are not allowed and our own errors.

A person who types the bare address, mistypes a link or follows an old bookmark gets a page with a
title, a language and a way on (the receipt page, staff sign-in), never `{"status_code": 404, ...}`.
Machines keep JSON: anything under /api/, /healthz, /readyz or /schema, or a request that does not
accept HTML, gets the JSON body it got before. None of these pages sets a cookie or logs the request.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException
from litestar.response import Template
from litestar.status_codes import HTTP_404_NOT_FOUND, HTTP_405_METHOD_NOT_ALLOWED, HTTP_500_INTERNAL_SERVER_ERROR

from survey_app.pagekit import SERVICE_NAME

MACHINE_PREFIXES = ("/api/", "/healthz", "/readyz", "/schema")
log = logging.getLogger("survey_app.errors")


def _context(**extra: Any) -> dict[str, Any]:
    return {"service_name": SERVICE_NAME, "footer_links": [], **extra}


def wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith(MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


class PublicController(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def root(self) -> Template:
        return Template("public/root.html", context=_context())

    @get("/accessibility")
    async def accessibility(self) -> Template:
        return Template("public/accessibility.html", context=_context())


def _json(status: int, detail: str) -> Response[dict[str, Any]]:
    return Response({"status_code": status, "detail": detail}, status_code=status)


def not_found(request: Request[Any, Any, Any], error: NotFoundException) -> Response[Any]:
    if not wants_html(request):
        return _json(HTTP_404_NOT_FOUND, error.detail or "Not Found")
    return Template("public/problem.html", context=_context(kind="not_found"), status_code=HTTP_404_NOT_FOUND)


def not_allowed(request: Request[Any, Any, Any], error: MethodNotAllowedException) -> Response[Any]:
    headers = dict(error.headers or {})
    if not wants_html(request):
        response = _json(HTTP_405_METHOD_NOT_ALLOWED, error.detail or "Method Not Allowed")
        response.headers.update(headers)
        return response
    return Template(
        "public/problem.html", context=_context(kind="not_allowed"), status_code=HTTP_405_METHOD_NOT_ALLOWED, headers=headers
    )


def server_error(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Anything we did not handle: logged without the request, a plain page, never a traceback."""
    if isinstance(error, HTTPException):
        status = error.status_code
        if not wants_html(request):
            return _json(status, error.detail)
        return Template("public/problem.html", context=_context(kind="other", status=status), status_code=status)
    log.error("unhandled %s", type(error).__name__)
    if not wants_html(request):
        return _json(HTTP_500_INTERNAL_SERVER_ERROR, "Internal Server Error")
    return Template("public/problem.html", context=_context(kind="error"), status_code=HTTP_500_INTERNAL_SERVER_ERROR)


def public_exception_handlers() -> dict[Any, Any]:
    return {NotFoundException: not_found, MethodNotAllowedException: not_allowed, HTTP_500_INTERNAL_SERVER_ERROR: server_error}
