"""A guardian's worklist: reply-due dates in working days, filters, search over redacted text only,
paging, and a quarterly return that withholds small counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from survey_app.ftsu import worklist
from survey_app.ftsu.cases import CATEGORIES

FRIDAY = dt.date(2026, 11, 27)


@dataclass
class Row:
    id: str
    dropped_on: dt.date
    status: str = "new"
    urgent: bool = False
    respondent_wrote: bool = False
    assigned_to: str | None = None


@dataclass
class Content:
    texts: dict[str, Any] = field(default_factory=lambda: {"what_happened": {"redacted": "My manager [NAME] shouted", "original": "My manager Amber shouted"}})
    thread: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    detriment: str | None = None


@dataclass
class Case:
    row: Row
    content: Content = field(default_factory=Content)


def test_reply_due_counts_working_days_and_stops_once_the_guardian_replies() -> None:
    case = Case(Row("a", FRIDAY))
    state = worklist.reply_state(case, 5, dt.date(2026, 12, 4))
    assert state.waiting and state.due_on == dt.date(2026, 12, 4) and not state.overdue
    assert state.age_working_days == 5
    assert worklist.reply_state(case, 5, dt.date(2026, 12, 7)).overdue, "Monday after the due Friday"
    case.content.thread.append({"from": "guardian", "text": "Thank you for telling me."})
    assert not worklist.reply_state(case, 5, dt.date(2026, 12, 7)).waiting
    case.content.thread.append({"from": "respondent", "text": {"redacted": "Any news?"}})
    answered = worklist.reply_state(case, 5, dt.date(2026, 12, 7))
    assert answered.waiting and answered.due_on is None and not answered.overdue
    case.row.status = "closed"
    assert not worklist.reply_state(case, 5, dt.date(2026, 12, 7)).waiting


def test_filters_and_search_read_only_the_redacted_text() -> None:
    cases = [
        Case(Row("a", FRIDAY, urgent=True), Content(categories=["patient_safety"])),
        Case(Row("b", FRIDAY, status="closed")),
        Case(Row("c", dt.date(2026, 10, 1), assigned_to="me")),
    ]
    today = dt.date(2026, 12, 7)
    states = {c.row.id: worklist.reply_state(c, 5, today) for c in cases}
    pick = lambda **q: [c.row.id for c in worklist.select_cases(cases, worklist.Filters.from_query(q, CATEGORIES), states, "me")]  # noqa: E731
    assert pick() == ["a", "c"]
    assert pick(show="closed") == ["b"] and pick(show="all") == ["a", "b", "c"]
    assert pick(urgent="1") == ["a"] and pick(overdue="1") == ["a", "c"] and pick(mine="1") == ["c"]
    assert pick(category="patient_safety") == ["a"]
    assert pick(q="shouted") == ["a", "c"]
    assert pick(q="Amber") == [], "search never reads the unredacted text"
    assert worklist.Filters.from_query({"page": "x", "show": "<script>", "category": "nope"}, CATEGORIES) == worklist.Filters()


def test_paging() -> None:
    items = list(range(45))
    assert worklist.page_of(items, 1) == (items[:20], 3)
    assert worklist.page_of(items, 3) == (items[40:], 3)
    assert worklist.page_of(items, 99) == (items[40:], 3)


def test_the_quarterly_return_withholds_small_counts() -> None:
    cases = [Case(Row(str(i), dt.date(2026, 11, 2)), Content(categories=["bullying_harassment"], detriment="yes" if i < 3 else None)) for i in range(12)]
    cases.append(Case(Row("old", dt.date(2026, 5, 1)), Content(categories=["patient_safety"])))
    text = worklist.quarterly_return(cases, CATEGORIES, "2026-Q4", 11)
    lines = dict(line.split(",", 1) for line in text.strip().splitlines()[1:])
    assert lines["Concerns received"] == "12" and lines["Bullying or harassment"] == "12"
    assert lines["Detriment reported"] == "fewer than 11" and lines["Patient safety or quality"] == "0"
