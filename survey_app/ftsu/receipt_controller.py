"""/receipt: a respondent who shared a concern reads the guardian's replies and answers, with no account.

Respondent-side, so outside the staff router: no session, no cookie, no CSRF cookie, `no-store`
(the security headers middleware). GET shows an empty form and reads nothing from the URL; the
words travel only in POST bodies (for a reply, in a hidden field of the page that shows the
case). Unknown words, a wrong secret and a locked case all get the same message, so the page is
no oracle for which locators exist. Guessing is limited per wave and per minute, never per
address (survey_app/ftsu/ratelimit.py), and a case locks after five wrong secrets.
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
from survey_app.ftsu.ratelimit import ReceiptLimiter, limiter_for
from survey_app.ftsu.receipts import (
    RECEIPT_WORDS,
    ReceiptError,
    parse_receipt,
    receipt_hashes,
)
from survey_app.ftsu.redacting import organisation_terms
from survey_app.pagekit import SERVICE_NAME, normalise_text
from survey_app.pagekit.errors import respondent_exception_handlers
from survey_app.waves import wave_instrument

WORDS_FIELD = "receipt"
ACTION_FIELD = "_action"
MESSAGE_FIELD = "message"
SPEAK_UP_FIELD = "speak_up_again"

# One message for unknown words, a wrong secret, a locked case and a concern not delivered yet.
NOT_FOUND = (
    "We could not open replies with these words. If you shared your concern recently, it may not have "
    "reached the guardian yet: concerns arrive in a daily delivery once enough people have answered. "
    "Otherwise, check each word and the order of the words, and try again. After 5 wrong attempts, a "
    "receipt cannot be used until the day after tomorrow."
)
TOO_MANY = "Too many people have entered wrong words in the last minute. Wait a minute, then try again."
UNAVAILABLE = "Replies from the guardian cannot be read at the moment. Please try again later."


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _limiter(request: Request[Any, Any, Any]) -> ReceiptLimiter:
    state = request.app.state
    limiter = getattr(state, "receipt_limiter", None)
    if limiter is None:
        settings = _settings(request)
        limiter = limiter_for(settings.redis_url, settings.receipt_attempts_per_minute)
        state.receipt_limiter = limiter
    return limiter


def _page(status_code: int = HTTP_200_OK, **context: Any) -> Template:
    return Template(
        template_name="respond/receipt.html",
        context={
            "service_name": SERVICE_NAME,
            "footer_links": [],
            "fields": {"words": WORDS_FIELD, "action": ACTION_FIELD, "message": MESSAGE_FIELD, "speak_up": SPEAK_UP_FIELD},
            "receipt_words": RECEIPT_WORDS,
            "speak_up_items": [{"value": value, "text": text} for value, text in ftsu_cases.SPEAK_UP_AGAIN.items()],
            "has_errors": bool(context.get("error") or context.get("message_error")),
            **context,
        },
        status_code=status_code,
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

    @post("", status_code=200)
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
        today = dt.date.today()

        def look_up() -> tuple[bool, ftsu_cases.Case | None]:
            if limiter.overall_exhausted():
                return True, None
            with engine.connect() as connection:
                match = ftsu_cases.find_locator(connection, hashes)
            if limiter.wave_exhausted(match.wave_ids):
                return True, None
            case = ftsu_cases.open_with_receipt(engine, case_secret, hashes, today)
            if case is None:
                limiter.record_failure(match.wave_ids)
            return False, case

        limited, case = await anyio.to_thread.run_sync(look_up)
        if limited:
            return _page(HTTP_429_TOO_MANY_REQUESTS, too_many=TOO_MANY)
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
