"""Benchmark: redaction recall and precision per type on the labelled testimonies, and throughput.

Prints figures; it is not a test. Run it from the repository with the project's virtual environment:

    .venv/bin/python bench/redaction.py
    .venv/bin/python bench/redaction.py --show-errors
    .venv/bin/python bench/redaction.py --format json
    .venv/bin/python bench/redaction.py --fixture tests/analysis/fixtures/redaction_independent.jsonl

Fixture: tests/analysis/fixtures/redaction_testimonies.jsonl (realistic testimonies with planted,
safe identifiers, each labelled with its type and character span). A labelled span is *found* when
placeholders cover it wholly ("typed" when the placeholder has the labelled type); a placeholder is
*correct* when it overlaps a labelled span. Structured identifiers are EMAIL, PHONE, NHS_NUMBER,
NI_NUMBER, POSTCODE, REGISTRATION_NUMBER, STAFF_NUMBER and DATE. Goals: recall >= 0.98 on structured
identifiers, >= 0.9 on names.

Throughput: the redaction of the pxtextmining comments (../shared/data/pxtextmining/text_data.csv,
10,334 real NHS comments), when present, in texts per second.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.redaction import STRUCTURED_TYPES, redact  # noqa: E402
from tests.analysis.redaction_scoring import FIXTURE, load_fixture, score, table, totals  # noqa: E402

COMMENTS = ROOT.parent / "shared" / "data" / "pxtextmining" / "text_data.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--fixture",
        type=Path,
        default=FIXTURE,
        help="labelled JSONL (default: the main fixture). Three more, each written by another author without "
        "reading the redactor, in tests/analysis/fixtures/: redaction_independent.jsonl and "
        "redaction_holdout.jsonl (their misses guided the last changes to the redactor) and "
        "redaction_holdout2.jsonl (never used to change it: keep it that way, or write a new one)",
    )
    args = parser.parse_args(argv)

    records = load_fixture(args.fixture)
    scores = score(records)
    structured = totals(scores, STRUCTURED_TYPES)
    report = {
        "testimonies": len(records),
        "types": {
            kind: {
                "labelled": s.labelled,
                "found": s.found,
                "recall": s.recall,
                "typed_recall": s.typed_recall,
                "predicted": s.predicted,
                "precision": s.precision,
                "misses": s.misses,
                "false_positives": s.false_positives,
            }
            for kind, s in sorted(scores.items())
        },
        "structured": {"recall": structured.recall, "precision": structured.precision},
        "names": {"recall": scores["NAME"].recall, "precision": scores["NAME"].precision},
    }
    if COMMENTS.exists():
        with open(COMMENTS, newline="", encoding="utf-8") as handle:
            texts = [row["feedback"] for row in csv.DictReader(handle)]
        start = time.perf_counter()
        redacted = [redact(t) for t in texts]
        seconds = time.perf_counter() - start
        report["throughput"] = {
            "texts": len(texts),
            "seconds": seconds,
            "texts_per_second": len(texts) / seconds,
            "texts_with_a_placeholder": sum(1 for r in redacted if r.spans),
            "placeholders_by_type": _count(redacted),
        }
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(records)} labelled testimonies")
    print(table(scores))
    print(
        f"structured identifiers: recall {structured.recall:.3f}, precision {structured.precision:.3f}; "
        f"names: recall {scores['NAME'].recall:.3f}, precision {scores['NAME'].precision:.3f}"
    )
    if "throughput" in report:
        t = report["throughput"]
        print(
            f"pxtextmining: {t['texts']} comments in {t['seconds']:.2f} s ({t['texts_per_second']:.0f}/s); "
            f"{t['texts_with_a_placeholder']} with a placeholder: {t['placeholders_by_type']}"
        )
    if args.show_errors:
        for kind, s in sorted(scores.items()):
            for miss in s.misses:
                print(f"miss {kind}: {miss}")
            for fp in s.false_positives:
                print(f"false positive {kind}: {fp}")
    return 0


def _count(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        for span in result.spans:
            counts[span.type] = counts.get(span.type, 0) + 1
    return dict(sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
