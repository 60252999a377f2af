"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import HTTPException
from sqlalchemy import text


class HealthController(Controller):
    path = ""
    include_in_schema = True
    tags = ["operations"]

    @get("/healthz", sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @get("/readyz", sync_to_thread=True)
    def readyz(self, request: Request) -> dict[str, str]:
        """The database answers and the schema is in place."""
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM wave"))
        except Exception as error:  # any failure means not ready; the reason goes to the operator
            raise HTTPException(status_code=503, detail=f"database not ready: {type(error).__name__}") from None
        return {"status": "ready"}
