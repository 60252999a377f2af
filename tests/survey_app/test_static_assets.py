"""Static files for a phone on mobile data: fingerprinted URLs, cached a year, gzipped; pages still never cached."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.static_assets import build_id
from tests.survey_app.helpers import open_test_wave, web_settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    open_test_wave(settings, "bank-temporary-workers", "barts-bank")
    with TestClient(create_app(web_settings(settings))) as test_client:
        yield test_client


def test_pages_link_fingerprinted_files_that_are_cached_and_compressed(client: TestClient[Litestar]) -> None:
    page = client.get("/s/barts-bank")
    assert page.headers["cache-control"] == "no-store", "a page is never cached"
    css_url = re.search(r'href="(/assets/[0-9a-f]{16}/build/survey\.css)"', page.text).group(1)  # type: ignore[union-attr]
    js_url = re.search(r'src="(/assets/[0-9a-f]{16}/survey\.js)"', page.text).group(1)  # type: ignore[union-attr]
    for url, media in ((css_url, "text/css"), (js_url, "text/javascript")):
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert plain.headers["content-type"].startswith(media)
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) < len(plain.content) / (5 if media == "text/css" else 1)
        assert "set-cookie" not in plain.headers
    # What the files refer to relatively (the script's module, the stylesheet's images) shares the fingerprint.
    js = client.get(js_url).text
    assert './build/nhsuk-frontend.min.js' in js
    module = client.get(js_url.rsplit("/", 1)[0] + "/build/nhsuk-frontend.min.js")
    assert module.status_code == 200 and "immutable" in module.headers["cache-control"]
    css = client.get(css_url, headers={"Accept-Encoding": "gzip"})
    body = css.content if css.content[:2] != b"\x1f\x8b" else gzip.decompress(css.content)
    image = re.search(r'url\("?(assets/images/[^")]+)"?\)', body.decode()).group(1)  # type: ignore[union-attr]
    assert client.get(css_url.rsplit("/", 1)[0] + "/" + image).status_code == 200


def test_an_old_fingerprint_or_a_path_outside_the_folder_is_not_served(client: TestClient[Litestar]) -> None:
    assert client.get("/assets/0000000000000000/build/survey.css").status_code == 404
    assert client.get(f"/assets/{build_id()}/../app.py").status_code == 404
    assert client.get(f"/assets/{build_id()}/%2e%2e/app.py").status_code == 404
    assert client.get(f"/assets/{build_id()}/no-such-file.css").status_code == 404
