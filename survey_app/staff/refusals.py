"""The audit log of refused staff reads: a guardian probing another organisation's case ids, or an
EDI lead trying /ftsu, leaves a row (route, status, account), as successful reads always have.

An ASGI middleware on the staff routers only (respondent routes keep no log of any kind): when a
response starts with 403 or 404, one audit row names the signed-in account (or says no one was
signed in), the method and the path. Nothing about respondents passes through these routes.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from survey_app.audit import record_audit

REFUSED = {403, 404}


def _actor(scope: Scope) -> str:
    member = scope.get("state", {}).get("staff_member")
    if member is not None:
        return str(member.email)
    session: Any = scope.get("session")
    if isinstance(session, dict) and session.get("account_id"):
        return f"account {session['account_id']}"
    return "(not signed in)"


def audit_refusals_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_and_audit(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in REFUSED:
                engine = scope["app"].state.engine
                actor, path, method, status = _actor(scope), scope["path"][:300], scope["method"], message["status"]

                def record() -> None:
                    with engine.begin() as db:
                        record_audit(db, actor, "staff.refused", method=method, path=path, status=status)

                await anyio.to_thread.run_sync(record)
            await send(message)

        await app(scope, receive, send_and_audit)

    return middleware
