"""Benchmark: the reading age of every respondent page, as a respondent meets it.

Prints figures; it is not a test. Needs the bench extra (`.venv/bin/pip install -e '.[bench]'`,
for textstat with its pyphen syllable counter, which needs no downloaded data):

    .venv/bin/python bench/reading_age.py
    .venv/bin/python bench/reading_age.py --format json

It opens one wave of each instrument on a fresh SQLite database in a temporary folder, walks each
journey through the real app (landing page, every page with the first answer chosen and text
typed, so the lived-experience journey shares a concern and meets every page; check your answers;
the thank-you page with its receipt), plus the privacy notice and the receipt page, and scores the
text of each page's <main>: the Flesch-Kincaid grade (US school grade; add 5 for a reading age in
years), words, and the longest sentence. Goal: grade 6 or under on respondent pages (NHS content
aims at a reading age of 9 to 11). Question wording copied from the national NHS Staff Survey is
kept as published, so its pages are reported but are not ours to simplify.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import textstat
except ImportError:  # pragma: no cover - a message for whoever runs it
    raise SystemExit("bench/reading_age.py needs the bench extra: .venv/bin/pip install -e '.[bench]'") from None

from litestar.testing import TestClient  # noqa: E402

from survey_app.app import create_app  # noqa: E402
from survey_app.config import Settings  # noqa: E402
from survey_app.keys import write_secret_file  # noqa: E402
from survey_app.storage.database import upgrade  # noqa: E402
from tests.survey_app.helpers import open_test_wave, web_settings  # noqa: E402
from tests.survey_app.test_respond_pages import Respondent  # noqa: E402

INSTRUMENTS = ["bank-temporary-workers", "nhs-staff-survey", "lived-experience"]
GOAL = 6.0


class _MainText(HTMLParser):
    """The words a reader meets inside <main>: text, labels and hints (and what only a screen reader
    hears, which is read too), not scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1
        if tag in ("p", "li", "h1", "h2", "h3", "label", "legend", "div", "span", "dt", "dd", "summary", "button"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        if tag in ("p", "li", "h1", "h2", "h3", "label", "legend", "dt", "dd", "summary", "button"):
            # A heading, label or list item ends a sentence for a reader even without a full stop.
            self.parts.append(".\n")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


def main_text(html: str) -> str:
    reader = _MainText()
    reader.feed(html)
    text = "".join(reader.parts)
    text = re.sub(r"(\s*\.\s*)+", ". ", text)
    return " ".join(text.split()).strip(" .") + "."


def score(name: str, html: str) -> dict[str, object]:
    text = main_text(html)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 0]
    return {
        "page": name,
        "grade": round(float(textstat.flesch_kincaid_grade(text)), 1),
        "words": len(text.split()),
        "longest_sentence": max((len(s.split()) for s in sentences), default=0),
    }


def walk(client: TestClient, slug: str, instrument: str) -> list[dict[str, object]]:
    person = Respondent(client, slug)
    pages = [score(f"{instrument}: landing", person.get().html)]
    screen = person.press("start")
    seen = 0
    while not screen.is_check_page and seen < 40:
        seen += 1
        pages.append(score(f"{instrument}: {screen.heading}", screen.html))
        screen = person.press("continue", person.answer_everything())
    pages.append(score(f"{instrument}: check your answers", screen.html))
    done = person.press("submit")
    pages.append(score(f"{instrument}: thank you", done.html))
    return pages


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        write_secret_file(base / "kek.key")
        write_secret_file(base / "case.key")
        url = f"sqlite:///{base / 'survey.db'}"
        upgrade(url)
        settings = Settings(database_url=url, key_file=base / "kek.key", case_key_file=base / "case.key")
        slugs = {instrument: open_test_wave(settings, instrument) for instrument in INSTRUMENTS}
        with TestClient(create_app(web_settings(settings))) as client:
            pages: list[dict[str, object]] = []
            for instrument in INSTRUMENTS:
                pages += walk(client, slugs[instrument], instrument)
            pages.append(score("privacy notice", client.get(f"/s/{slugs['lived-experience']}/privacy").text))
            pages.append(score("receipt page", client.get("/receipt").text))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=["table", "json"], default="table")
    args = parser.parse_args()
    pages = run()
    grades = [float(page["grade"]) for page in pages]  # type: ignore[arg-type]
    summary = {
        "pages": len(pages),
        "median_grade": statistics.median(grades),
        "worst_grade": max(grades),
        "pages_at_or_under_goal": sum(grade <= GOAL for grade in grades),
        "goal": GOAL,
    }
    if args.format == "json":
        print(json.dumps({"summary": summary, "pages": pages}, indent=2))
        return
    width = max(len(str(page["page"])) for page in pages)
    print(f"{'page':<{width}}  grade  words  longest sentence")
    for page in pages:
        flag = "" if float(page["grade"]) <= GOAL else "  over goal"  # type: ignore[arg-type]
        print(f"{page['page']!s:<{width}}  {page['grade']:>5}  {page['words']:>5}  {page['longest_sentence']:>5}{flag}")
    print(
        f"\n{summary['pages_at_or_under_goal']} of {summary['pages']} pages at grade {GOAL:g} or under; "
        f"median grade {summary['median_grade']:.1f}, worst {summary['worst_grade']:.1f} (Flesch-Kincaid, textstat)"
    )


if __name__ == "__main__":
    main()
