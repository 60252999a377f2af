"""The Freedom to Speak Up guardian's workspace: an inbox of shared concerns and a page per case.

Role `ftsu` only, scoped to the guardian's organisations: another organisation's case or wave is
simply not found (404, never 403). Every case view is in the audit log (who read which case, and
whether unredacted); the list shows no text at all. The respondent is never told that a case was
read. Every form posts with the staff CSRF token.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from analysis.urgency import CATEGORY_LABELS as URGENCY_LABELS
from questionnaires import Instrument
from survey_app.accounts import StaffMember
from survey_app.audit import record_audit
from survey_app.config import Settings
from survey_app.ftsu import cases as ftsu_cases
from survey_app.ftsu import worklist
from survey_app.ftsu.intake import web_case_secret
from survey_app.staff.access import current_member, requires_staff, wave_for
from survey_app.pagekit import normalise_text
from survey_app.staff.controller import STAFF_EXCEPTION_HANDLERS
from survey_app.storage.models import Account, Organisation, Wave
from survey_app.waves import wave_instrument

CASE_ID = re.compile(r"^[0-9a-f]{32}$")
NOTE_LIMIT = 5000


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _case_secret(request: Request[Any, Any, Any]) -> bytes:
    secret = web_case_secret(_settings(request))
    if secret is None:
        raise NotFoundException("Cases cannot be opened: SURVEY_CASE_KEY_FILE is not set for the web process")
    return secret


def _labels(connection: Any, organisation_ids: set[str], wave_ids: set[str], account_ids: set[str]) -> dict[str, dict[str, str]]:
    organisations = dict(
        connection.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))).all()
    )
    waves = dict(connection.execute(select(Wave.id, Wave.slug).where(Wave.id.in_(wave_ids))).all())
    accounts = dict(connection.execute(select(Account.id, Account.email).where(Account.id.in_(account_ids))).all())
    return {"organisations": organisations, "waves": waves, "accounts": accounts}


def _topic_labels(instrument: Instrument) -> dict[int, str]:
    question = instrument.questions.get("topics")
    return {option.code: option.label for option in question.options} if question is not None else {}


def reference(case_id: str) -> str:
    """A short reference a guardian can say aloud or write in a note."""
    return case_id[:8].upper()


def _inbox_rows(connection: Any, cases: list[ftsu_cases.Case]) -> list[dict[str, Any]]:
    labels = _labels(
        connection,
        {c.row.organisation_id for c in cases},
        {c.row.wave_id for c in cases},
        {c.row.assigned_to for c in cases if c.row.assigned_to},
    )
    topic_labels: dict[str, dict[int, str]] = {}
    rows = []
    for case in cases:
        if case.row.wave_id not in topic_labels:
            topic_labels[case.row.wave_id] = _topic_labels(wave_instrument(connection, case.row.wave_id))
        topics = topic_labels[case.row.wave_id]
        rows.append(
            {
                "id": case.row.id,
                "reference": reference(case.row.id),
                "organisation": labels["organisations"].get(case.row.organisation_id, ""),
                "wave": labels["waves"].get(case.row.wave_id, ""),
                "status": ftsu_cases.STATUSES.get(case.row.status, case.row.status),
                "is_new": case.row.status == "new",
                "urgent": case.row.urgent,
                "respondent_wrote": case.row.respondent_wrote,
                "dropped_on": case.row.dropped_on,
                "themes": [topics.get(code, str(code)) for code in case.content.themes],
                "categories": [ftsu_cases.CATEGORIES[key] for key in case.content.categories],
                "assigned": labels["accounts"].get(case.row.assigned_to or "", None),
            }
        )
    return rows


def _category_counts(cases: list[ftsu_cases.Case]) -> list[tuple[str, int]]:
    counts = [
        (label, sum(1 for case in cases if key in case.content.categories))
        for key, label in ftsu_cases.CATEGORIES.items()
    ]
    counts.append(("Detriment reported", sum(1 for case in cases if case.content.detriment == "yes")))
    return counts


class GuardianController(Controller):
    path = "/ftsu"
    include_in_schema = False
    exception_handlers = STAFF_EXCEPTION_HANDLERS
    guards = [requires_staff]
    opt = {"roles": ("ftsu",)}

    async def _inbox(self, request: Request[Any, Any, Any], wave_slug: str | None) -> Template:
        member = current_member(request)
        case_secret = _case_secret(request)
        filters = worklist.Filters.from_query(request.query_params, ftsu_cases.CATEGORIES)
        wave_id = wave_for(request, wave_slug).id if wave_slug is not None else None
        engine = request.app.state.engine
        reply_days = _settings(request).ftsu_reply_days
        today = dt.date.today()

        def load() -> dict[str, Any]:
            with engine.begin() as connection:
                cases = ftsu_cases.list_cases(connection, case_secret, member.organisation_ids, wave_id)
                states = {c.row.id: worklist.reply_state(c, reply_days, today) for c in cases}
                open_cases = [c for c in cases if c.row.status != "closed"]
                counts = {
                    "open": len(open_cases),
                    "closed": len(cases) - len(open_cases),
                    "urgent": sum(1 for c in open_cases if c.row.urgent),
                    "overdue": sum(1 for c in open_cases if states[c.row.id].overdue),
                }
                chosen = worklist.select_cases(cases, filters, states, member.id)
                shown, pages = worklist.page_of(chosen, filters.page)
                record_audit(connection, member.email, "ftsu.view_inbox", wave=wave_slug, cases=len(shown))
                rows = _inbox_rows(connection, shown)
            for row in rows:
                row["reply"] = states[row["id"]]
            return {
                "rows": rows, "counts": counts, "summary": _category_counts(cases), "found": len(chosen), "pages": pages,
                "quarters": sorted({worklist.quarter_of(c.row.dropped_on) for c in cases}, reverse=True),
            }

        view = await anyio.to_thread.run_sync(load)
        return Template(
            "ftsu/inbox.html",
            context={
                "member": member,
                "wave_slug": wave_slug,
                "base": f"/ftsu/waves/{wave_slug}" if wave_slug else "/ftsu",
                "filters": filters,
                "categories": ftsu_cases.CATEGORIES,
                "reply_days": reply_days,
                "min_cell": _settings(request).min_cell,
                **view,
            },
        )

    @get("/return.csv")
    async def quarterly_return(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The National Guardian's Office quarterly return: counts by category and detriment, small ones withheld."""
        member = current_member(request)
        case_secret = _case_secret(request)
        quarter = request.query_params.get("quarter") or worklist.quarter_of(dt.date.today())
        if not re.fullmatch(r"20[0-9]{2}-Q[1-4]", quarter):
            raise NotFoundException("No such quarter")
        settings = _settings(request)

        def build() -> str:
            with request.app.state.engine.begin() as connection:
                cases = ftsu_cases.list_cases(connection, case_secret, member.organisation_ids, None)
                record_audit(connection, member.email, "ftsu.export_return", quarter=quarter)
            return worklist.quarterly_return(cases, ftsu_cases.CATEGORIES, quarter, settings.min_cell)

        content = await anyio.to_thread.run_sync(build)
        return Response(
            content.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="ftsu-return-{quarter}.csv"'},
        )

    @get("")
    async def inbox(self, request: Request[Any, Any, Any]) -> Template:
        return await self._inbox(request, None)

    @get("/waves/{wave:str}")
    async def wave_inbox(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        return await self._inbox(request, wave)

    @get("/cases/{case_id:str}")
    async def case(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
        member = current_member(request)
        case_secret = _case_secret(request)
        wants_original = request.query_params.get("text") == "original"
        done = request.query_params.get("done")
        engine = request.app.state.engine

        def load() -> dict[str, Any]:
            case = _find(engine, case_secret, case_id, member)
            if case.row.respondent_wrote:
                case = ftsu_cases.change_case(engine, case_secret, case_id, ftsu_cases.mark_seen(), member.organisation_ids)
            original = wants_original and case.content.unredacted_allowed
            with engine.begin() as connection:
                record_audit(
                    connection, member.email, "ftsu.view_case", case=case_id, unredacted=original
                )
                instrument = wave_instrument(connection, case.row.wave_id)
                guardians = ftsu_cases.guardians_of(connection, case.row.organisation_id)
                labels = _labels(connection, {case.row.organisation_id}, {case.row.wave_id}, set())
            return _case_view(case, instrument, guardians, labels, original, member)

        view = await anyio.to_thread.run_sync(load)
        view["done"] = done
        return Template("ftsu/case.html", context=view)

    async def _change(
        self, request: Request[Any, Any, Any], case_id: str, action: str, make: Any, detail: dict[str, Any] | None = None
    ) -> Response[Any]:
        member = current_member(request)
        case_secret = _case_secret(request)
        form = await request.form()
        engine = request.app.state.engine
        try:
            change = make(form, member)
        except ValueError:
            # An empty reply is named and linked to its box; other refusals are general.
            problem = "reply-empty" if action == "reply" else "invalid"
            return Redirect(f"/ftsu/cases/{case_id}?done={problem}", status_code=303)

        def apply() -> None:
            _find(engine, case_secret, case_id, member)
            ftsu_cases.change_case(engine, case_secret, case_id, change, member.organisation_ids)
            with engine.begin() as connection:
                record_audit(connection, member.email, f"ftsu.{action}", case=case_id, **(detail or {}))

        if change is not None:
            await anyio.to_thread.run_sync(apply)
        return Redirect(f"/ftsu/cases/{case_id}?done={action}", status_code=303)

    @post("/cases/{case_id:str}/reply")
    async def reply(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
        def make(form: Any, member: StaffMember) -> ftsu_cases.Change:
            text = _text(form, "message")
            return ftsu_cases.guardian_reply(text, member.email, dt.date.today())

        return await self._change(request, case_id, "reply", make)

    @post("/cases/{case_id:str}/notes")
    async def note(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
        def make(form: Any, member: StaffMember) -> ftsu_cases.Change:
            return ftsu_cases.add_note(_text(form, "note"), member.email, dt.date.today())

        return await self._change(request, case_id, "note", make)

    @post("/cases/{case_id:str}/status")
    async def status(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
        def make(form: Any, _member: StaffMember) -> ftsu_cases.Change:
            speak_up = form.get("speak_up_again") or None
            return ftsu_cases.set_status(str(form.get("status", "")), dt.date.today(), speak_up)

        return await self._change(request, case_id, "status", make)

    @post("/cases/{case_id:str}/categories")
    async def categories(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
        def make(form: Any, _member: StaffMember) -> ftsu_cases.Change:
            themes = []
            for value in form.getall("theme", []):
                if not str(value).isdigit():
                    raise ValueError("theme")
                themes.append(int(value))
            detriment = form.get("detriment") or None
            return ftsu_cases.set_categories([str(v) for v in form.getall("category", [])], detriment, themes)

        return await self._change(request, case_id, "categories", make)

    @post("/cases/{case_id:str}/assign")
    async def assign(self, request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
        member = current_member(request)
        case_secret = _case_secret(request)
        form = await request.form()
        account_id = str(form.get("account", "")) or None
        engine = request.app.state.engine

        def apply() -> bool:
            case = _find(engine, case_secret, case_id, member)
            with engine.connect() as connection:
                allowed = {account for account, _ in ftsu_cases.guardians_of(connection, case.row.organisation_id)}
            if account_id is not None and account_id not in allowed:
                return False
            ftsu_cases.change_case(engine, case_secret, case_id, ftsu_cases.assign(account_id), member.organisation_ids)
            with engine.begin() as connection:
                record_audit(connection, member.email, "ftsu.assign", case=case_id, account=account_id)
            return True

        done = "assign" if await anyio.to_thread.run_sync(apply) else "invalid"
        return Redirect(f"/ftsu/cases/{case_id}?done={done}", status_code=303)


def _text(form: Any, name: str) -> str:
    text = normalise_text(str(form.get(name, ""))).strip()
    if not text or len(text) > NOTE_LIMIT:
        raise ValueError(name)
    return text


def _find(engine: Any, case_secret: bytes, case_id: str, member: StaffMember) -> ftsu_cases.Case:
    if not CASE_ID.match(case_id):
        raise NotFoundException("No such case")
    with engine.connect() as connection:
        try:
            return ftsu_cases.get_case(connection, case_secret, case_id, member.organisation_ids)
        except ftsu_cases.CaseNotFound:
            raise NotFoundException("No such case") from None


def _case_view(
    case: ftsu_cases.Case,
    instrument: Instrument,
    guardians: list[tuple[str, str]],
    labels: dict[str, dict[str, str]],
    original: bool,
    member: StaffMember,
) -> dict[str, Any]:
    content = case.content
    questions = instrument.questions
    # In the order the respondent answered them: "What happened?" before "How did it affect you?".
    order = list(questions)
    texts = [
        (questions[qid].text if qid in questions else qid, text["original"] if original else text["redacted"])
        for qid, text in sorted(content.texts.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    ]
    attributes = []
    for qid in ("ethnic_heading", "worker_type", "topics", "share_unredacted", "urgent", "consent_quote"):
        question = questions.get(qid)
        if question is None or qid not in content.attributes:
            continue
        value = content.attributes[qid]
        codes = value if isinstance(value, list) else [value]
        attributes.append((question.text, ", ".join(question.label_for(int(code)) for code in codes)))
    thread = []
    for message in sorted(content.thread, key=lambda m: m["seq"]):
        if message["from"] == "guardian":
            thread.append({"from": "guardian", "by": message["by"], "on": message["on"], "text": message["text"]})
        else:
            text = message["text"]
            thread.append({"from": "respondent", "text": text["original"] if original and "original" in text else text["redacted"]})
    topics = _topic_labels(instrument)
    return {
        "member": member,
        "case": case.row,
        "reference": reference(case.row.id),
        "organisation": labels["organisations"].get(case.row.organisation_id, ""),
        "wave": labels["waves"].get(case.row.wave_id, ""),
        "status_label": ftsu_cases.STATUSES.get(case.row.status, case.row.status),
        "texts": texts,
        "original": original,
        "unredacted_allowed": content.unredacted_allowed,
        "attributes": attributes,
        "respondent_urgent": content.respondent_urgent,
        "detected": [URGENCY_LABELS[c] for c in content.detected if c in URGENCY_LABELS],
        "thread": thread,
        "notes": sorted(content.notes, key=lambda n: n["seq"]),
        "categories": content.categories,
        "detriment": content.detriment,
        "themes": content.themes,
        "speak_up_again": content.speak_up_again,
        "status_items": [{"value": key, "text": label} for key, label in ftsu_cases.STATUSES.items()],
        "speak_up_items": [{"value": key, "text": label} for key, label in ftsu_cases.SPEAK_UP_AGAIN.items()],
        "category_items": [{"value": key, "text": label} for key, label in ftsu_cases.CATEGORIES.items()],
        "detriment_items": [{"value": key, "text": label} for key, label in ftsu_cases.DETRIMENT.items()],
        "topic_items": [{"value": str(code), "text": label} for code, label in topics.items()],
        "guardian_items": [{"value": "", "text": "Nobody"}]
        + [{"value": account, "text": email, "selected": account == case.row.assigned_to} for account, email in guardians],
        "assigned": case.row.assigned_to,
        "has_receipt": case.row.has_receipt,
    }
