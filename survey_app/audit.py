"""The audit log of staff and operator actions (never of respondents)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, insert

from survey_app.storage.models import AuditEvent


def record_audit(connection: Connection, actor: str, action: str, **detail: Any) -> None:
    connection.execute(
        insert(AuditEvent).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
    )
