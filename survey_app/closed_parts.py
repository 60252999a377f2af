"""The closed-answer part format: one fixed-size binary record per response, read back as columns.

A wave opened since format 2 seals each response's closed answers as one byte `COLUMNAR_FORMAT`
followed by, for each closed question of the wave's own instrument in instrument order:

- a single-choice answer: uint16, little-endian, 1 + the chosen option's position (0: not answered);
- a multiple-choice answer: ceil(options / 8) bytes, bit j (least significant first) set when
  option j was chosen.

Every record of a wave has the same length, so the release reads a million parts as one numpy
buffer instead of decoding a million JSON documents: opening 1,000,000 responses into columns takes
a fraction of a second rather than most of a minute.

Waves opened before format 2 keep sealing JSON (`{"answers": {...}}`, `JSON_FORMAT`) until they end,
so within one wave every part stays the same size and nothing tells parts mixed before an upgrade
from parts mixed after it. Their parts are converted to records when opened.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.tables import Column
from questionnaires import Instrument, Question
from survey_app.sealing import bucket_size

JSON_FORMAT = 1
COLUMNAR_FORMAT = 2
_FORMAT_BYTE = bytes([COLUMNAR_FORMAT])
_JSON_START = b"{"
# Records decoded together: about 2 MB of records, which stay in a 2 MiB processor cache.
DECODE_BLOCK = 16384


class ClosedPartError(ValueError):
    """A response or a part that does not fit the wave's closed-answer layout."""


def closed_questions(instrument: Instrument) -> list[Question]:
    """The questions a closed-answer part carries: every question with options that is not free
    text and not a testimony attribute (those travel with the testimony instead)."""
    return [
        question
        for question in instrument.questions.values()
        if question.options and not question.is_free_text and question.id not in instrument.testimony_attributes
    ]


