"""Benchmark: bytes a phone downloads for the bank survey journey, with JavaScript on.

Prints figures; it is not a test:

    .venv/bin/python bench/page_bytes.py

Walks the bank-temporary-workers journey through the real app (landing, Start, every page with
answers, check, submit) and, on each page, fetches what a browser with JavaScript on fetches: the
stylesheet, the script and the module it imports, the favicons, and the images the stylesheet uses
on that page. It counts bytes as a browser would, honouring the headers the app sends: a response
cached with max-age is fetched once per journey, a `no-store` one on every page, and gzip bodies
are counted compressed. The anchor, in the same run, is the same walk counted as the app served it
before (every file `no-store` and uncompressed): the old /static URLs, still served. Goal: under
600 KB with JavaScript on.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar.testing import TestClient  # noqa: E402

from survey_app.app import create_app  # noqa: E402
from survey_app.config import Settings  # noqa: E402
from survey_app.keys import write_secret_file  # noqa: E402
from survey_app.storage.database import upgrade  # noqa: E402
from tests.survey_app.helpers import open_test_wave, web_settings  # noqa: E402
from tests.survey_app.test_respond_pages import Respondent  # noqa: E402

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
LINKED = re.compile(r'(?:href|src)="(/(?:assets|static)/[^"]+)"')


def subresources(client: TestClient, html: str) -> list[str]:
    urls = LINKED.findall(html)
    for url in list(urls):
        if url.endswith("survey.js"):  # its module import, relative to it
            urls.append(url.rsplit("/", 1)[0] + "/build/nhsuk-frontend.min.js")
        if url.endswith("survey.css"):
            css = client.get(url).content
            import gzip as _gzip

            text = (_gzip.decompress(css) if css[:2] == b"\x1f\x8b" else css).decode()
            base = url.rsplit("/", 1)[0]
            # Only images a phone draws on these pages: the header and footer icons, the arrow in links.
            urls += [f"{base}/{ref}" for ref in sorted(set(re.findall(r'url\("?(assets/images/[^")]+)"?\)', text)))[:2]]
    return urls


def weigh(client: TestClient, url: str) -> tuple[int, bool]:
    response = client.get(url, headers=GZIP)
    cached = "max-age" in response.headers.get("cache-control", "") and "no-store" not in response.headers.get("cache-control", "")
    raw = response.headers.get("content-length")
    return (int(raw) if raw is not None else len(response.content)), cached


def journey(client: TestClient, slug: str, old_urls: bool) -> tuple[int, int, int]:
    """(HTML bytes, static bytes, pages) for one journey."""
    person = Respondent(client, slug)
    pages = [person.get()]
    screen = person.press("start")
    while not screen.is_check_page:
        pages.append(screen)
        screen = person.press("continue", person.answer_everything())
    pages.append(screen)
    pages.append(person.press("submit"))
    seen: set[str] = set()
    html_bytes = sum(len(page.response.content) for page in pages)
    static_bytes = 0
    for page in pages:
        html = page.html
        if old_urls:  # what the pages linked before: the unfingerprinted paths
            html = re.sub(r"/assets/[0-9a-f]+/", "/static/", html)
        for url in subresources(client, html):
            if old_urls:
                # Before: no-store and no compression, so every page fetched everything again.
                static_bytes += len(client.get(url).content)
                continue
            if url in seen:
                continue
            size, cached = weigh(client, url)
            static_bytes += size
            if cached:
                seen.add(url)
    return html_bytes, static_bytes, len(pages)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        write_secret_file(base / "kek.key")
        write_secret_file(base / "case.key")
        url = f"sqlite:///{base / 'survey.db'}"
        upgrade(url)
        settings = Settings(database_url=url, key_file=base / "kek.key", case_key_file=base / "case.key")
        slug = open_test_wave(settings, "bank-temporary-workers")
        with TestClient(create_app(web_settings(settings))) as client:
            before = journey(client, slug, old_urls=True)
            after = journey(client, slug, old_urls=False)
    for name, (html, static, pages) in (("before (no-store, uncompressed)", before), ("now", after)):
        print(f"{name:<33} {pages} pages: HTML {html / 1024:,.0f} KB + static {static / 1024:,.0f} KB = {(html + static) / 1024:,.0f} KB")
    print(f"ratio now/before: {(after[0] + after[1]) / (before[0] + before[1]):.3f} (goal: under 600 KB with JavaScript on)")


if __name__ == "__main__":
    main()
