"""Reading a JSON request body that anyone may have crafted: the media type, the depth, the text.

The respondent API is open to every origin, so its body is hostile until shown otherwise:

- Only `application/json` (415 otherwise). `text/plain`, form and missing types used to be read as
  JSON, which let any web page make its visitors' browsers post responses without a CORS preflight.
- At most `MAX_DEPTH` levels of arrays and objects (a response is three: the body, `answers`, a list
  of codes). JSON nested 1,000 deep in a 2 KB body used to end in a RecursionError (a 500).
- Text that is valid Unicode. JSON's `\\ud800` escape decodes to a lone surrogate, which Python
  keeps in a `str` but cannot encode as UTF-8, so sealing the response used to fail (a 500).

Each refusal is a `BodyError` whose message says what to fix, for a 4xx JSON answer.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 8
JSON_MEDIA_TYPE = "application/json"


class BodyError(ValueError):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json`, with any parameters (`; charset=utf-8`)."""
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def _check(value: Any, escapes: bool) -> None:
    """Depth and text of a decoded document, without recursion (a deep document must not recurse us).

    Only a `\\u` escape can put a lone surrogate into decoded text (the bytes were strict UTF-8), so
    text is looked at only when the body has one: a plain response costs a walk over its containers."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if type(item) is str:
            if escapes:
                _text(item)
            continue
        if type(item) not in (dict, list):
            continue
        if depth >= MAX_DEPTH:
            raise BodyError(400, "body", f"The body is nested more than {MAX_DEPTH} levels deep")
        if type(item) is dict:
            for key, child in item.items():
                if escapes:
                    _text(key)
                if type(child) in (dict, list, str):
                    stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item if type(child) in (dict, list, str))


def _text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(400, "body", "The body holds text that is not valid Unicode (a lone surrogate such as \\ud800)") from None


def read_json_body(content_type: str | None, raw: bytes) -> Any:
    """The decoded document, or BodyError (415 for another media type, 400 for anything unreadable)."""
    if not is_json_media_type(content_type):
        raise BodyError(415, "Content-Type", f"Send the body as {JSON_MEDIA_TYPE}")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BodyError(400, "body", "The body must be JSON") from None
    except RecursionError:
        raise BodyError(400, "body", f"The body is nested more than {MAX_DEPTH} levels deep") from None
    _check(document, escapes=b"\\u" in raw)
    return document
