"""Benchmark: anonymous submissions through the real web process, then the mixer, with a loss check.

Prints figures; it is not a test. Run it from the repository with the project's virtual environment:

    .venv/bin/python bench/submit.py                                  # SQLite, 1 server worker, 10 s
    .venv/bin/python bench/submit.py --workers 2 --clients 64
    .venv/bin/python bench/submit.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/submit.py --server-cpus 0 --client-cpus 1   # one core each
    .venv/bin/python bench/submit.py --format json                    # one JSON object only

What it does, all on 127.0.0.1 and in a fresh temporary folder that it always removes:

1. `survey-app keys init` (SURVEY_KEY_FILE and SURVEY_CASE_KEY_FILE point into the folder), a fresh
   database (a SQLite file in the folder, or with --database-url a new PostgreSQL database
   `bench_<random>` on that server, dropped at the end), `db upgrade`, `org add`, and
   `wave open --instrument bank-temporary-workers`.
2. Starts the real server, `survey-app serve --port <free> [--workers W]`, WITHOUT SURVEY_KEY_FILE in
   its environment (the web process never holds the key-encryption key), and waits for /readyz. Its
   OPEN_LINK_BUDGET is far above any rate (--open-link-budget): one client sending as fast as it can
   is exactly what the budget would refuse.
3. Pre-generates valid random responses (questionnaires.load_instrument, routing followed, option
   codes only, checked with validate_answers), then drives --clients concurrent connections: first
   GET /healthz (what the server and this client manage with no work behind the route, so the client
   is shown not to be the bottleneck), then POST /api/v1/waves/{wave}/responses, each for --seconds
   (or --requests in all). The load generator is `wrk` with a Lua script when it is installed
   (`apt-get install -y wrk`; much lighter than Python), else asyncio + httpx in --client-processes
   processes. Each phase stops issuing requests at its deadline and waits for every request in
   flight, so every 201 is counted exactly. CPU time of the server and of the client is measured,
   so the figures say which of the two used the cores.
4. Runs `survey-app mix` (timed) and checks that nothing was lost: inbox rows plus closed-answer
   parts of the wave equal the number of 201 responses (every generated response has closed answers).

Options worth knowing: --mix-during runs the real `survey-app worker` (every --worker-interval
seconds) while responses arrive and reports the inbox backlog it leaves; --profile FILE records the
server with py-spy (`pip install --target /tmp/pyspy py-spy`, not into the project venv) during the
submissions phase and prints where the time holding the GIL went. The figures include the cores
used by other processes on the machine: on a shared 2-core machine, read them before the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

try:
    import questionnaires  # noqa: F401  (installed in the venv, or on PYTHONPATH)
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires import Instrument, load_instrument, validate_answers  # noqa: E402

INSTRUMENT = "bank-temporary-workers"
ORG_SLUG = "bench-trust"
ORG_NAME = "Bench Trust"
WAVE_SLUG = "bench-bank"
GOALS = {"sqlite": 2000.0, "postgresql": 1000.0}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", None, ""}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

WORDS = (
    "shift bank agency ward manager rota nurse patient colleague night weekend induction training "
    "respect fair unfair allocation team agency locum staff handover break pay told asked felt left "
    "again every week never always sometimes support help listened ignored"
).split()


# --- responses ---------------------------------------------------------------------------------

def random_answers(instrument: Instrument, rng: random.Random, skip_share: float, text_share: float) -> dict[str, Any]:
    """One respondent's answers: routing followed page by page, codes from the instrument only."""
    answers: dict[str, Any] = {}
    for page in instrument.pages:
        for question in page.questions:
            if not question.is_shown(answers):
                continue
            if question.type == "text":
                if rng.random() < text_share:
                    length = rng.randint(8, 120)
                    answers[question.id] = " ".join(rng.choice(WORDS) for _ in range(length))[: question.max_length]
                continue
            if not question.required and rng.random() < skip_share:
                continue
            codes = sorted(question.codes)
            if question.type == "multiple":
                ordinary = [code for code in codes if code not in question.exclusive]
                if question.exclusive and (not ordinary or rng.random() < 0.1):
                    answers[question.id] = [rng.choice(sorted(question.exclusive))]
                else:
                    count = rng.randint(1, min(3, len(ordinary)))
                    answers[question.id] = sorted(rng.sample(ordinary, count))
            else:
                answers[question.id] = rng.choice(codes)
    return answers


