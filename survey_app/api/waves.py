"""The respondent JSON API: read an open wave's instrument, post a response.

It is for machines and stays open to every origin, so it trusts nothing it is sent: only
`application/json`, a bounded depth and valid Unicode (survey_app/api/json_body.py), an open-link
budget per wave (survey_app/open_link.py). Its Idempotency-Keys live in their own namespace
(`api.<key>`, survey_app/submissions.py), so a key equal to a web visit's token matches nothing of
it. Every status it can answer is in the OpenAPI document with its body: errors are always
`{"errors": {field: message}}`, where the field is a question id or what was wrong (`body`,
`answers`, `Content-Type`, `Idempotency-Key`, `wave`, `service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath

from questionnaires import validate_answers
from survey_app.api.json_body import JSON_MEDIA_TYPE, BodyError, read_json_body
from survey_app.ftsu import intake as ftsu_intake
from survey_app.ftsu.intake import (
    SHARING_UNAVAILABLE,
    concern_is_shared,
    receipt_for,
    web_case_secret,
)
from survey_app.invitations.ballots import InvitationRefused, spend_for_ballot
from survey_app.outage import UNAVAILABLE_RESPONSE
from survey_app.submissions import api_submission, valid_idempotency_key
from survey_app.waves import PublishedWave

CLOSED_OR_UNKNOWN = "There is no open survey with this name. It may have closed."
TOO_LARGE = "The body is larger than this survey accepts"
OVER_BUDGET = "This survey is receiving more responses than it accepts a minute. Send yours again after Retry-After seconds."


@dataclass
class Errors:
    """Every error of the respondent API: one message per question id, or per thing that was wrong."""

    errors: dict[str, str]


class ReceiptWords(msgspec.Struct):
    words: str
    read_replies_at: str
    note: str


class Received(msgspec.Struct, omit_defaults=True):
    """The response is stored (sealed). `receipt` only when it shares a concern with the guardian."""

    status: str
    receipt: ReceiptWords | None = None


@dataclass
class WaveInstrument:
    wave: str
    organisation: str
    instrument: dict[str, Any]


def _errors(status: int, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response({"errors": fields}, status_code=status, headers=headers)


def _open_wave(request: Request[Any, Any, Any], wave: str, fresh: bool = False) -> PublishedWave:
    published: PublishedWave | None = request.app.state.published_waves.get(wave, fresh=fresh)
    if published is None:
        raise NotFoundException(detail=CLOSED_OR_UNKNOWN)
    return published


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(Errors, generate_examples=False, description=description)


NOT_FOUND_SPEC = _spec("No open survey with this name (unknown, or closed)")

# The body of POST .../responses, described for clients and for schema-based testing tools; the
# handler reads it itself, so that every refusal has the body documented below.
ANSWER = Schema(
    one_of=[
        Schema(type=OpenAPIType.INTEGER, description="an option code"),
        Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.INTEGER), description="option codes"),
        Schema(type=OpenAPIType.STRING, description="free text"),
    ]
)
RESPONSE_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["answers"],
    properties={
        "answers": Schema(
            type=OpenAPIType.OBJECT,
            additional_properties=ANSWER,
            description="Question id -> answer: an option code, a list of codes (multiple choice), or text",
        ),
        "invitation": Schema(
            type=OpenAPIType.STRING,
            description="Invited waves only: the single-use invitation code, e.g. 7KQ2-M9XD-4TB",
        ),
    },
)


@dataclass
class PostResponseOperation(Operation):
    """The operation of POST .../responses, with its request body described."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={JSON_MEDIA_TYPE: OpenAPIMediaType(schema=RESPONSE_BODY)},
            required=True,
            description='`{"answers": {"q14a": 1, "q16c": [1, 6], "q35": 26}}`',
        )


def _not_found(_request: Request[Any, Any, Any], error: NotFoundException) -> Response[dict[str, Any]]:
    return _errors(404, {"wave": error.detail or CLOSED_OR_UNKNOWN})


def _too_large(_request: Request[Any, Any, Any], _error: Exception) -> Response[dict[str, Any]]:
    return _errors(413, {"body": TOO_LARGE})


