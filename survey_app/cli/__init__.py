"""The `survey-app` command line. Reporting commands take `--format json` and then print JSON only.

One module per group of commands; importing them registers their commands on `main`.
"""

from survey_app.cli import (  # noqa: F401,E402
    accounts,
    ftsu,
    invitations,
    keys,
    organisations,
    processes,
    reports,
    responses,
    waves,
)
from survey_app.cli.base import main

__all__ = ["main"]
