"""Scores redaction against the labelled fixture: recall and precision per type (shared by the test and bench)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.redaction import Redaction, redact

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "redaction_testimonies.jsonl"


def load_fixture(path: Path = FIXTURE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class TypeScore:
    labelled: int = 0
    found: int = 0  # labelled spans wholly covered by placeholders (of any type)
    found_typed: int = 0  # ... covered by placeholders of the labelled type
    predicted: int = 0
    correct: int = 0  # predicted spans that overlap a labelled span
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def typed_recall(self) -> float:
        return self.found_typed / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def _covered(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    covered = [False] * (end - start)
    for s, e in spans:
        for i in range(max(s, start), min(e, end)):
            covered[i - start] = True
    # whitespace and punctuation inside a labelled span need not be covered
    return all(covered) if covered else True


def score(
    records: Iterable[Mapping[str, Any]], redactor: Callable[..., Redaction] = redact
) -> dict[str, TypeScore]:
    scores: dict[str, TypeScore] = {}
    for record in records:
        text = record["text"]
        result: Redaction = redactor(text, record.get("organisation_terms"))
        predicted = [(s.start, s.end, s.type) for s in result.spans]
        for label in record["spans"]:
            kind, start, end = label["type"], label["start"], label["end"]
            entry = scores.setdefault(kind, TypeScore())
            entry.labelled += 1
            if _covered(start, end, [(s, e) for s, e, _ in predicted]):
                entry.found += 1
            else:
                entry.misses.append(f"#{record['id']}: {text[start:end]!r}")
            if _covered(start, end, [(s, e) for s, e, k in predicted if k == kind]):
                entry.found_typed += 1
        for s, e, kind in predicted:
            entry = scores.setdefault(kind, TypeScore())
            entry.predicted += 1
            if any(s < label["end"] and label["start"] < e for label in record["spans"]):
                entry.correct += 1
            else:
                entry.false_positives.append(f"#{record['id']}: {text[s:e]!r}")
    return scores


def totals(scores: Mapping[str, TypeScore], kinds: Iterable[str]) -> TypeScore:
    total = TypeScore()
    for kind in kinds:
        if kind in scores:
            s = scores[kind]
            total.labelled += s.labelled
            total.found += s.found
            total.found_typed += s.found_typed
            total.predicted += s.predicted
            total.correct += s.correct
    return total


def table(scores: Mapping[str, TypeScore]) -> str:
    lines = [f"{'type':22} {'labelled':>8} {'found':>6} {'recall':>7} {'typed':>7} {'predicted':>9} {'precision':>9}"]
    for kind in sorted(scores):
        s = scores[kind]
        lines.append(
            f"{kind:22} {s.labelled:8d} {s.found:6d} {s.recall:7.3f} {s.typed_recall:7.3f} {s.predicted:9d} {s.precision:9.3f}"
        )
    return "\n".join(lines)


def counts_by_type(records: Iterable[Mapping[str, Any]]) -> Counter[str]:
    return Counter(label["type"] for record in records for label in record["spans"])