@dataclass(frozen=True)
class ClosedPartLayout:
    """Where each closed question of one wave's instrument sits in a record."""

    questions: tuple[Question, ...]
    dtype: np.dtype
    # Option position of each code, per question.
    positions: Mapping[str, Mapping[int, int]]

    @classmethod
    def of(cls, instrument: Instrument) -> ClosedPartLayout:
        questions = tuple(closed_questions(instrument))
        fields: list[tuple[str, Any]] = [("format", "u1")]
        for question in questions:
            if question.type == "multiple":
                fields.append((question.id, ("u1", (_mask_bytes(question),))))
            else:
                if len(question.options) >= 1 << 16:
                    raise ClosedPartError(f"question {question.id} has too many options for a record")
                fields.append((question.id, "<u2"))
        positions = {q.id: {option.code: j for j, option in enumerate(q.options)} for q in questions}
        return cls(questions, np.dtype(fields), positions)

    @property
    def record_size(self) -> int:
        return self.dtype.itemsize

    @property
    def padded_size(self) -> int:
        """The size every sealed record of the wave is padded to."""
        return bucket_size(self.record_size)

    def encode(self, answers: Mapping[str, Any]) -> bytes:
        """One response's closed answers as a record."""
        unknown = set(answers) - set(self.positions)
        if unknown:
            raise ClosedPartError(f"not closed questions of this wave: {', '.join(sorted(unknown))}")
        chunks = [_FORMAT_BYTE]
        for question in self.questions:
            value = answers.get(question.id)
            positions = self.positions[question.id]
            if question.type == "multiple":
                mask = 0
                for code in value or ():
                    mask |= 1 << self._position(question, positions, code)
                chunks.append(mask.to_bytes(_mask_bytes(question), "little"))
            else:
                position = -1 if value is None else self._position(question, positions, value)
                chunks.append(struct.pack("<H", position + 1))
        return b"".join(chunks)

    @staticmethod
    def _position(question: Question, positions: Mapping[int, int], code: Any) -> int:
        position = positions.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
        if position is None:
            raise ClosedPartError(f"{code!r} is not an answer code of question {question.id}")
        return position

    def records(self, plaintexts: Iterable[bytes]) -> np.ndarray:
        """Opened part plaintexts (records, or JSON from a wave opened before records) as one array."""
        buffer = bytearray()
        size = self.record_size
        count = 0
        for plaintext in plaintexts:
            if plaintext[:1] == _JSON_START:
                plaintext = self.encode(json.loads(plaintext)["answers"])
            if len(plaintext) != size or plaintext[:1] != _FORMAT_BYTE:
                raise ClosedPartError("a closed-answer part does not match the wave's layout")
            buffer += plaintext
            count += 1
        return np.frombuffer(buffer, dtype=self.dtype, count=count)  # over the buffer itself: no copy

    def columns(self, records: np.ndarray) -> dict[str, Column]:
        """A column per closed question, straight from the records' fixed positions.

        Read a block of records at a time: each field of a block is then read from the processor's
        cache, where reading one field across every record would pass over the whole array once per
        question.
        """
        n = len(records)
        # Positions in the narrowest signed type that holds them (-1: no answer).
        index = {
            q.id: np.empty(n, dtype=np.int16 if len(q.options) < 1 << 15 else np.int32)
            for q in self.questions
            if q.type != "multiple"
        }
        chosen = {q.id: np.empty((n, len(q.options)), dtype=bool) for q in self.questions if q.type == "multiple"}
        for start in range(0, n, DECODE_BLOCK):
            block = records[start : start + DECODE_BLOCK]
            stop = start + len(block)
            for question_id, positions in index.items():
                # Stored as 1 + position, 0 for no answer: position -1.
                np.subtract(block[question_id], 1, out=positions[start:stop], dtype=positions.dtype)
            for question_id, picked in chosen.items():
                bits = np.unpackbits(block[question_id], axis=1, count=picked.shape[1], bitorder="little")
                picked[start:stop] = bits.view(bool)
        columns: dict[str, Column] = {}
        for question in self.questions:
            codes = [option.code for option in question.options]
            if question.id in chosen:
                columns[question.id] = Column(question.id, codes, chosen[question.id])
                continue
            positions = index[question.id]
            # A stored value past the options is >= len(codes), or below -1 once wrapped into int16.
            if n and (int(positions.max()) >= len(codes) or int(positions.min()) < -1):
                raise ClosedPartError(f"a closed-answer part has an answer to {question.id} that is not an option")
            columns[question.id] = Column(question.id, codes, index=positions)
        return columns

    def answers(self, records: np.ndarray) -> list[dict[str, Any]]:
        """The records as answers again ({question: code, or a list of codes}), for checks and tests."""
        values = {question_id: column.values() for question_id, column in self.columns(records).items()}
        return [
            {question_id: column[i] for question_id, column in values.items() if column[i] is not None}
            for i in range(len(records))
        ]


class ClosedPartFormat:
    """How a wave seals closed answers: records (`COLUMNAR_FORMAT`), or JSON for waves opened before them."""

    def __init__(self, instrument: Instrument, part_format: int) -> None:
        self.columnar = part_format == COLUMNAR_FORMAT
        self.layout = ClosedPartLayout.of(instrument)
        self.padded_size = self.layout.padded_size if self.columnar else legacy_json_part_size(instrument)

    def plaintext(self, answers: Mapping[str, Any]) -> bytes:
        return self.layout.encode(answers) if self.columnar else legacy_json_part(answers)


def _mask_bytes(question: Question) -> int:
    return max(1, (len(question.options) + 7) // 8)


def legacy_json_part(answers: Mapping[str, Any]) -> bytes:
    """The plaintext of a closed-answer part of a wave opened before records (`JSON_FORMAT`)."""
    return _json({"answers": answers})


def legacy_json_part_size(instrument: Instrument) -> int:
    """The one padded size of a `JSON_FORMAT` wave's parts: the size of every question answered."""
    everything: dict[str, Any] = {}
    for question in instrument.questions.values():
        if question.is_free_text or question.id in instrument.testimony_attributes:
            continue
        codes: Sequence[int] = sorted(question.codes) or [0]
        everything[question.id] = codes if question.type == "multiple" else max(codes, key=lambda c: len(str(c)))
    return bucket_size(len(legacy_json_part(everything)))


def _json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
