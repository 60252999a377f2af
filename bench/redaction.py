"""Benchmark: redaction recall and precision per type on the labelled testimonies, and throughput.

Prints figures; it is not a test. Run it from the repository with the project's virtual environment:

    .venv/bin/python bench/redaction.py
    .venv/bin/python bench/redaction.py --show-errors
    .venv/bin/python bench/redaction.py --format json
    .venv/bin/python bench/redaction.py --fixture tests/analysis/fixtures/redaction_independent.jsonl
    .venv/bin/python bench/redaction.py --names rules       # one part of the name finding alone: rules | tagger

Fixture: tests/analysis/fixtures/redaction_testimonies.jsonl (realistic testimonies with planted,
safe identifiers, each labelled with its type and character span). A labelled span is *found* when
placeholders cover it wholly ("typed" when the placeholder has the labelled type); a placeholder is
*correct* when it overlaps a labelled span. Structured identifiers are EMAIL, PHONE, NHS_NUMBER,
NI_NUMBER, POSTCODE, REGISTRATION_NUMBER, STAFF_NUMBER and DATE. Goals: recall >= 0.98 on structured
identifiers, >= 0.9 on names.

Throughput: the redaction of the pxtextmining comments (../shared/data/pxtextmining/text_data.csv,
10,334 real NHS comments), when present, in texts per second, beside an anchor timed in the same run:
the redactor as it was before the learned tagger (commit ANCHOR_COMMIT, read with `git show`), so that
the ratio holds however busy the machine is. `--no-anchor` skips it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.redaction import NAME_SOURCES, STRUCTURED_TYPES, redact  # noqa: E402
from tests.analysis.redaction_scoring import FIXTURE, load_fixture, score, table, totals  # noqa: E402

COMMENTS = ROOT.parent / "shared" / "data" / "pxtextmining" / "text_data.csv"
ANCHOR_COMMIT = "9790dd7"
"""The last commit whose analysis/redaction.py was one module of rules, before the learned tagger."""


def _anchor():  # type: ignore[no-untyped-def]
    """The old redactor's `redact`, loaded from git, or None outside a git checkout."""
    import subprocess
    import types

    try:
        source = subprocess.run(
            ["git", "show", f"{ANCHOR_COMMIT}:analysis/redaction.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("redaction_anchor")
    sys.modules["redaction_anchor"] = module
    exec(compile(source, "redaction_anchor.py", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module.redact


_MEMORY_PROBE = """
import re, sys
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
before = rss()
from analysis.redaction import redact
redact("Chinonso told Mr Green on 12/4 at 3pm, call 07700 900123.")
print(before, rss())
"""


def _memory() -> dict[str, float] | None:
    """RSS of a fresh Python process before and after importing the redactor and loading its model and lists
    (the web process pays the same once, on its first redaction)."""
    import subprocess

    if not Path("/proc/self/status").exists():
        return None
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    return {"rss_before_mib": before / 2**20, "rss_after_mib": after / 2**20, "growth_mib": (after - before) / 2**20}


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
    parser.add_argument(
        "--names", choices=["both", "rules", "tagger"], default="both", help="what finds names (default both)"
    )
    parser.add_argument("--no-anchor", action="store_true", help="do not time the old redactor beside this one")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (the best of each is kept)")
    args = parser.parse_args(argv)
    names = NAME_SOURCES if args.names == "both" else (args.names,)

    def run(text: str, terms=None):  # type: ignore[no-untyped-def]
        return redact(text, terms, names=names)

    records = load_fixture(args.fixture)
    scores = score(records, run)
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
        run(texts[0])  # load the model and lists before timing
        anchor = None if args.no_anchor else _anchor()
        if anchor is not None:
            anchor(texts[0])
        # Alternate the two, three rounds each, and keep each one's best round: the machine is shared,
        # and a burst of someone else's work then slows both alike instead of one.
        best = anchor_seconds = float("inf")
        redacted = []
        for _ in range(args.rounds):
            if anchor is not None:
                start = time.perf_counter()
                for t in texts:
                    anchor(t)
                anchor_seconds = min(anchor_seconds, time.perf_counter() - start)
            start = time.perf_counter()
            redacted = [run(t) for t in texts]
            best = min(best, time.perf_counter() - start)
        seconds = best
        if anchor is None:
            anchor_seconds = None
        report["throughput"] = {
            "texts": len(texts),
            "seconds": seconds,
            "texts_per_second": len(texts) / seconds,
            "texts_with_a_placeholder": sum(1 for r in redacted if r.spans),
            "placeholders_by_type": _count(redacted),
        }
        if anchor_seconds is not None:
            report["throughput"]["anchor"] = {
                "commit": ANCHOR_COMMIT,
                "texts_per_second": len(texts) / anchor_seconds,
                "speed_ratio": anchor_seconds / seconds,
            }
        if hasattr(os, "getloadavg"):
            report["load_average_1min"] = os.getloadavg()[0]
    memory = _memory()
    if memory is not None:
        report["memory"] = memory
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
        if "anchor" in t:
            a = t["anchor"]
            print(
                f"anchor (redactor at {a['commit']}): {a['texts_per_second']:.0f}/s; this one is {a['speed_ratio']:.2f}x "
                f"its speed (load average {report.get('load_average_1min', float('nan')):.2f})"
            )
    if "memory" in report:
        m = report["memory"]
        print(
            f"memory: a Python process grows by {m['growth_mib']:.1f} MiB (RSS {m['rss_before_mib']:.1f} -> "
            f"{m['rss_after_mib']:.1f} MiB) importing the redactor and loading its model and lists"
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
