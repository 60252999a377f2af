"""Liveness and readiness probes."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text


class Probe(msgspec.Struct, omit_defaults=True):
    status: str
    reason: str | None = None


class HealthController(Controller):
    path = ""
    include_in_schema = True
    tags = ["operations"]

    @get("/healthz", sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @get(
        "/readyz",
        sync_to_thread=True,
        responses={503: ResponseSpec(Probe, generate_examples=False, description="The database does not answer")},
    )
    def readyz(self, request: Request) -> Response[Probe]:
        """The database answers and the schema is in place."""
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM wave"))
        except Exception as error:  # any failure means not ready; the reason goes to the operator
            return Response(
                Probe("not ready", f"database not ready: {type(error).__name__}"), status_code=503, headers={"Retry-After": "10"}
            )
        return Response(Probe("ready"))
