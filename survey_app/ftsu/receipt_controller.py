"""/receipt: a respondent who shared a concern reads the guardian's replies and answers, with no account.

Respondent-side, so outside the staff router: no session, no cookie, no CSRF cookie, `no-store`
(the security headers middleware). GET shows an empty form and reads nothing from the URL; the
words travel only in POST bodies (for a reply, in a hidden field of the page that shows the
case). Unknown words and a wrong secret get the same message, so the page is no oracle for which
locators exist. Guessing is limited by a back-off per locator (counted whether or not the locator
exists) and a high limit over everything, never per address, and no case is ever locked
(survey_app/ratelimit.py states the rules and the arithmetic). A POST from another website is
refused (survey_app/cross_site.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException
from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from survey_app.config import Settings
from survey_app.ftsu import cases as ftsu_cases
from survey_app.ftsu.intake import web_case_secret
from survey_app.ftsu.receipts import (
    RECEIPT_WORDS,
    ReceiptError,
    parse_receipt,
    receipt_hashes,
)
from survey_app.ftsu.redacting import organisation_terms
from survey_app.pagekit import SERVICE_NAME, normalise_text
from survey_app.pagekit.errors import refuse_cross_site, respondent_exception_handlers
from survey_app.ratelimit import GuessLimiter
from survey_app.waves import wave_instrument

WORDS_FIELD = "receipt"
ACTION_FIELD = "_action"
MESSAGE_FIELD = "message"
SPEAK_UP_FIELD = "speak_up_again"

# One message for unknown words, a wrong secret and a concern not delivered yet.
NOT_FOUND = (
    "We could not open replies with these words. If you shared your concern in the last few days, it may "
    "not have reached the guardian yet: concerns arrive once a day, after enough people have answered. "
    "Try again in a day or two. If it has been longer, check each word and the order of the words."
)
TOO_MANY = "Too many attempts to open replies have been made just now. Wait {seconds} seconds, then try again."
UNAVAILABLE = "Replies from the guardian cannot be read at the moment. Please try again later."


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _limiter(request: Request[Any, Any, Any]) -> GuessLimiter:
    limiter: GuessLimiter = request.app.state.receipt_limiter
    return limiter


def _page(status_code: int = HTTP_200_OK, headers: dict[str, str] | None = None, **context: Any) -> Template:
    return Template(
        template_name="respond/receipt.html",
        context={
            "service_name": SERVICE_NAME,
            "footer_links": [],
            "exit_this_page": True,
            "fields": {"words": WORDS_FIELD, "action": ACTION_FIELD, "message": MESSAGE_FIELD, "speak_up": SPEAK_UP_FIELD},
            "receipt_words": RECEIPT_WORDS,
            "speak_up_items": [{"value": value, "text": text} for value, text in ftsu_cases.SPEAK_UP_AGAIN.items()],
            "has_errors": bool(context.get("error") or context.get("message_error")),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def _first(form: FormMultiDict, name: str) -> str:
    values = [value for value in form.getall(name, []) if isinstance(value, str)]
    return values[0] if values else ""


def _respondent_view(engine: Any, case: ftsu_cases.Case) -> dict[str, Any]:
    """What the respondent sees of their case: the words as the guardian sees them, the replies,
    open or closed. Never the case's status beyond that, nor when anything was read."""
    content = case.content
    with engine.connect() as connection:
        instrument = wave_instrument(connection, case.row.wave_id)
    questions = instrument.questions

    def shown(text: dict[str, str]) -> str:
        return text.get("original", text["redacted"]) if content.unredacted_allowed else text["redacted"]

    texts = [
        (questions[qid].text if qid in questions else qid, shown(text)) for qid, text in content.texts.items()
    ]
    thread = []
    for message in sorted(content.thread, key=lambda m: m["seq"]):
        if message["from"] == "guardian":
            thread.append({"from": "guardian", "on": dt.date.fromisoformat(message["on"]), "text": message["text"]})
        else:
            thread.append({"from": "respondent", "on": None, "text": shown(message["text"])})
    return {
        "texts": texts,
        "unredacted_allowed": content.unredacted_allowed,
        "thread": thread,
        "closed": case.row.status == "closed",
        "speak_up_again": content.speak_up_again,
    }


class ReceiptController(Controller):
    path = "/receipt"
    include_in_schema = False
    exception_handlers = respondent_exception_handlers

    @get("")
    async def form(self) -> Template:
        """An empty form, whatever the URL carries: words never travel in a URL."""
        return _page()

    @post("", status_code=200, guards=[refuse_cross_site])
    async def submit(self, request: Request[Any, Any, Any]) -> Template:
        try:
            form = await request.form()
        except UnicodeDecodeError:
            raise ClientException("form is not UTF-8") from None
        typed = _first(form, WORDS_FIELD)
        action = _first(form, ACTION_FIELD) or "open"
        try:
            receipt = parse_receipt(typed)
        except ReceiptError as error:
            return _page(error=str(error), typed=typed)
        settings = _settings(request)
        case_secret = web_case_secret(settings)
        if case_secret is None:
            return _page(HTTP_503_SERVICE_UNAVAILABLE, unavailable=UNAVAILABLE)
        limiter = _limiter(request)
        engine = request.app.state.engine
        hashes = receipt_hashes(case_secret, receipt)

        def look_up() -> tuple[int, ftsu_cases.Case | None]:
            # Take a place first (atomic), then test: parallel guesses never pass the limit together.
            decision = limiter.attempt(hashes.locator)
            if not decision.allowed:
                return decision.retry_after, None
            case = ftsu_cases.open_with_receipt(engine, case_secret, hashes)
            if case is not None:
                limiter.succeeded(hashes.locator)
            return 0, case

        wait, case = await anyio.to_thread.run_sync(look_up)
        if wait:
            return _page(
                HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)}, too_many=TOO_MANY.format(seconds=wait), typed=typed
            )
        if case is None:
            return _page(error=NOT_FOUND, typed=typed)

        notice = None
        message_error = None
        message = ""
        if action == "reply":
            message = normalise_text(_first(form, MESSAGE_FIELD))
            if not message.strip():
                message_error = "Write your message to the guardian"
            elif len(message) > ftsu_cases.MAX_MESSAGE_LENGTH:
                message_error = f"Your message must be {ftsu_cases.MAX_MESSAGE_LENGTH} characters or fewer"
            else:
                def send() -> ftsu_cases.Case:
                    with engine.connect() as connection:
                        terms = organisation_terms(connection, case.row.organisation_id)
                    return ftsu_cases.change_case(engine, case_secret, case.row.id, ftsu_cases.respondent_reply(message, terms))

                case = await anyio.to_thread.run_sync(send)
                notice = "Your message has been sent to the guardian."
                message = ""
        elif action == "speak_up_again" and case.row.status == "closed":
            answer = _first(form, SPEAK_UP_FIELD)
            if answer in ftsu_cases.SPEAK_UP_AGAIN:
                case = await anyio.to_thread.run_sync(
                    ftsu_cases.change_case, engine, case_secret, case.row.id, ftsu_cases.respondent_speak_up_again(answer)
                )
                notice = "Thank you for your answer."
            else:
                message_error = None
                notice = None

        view = await anyio.to_thread.run_sync(_respondent_view, engine, case)
        return _page(
            case=view,
            words=receipt.text,
            notice=notice,
            message=message,
            message_error=message_error,
        )
