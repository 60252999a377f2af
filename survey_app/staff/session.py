"""Server-side sessions and CSRF protection for staff routes only.

Sessions live in Redis when REDIS_URL is set, so several web replicas share them; otherwise in
files under var/, which several workers of one host share.
"""

from __future__ import annotations

import base64
import secrets

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
from litestar.types import Message, ScopeSession

from survey_app.config import Settings

SESSION_STORE = "staff_sessions"
SESSION_HOURS = 8


class StaffSessionBackend(ServerSideSessionBackend):
    """Keeps nothing, and sets no cookie, for a visitor who is not signed in."""

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
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
