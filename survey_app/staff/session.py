"""Server-side sessions and CSRF protection for staff routes only.

Sessions live in Redis when REDIS_URL is set, so several web replicas share them; otherwise in
files under var/, which several workers of one host share.

- **No fixation.** A session id the store does not know (one a client chose, or planted through a
  sibling domain) is never adopted: the response carries a new id. Signing in (after the password,
  and again after the second factor) always moves to a new id and deletes the old one from the store.
- **Sessions end** after STAFF_IDLE_MINUTES without a request, 8 hours after sign-in whatever
  happens, and at once when the account's session epoch moves on (a new password or second factor,
  "sign out everywhere", `survey-app user disable`): every session carries the epoch it was made with.
- **CSRF** is Litestar's double-submit cookie, bound to the session: the CSRF cookie in use at sign-in
  is written into the session, and a staff POST whose cookie differs is refused; staff POSTs from
  another origin are refused too (survey_app/staff/access.py).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.types import Empty, Message, ScopeSession

from survey_app.config import Settings

SESSION_STORE = "staff_sessions"
SESSION_HOURS = 8


ROTATE = "staff_session_rotate"
_KNOWN = "staff_session_known"
_ID = "staff_session_id"
_ROTATED = "staff_session_rotated_id"


def rotate_session(connection: ASGIConnection) -> None:
    """Give this visit a new session id when the response is sent, deleting the old one from the store."""
    connection.scope.setdefault("state", {})[ROTATE] = True


class StaffSessionBackend(ServerSideSessionBackend):
    """Keeps nothing, and sets no cookie, for a visitor who is not signed in; never adopts an id it
    did not issue; moves to a new id at every sign-in step."""

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})[_KNOWN] = bool(data)
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        # The middleware asks before the handler runs; a sign-in step then asks for a new id.
        if state.get(ROTATE):
            if state.get(_ROTATED) is None:
                state[_ROTATED] = self.generate_session_id()
            return str(state[_ROTATED])
        if state.get(_ID) is None:
            cookie = connection.cookies.get(self.config.key)
            if cookie and state.get(_KNOWN) and not state.get(ROTATE):
                state[_ID] = cookie
            else:
                state[_ID] = self.generate_session_id()
        return str(state[_ID])

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
        state = connection.scope.get("state", {})
        old = connection.cookies.get(self.config.key)
        if old and (state.get(ROTATE) or scope_session is Empty):
            await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class StaffSessionConfig(ServerSideSessionConfig):
    _backend_class = StaffSessionBackend


def session_store(settings: Settings) -> Store:
    if settings.redis_url:
        return RedisStore.with_client(url=settings.redis_url, namespace="survey_app_sessions")
    return FileStore(settings.session_folder, create_directories=True)


def csrf_secret(settings: Settings) -> str:
    """One secret for every process: from CSRF_SECRET, else derived from the case key."""
    if settings.csrf_secret:
        return settings.csrf_secret
    if settings.case_key_file is not None and settings.case_key_file.exists():
        from survey_app.keys import read_secret_file
        from survey_app.sealing import derive_key

        case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
        return base64.urlsafe_b64encode(derive_key(case_secret, "survey_app csrf")).decode()
    return secrets.token_urlsafe(32)


def staff_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Session then CSRF middleware, to attach to staff routers (never app-wide)."""
    sessions = StaffSessionConfig(
        store=SESSION_STORE,
        key="staff_session",
        max_age=SESSION_HOURS * 3600,
        secure=settings.public_base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    csrf = CSRFConfig(
        secret=csrf_secret(settings),
        cookie_name="staff_csrf",
        cookie_secure=settings.public_base_url.startswith("https://"),
        cookie_samesite="strict",
        cookie_httponly=True,
    )
    return [sessions.middleware, DefineMiddleware(CSRFMiddleware, config=csrf)]
