"""The worker loop: mixing (and, later, releasing) on a schedule."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("survey_app.worker")


def run_worker(mix_round: Callable[[], list[dict[str, Any]]], interval_seconds: int, once: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    log.info("worker started; mixing every %s s", interval_seconds)
    while not stopping.is_set():
        try:
            for report in mix_round():
                if report["responses_mixed"]:
                    log.info("mixed %s responses of %s", report["responses_mixed"], report["wave_slug"])
        except Exception:  # keep the schedule going; the operator sees the traceback
            log.exception("mixing round failed")
        if once:
            break
        stopping.wait(interval_seconds)
    log.info("worker stopped")