def make_bodies(instrument: Instrument, count: int, seed: int, text_share: float) -> list[bytes]:
    rng = random.Random(seed)
    closed_ids = {
        q.id for q in instrument.questions.values() if not q.is_free_text and q.id not in instrument.testimony_attributes
    }
    bodies = []
    while len(bodies) < count:
        answers = random_answers(instrument, rng, skip_share=0.1, text_share=text_share)
        clean, errors = validate_answers(instrument, answers)
        if errors:
            raise SystemExit(f"bench: generated an invalid response: {errors}")
        # The loss check counts closed-answer parts, so every response must have closed answers.
        if not closed_ids & clean.keys():
            continue
        bodies.append(json.dumps({"answers": answers}, separators=(",", ":")).encode())
    return bodies


# --- processes and CPU time ------------------------------------------------------------------

def parse_cpus(raw: str | None) -> set[int] | None:
    if not raw:
        return None
    cpus: set[int] = set()
    for part in raw.split(","):
        if "-" in part:
            low, high = part.split("-")
            cpus.update(range(int(low), int(high) + 1))
        else:
            cpus.add(int(part))
    return cpus


NICENESS = 0  # set from --nice: scheduling priority of the server, worker and load generator


def pinned(cpus: set[int] | None):  # type: ignore[no-untyped-def]
    """What a child runs before exec: its cores (--server-cpus / --client-cpus) and --nice."""
    niceness = NICENESS

    def setup() -> None:
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        if niceness:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)

    return setup if cpus is not None or niceness else None


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in a process group (the server and its workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def named_cpu_seconds(name: str) -> float:
    """CPU time of every live process with this command name (the PostgreSQL server's processes)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                head, tail = handle.read().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] == name:
            fields = tail.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (everything but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def survey_app_command() -> list[str]:
    script = Path(sys.executable).parent / "survey-app"
    return [str(script)] if script.exists() else [sys.executable, "-m", "survey_app"]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        survey_app_command() + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"bench: survey-app {' '.join(args)} failed:\n{result.stderr}{result.stdout}")
    return result


def wait_ready(base_url: str, server: subprocess.Popen[bytes], log_path: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            raise SystemExit(f"bench: the server exited with code {server.returncode} before it was ready:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: the server was not ready within {seconds:.0f} s")


def stop_process_group(process: subprocess.Popen[Any] | None) -> None:
    """Stop a process we started in its own session, with its children (uvicorn's workers)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)


# --- databases -------------------------------------------------------------------------------

class Database:
    """A fresh database for one run: a SQLite file in the temp folder, or a new PostgreSQL database."""

    def __init__(self, server_url: str | None, folder: Path) -> None:
        from sqlalchemy.engine import make_url

        self.created: str | None = None
        self.admin_url: str | None = None
        if server_url is None:
            self.kind = "sqlite"
            self.url = f"sqlite:///{folder / 'bench.db'}"
            return
        parsed = make_url(server_url)
        if not parsed.drivername.startswith("postgres"):
            raise SystemExit("bench: --database-url must be a postgresql:// URL (SQLite is the default)")
        if parsed.host not in LOOPBACK_HOSTS:
            raise SystemExit("bench: only a PostgreSQL server on this machine (127.0.0.1) may be used")
        self.kind = "postgresql"
        self.admin_url = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"bench_{secrets.token_hex(6)}"
        self.url = parsed.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created = name

    def drop(self) -> None:
        if self.created is None or self.admin_url is None:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)')
        self.created = None

    def counts(self, wave_slug: str) -> dict[str, int]:
        from sqlalchemy import create_engine, text

        from survey_app.storage.database import normalise_url

        engine = create_engine(normalise_url(self.url))
        try:
            with engine.connect() as connection:
                wave_id = connection.execute(text("SELECT id FROM wave WHERE slug = :s"), {"s": wave_slug}).scalar_one()
                return {
                    table: connection.execute(
                        text(f"SELECT count(*) FROM {table} WHERE wave_id = :w"), {"w": wave_id}
                    ).scalar_one()
                    for table in ("inbox", "closed_answer_part", "testimony_part", "concern_part")
                }
        finally:
            engine.dispose()


# --- load: wrk ------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- Written by bench/submit.py. args: mode path bodies_file deadline quota done_dir
-- Each thread stops sending at the deadline (CLOCK_MONOTONIC, as Python's time.monotonic) or after
-- its quota, waits for every request it has in flight, then leaves a marker file; bench/submit.py
-- then stops wrk. So every response is counted, and nothing is cut off in flight.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk_id, bench_timespec_t *tp);
]]
local ts = ffi.new("bench_timespec_t")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

