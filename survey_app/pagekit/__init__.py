"""The respondent-page kit: what every page a respondent sees shares, whoever serves it.

The survey pages (`survey_app.respond`) and the receipt pages (`survey_app.ftsu`) both build on it
and neither imports the other: the layout's context, the plain pages for closed links and for
requests that went wrong, and how a respondent's typed text is normalised.
"""

from __future__ import annotations

from typing import Any, Protocol

import anyio
from litestar import Request
from litestar.response import Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from questionnaires import strip_bidi_controls
from survey_app.organisations import SLUG_PATTERN
from survey_app.outage import RETRY_AFTER_SECONDS

SERVICE_NAME = "Anonymous staff survey"


class WaveLike(Protocol):
    slug: str
    organisation_name: str


def base_context(wave: WaveLike | None) -> dict[str, Any]:
    """What the layout needs on every respondent page."""
    links = []
    if wave is not None:
        # A new tab, so that reading the notice mid-survey never loses the answers in this form.
        links.append(
            {
                "href": f"/s/{wave.slug}/privacy",
                "text": "Privacy notice (opens in new tab)",
                "attributes": {"target": "_blank", "rel": "noopener"},
            }
        )
    return {
        "service_name": SERVICE_NAME,
        "organisation_name": wave.organisation_name if wave is not None else None,
        "footer_links": links,
        "wave": wave,
    }


def normalise_text(value: str) -> str:
    # Browsers send line breaks as CRLF; the character count shown counts them as one. Bidirectional
    # controls, which could make a quote read differently on screen, never get in.
    return strip_bidi_controls(value.replace("\r\n", "\n").replace("\r", "\n"))


def closed(answers_lost: bool = False) -> Template:
    """Unknown and closed waves look the same: a link never tells whether a survey ever existed."""
    return Template(
        template_name="respond/closed.html",
        context={**base_context(None), "answers_lost": answers_lost},
        status_code=HTTP_404_NOT_FOUND,
    )


def problem(kind: str, wave_slug: str | None = None) -> Template:
    """A plain page for a request we could not handle: never a traceback, never the request."""
    status = {
        "too_large": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "unreadable": HTTP_400_BAD_REQUEST,
        # A form posted from another website (survey_app/cross_site.py): nothing is read or stored.
        "cross_site": HTTP_403_FORBIDDEN,
        "unavailable": HTTP_503_SERVICE_UNAVAILABLE,
        "error": HTTP_500_INTERNAL_SERVER_ERROR,
    }[kind]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if kind == "unavailable" else None
    return Template(
        template_name="respond/problem.html",
        context={
            **base_context(None),
            "kind": kind,
            # Only a well-formed slug goes back into a link.
            "start_again": f"/s/{wave_slug}" if wave_slug and SLUG_PATTERN.match(wave_slug) else None,
        },
        status_code=status,
        headers=headers,
    )


async def find_open_wave(request: Request[Any, Any, Any], slug: str) -> Any:
    """The open wave at /s/{slug}, or None (a slug that could never have been opened is not looked up)."""
    if not SLUG_PATTERN.match(slug):
        return None
    # The cache may query the database: keep that off the event loop.
    return await anyio.to_thread.run_sync(request.app.state.published_waves.get, slug)
