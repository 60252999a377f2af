"""The two long-running processes: the web process and the worker."""

from __future__ import annotations

from typing import Any

import click

from survey_app.cli.base import Context, main
from survey_app.cli.ftsu import ftsu_round
from survey_app.cli.responses import mix_waves, release_waves


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Run the web process. It holds public keys only, never the key-encryption key."""
    import uvicorn

    from survey_app.logging import uvicorn_log_config

    uvicorn.run(
        "survey_app.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn's fast extras (pinned in pyproject.toml): uvloop's event loop, and httptools's
        # parser inside a protocol that times out slow clients (survey_app/server_protocol.py).
        loop="uvloop",
        http="survey_app.server_protocol:SlowClientProtocol",
        # No access log: a respondent's request must leave no line with their address.
        access_log=False,
        log_config=uvicorn_log_config(),
        server_header=False,
        proxy_headers=False,
    )


@main.command("worker")
@click.option("--once", is_flag=True, help="Run one round and stop.")
@click.pass_obj
def worker(context: Context, once: bool) -> None:
    """Mix, release and deliver concerns on a schedule. Holds the key-encryption key; run it apart from the web process."""
    import logging

    from survey_app.worker import run_worker

    context.case_secret()  # refuse to start without it: concerns are sealed with it

    def one_round() -> list[dict[str, Any]]:
        reports = mix_waves(context, None)
        release_waves(context, None, scheduled=True)
        # Urgent concerns every round; the daily drop when due; expiry of closed cases.
        dropped = ftsu_round(context, force=False)
        # Spent visit tokens past their week, or of closed waves (survey_app/spent_visits.py).
        # Drafts past their week (survey_app/drafts.py).
        from survey_app.drafts import delete_expired_drafts
        from survey_app.spent_visits import forget_spent_visits

        with context.engine.begin() as connection:
            forget_spent_visits(connection)
            delete_expired_drafts(connection)
        if dropped.urgent_cases or dropped.dropped or dropped.expired:
            logging.getLogger("survey_app.worker").info("FTSU: %s", dropped.describe())
        return reports

    run_worker(one_round, context.settings.worker_interval_seconds, once)
