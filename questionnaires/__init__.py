"""The survey instruments: loading, validation and answer checking.

Instruments are YAML files in `instruments/` (format in SCHEMA.md). This package imports nothing
of ours, so the web app, the analysis and the tests all read instruments the same way.
"""

from questionnaires.answers import AnswerErrors, strip_bidi_controls, validate_answers
from questionnaires.instrument import (
    Condition,
    Hierarchy,
    Instrument,
    InstrumentError,
    Option,
    Page,
    Question,
    Routing,
    instrument_names,
    load_all,
    load_instrument,
    parse_instrument,
)

__all__ = [
    "AnswerErrors",
    "Condition",
    "Hierarchy",
    "Instrument",
    "InstrumentError",
    "Option",
    "Page",
    "Question",
    "Routing",
    "instrument_names",
    "load_all",
    "load_instrument",
    "parse_instrument",
    "strip_bidi_controls",
    "validate_answers",
]
