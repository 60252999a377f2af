"""Benchmark: k-anonymous microdata on the Adult data set, ours beside anonypy (Mondrian).

Prints figures; it is not a test. Run it from the repository with the project's virtual environment:

    .venv/bin/python bench/kanonymity_adult.py                      # k = 5 and 11, with anonypy
    .venv/bin/python bench/kanonymity_adult.py --k 5 --repeat 5
    .venv/bin/python bench/kanonymity_adult.py --no-anonypy
    .venv/bin/python bench/kanonymity_adult.py --weight age=8       # keep age fine first
    .venv/bin/python bench/kanonymity_adult.py --anonypy-python /path/to/python
    .venv/bin/python bench/kanonymity_adult.py --format json        # one JSON object only

Data: ../shared/data/adult/ (30,162 records; the 8 quasi-identifiers are every column but
salary-class; ARX's generalisation hierarchies). salary-class is the sensitive attribute for
reporting: each row says how many published classes are homogeneous in it (everyone in the class
has the same salary class, so membership alone discloses it). A further row per k runs ours with
one-sided l-diversity on ">50K" (no published class where everyone earns more than 50K).

Ours is analysis.kanonymity.k_anonymise: global full-domain recoding, at most 2% of records
withheld, loss = normalised height (weights 1 unless --weight), tie-break discernibility. The runtime is the
median of --repeat runs of the whole call (search and building the release), data already loaded;
"cpu s" is the process CPU time of the same runs, the figure to trust when the machine is busy.

anonypy 0.2.1 is Mondrian, a local (multidimensional) recoding without suppression: its classes are
finer, so its discernibility is far lower, but local recoding is what the design rules out. It runs
in its own virtual environment (default /tmp/anonypy-venv, created with pip when missing) as a
subprocess; when that fails the rows are skipped with a note. Its runtime covers partitioning and
building the anonymised rows (Preserver.anonymize_k_anonymity), as in the published baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.kanonymity import GeneralisationHierarchy, KAnonymityResult, k_anonymise  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "adult"
DEFAULT_ANONYPY_VENV = Path("/tmp/anonypy-venv")
SENSITIVE = "salary-class"

# Runs inside anonypy's virtual environment; argv: data folder, then the k values. Prints JSON.
ANONYPY_RUNNER = r"""
import json, sys, time
import pandas as pd
from anonypy import anonypy, mondrian

folder, ks = sys.argv[1], [int(k) for k in sys.argv[2:]]
df = pd.read_csv(f"{folder}/adult.csv", sep=";")
features = [column for column in df.columns if column != "salary-class"]
for column in df.columns:
    if column != "age":
        df[column] = df[column].astype("category")
results = []
for k in ks:
    started, cpu_started = time.perf_counter(), time.process_time()
    model = mondrian.Mondrian(df, features, "salary-class")
    partitions = model.partition(k)
    rows = anonypy.anonymize(df, partitions, features, "salary-class")
    runtime, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    sizes = [len(partition) for partition in partitions]
    homogeneous = sum(1 for partition in partitions if df.loc[partition, "salary-class"].nunique() == 1)
    results.append({
        "k": k, "runtime_seconds": runtime, "cpu_seconds": cpu, "classes": len(partitions), "suppressed": 0,
        "discernibility": sum(size * size for size in sizes), "k_achieved": min(sizes),
        "average_class_size": len(df) / len(partitions) / k, "max_risk": 1 / min(sizes),
        "classes_homogeneous_in_salary": homogeneous, "output_rows": len(rows),
    })