local prepared = {}
local n_prepared = 0
local next_index = 1
local deadline, quota, done_dir
local finished = false
local marked = false
sent, received, first_sent, last_received = 0, 0, 0, 0
statuses = {}

function init(args)
  local mode, path, bodies_file = args[1], args[2], args[3]
  deadline, quota, done_dir = tonumber(args[4]), tonumber(args[5]), args[6]
  if mode == "post" then
    local headers = {["Content-Type"] = "application/json"}
    for line in io.lines(bodies_file) do
      if #line > 0 then
        n_prepared = n_prepared + 1
        prepared[n_prepared] = wrk.format("POST", path, headers, line)
      end
    end
    next_index = (thread_id * 7919) % n_prepared + 1
  else
    n_prepared = 1
    prepared[1] = wrk.format("GET", path)
  end
end

local function mark_done()
  if finished and received >= sent and not marked then
    marked = true
    local f = io.open(done_dir .. "/done-" .. thread_id, "w")
    f:write("done")
    f:close()
  end
end

-- wrk calls delay() once before every request it sends (and request() once more, at start-up, to
-- check the script), so requests are counted here.
function delay()
  if finished or sent >= quota or now() >= deadline then
    finished = true
    mark_done()
    return 3600000
  end
  sent = sent + 1
  if first_sent == 0 then first_sent = now() end
  return 0
end

function request()
  local r = prepared[next_index]
  next_index = next_index % n_prepared + 1
  return r
end

function response(status, headers, body)
  received = received + 1
  statuses[status] = (statuses[status] or 0) + 1
  last_received = now()
  mark_done()
end

