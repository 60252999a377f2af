"""FTSU case endpoints (JSON), for guardians' own tools: `GET /api/v1/ftsu/cases` and `/cases/{id}`.

Mounted on the staff router, so the staff session applies: guardians (role `ftsu`) of the case's
organisation only; 401 signed out, 403 another role, 404 a case outside the account's
organisations. Read-only, so exempt from CSRF; changes go through the workspace's forms. The list
carries no text; a case carries the redacted text only (the unredacted text is for the workspace,
where reading it is a deliberate, audited step). Every call is audited.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from survey_app.api.indicators import ApiError
from survey_app.audit import record_audit
from survey_app.ftsu import cases as ftsu_cases
from survey_app.ftsu.controller import CASE_ID, reference
from survey_app.ftsu.intake import web_case_secret
from survey_app.outage import UNAVAILABLE_RESPONSE
from survey_app.staff.access import current_member, requires_staff


def _error(status: int, message: str) -> Response[dict[str, Any]]:
    return Response({"status": status, "error": message}, status_code=status)


def _summary(case: ftsu_cases.Case) -> dict[str, Any]:
    row = case.row
    return {
        "id": row.id,
        "reference": reference(row.id),
        "status": row.status,
        "urgent": row.urgent,
        "respondent_wrote": row.respondent_wrote,
        "delivered_on": row.dropped_on.isoformat(),
        "assigned_to": row.assigned_to,
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
        "themes": case.content.themes,
        "categories": case.content.categories,
        "detriment": case.content.detriment,
    }


# Every status these operations answer, with its body (the OpenAPI document tells the truth).
STAFF_ERRORS = {
    401: ResponseSpec(ApiError, generate_examples=False, description="Not signed in with a staff session"),
    403: ResponseSpec(ApiError, generate_examples=False, description="The account is not a guardian's"),
    404: ResponseSpec(ApiError, generate_examples=False, description="No such case in the account's organisations"),
    503: UNAVAILABLE_RESPONSE,
}


class GuardianApiController(Controller):
    path = "/api/v1/ftsu"
    tags = ["FTSU guardians"]
    guards = [requires_staff]
    opt = {"roles": ("ftsu",), "exclude_from_csrf": True}
    exception_handlers = {
        NotAuthorizedException: lambda _r, _e: _error(401, "Sign in with a guardian's account: this API uses the staff session."),
        PermissionDeniedException: lambda _r, _e: _error(403, "This account cannot see concerns."),
        NotFoundException: lambda _r, e: _error(404, e.detail or "No such case"),
    }

    @get(
        "/cases",
        sync_to_thread=True,
        summary="Concerns shared with the guardians of your organisations (no text)",
        responses=STAFF_ERRORS,
    )
    def list_cases(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        member = current_member(request)
        case_secret = web_case_secret(request.app.state.settings)
        if case_secret is None:
            raise NotFoundException("Cases cannot be opened: the web process has no case key")
        with request.app.state.engine.begin() as connection:
            cases = ftsu_cases.list_cases(connection, case_secret, member.organisation_ids)
            record_audit(connection, member.email, "ftsu.api_list", cases=len(cases))
        return {"cases": [_summary(case) for case in cases]}

    @get(
        "/cases/{case_id:str}",
        sync_to_thread=True,
        summary="One case: redacted text, attributes, thread (audited)",
        responses=STAFF_ERRORS,
    )
    def read_case(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> dict[str, Any]:
        member = current_member(request)
        case_secret = web_case_secret(request.app.state.settings)
        if case_secret is None or not CASE_ID.match(case_id):
            raise NotFoundException("No such case")
        with request.app.state.engine.begin() as connection:
            try:
                case = ftsu_cases.get_case(connection, case_secret, case_id, member.organisation_ids)
            except ftsu_cases.CaseNotFound:
                raise NotFoundException("No such case") from None
            record_audit(connection, member.email, "ftsu.view_case", case=case_id, unredacted=False, via="api")
        content = case.content
        return {
            **_summary(case),
            "texts": {qid: text["redacted"] for qid, text in content.texts.items()},
            "attributes": content.attributes,
            "respondent_urgent": content.respondent_urgent,
            "urgent_signals": content.detected,
            "thread": [
                {
                    "seq": message["seq"],
                    "from": message["from"],
                    "on": message.get("on"),
                    "text": message["text"] if message["from"] == "guardian" else message["text"]["redacted"],
                }
                for message in sorted(content.thread, key=lambda m: m["seq"])
            ],
            "notes": sorted(content.notes, key=lambda n: n["seq"]),
            "speak_up_again": content.speak_up_again,
        }
