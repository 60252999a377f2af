"""Test hook: a process that kills itself (SIGKILL) at a named step, to prove a rerun finishes the job.

Key operations (`keys rotate`, the worker's epoch rotation, key destruction) are sequences of
journaled steps. The tests set `SURVEY_TEST_KILL_AT=<operation>:<n>` to have the process SIGKILL
itself when it reaches the n-th step of that operation (or `<operation>:<label>` at the first step
with that label), then rerun it and check that every wave still opens and no response is lost.
Unset (always, outside those tests) this costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

VARIABLE = "SURVEY_TEST_KILL_AT"
_reached: Counter[str] = Counter()


def step(operation: str, label: str = "") -> None:
    """Mark that `operation` has just made one more of its steps durable."""
    target = os.environ.get(VARIABLE)
    if not target:
        return
    name, _, number = target.partition(":")
    if name != operation:
        return
    _reached[operation] += 1
    if str(_reached[operation]) == number or (label and number == label):
        os.kill(os.getpid(), signal.SIGKILL)