class WaveApiController(Controller):
    path = "/api/v1/waves"
    tags = ["respondents"]
    exception_handlers = {NotFoundException: _not_found, RequestEntityTooLarge: _too_large}

    @get(
        "/{wave:str}",
        sync_to_thread=False,
        responses={404: NOT_FOUND_SPEC, 503: UNAVAILABLE_RESPONSE},
    )
    def read_wave(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> WaveInstrument:
        """The instrument of an open wave: pages, questions, option codes and routing."""
        published = _open_wave(request, wave, fresh=True)
        return WaveInstrument(published.slug, published.organisation_name, dict(published.instrument.definition))

    @post(
        "/{wave:str}/responses",
        status_code=201,
        operation_class=PostResponseOperation,
        responses={
            400: _spec("The body is not JSON, is nested too deep, holds invalid Unicode, or the Idempotency-Key is malformed"),
            404: NOT_FOUND_SPEC,
            413: _spec("The body is larger than the survey accepts"),
            415: _spec("The body was not sent as application/json"),
            403: _spec("An invited wave, and the body's `invitation` code is missing, mistyped or unknown; nothing was stored"),
            409: _spec("An invited wave, and the `invitation` code has been used already; nothing was stored"),
            422: _spec("The body is not `{\"answers\": {...}}`, or answers are invalid: one message per offending question"),
            429: _spec("The wave's open-link budget for this minute is spent; nothing was stored. Retry after `Retry-After` seconds"),
            503: UNAVAILABLE_RESPONSE,
        },
    )
    async def post_response(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Response[Received]:
        """Submit one anonymous response: `{"answers": {"q14a": 1, "q16c": [1, 6], ...}}`.

        201 when stored; 422 with an error per offending question; 413 when too large; 415 unless
        the body is `application/json`; 400 for a body that is not JSON, nested deeper than a
        response can be, or holds a lone surrogate; 404 when the wave is unknown or closed; 429 with
        `Retry-After` over the wave's open-link budget; 503 with `Retry-After` when the database is
        not answering. An invited wave needs `"invitation": "CODE"` in the body (a single-use code,
        spent by this request even if storing then fails because the wave closed): 403 when it is
        missing, mistyped or unknown, 409 when it was used before. A response that shares a concern with the FTSU guardian gets
        `{"receipt": {"words": ...}}` in the 201 body: the only copy of the words with which the
        respondent reads the guardian's replies at /receipt.

        An `Idempotency-Key` header (22-64 characters of A-Z, a-z, 0-9, `-`, `_`; a random one per
        response) makes a retry safe: the same body sent again with the same key is kept once, and a
        response that shares a concern gets the same receipt words again.
        """
        published = _open_wave(request, wave)
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and valid_idempotency_key(idempotency_key) is None:
            return _errors(400, {"Idempotency-Key": "Use 22 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"})
        try:
            body = read_json_body(request.headers.get("content-type"), await request.body())
        except BodyError as error:
            return _errors(error.status, {error.field: error.message})
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            return _errors(422, {"answers": 'The body must be {"answers": {question id: answer, ...}}'})
        answers, errors = validate_answers(published.instrument, body["answers"])
        if errors:
            return _errors(422, errors)
        if not answers:
            return _errors(422, {"answers": "Answer at least one question"})
        submission = api_submission(idempotency_key)
        # A concern shared with the guardian gets a receipt, returned once in this body and never
        # stored (only keyed hashes are); without the case key, sharing is refused (422).
        shared = concern_is_shared(published.instrument, answers)
        # The case key is read from its file only when needed: for a receipt, or to check an invitation.
        case_secret = web_case_secret(request.app.state.settings) if shared or published.invited else None
        if shared and case_secret is None:
            question = published.instrument.concern_when.question if published.instrument.concern_when else "answers"
            return _errors(422, {question: SHARING_UNAVAILABLE})
        if published.invited:
            # One transaction spends the code; the response is stored in another, below, with a ballot
            # minted in between that is kept nowhere (survey_app/invitations).
            try:
                submission = await spend_for_ballot(
                    request.app.state.engine,
                    case_secret,
                    request.app.state.visit_tokens,
                    published.id,
                    body.get("invitation"),
                )
            except InvitationRefused as refusal:
                headers = {"Retry-After": "60"} if refusal.status == 503 else None
                return _errors(refusal.status, {"invitation": refusal.message}, headers=headers)
        else:
            budget = await request.app.state.open_link_budget.admit(published.id)
            if not budget.allowed:
                return _errors(429, {"wave": OVER_BUDGET}, headers={"Retry-After": str(budget.retry_after)})
        receipt = receipt_for(published, answers, case_secret, submission)
        if receipt is None:
            # The common case: group commit with every other submission arriving meanwhile.
            stored = await request.app.state.inbox_writer.submit(published, answers, submission)
        else:
            stored = await anyio.to_thread.run_sync(
                ftsu_intake.store, request.app.state.engine, published, answers, case_secret, receipt, submission
            )
        if not stored:
            request.app.state.published_waves.forget(wave)
            raise NotFoundException(detail=CLOSED_OR_UNKNOWN)
        if receipt is None:
            return Response(Received(status="received"), status_code=201)
        return Response(
            Received(
                status="received",
                receipt=ReceiptWords(
                    words=receipt.text,
                    read_replies_at="/receipt",
                    note="Shown once and never stored: anyone with these words can read the guardian's replies.",
                )
            ),
            status_code=201,
        )
