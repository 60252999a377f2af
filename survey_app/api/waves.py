"""The respondent JSON API: read an open wave's instrument, post a response."""

from __future__ import annotations

import json
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from questionnaires import validate_answers
from survey_app.ftsu import intake as ftsu_intake
from survey_app.ftsu.intake import (
    SharingUnavailable,
    concern_is_shared,
    receipt_for,
    web_case_secret,
)
from survey_app.submissions import valid_token
from survey_app.waves import PublishedWave

CLOSED_OR_UNKNOWN = "There is no open survey with this name. It may have closed."


def _open_wave(request: Request, wave: str, fresh: bool = False) -> PublishedWave:
    published = request.app.state.published_waves.get(wave, fresh=fresh)
    if published is None:
        raise NotFoundException(detail=CLOSED_OR_UNKNOWN)
    return published


class WaveApiController(Controller):
    path = "/api/v1/waves"
    tags = ["respondents"]

    @get("/{wave:str}", sync_to_thread=False)
    def read_wave(self, request: Request, wave: FromPath[str]) -> dict[str, Any]:
        """The instrument of an open wave: pages, questions, option codes and routing."""
        published = _open_wave(request, wave, fresh=True)
        return {
            "wave": published.slug,
            "organisation": published.organisation_name,
            "instrument": dict(published.instrument.definition),
        }

    @post("/{wave:str}/responses", status_code=201)
    async def post_response(self, request: Request, wave: FromPath[str]) -> Response[dict[str, Any]]:
        """Submit one anonymous response: `{"answers": {"q14a": 1, "q16c": [1, 6], ...}}`.

        201 when stored; 422 with an error per offending question; 413 when too large;
        404 when the wave is unknown or closed. A response that shares a concern with the FTSU
        guardian gets `{"receipt": {"words": ...}}` in the 201 body: the only copy of the words
        with which the respondent reads the guardian's replies at /receipt.

        An `Idempotency-Key` header (22-64 characters of A-Z, a-z, 0-9, `-`, `_`; a random one per
        response) makes a retry safe: responses sent with the same key are kept once, and a response
        that shares a concern gets the same receipt words again.
        """
        published = _open_wave(request, wave)
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and valid_token(idempotency_key) is None:
            return Response(
                {"errors": {"Idempotency-Key": "Use 22 to 64 characters of A-Z, a-z, 0-9, '-' and '_'"}},
                status_code=400,
            )
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return Response({"errors": {"body": "The body must be JSON"}}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            return Response(
                {"errors": {"answers": 'The body must be {"answers": {question id: answer, ...}}'}},
                status_code=422,
            )
        answers, errors = validate_answers(published.instrument, body["answers"])
        if errors:
            return Response({"errors": errors}, status_code=422)
        if not answers:
            return Response({"errors": {"answers": "Answer at least one question"}}, status_code=422)
        engine = request.app.state.engine
        # A concern shared with the guardian gets a receipt, returned once in this body and never
        # stored (only keyed hashes are); without the case key, sharing is refused (422).
        shared = concern_is_shared(published.instrument, answers)
        case_secret = web_case_secret(request.app.state.settings) if shared else None
        try:
            receipt = receipt_for(published.instrument, answers, case_secret, idempotency_key)
        except SharingUnavailable as refusal:
            question = published.instrument.concern_when.question if published.instrument.concern_when else "answers"
            return Response({"errors": {question: str(refusal)}}, status_code=422)

        if receipt is None:
            # The common case: group commit with every other submission arriving meanwhile.
            stored = await request.app.state.inbox_writer.submit(published, answers, idempotency_key)
        else:
            stored = await anyio.to_thread.run_sync(
                ftsu_intake.store, engine, published, answers, case_secret, receipt, idempotency_key
            )
        if not stored:
            request.app.state.published_waves.forget(wave)
            raise NotFoundException(detail=CLOSED_OR_UNKNOWN)
        if receipt is None:
            return Response({"status": "received"}, status_code=201)
        return Response(
            {
                "status": "received",
                "receipt": {
                    "words": receipt.text,
                    "read_replies_at": "/receipt",
                    "note": "Shown once and never stored: anyone with these words can read the guardian's replies.",
                },
            },
            status_code=201,
        )
