"""Benchmark: discovered themes on real NHS feedback, against the human labels.

Prints figures; it is not a test. Run it from the repository with the project's virtual environment:

    .venv/bin/python bench/themes.py                    # 5 seeds, all 10,334 comments
    .venv/bin/python bench/themes.py --seeds 3 --limit 3000
    .venv/bin/python bench/themes.py --fixed-k 9 10 11 12   # also the deterministic fit at given k
    .venv/bin/python bench/themes.py --format json      # one JSON object only

Data: ../shared/data/pxtextmining/text_data.csv (10,334 comments, 9 labels, 44 subcategories; MIT,
copyright NHS England). The theming call is the production one, `analysis.theming.theme_texts`, with
the default settings (k chosen by stability, guided themes included): the same code path as
`survey-app themes`.

Figures:
- NMI: normalised mutual information (scikit-learn, arithmetic mean) between each text's discovered
  theme (its arg-max assignment) and the human label / subcategory; texts with no usable words form
  one group of their own. Reported per seed and as the mean.
- stability: mean pairwise adjusted Rand index (ARI) between the assignments of the runs with
  different seeds (and, beside it, the mean pairwise NMI between runs).
- time: wall-clock seconds of one whole `theme_texts` call (tokenising, vectors, k selection, the
  final fit, key phrases and the 11 guided themes), median over seeds; "cpu s" is the process CPU
  time of the same calls, the figure to trust when the machine is busy.

Baselines (../shared/data/README.md): scikit-learn NMF with NNDSVD 0.135 / 0.203, stability 0.999;
all-MiniLM-L6-v2 embeddings + k-means 0.242 / 0.296, stability 0.70. Goals: NMI >= 0.25 on the 9 labels
with stability >= 0.9, and 10,000 comments themed in under 60 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from analysis import theming  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pxtextmining" / "text_data.csv"


def load(path: Path, limit: int | None) -> tuple[list[str], list[str], list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if limit:
        rows = rows[:limit]
    return [r["feedback"] for r in rows], [r["label"] for r in rows], [r["subcategory"] for r in rows]


def run(args: argparse.Namespace) -> dict[str, Any]:
    texts, labels, subcategories = load(args.data, args.limit)
    runs = []
    for seed in range(args.seeds):
        wall, cpu = time.perf_counter(), time.process_time()
        result = theming.theme_texts(texts, seed=seed)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assignments = list(result.assignments)
        runs.append(
            {
                "seed": seed,
                "k": result.k,
                "stability_by_k": {str(k): round(v, 3) for k, v in result.stability.items()},
                "nmi_labels": normalized_mutual_info_score(labels, assignments),
                "nmi_subcategories": normalized_mutual_info_score(subcategories, assignments),
                "seconds": wall,
                "cpu_seconds": cpu,
                "themes": [
                    {"label": t.label, "count": t.count, "key_phrases": list(t.key_phrases[:6])}
                    for t in result.discovered
                ],
                "guided": [{"id": t.id, "count": t.count} for t in result.guided],
                "_assignments": assignments,
            }
        )
    pairs = list(combinations([r["_assignments"] for r in runs], 2))
    report: dict[str, Any] = {
        "data": str(args.data),
        "texts": len(texts),
        "seeds": args.seeds,
        "nmi_labels": statistics.mean(r["nmi_labels"] for r in runs),
        "nmi_subcategories": statistics.mean(r["nmi_subcategories"] for r in runs),
        "stability_ari": statistics.mean(adjusted_rand_score(a, b) for a, b in pairs) if pairs else 1.0,
        "stability_nmi": statistics.mean(normalized_mutual_info_score(a, b) for a, b in pairs) if pairs else 1.0,
        "seconds_median": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds_median": statistics.median(r["cpu_seconds"] for r in runs),
        "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs],
        "fixed_k": [],
    }
    for k in args.fixed_k:
        wall = time.perf_counter()
        assignments, *_ = theming.discover_themes(texts, k=k)
        report["fixed_k"].append(
            {
                "k": k,
                "nmi_labels": normalized_mutual_info_score(labels, assignments),
                "nmi_subcategories": normalized_mutual_info_score(subcategories, assignments),
                "seconds": time.perf_counter() - wall,
            }
        )
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"pxtextmining: {report['texts']} comments, {report['seeds']} seeds")
    print(f"{'seed':>4} {'k':>3} {'NMI 9':>6} {'NMI 44':>6} {'wall s':>7} {'cpu s':>6}  stability by k (mean pairwise ARI of subsample fits)")
    for r in report["runs"]:
        print(
            f"{r['seed']:4d} {r['k']:3d} {r['nmi_labels']:6.3f} {r['nmi_subcategories']:6.3f} "
            f"{r['seconds']:7.1f} {r['cpu_seconds']:6.1f}  {r['stability_by_k']}"
        )
    print(
        f"mean NMI vs 9 labels {report['nmi_labels']:.3f}, vs 44 subcategories {report['nmi_subcategories']:.3f}; "
        f"stability across seeds: mean pairwise ARI {report['stability_ari']:.3f} (NMI {report['stability_nmi']:.3f}); "
        f"time per run: median {report['seconds_median']:.1f} s wall, {report['cpu_seconds_median']:.1f} s cpu"
    )
    for row in report["fixed_k"]:
        print(f"  fixed k={row['k']}: NMI {row['nmi_labels']:.3f} / {row['nmi_subcategories']:.3f} ({row['seconds']:.1f} s)")
    print("themes of seed 0:")
    for t in report["runs"][0]["themes"]:
        print(f"  {t['count']:5d}  {t['label']}  ({', '.join(t['key_phrases'][3:])})")
    print("guided themes of seed 0: " + ", ".join(f"{g['id']} {g['count']}" for g in report["runs"][0]["guided"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="first N comments only")
    parser.add_argument("--fixed-k", type=int, nargs="*", default=[])
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 2
    report = run(args)
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
