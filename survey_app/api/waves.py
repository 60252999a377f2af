"""The respondent JSON API: read an open wave's instrument, post a response."""

from __future__ import annotations

import json
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from questionnaires import validate_answers
from survey_app.inbox import submit_response
from survey_app.waves import PublishedWave, PublishedWaves

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
        404 when the wave is unknown or closed.
        """
        published = _open_wave(request, wave)
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

        def store() -> bool:
            with engine.begin() as connection:
                return submit_response(connection, published, answers)

        if not await anyio.to_thread.run_sync(store):
            request.app.state.published_waves.forget(wave)
            raise NotFoundException(detail=CLOSED_OR_UNKNOWN)
        return Response({"status": "received"}, status_code=201)
