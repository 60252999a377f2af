"""Headers on every response, errors included: nothing cached, no referrer, nothing from another host."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}


HSTS = "max-age=31536000; includeSubDomains"
ASSETS = "/assets/"


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in HEADERS.items():
                    # Fingerprinted static files keep their year-long cache (survey_app/static_assets.py).
                    if name == "Cache-Control" and scope.get("path", "").startswith(ASSETS) and message.get("status") == 200:
                        continue
                    headers[name] = value
                # Behind https, browsers must never use plain http here again (no cookie planted on a
                # first plain-http visit); the proxy should send it too (deploy/OPERATIONS.md).
                settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
                if settings is not None and settings.public_base_url.startswith("https://"):
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