function done(summary, latency, requests)
  local s, r, first, last = 0, 0, math.huge, 0
  local merged = {}
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    r = r + t:get("received")
    local f, l = t:get("first_sent"), t:get("last_received")
    if f > 0 and f < first then first = f end
    if l > last then last = l end
    for code, n in pairs(t:get("statuses")) do merged[code] = (merged[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, string.format('"%d":%d', code, n)) end
  io.write(string.format(
    'BENCH_JSON {"sent":%d,"received":%d,"first":%.6f,"last":%.6f,"statuses":{%s},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d}}\n',
    s, r, first == math.huge and 0 or first, last, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write))
end
"""


def run_wrk(
    mode: str,
    base_url: str,
    path: str,
    bodies_file: Path,
    folder: Path,
    connections: int,
    threads: int,
    seconds: float | None,
    requests: int | None,
    max_seconds: float,
    cpus: set[int] | None,
) -> dict[str, Any]:
    script = folder / "load.lua"
    script.write_text(WRK_SCRIPT)
    done_dir = Path(tempfile.mkdtemp(prefix="wrk-done-", dir=folder))
    threads = max(1, min(threads, connections))
    quota = -(-requests // threads) if requests else 10**12
    limit = (seconds + 30) if seconds else max_seconds
    deadline = time.monotonic() + (seconds if seconds else max_seconds)
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(limit) + 1}s", "--timeout", "60s",
        "-s", str(script), f"{base_url}{path}", "--",
        mode, path, str(bodies_file), f"{deadline:.6f}", str(quota), str(done_dir),
    ]
    cpu_before = children_cpu_seconds()
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=pinned(cpus)
    )
    try:
        while process.poll() is None and time.monotonic() - started < limit + 5:
            if len(list(done_dir.glob("done-*"))) >= threads:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        stdout, stderr = process.communicate(timeout=limit + 15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise SystemExit(f"bench: wrk printed no figures:\n{stdout}\n{stderr}")
    raw = json.loads(lines[-1][len("BENCH_JSON "):])
    statuses = {int(code): count for code, count in raw["statuses"].items()}
    window = max(raw["last"] - raw["first"], 1e-9)
    return {
        "client": "wrk",
        "client_threads": threads,
        "sent": raw["sent"],
        "received": raw["received"],
        "statuses": statuses,
        "socket_errors": sum(raw["socket_errors"].values()),
        "seconds": window,
        "latency_ms": {
            "p50": raw["p50_us"] / 1000, "p90": raw["p90_us"] / 1000, "p99": raw["p99_us"] / 1000,
            "max": raw["max_us"] / 1000, "mean": raw["mean_us"] / 1000,
        },
        "client_cpu_seconds": children_cpu_seconds() - cpu_before,
    }


# --- load: Python ---------------------------------------------------------------------------

def _python_client(
    connection_end: Any,
    base_url: str,
    path: str,
    method: str,
    bodies: list[bytes],
    connections: int,
    deadline: float,
    quota: int,
    offset: int,
    cpus: set[int] | None,
) -> None:
    setup = pinned(cpus)
    if setup is not None:
        setup()
    import httpx

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def run() -> dict[str, Any]:
        statuses: Counter[str] = Counter()
        latencies: list[float] = []
        state = {"sent": 0, "next": offset, "first": 0.0, "last": 0.0}
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as client:

            async def one_connection() -> None:
                while state["sent"] < quota and time.monotonic() < deadline:
                    state["sent"] += 1
                    body = bodies[state["next"] % len(bodies)] if bodies else b""
                    state["next"] += 1
                    started = time.perf_counter()
                    if not state["first"]:
                        state["first"] = time.monotonic()
                    try:
                        if method == "POST":
                            response = await client.post(path, content=body, headers=headers)
                        else:
                            response = await client.get(path)
                        status = str(response.status_code)
                    except httpx.HTTPError as error:
                        status = type(error).__name__
                    latencies.append(time.perf_counter() - started)
                    statuses[status] += 1
                    state["last"] = time.monotonic()

            await asyncio.gather(*(one_connection() for _ in range(connections)))
        return {"statuses": dict(statuses), "latencies": latencies, "sent": state["sent"],
                "first": state["first"], "last": state["last"]}

    connection_end.send(asyncio.run(run()))
    connection_end.close()


def run_python_clients(
    method: str,
    base_url: str,
    path: str,
    bodies: list[bytes],
    connections: int,
    processes: int,
    seconds: float | None,
    requests: int | None,
    max_seconds: float,
    cpus: set[int] | None,
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    processes = max(1, min(processes, connections))
    deadline = time.monotonic() + (seconds if seconds else max_seconds)
    quota = -(-requests // processes) if requests else 10**12
    cpu_before = children_cpu_seconds()
    workers = []
    for index in range(processes):
        receiver, sender = context.Pipe(duplex=False)
        share = connections // processes + (1 if index < connections % processes else 0)
        process = context.Process(
            target=_python_client,
            args=(sender, base_url, path, method, bodies, share, deadline, quota, index * 7919, cpus),
            daemon=True,
        )
        process.start()
        sender.close()
        workers.append((process, receiver))
    results = []
    try:
        for process, receiver in workers:
            if receiver.poll((seconds or max_seconds) + 90):
                results.append(receiver.recv())
            process.join(timeout=30)
    finally:
        for process, _ in workers:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    if len(results) != processes:
        raise SystemExit("bench: a Python client process gave no figures")
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    for result in results:
        statuses.update(result["statuses"])
        latencies.extend(result["latencies"])
    latencies.sort()
    first = min(r["first"] for r in results if r["first"]) if any(r["first"] for r in results) else 0.0
    last = max(r["last"] for r in results)

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000 if latencies else 0.0

    converted = {int(k) if k.isdigit() else k: v for k, v in statuses.items()}
    return {
        "client": "python-httpx",
        "client_processes": processes,
        "sent": sum(r["sent"] for r in results),
        "received": sum(v for k, v in converted.items() if isinstance(k, int)),
        "statuses": {k: v for k, v in converted.items() if isinstance(k, int)},
        "socket_errors": sum(v for k, v in converted.items() if not isinstance(k, int)),
        "seconds": max(last - first, 1e-9),
        "latency_ms": {
            "p50": percentile(0.50), "p90": percentile(0.90), "p99": percentile(0.99),
            "max": latencies[-1] * 1000 if latencies else 0.0,
            "mean": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        },
        "client_cpu_seconds": children_cpu_seconds() - cpu_before,
    }


# --- one phase ------------------------------------------------------------------------------

def phase(
    options: argparse.Namespace,
    method: str,
    path: str,
    ok_status: int,
    base_url: str,
    bodies: list[bytes],
    bodies_file: Path,
    folder: Path,
    server_pgid: int,
    seconds: float | None,
    requests: int | None,
) -> dict[str, Any]:
    server_before = group_cpu_seconds(server_pgid)
    postgres_before = named_cpu_seconds("postgres")
    busy_before = machine_busy_seconds()
    load_before = os.getloadavg()[0]
    if options.client == "wrk":
        result = run_wrk(
            "post" if method == "POST" else "get", base_url, path, bodies_file, folder, options.clients,
            options.wrk_threads, seconds, requests, options.max_seconds, options.client_cpu_set,
        )
    else:
        result = run_python_clients(
            method, base_url, path, bodies if method == "POST" else [], options.clients, options.client_processes,
            seconds, requests, options.max_seconds, options.client_cpu_set,
        )
    server_cpu = group_cpu_seconds(server_pgid) - server_before
    postgres_cpu = named_cpu_seconds("postgres") - postgres_before
    busy = machine_busy_seconds() - busy_before
    ok = result["statuses"].get(ok_status, 0)
    # Answers other than the expected status, plus requests that got no answer (socket errors,
    # timeouts; counted once whether the client reports them as errors or as unanswered).
    errors = result["received"] - ok + max(result["socket_errors"], result["sent"] - result["received"])
    result.update(
        {
            "method": method,
            "path": path,
            "ok": ok,
            "errors": errors,
            "per_second": ok / result["seconds"],
            "server_cpu_seconds": server_cpu,
            # Cores busy on average during the phase (1.0 = one core fully used).
            "server_cores_used": server_cpu / result["seconds"],
            "client_cores_used": result["client_cpu_seconds"] / result["seconds"],
            "postgres_cores_used": max(0.0, postgres_cpu) / result["seconds"],
            # Everything else on the machine (other users' jobs): a busy machine makes figures low.
            "other_cores_used": max(0.0, busy - server_cpu - result["client_cpu_seconds"] - postgres_cpu)
            / result["seconds"],
            "load_average_before": load_before,
        }
    )
    return result


# --- the run --------------------------------------------------------------------------------

def run(options: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="survey-bench-", dir=options.tmpdir))
    server: subprocess.Popen[bytes] | None = None
    database: Database | None = None
    log_handle = None
    try:
        keys = folder / "keys"
        base_env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_KEY_FILE", "SURVEY_CASE_KEY_FILE", "DATABASE_URL")}
        cli_env = {
            **base_env,
            "SURVEY_KEY_FILE": str(keys / "kek.key"),
            "SURVEY_CASE_KEY_FILE": str(keys / "case.key"),
        }
        if options.mix_batch:
            cli_env["MIX_BATCH"] = str(options.mix_batch)
            if options.mix_batch < 11:  # below the deployment floor: a measurement, not a deployment
                cli_env["SURVEY_ALLOW_SMALL_THRESHOLDS"] = "1"
        run_cli(["keys", "init"], cli_env, folder)
        database = Database(options.database_url, folder)
        cli_env["DATABASE_URL"] = database.url
        run_cli(["db", "upgrade"], cli_env, folder)
        run_cli(["org", "add", "--headcount", "1000", "--name", ORG_NAME, "--slug", ORG_SLUG], cli_env, folder)
        run_cli(
            ["wave", "open", "--instrument", INSTRUMENT, "--org", ORG_SLUG, "--slug", WAVE_SLUG, "--format", "json"],
            cli_env,
            folder,
        )

        instrument = load_instrument(INSTRUMENT).with_organisations([ORG_NAME])
        bodies = make_bodies(instrument, options.bodies, options.seed, options.text_share)
        bodies_file = folder / "bodies.jsonl"
        bodies_file.write_bytes(b"\n".join(bodies) + b"\n")

        # The web process: the case key only, never the key-encryption key.
        server_env = {k: v for k, v in cli_env.items() if k != "SURVEY_KEY_FILE"}
        # The bench is one client sending as fast as it can: exactly what the open-link budget refuses.
        server_env["OPEN_LINK_BUDGET"] = str(options.open_link_budget)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = folder / "server.log"
        log_handle = open(log_path, "wb")
        server = subprocess.Popen(
            survey_app_command() + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(options.workers)],
            env=server_env,
            cwd=folder,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=pinned(options.server_cpu_set),
        )
        wait_ready(base_url, server, log_path)

        post_path = f"/api/v1/waves/{WAVE_SLUG}/responses"
        common = dict(base_url=base_url, bodies=bodies, bodies_file=bodies_file, folder=folder, server_pgid=server.pid)
        warmup = None
        if options.warmup > 0:
            warmup = phase(options, "POST", post_path, 201, seconds=options.warmup, requests=None, **common)
        healthz = phase(
            options, "GET", "/healthz", 200, seconds=options.seconds if not options.requests else None,
            requests=options.requests, **common,
        )
        worker: subprocess.Popen[bytes] | None = None
        worker_log_path = folder / "worker.log"
        if options.mix_during:
            # The real worker (mixer and scheduled release) running while responses arrive.
            worker_log = open(worker_log_path, "wb")
            worker = subprocess.Popen(
                survey_app_command() + ["worker"],
                env={**cli_env, "WORKER_INTERVAL_SECONDS": str(options.worker_interval)},
                cwd=folder,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=pinned(options.server_cpu_set),
            )
            worker_log.close()
        profiler: subprocess.Popen[bytes] | None = None
        if options.profile:
            py_spy = options.py_spy or shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy"
            if not Path(py_spy).exists() and not shutil.which(py_spy):
                raise SystemExit("bench: --profile needs py-spy (pip install --target /tmp/pyspy py-spy)")
            profiler = subprocess.Popen(
                [py_spy, "record", "--pid", str(server.pid), "--subprocesses", "--gil", "--nonblocking",
                 "--rate", "200", "--format", "raw", "--duration", str(int(options.seconds)),
                 "--output", str(Path(options.profile).resolve())],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        try:
            worker_before = group_cpu_seconds(worker.pid) if worker else 0.0
            submit = phase(
                options, "POST", post_path, 201, seconds=options.seconds if not options.requests else None,
                requests=options.requests, **common,
            )
            worker_cpu = group_cpu_seconds(worker.pid) - worker_before if worker else 0.0
        finally:
            stop_process_group(worker)
            if profiler is not None:
                if profiler.poll() is None:
                    profiler.send_signal(signal.SIGINT)  # py-spy writes what it has and stops
                try:
                    profiler.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    profiler.kill()
                    profiler.wait()
        during = None
        if worker is not None:
            backlog = database.counts(WAVE_SLUG)
            worker_text = worker_log_path.read_text(errors="replace")
            during = {
                "worker_interval_seconds": options.worker_interval,
                "worker_cores_used": worker_cpu / submit["seconds"],
                "inbox_backlog_after_phase": backlog["inbox"],
                "mixed_during_phase": backlog["closed_answer_part"],
                "worker_log_errors": sum(
                    1 for line in worker_text.splitlines() if " ERROR " in line or line.startswith("Traceback")
                ),
            }
            if during["worker_log_errors"]:
                during["worker_log_tail"] = worker_text.splitlines()[-20:]
        stop_process_group(server)
        log_handle.close()
        log_handle = None
        server_log = log_path.read_text(errors="replace")
        server_errors = sum(1 for line in server_log.splitlines() if " ERROR " in line or line.startswith("Traceback"))

        acknowledged = submit["ok"] + (warmup["ok"] if warmup else 0)
        started = time.monotonic()
        mixed = run_cli(["mix", "--wave", WAVE_SLUG, "--format", "json"], cli_env, folder)
        mix_seconds = time.monotonic() - started
        started = time.monotonic()
        run_cli(["wave", "list", "--format", "json"], cli_env, folder)
        startup_seconds = time.monotonic() - started
        reports = json.loads(mixed.stdout)
        responses_mixed = sum(r["responses_mixed"] for r in reports)
        counts = database.counts(WAVE_SLUG)
        stored = counts["inbox"] + counts["closed_answer_part"]
        mixing_seconds = max(mix_seconds - startup_seconds, 1e-9)
        mixer_per_second = responses_mixed / mixing_seconds if responses_mixed else 0.0

        goal = GOALS[database.kind]
        lost = acknowledged - stored
        result = {
            "database": database.kind,
            "server_workers": options.workers,
            "clients": options.clients,
            "client": options.client,
            "server_cpus": sorted(options.server_cpu_set) if options.server_cpu_set else "all",
            "client_cpus": sorted(options.client_cpu_set) if options.client_cpu_set else "all",
            "machine_cores": os.cpu_count(),
            "nice": options.nice,
            "open_link_budget": options.open_link_budget,
            "bodies": {"count": len(bodies), "mean_bytes": round(statistics.fmean(len(b) for b in bodies))},
            "healthz": healthz,
            "submit": submit,
            "warmup_201": warmup["ok"] if warmup else 0,
            "submit_to_healthz_ratio": submit["per_second"] / healthz["per_second"] if healthz["per_second"] else None,
            # The same client managed /healthz at least 3 times as fast: it did not limit submissions.
            "client_not_the_bottleneck": healthz["per_second"] >= 3 * submit["per_second"],
            "server_log_errors": server_errors,
            "mixing_during_load": during,
            "mix": {
                "seconds": mix_seconds,
                "cli_startup_seconds": startup_seconds,
                "responses_mixed": responses_mixed,
                "responses_per_second": mixer_per_second,
                "reports": reports,
            },
            "check": {
                "acknowledged_201": acknowledged,
                "inbox_rows": counts["inbox"],
                "closed_answer_parts": counts["closed_answer_part"],
                "testimony_parts": counts["testimony_part"],
                "concern_parts": counts["concern_part"],
                "stored": stored,
                "lost": lost,
                # More stored than acknowledged would mean a request answered with an error was kept.
                "unacknowledged_but_stored": max(0, stored - acknowledged),
            },
            "goal": {
                "submissions_per_second": goal,
                "throughput_met": submit["per_second"] >= goal,
                "zero_errors": submit["errors"] == 0
                and (warmup is None or warmup["errors"] == 0)
                and server_errors == 0
                and (during is None or during["worker_log_errors"] == 0),
                "zero_lost": lost == 0 and stored == acknowledged,
                # Alone: the mixer opens responses at least as fast as they arrived. During load: what
                # is left in the inbox is no more than about one worker interval of arrivals.
                "mixer_keeps_up": (
                    during["inbox_backlog_after_phase"]
                    <= submit["per_second"] * (options.worker_interval + 1) + (options.mix_batch or 11)
                    if during is not None
                    else mixer_per_second >= submit["per_second"]
                ),
            },
        }
        result["goal"]["met"] = all(result["goal"][k] for k in ("throughput_met", "zero_errors", "zero_lost", "mixer_keeps_up"))
        if server_errors:
            result["server_log_tail"] = server_log.splitlines()[-20:]
        if options.profile and Path(options.profile).exists():
            result["profile"] = {"file": str(Path(options.profile).resolve()), "top": profile_summary(Path(options.profile))}
        return result
    finally:
        if log_handle is not None:
            log_handle.close()
        stop_process_group(server)
        if database is not None:
            try:
                database.drop()
            except Exception as error:  # still remove the temp folder; say what was left behind
                print(f"bench: could not drop database {database.created}: {error}", file=sys.stderr)
        shutil.rmtree(folder, ignore_errors=True)


def profile_summary(path: Path, top: int = 15) -> list[tuple[str, float]]:
    """Share of GIL-holding samples per innermost function, from py-spy's raw (collapsed) output."""
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        stack, _, number = line.rpartition(" ")
        frame = stack.split(";")[-1]
        name = frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].rstrip(")") + ")"
        counts[name] += int(number)
        total += int(number)
    return [(name, round(100 * n / total, 1)) for name, n in counts.most_common(top)] if total else []


