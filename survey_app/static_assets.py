"""Static files as a phone on mobile data should get them: fingerprinted, cached for a year, gzipped.

Every page used to fetch ~0.35 MB again (`no-store`, uncompressed): about 6 MB for the bank survey.
Static files hold nothing personal, so they may be cached. Their URLs carry a fingerprint of the
whole static folder (`/assets/<build>/build/survey.css`); a new deployment has a new fingerprint,
so a year-long `immutable` cache never serves an old file, and an old fingerprint is a 404 rather
than a new file under an old name. Paths inside the folder stay relative (the CSS's images, the
script's module import), so they share the fingerprint. Text files are gzipped once, in memory.

Only static files are compressed. HTML pages carry secrets beside text a visitor chose (CSRF tokens
and typed answers on staff and survey pages), which is what compression side channels (BREACH)
need, and they are small.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

STATIC = Path(__file__).parent / "static"
PREFIX = "/assets"
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}


@lru_cache(maxsize=1)
def build_id() -> str:
    """A fingerprint of every file in the static folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def asset_url(path: str) -> str:
    """The fingerprinted URL of a file in the static folder, for templates."""
    return f"{PREFIX}/{build_id()}/{path.lstrip('/')}"


@lru_cache(maxsize=256)
def _load(relative: str) -> tuple[bytes, bytes | None, str]:
    path = (STATIC / relative).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        raise NotFoundException("No such file")
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type == "application/javascript":
        media_type = "text/javascript"
    zipped = gzip.compress(body, compresslevel=9, mtime=0) if media_type in COMPRESSIBLE else None
    return body, zipped, media_type


class AssetController(Controller):
    path = PREFIX
    include_in_schema = False

    @get("/{build:str}/{path:path}")
    async def asset(self, request: Request[Any, Any, Any], build: FromPath[str], path: FromPath[str]) -> Response[bytes]:
        if build != build_id():
            raise NotFoundException("This file belongs to another version of the service")
        body, zipped, media_type = _load(path.lstrip("/"))
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        if zipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(zipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
        return Response(body, media_type=media_type, headers=headers)
