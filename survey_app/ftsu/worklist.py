"""A guardian's Monday morning: which concerns wait for a reply, which are overdue, and the quarterly
return to the National Guardian's Office.

Pure functions over decrypted cases (survey_app/ftsu/cases.py): no web, no database.

- **Reply due.** Guardians promise a reply within FTSU_REPLY_DAYS working days (Monday to Friday) of
  receiving a concern, or of the respondent's latest message. A case waits for a reply while it is open
  and the guardian has not written since it arrived or since the respondent last wrote. The due date
  counts from the delivery date: the only date a case has (a respondent's message carries none, by
  design), so after a respondent's message the marker says "waiting" without a date.
- **Filters** (status, urgent, overdue, category) and **search** over the redacted texts only, never
  the originals; **paging** in PAGE_SIZE cases.
- **The quarterly return** counts concerns delivered in a quarter by reporting category and by
  "detriment reported"; a count below the release threshold is written as "fewer than N", so a return
  never singles out one small group of concerns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 20


def add_working_days(start: dt.date, days: int) -> dt.date:
    day = start
    added = 0
    while added < days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    if end <= start:
        return 0
    return sum(1 for n in range(1, (end - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5)


@dataclass(frozen=True)
class ReplyState:
    waiting: bool
    due_on: dt.date | None
    overdue: bool
    age_working_days: int


def reply_state(case: Any, reply_days: int, today: dt.date) -> ReplyState:
    """Whether the case waits for the guardian's reply, by when, and whether that date has passed."""
    thread = case.content.thread
    guardian_wrote = any(message["from"] == "guardian" for message in thread)
    last_from_respondent = bool(thread) and thread[-1]["from"] == "respondent"
    is_open = case.row.status != "closed"
    waiting = is_open and (not guardian_wrote or last_from_respondent or case.row.respondent_wrote)
    due_on = add_working_days(case.row.dropped_on, reply_days) if waiting and not guardian_wrote else None
    return ReplyState(
        waiting=waiting,
        due_on=due_on,
        overdue=due_on is not None and today > due_on,
        age_working_days=working_days_between(case.row.dropped_on, today),
    )


@dataclass(frozen=True)
class Filters:
    show: str = "open"  # open | closed | all
    urgent: bool = False
    overdue: bool = False
    category: str = ""
    search: str = ""
    mine: bool = False
    page: int = 1

    @classmethod
    def from_query(cls, query: Any, categories: dict[str, str]) -> Filters:
        show = query.get("show", "open")
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        category = query.get("category", "")
        return cls(
            show=show if show in ("open", "closed", "all") else "open",
            urgent=query.get("urgent") == "1",
            overdue=query.get("overdue") == "1",
            category=category if category in categories else "",
            search=" ".join(str(query.get("q", "")).split())[:100],
            mine=query.get("mine") == "1",
            page=page,
        )


def _redacted_text(case: Any) -> str:
    parts = [text["redacted"] for text in case.content.texts.values()]
    parts += [message["text"]["redacted"] for message in case.content.thread if message["from"] == "respondent"]
    parts += [message["text"] for message in case.content.thread if message["from"] == "guardian"]
    return " ".join(parts).lower()


def select_cases(cases: list[Any], filters: Filters, states: dict[str, ReplyState], member_id: str) -> list[Any]:
    chosen = []
    for case in cases:
        closed = case.row.status == "closed"
        if filters.show == "open" and closed or filters.show == "closed" and not closed:
            continue
        if filters.urgent and not case.row.urgent:
            continue
        if filters.overdue and not states[case.row.id].overdue:
            continue
        if filters.category and filters.category not in case.content.categories:
            continue
        if filters.mine and case.row.assigned_to != member_id:
            continue
        if filters.search and filters.search.lower() not in _redacted_text(case):
            continue
        chosen.append(case)
    return chosen


def page_of(items: list[Any], page: int) -> tuple[list[Any], int]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(page, pages)
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], pages


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarterly_return(cases: list[Any], categories: dict[str, str], quarter: str, min_cell: int) -> str:
    """CSV for the National Guardian's Office: concerns delivered in the quarter, by category and detriment."""
    in_quarter = [case for case in cases if quarter_of(case.row.dropped_on) == quarter]

    def shown(count: int) -> str:
        return str(count) if count == 0 or count >= min_cell else f"fewer than {min_cell}"

    rows = [("Quarter", quarter), ("Concerns received", shown(len(in_quarter)))]
    for key, label in categories.items():
        rows.append((label, shown(sum(1 for case in in_quarter if key in case.content.categories))))
    rows.append(("Detriment reported", shown(sum(1 for case in in_quarter if case.content.detriment == "yes"))))
    rows.append(("Anonymous", shown(len(in_quarter))))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Measure", "Count"])
    writer.writerows(rows)
    return buffer.getvalue()