def describe(result: dict[str, Any]) -> str:
    def row(name: str, figures: dict[str, Any]) -> str:
        latency = figures["latency_ms"]
        return (
            f"  {name:<22} {figures['per_second']:>9,.0f}/s  p50 {latency['p50']:>7.2f} ms  p99 {latency['p99']:>7.2f} ms"
            f"  ok {figures['ok']:>7,}  errors {figures['errors']:>4}"
            f"\n  {'':<22} cores used: server {figures['server_cores_used']:.2f}, client {figures['client_cores_used']:.2f}, "
            f"postgres {figures['postgres_cores_used']:.2f}, other processes {figures['other_cores_used']:.2f}"
        )

    check, mix, goal = result["check"], result["mix"], result["goal"]
    lines = [
        f"survey_app submission benchmark: {result['database']}, {result['server_workers']} server worker(s), "
        f"{result['clients']} connections, client {result['client']}",
        f"  cores: machine {result['machine_cores']}, server {result['server_cpus']}, client {result['client_cpus']}; "
        f"{result['bodies']['count']} pre-generated responses of {result['bodies']['mean_bytes']} bytes on average",
        row("GET /healthz", result["healthz"]),
        row("POST responses", result["submit"]),
        f"  submissions / healthz ratio: {result['submit_to_healthz_ratio']:.3f}"
        + (
            ""
            if result["client_not_the_bottleneck"]
            else "  (WARNING: healthz is not 3x faster: the load generator may limit these figures; use wrk)"
        ),
        f"  mix: {mix['responses_mixed']:,} responses in {mix['seconds']:.2f} s "
        f"(of which ~{mix['cli_startup_seconds']:.2f} s CLI start-up): {mix['responses_per_second']:,.0f} responses/s",
        f"  check: {check['acknowledged_201']:,} answered 201; stored {check['stored']:,} "
        f"(inbox {check['inbox_rows']:,} + closed-answer parts {check['closed_answer_parts']:,}): "
        f"lost {check['lost']}, stored without a 201 {check['unacknowledged_but_stored']}",
        f"  server log errors: {result['server_log_errors']}",
        *(
            [
                f"  worker during load (every {d['worker_interval_seconds']} s): mixed {d['mixed_during_phase']:,}, "
                f"inbox backlog at the end {d['inbox_backlog_after_phase']:,}, {d['worker_cores_used']:.2f} cores, "
                f"log errors {d['worker_log_errors']}"
            ]
            if (d := result["mixing_during_load"])
            else []
        ),
        f"  goal >= {goal['submissions_per_second']:,.0f}/s: throughput {'met' if goal['throughput_met'] else 'MISSED'}, "
        f"zero errors {'yes' if goal['zero_errors'] else 'NO'}, zero lost {'yes' if goal['zero_lost'] else 'NO'}, "
        f"mixer keeps up {'yes' if goal['mixer_keeps_up'] else 'NO'}",
    ]
    if result.get("profile"):
        lines += [f"  profile (share of samples holding the GIL, innermost function): {result['profile']['file']}"]
        lines += [f"    {share:5.1f}%  {name}" for name, share in result["profile"]["top"]]
    if result.get("server_log_tail"):
        lines += ["  server log (last lines):"] + [f"    {line}" for line in result["server_log_tail"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL on 127.0.0.1 (a fresh bench_* database is made on it); default SQLite")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (survey-app serve --workers)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (healthz, then submissions)")
    parser.add_argument("--requests", type=int, help="requests per phase instead of --seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of submissions before measuring (0: none)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="upper bound of a phase run by --requests")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto", help="load generator (auto: wrk if installed)")
    parser.add_argument("--wrk-threads", type=int, help="wrk threads (default: one per client core)")
    parser.add_argument("--client-processes", type=int, default=2, help="Python client processes")
    parser.add_argument("--server-cpus", help="pin the server to these cores, e.g. 0 or 0-1")
    parser.add_argument("--client-cpus", help="pin the load generator to these cores, e.g. 1")
    parser.add_argument("--bodies", type=int, default=2000, help="distinct pre-generated responses")
    parser.add_argument("--text-share", type=float, default=0.1, help="share of responses with a free-text answer")
    parser.add_argument("--mix-during", action="store_true", help="run `survey-app worker` during the submissions phase")
    parser.add_argument("--worker-interval", type=int, default=1, help="WORKER_INTERVAL_SECONDS for --mix-during")
    parser.add_argument("--mix-batch", type=int, help="MIX_BATCH for the mixer (default: the app's, 11)")
    parser.add_argument("--profile", metavar="FILE", help="record the server with py-spy during submissions (raw stacks)")
    parser.add_argument("--py-spy", help="path of py-spy (default: on PATH, else /tmp/pyspy/bin/py-spy)")
    parser.add_argument(
        "--open-link-budget", type=int, default=100_000_000,
        help="OPEN_LINK_BUDGET of the server (default: far above any rate, so the budget never refuses)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--nice", type=int, default=0,
        help="niceness of the server, worker and load generator (negative needs root): less noise on a shared machine",
    )
    parser.add_argument("--tmpdir", help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    options = parser.parse_args(argv)
    if options.client == "auto":
        options.client = "wrk" if shutil.which("wrk") else "python"
    elif options.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk); use --client python")
    if options.requests is not None and options.requests < 1:
        parser.error("--requests must be at least 1")
    if options.seconds <= 0 or options.clients < 1 or options.workers < 1:
        parser.error("--seconds, --clients and --workers must be positive")
    global NICENESS
    NICENESS = options.nice
    options.server_cpu_set = parse_cpus(options.server_cpus)
    options.client_cpu_set = parse_cpus(options.client_cpus)
    if options.wrk_threads is None:
        options.wrk_threads = len(options.client_cpu_set) if options.client_cpu_set else (os.cpu_count() or 1)
    result = run(options)
    if options.format == "json":
        print(json.dumps(result, default=str))
    else:
        print(describe(result))
    # A missed throughput goal is a figure; errors or lost responses are a failure.
    return 0 if result["goal"]["zero_errors"] and result["goal"]["zero_lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
