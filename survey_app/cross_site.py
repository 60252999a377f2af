"""Is this POST from another website? Respondent routes refuse such requests, with no cookie to lean on.

A respondent's routes set no cookie, so the usual CSRF token (a cookie compared with a form field)
is not available, and a page on another site could post a form into a respondent's browser: that is
how a chosen visit token was once planted (survey_app/submissions.py). Browsers say where a request
came from:

1. `Sec-Fetch-Site` (every current browser): `same-origin` (our own form) and `none` (typed, a
   bookmark) are allowed; `cross-site` and `same-site` (a sibling host, which may be anyone's) are
   refused.
2. Browsers too old to send it: `Origin`, else the `Referer`'s origin, must be the origin of
   PUBLIC_BASE_URL.
3. Neither header with information: allowed. That is a client that is not a browser (curl, a test,
   a proxy's health check), or an old browser posting our own form: our pages send
   `Referrer-Policy: no-referrer`, under which the Fetch standard makes a browser send `Origin: null`
   and no Referer even for a same-origin form. Refusing `null` would lock out respondents on old
   phones; a hostile page can produce `null` too, so for those browsers this check gives nothing,
   and the other defences carry the weight: tokens are issued by the server, and a planted token
   neither drops anyone's response nor opens anyone's receipt.

The JSON API is for machines and stays open to other origins; it accepts only `application/json`,
which a page on another site cannot send without a CORS preflight that we never answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower case, default ports dropped; None if it has no host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port is None or port == default else f"{scheme}://{host}:{port}"


def is_cross_site(headers: Mapping[str, str], public_base_url: str) -> bool:
    """True when the browser says (or its headers show) that the request came from another site."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ALLOWED_FETCH_SITES
    ours = origin_of(public_base_url)
    origin = headers.get("origin")
    if origin is not None and origin.strip().lower() != "null":
        return origin_of(origin) != ours
    referer = headers.get("referer")
    if referer:
        return origin_of(referer) != ours
    return False
