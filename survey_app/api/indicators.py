"""The staff reporting API: `GET /api/v1/waves/{wave}/indicators?by=...` and `.../themes`.

Mounted on the staff router, so the staff session applies: a signed-in EDI lead or administrator of
the wave's organisation gets the JSON of `IndicatorReport.to_json()` (the release's published tables
only; withheld groups have `"withheld": true` and null for every number), or the theme set the
release stored (survey_app/themes.py). Errors are JSON too: 401 signed out, 403 a role that may not
see reports, 404 a wave outside the account's organisations (or unknown, or with nothing
published), 400 an unknown breakdown with the choices.

The routes are excluded from CSRF: they only read (GET), and so they set no CSRF cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from survey_app.audit import record_audit
from survey_app.edi.controller import EDI_ROLES, latest_themes_for, report_for
from survey_app.indicators import BY_CHOICES, IndicatorError
from survey_app.outage import UNAVAILABLE_RESPONSE
from survey_app.staff.access import current_member, requires_staff, wave_for

DESCRIPTION = (
    "WRES indicators 5-8 and the companion measures of the wave's latest release, by `by`.\n\n"
    "Authenticated by the staff session (sign in at `/staff/login`); EDI leads and administrators of "
    "the wave's organisation only. Figures come from the release's published tables, which passed "
    "joint disclosure control: a group with fewer than MIN_CELL responses (or one that would let such "
    'a group be worked out) has `"withheld": true` and null for every number. For each group: count, '
    "base, percent, 95% Wilson interval, and where a reference group applies (White; bank alongside "
    "a substantive post) the gap in points, ratio and two-proportion z-test. Each call is audited."
)


@dataclass
class ApiError:
    """The body of every error of this API."""

    status: int
    error: str
    choices: list[str] | None = None


def _error(status: int, message: str, **extra: Any) -> Response[dict[str, Any]]:
    return Response({"status": status, "error": message, **extra}, status_code=status)


def _unauthorised(request: Request[Any, Any, Any], error: NotAuthorizedException) -> Response[Any]:
    return _error(401, "Sign in with a staff account: this API uses the staff session.")


def _forbidden(request: Request[Any, Any, Any], error: PermissionDeniedException) -> Response[Any]:
    return _error(403, "This account cannot see reports.")


def _not_found(request: Request[Any, Any, Any], error: NotFoundException) -> Response[Any]:
    return _error(404, error.detail or "No such survey wave")


class IndicatorApiController(Controller):
    path = "/api/v1/waves"
    tags = ["staff reporting"]
    guards = [requires_staff]
    opt = {"roles": EDI_ROLES, "exclude_from_csrf": True}
    exception_handlers = {
        NotAuthorizedException: _unauthorised,
        PermissionDeniedException: _forbidden,
        NotFoundException: _not_found,
    }

    @get(
        "/{wave:str}/indicators",
        sync_to_thread=True,
        summary="WRES indicators of a wave by one breakdown",
        description=DESCRIPTION,
        response_description="The report: wave, release, min_cell, withheld_wording, responses, and per indicator "
        "its groups (count, base, percent, ci_low, ci_high, withheld, withheld_reason: primary (fewer than "
        "min_cell responses), complementary (withheld so that a smaller group cannot be worked out) or null "
        "(no reason given), note, comparison) and, by worker_type, "
        "temporary_vs_substantive",
        responses={
            400: ResponseSpec(ApiError, generate_examples=False, description="Unknown breakdown; `choices` lists the valid ones"),
            401: ResponseSpec(ApiError, generate_examples=False, description="Not signed in with a staff session"),
            403: ResponseSpec(ApiError, generate_examples=False, description="The account's role may not see indicators"),
            404: ResponseSpec(
                ApiError,
                generate_examples=False,
                description="No such wave for this account's organisations, nothing published yet, "
                "or the wave's survey does not ask for this breakdown",
            ),
            503: UNAVAILABLE_RESPONSE,
        },
    )
    def wave_indicators(
        self,
        request: Request[Any, Any, Any],
        wave: FromPath[str],
        by: Annotated[
            str,
            QueryParameter(
                description=f"The breakdown: one of {', '.join(BY_CHOICES)}.", schema_extra={"enum": list(BY_CHOICES)}
            ),
        ] = "bme_white",
    ) -> Response[dict[str, Any]]:
        """The indicator report of the wave's latest release (see DESCRIPTION)."""
        summary = wave_for(request, wave)
        member = current_member(request)
        if by not in BY_CHOICES:
            return _error(400, f"Unknown breakdown {by!r}.", choices=list(BY_CHOICES))
        with request.app.state.engine.begin() as db:
            try:
                report = report_for(db, request, summary, by)
            except IndicatorError as error:
                return _error(404, str(error).split(":")[0])
            record_audit(db, member.email, "api.indicators", wave=summary.slug, by=by, release=report.release)
        return Response(report.to_json())

    @get(
        "/{wave:str}/themes",
        sync_to_thread=True,
        opt={"roles": ("edi",)},
        summary="Themes of a wave's released testimonies",
        description=(
            "The themes the latest release found in the wave's released testimonies (redacted before "
            "they were read): per theme its label, kind (found or guided), count, key phrases, counts "
            "by ethnic heading and way of working, and up to three redacted quotes from people who "
            'agreed to be quoted. A theme under MIN_CELL testimonies has `"withheld": true` and only '
            "its label; a withheld group has null figures. EDI leads of the wave's "
            "organisation only; each call is audited."
        ),
        responses={
            401: ResponseSpec(ApiError, generate_examples=False, description="Not signed in with a staff session"),
            403: ResponseSpec(ApiError, generate_examples=False, description="The account's role may not see themes"),
            404: ResponseSpec(
                ApiError, generate_examples=False, description="No such wave for this account's organisations, or no themes yet"
            ),
            503: UNAVAILABLE_RESPONSE,
        },
    )
    def wave_themes(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Response[dict[str, Any]]:
        """The wave's latest theme set."""
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            theme_set = latest_themes_for(db, request, summary.id)
            if theme_set is None:
                return _error(404, "This wave has no themes yet: they are computed when a release publishes testimonies.")
            record_audit(db, member.email, "api.themes", wave=summary.slug, computed_on=theme_set["computed_on"])
        return Response(theme_set)