print(json.dumps({"versions": {"pandas": pd.__version__}, "results": results}))
"""


def load_adult(folder: Path) -> tuple[np.ndarray, list[GeneralisationHierarchy], np.ndarray]:
    with open(folder / "adult.csv", newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    hierarchies = []
    for name in header:
        if name == SENSITIVE:
            continue
        with open(folder / f"adult_hierarchy_{name}.csv", newline="") as handle:
            hierarchies.append(GeneralisationHierarchy.from_generalisation_rows(name, list(csv.reader(handle, delimiter=";"))))
    records = np.stack([h.encode(row[header.index(h.name)] for row in rows) for h in hierarchies], axis=1)
    salary = np.array([row[header.index(SENSITIVE)] for row in rows])
    return records, hierarchies, salary


def homogeneous_classes(result: KAnonymityResult, salary: np.ndarray) -> int:
    """Published classes whose members all share one salary class."""
    _, class_of = np.unique(result.generalised, axis=0, return_inverse=True)
    class_of = class_of.ravel()
    high = salary[result.kept_indices] == ">50K"
    sizes = np.bincount(class_of)
    highs = np.bincount(class_of, weights=high)
    return int(np.sum((highs == 0) | (highs == sizes)))


def run_ours(
    records: np.ndarray,
    hierarchies: list[GeneralisationHierarchy],
    salary: np.ndarray,
    k: int,
    repeat: int,
    diverse: bool,
    weights: dict[str, float],
) -> dict[str, Any]:
    sensitive = (salary == ">50K") if diverse else None
    runs, cpu = [], []
    for _ in range(repeat):
        cpu_started = time.process_time()
        runs.append(k_anonymise(records, hierarchies, k, sensitive=sensitive, weights=weights))
        cpu.append(time.process_time() - cpu_started)
    result = runs[0]
    return {
        "method": "ours, global recoding" + (" + one-sided l (>50K)" if diverse else ""),
        "k": k,
        "runtime_seconds": statistics.median(run.runtime_seconds for run in runs),
        "cpu_seconds": statistics.median(cpu),
        "suppressed": result.suppressed,
        "classes": result.classes,
        "discernibility": result.discernibility,
        "average_class_size": result.average_class_size,
        "k_achieved": result.k_achieved,
        "max_risk": result.max_risk,
        "mean_risk": result.mean_risk,
        "nodes_evaluated": result.nodes_evaluated,
        "lattice_size": result.lattice_size,
        "levels": result.levels,
        "classes_homogeneous_in_salary": homogeneous_classes(result, salary),
    }


def anonypy_python(explicit: str | None, notes: list[str]) -> str | None:
    """A Python with anonypy 0.2.1: the one given, or /tmp/anonypy-venv (created when missing)."""
    if explicit:
        return explicit
    python = DEFAULT_ANONYPY_VENV / "bin" / "python"
    if not python.exists():
        steps = [
            [sys.executable, "-m", "venv", str(DEFAULT_ANONYPY_VENV)],
            [str(python), "-m", "pip", "install", "--quiet", "anonypy==0.2.1", "pandas"],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                notes.append(f"anonypy skipped: {' '.join(step[:4])} failed: {done.stderr.strip()[-300:]}")
                return None
    return str(python)


def run_anonypy(python: str, folder: Path, ks: list[int], notes: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [python, "-c", ANONYPY_RUNNER, str(folder), *map(str, ks)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        notes.append(f"anonypy skipped: it failed: {done.stderr.strip()[-500:]}")
        return []
    output = json.loads(done.stdout.strip().splitlines()[-1])
    return [{"method": "anonypy 0.2.1 (Mondrian)", **row} for row in output["results"]]


def print_table(report: dict[str, Any]) -> None:
    print(
        f"Adult: {report['records']:,} records, {report['quasi_identifiers']} quasi-identifiers, "
        f"lattice {report['lattice_size']:,} nodes, {report['cpus']} cores, max suppression 2%"
    )
    header = f"{'method':<42} {'k':>3} {'runtime s':>10} {'cpu s':>8} {'suppressed':>10} {'classes':>8} {'discernibility':>15} {'C_avg':>7} {'max risk':>9} {'nodes':>6} {'salary-homog.':>13}"
    print(header)
    print("-" * len(header))
    for row in sorted(report["rows"], key=lambda r: (r["k"], r["method"])):
        nodes = row.get("nodes_evaluated", "-")
        print(
            f"{row['method']:<42} {row['k']:>3} {row['runtime_seconds']:>10.3f} {row['cpu_seconds']:>8.3f} {row['suppressed']:>10,} "
            f"{row['classes']:>8,} {row['discernibility']:>15,} {row['average_class_size']:>7.2f} "
            f"{row['max_risk']:>9.3f} {nodes:>6} {row['classes_homogeneous_in_salary']:>13,}"
        )
    for row in report["rows"]:
        if "levels" in row:
            print(f"levels, {row['method']}, k={row['k']}: {row['levels']}")
    for note in report["notes"]:
        print(f"note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[5, 11])
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours per k (the median runtime is shown)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--anonypy-python", help="a Python that has anonypy 0.2.1 and pandas")
    parser.add_argument("--no-anonypy", action="store_true")
    parser.add_argument("--weight", action="append", default=[], metavar="NAME=W", help="a loss weight (default 1)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    arguments = parser.parse_args()
    if not (arguments.data / "adult.csv").exists():
        sys.exit(f"Adult data set not found in {arguments.data}")

    weights = {name: float(value) for name, value in (item.split("=", 1) for item in arguments.weight)}
    notes: list[str] = []
    started = time.perf_counter()
    records, hierarchies, salary = load_adult(arguments.data)
    load_seconds = time.perf_counter() - started
    rows = []
    for k in arguments.k:
        for diverse in (False, True):
            rows.append(run_ours(records, hierarchies, salary, k, arguments.repeat, diverse, weights))
    if arguments.no_anonypy:
        notes.append("anonypy skipped: --no-anonypy")
    else:
        python = anonypy_python(arguments.anonypy_python, notes)
        if python:
            rows.extend(run_anonypy(python, arguments.data, arguments.k, notes))
    notes.append(
        "anonypy is local (multidimensional) recoding without suppression; ours is global full-domain "
        "recoding, which the design requires: discernibility is not like for like"
    )
    report = {
        "records": int(records.shape[0]),
        "weights": weights,
        "quasi_identifiers": int(records.shape[1]),
        "lattice_size": rows[0]["lattice_size"],
        "cpus": os.cpu_count(),
        "load_seconds": load_seconds,
        "rows": rows,
        "notes": notes,
    }
    if arguments.format == "json":
        print(json.dumps(report))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
