"""Which respondent POSTs count as sent by another website (survey_app/cross_site.py)."""

from __future__ import annotations

import pytest

from survey_app.cross_site import is_cross_site, origin_of

OURS = "https://survey.example.nhs.uk"


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"sec-fetch-site": "same-origin"}, False),
        ({"sec-fetch-site": "none"}, False),
        ({"sec-fetch-site": "cross-site"}, True),
        ({"sec-fetch-site": "same-site"}, True),
        # Sec-Fetch-Site decides whatever Origin says (a browser that sends it is believed).
        ({"sec-fetch-site": "cross-site", "origin": OURS}, True),
        # Older browsers: Origin, else Referer, against PUBLIC_BASE_URL.
        ({"origin": OURS}, False),
        ({"origin": "https://SURVEY.example.nhs.uk:443"}, False),
        ({"origin": "http://survey.example.nhs.uk"}, True),
        ({"origin": "https://survey.example.nhs.uk.attacker.example"}, True),
        ({"origin": "https://attacker.example"}, True),
        ({"referer": f"{OURS}/s/wave"}, False),
        ({"referer": "https://attacker.example/s/wave"}, True),
        ({"origin": "https://attacker.example", "referer": f"{OURS}/s/wave"}, True),
        # No information: a client that is not a browser, or an old browser under our no-referrer policy.
        ({"origin": "null"}, False),
        ({}, False),
    ],
)
def test_cross_site_decision(headers: dict[str, str], refused: bool) -> None:
    assert is_cross_site(headers, OURS) is refused


def test_origins_are_compared_as_scheme_host_and_port() -> None:
    assert origin_of("HTTPS://Survey.Example.nhs.uk:443/path?q") == OURS
    assert origin_of("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert origin_of("http://[::1]:8000") == "http://[::1]:8000"
    assert origin_of("not a url") is None
    assert origin_of("http://host:99999") is None
