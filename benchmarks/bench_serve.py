"""The dashboard and the REST API under load (issue 17 item 3): real ``retentionkit serve``
processes on 127.0.0.1, measured from outside as a user's browser or client sees them.

Two parts, each a whole server process started afresh:

1. **load** — a generated 2,000-customer workspace (``retentionkit generate`` + ``load-dir``,
   kind ``both``, seed 42; cached under benchmarks/data/): after the server's start-up warm-up,
   8 client threads (keep-alive ``http.client`` connections) repeat ``GET /api/metrics`` for
   ``--seconds``, then ``GET /`` (the overview page) for ``--seconds``. Reports requests/s
   (200s over the wall time), p50/p99 latency, errors and the server's CPU time per request
   (``/proc/PID/stat``: what an idle core would give is 1000 / that).
2. **pages** — a copy of a large orders-only workspace (default
   benchmarks/data/orders_10000000.duckdb, 10 M orders; the original is never opened): the
   time from ``Popen`` to the first 200 of ``GET /``; ``GET /at-risk`` issued right after the
   start (cold: the churn model is trained) while ``GET /`` is polled meanwhile (a slow model
   fit must not stall the overview: the overview's worst latency while at-risk computes);
   then every dashboard page visited once (first visit) and ``--visits`` more times (the
   median is the figure; ``Server-Timing`` gives the server's own build time).

Bounded: the load part runs at most 50 s of load (``--seconds`` ≤ 25 per route) and each of
its phases has an alarm; the pages part has a budget (``--pages-seconds``, default 900 s;
one request at most 300 s) and reports what did not fit in it. The servers listen on
127.0.0.1 only and are stopped with SIGINT (then SIGKILL after 10 s). The machine load
(``os.getloadavg``) is recorded next to each figure; progress lines go to stderr.

Run::

    .venv/bin/python benchmarks/bench_serve.py                 # both parts
    .venv/bin/python benchmarks/bench_serve.py --only load --seconds 10
    .venv/bin/python benchmarks/bench_serve.py --only pages --big PATH.duckdb
    BENCH_PYSPY=/tmp/serve.txt .venv/bin/python benchmarks/bench_serve.py --only load

``benchmarks/run.py`` (``make bench``) runs it too (``BENCH_SERVE=0`` skips it).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.executable).parent
PHASE_LIMIT = 90  # seconds any one phase of the load part may take before the run stops itself
BIG_LIMIT = 300  # seconds any one request of the pages part may take (10 M orders, cold)
PAGES_BUDGET = 900  # seconds the whole pages part may take; what is left is reported as such
PAGES = ["/", "/trends", "/cohorts", "/mrr", "/feedback", "/clv", "/at-risk", "/segments"]

sys.path.insert(0, str(HERE))
from bench_surveys import _cpu_seconds, _free_port  # noqa: E402  (the same loopback helpers)


def _retentionkit() -> list[str]:
    exe = shutil.which("retentionkit", path=str(BIN))
    return [exe] if exe else [sys.executable, "-m", "retentionkit"]


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def note(text: str) -> None:
    """A progress line on stderr (the figures so far, should a step run out of time)."""
    print(f"bench_serve: {text} (load {_load()})", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _alarm(seconds: int, what: str) -> Iterator[None]:
    def stop(*_: Any) -> None:
        raise TimeoutError(f"bench_serve: {what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- workspaces ------------------------------------------------------------------------------
def small_workspace(customers: int) -> Path:
    """A generated business of ``customers`` (kind both, seed 42), loaded once and cached."""
    db = DATA / f"serve_{customers}c.duckdb"
    if not db.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
            out, part = Path(tmp) / "business", Path(tmp) / "ws.duckdb"
            run = _retentionkit()
            subprocess.run(
                [*run, "generate", "--out", str(out), "--customers", str(customers)],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*run, "--db", str(part), "load-dir", str(out)], check=True, capture_output=True
            )
            shutil.copyfile(part, db)
    return db


# -- the server ------------------------------------------------------------------------------
class Server:
    """``retentionkit --db DB serve`` on a free loopback port, stopped on exit."""

    def __init__(self, db: Path, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*_retentionkit(), "--db", str(db), "serve", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(
        self, path: str, con: http.client.HTTPConnection | None = None, timeout: float = 60
    ) -> tuple[int, float, dict[str, str]]:
        """Status, seconds and headers of one GET (on ``con`` when given: keep-alive)."""
        own = con is None
        con = con or self.connection(timeout)
        began = time.perf_counter()
        try:
            con.request("GET", path)
            response = con.getresponse()
            response.read()
            return response.status, time.perf_counter() - began, dict(response.getheaders())
        finally:
            if own:
                con.close()

    def first_ok(self, path: str, limit: float = 60.0) -> float:
        """Seconds from the start of the process to the first 200 of ``path``."""
        while True:
            try:
                if self.get(path, timeout=limit)[0] == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            if self.proc.poll() is not None or time.perf_counter() - self.started > limit:
                sys.exit(f"bench_serve: no 200 from {path}:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.02)

    def wait_warm(self, limit: float = 120.0) -> float:
        """Seconds until the server logged both lanes' warm-up (or ``limit``)."""
        while self.log.read_text().count("lane)") < 2:
            if time.perf_counter() - self.started > limit:
                break
            time.sleep(0.1)
        return time.perf_counter() - self.started

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)


# -- part 1: load ----------------------------------------------------------------------------
def hammer(server: Server, path: str, seconds: float, threads: int) -> dict[str, Any]:
    """``threads`` keep-alive clients repeating GET ``path`` for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(mine: list[float]) -> None:
        con = server.connection()
        try:
            while time.perf_counter() < deadline:
                try:
                    status, took, _ = server.get(path, con)
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    con.close()
                    con = server.connection()
                    continue
                if status == 200:
                    mine.append(took)
                else:
                    with lock:
                        errors[str(status)] = errors.get(str(status), 0) + 1
        finally:
            con.close()

    load_before, cpu_before = _load(), _cpu_seconds(server.proc.pid)
    began = time.perf_counter()
    workers = [threading.Thread(target=client, args=(m,)) for m in latencies]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - began
    cpu = _cpu_seconds(server.proc.pid) - cpu_before
    every = [x for m in latencies for x in m]
    return {
        "path": path,
        "threads": threads,
        "ok": len(every),
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(len(every) / wall, 1),
        "p50_ms": _pct(every, 0.50),
        "p99_ms": _pct(every, 0.99),
        "errors": errors,
        "server_cpu_ms_per_request": round(cpu / len(every) * 1000, 3) if every else None,
        "server_cpu_share": round(cpu / wall, 2),
        "load_average": [load_before, _load()],
    }


def part_load(customers: int, seconds: float, threads: int) -> dict[str, Any]:
    db = small_workspace(customers)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        copy = Path(tmp) / "ws.duckdb"
        shutil.copyfile(db, copy)
        server = Server(copy, Path(tmp) / "serve.log")
        try:
            with _alarm(PHASE_LIMIT * 3, "the load part's start"):
                first = server.first_ok("/", PHASE_LIMIT)
                warm = server.wait_warm(PHASE_LIMIT * 2)
            for path in ("/api/metrics", "/"):  # once each, outside the figure
                server.get(path)
            if os.environ.get("BENCH_PYSPY"):  # profile the server during the load
                pyspy = shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy"
                record = ["record", "-p", str(server.proc.pid), "-d", str(int(seconds * 2))]
                subprocess.Popen(
                    [pyspy, *record, "-f", "raw", "-o", os.environ["BENCH_PYSPY"]],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            out: dict[str, Any] = {
                "workspace": f"{customers} customers (generate --kind both --seed 42)",
                "first_page_seconds": round(first, 2),
                "warm_seconds": round(warm, 2),
            }
            with _alarm(PHASE_LIMIT, "the load test"):
                out["api_metrics"] = hammer(server, "/api/metrics", seconds, threads)
                out["overview"] = hammer(server, "/", seconds, threads)
        finally:
            server.stop()
    return out


# -- part 2: pages on a large workspace ------------------------------------------------------
def part_pages(big: Path, visits: int, budget: float = PAGES_BUDGET) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-serve-", dir=DATA) as tmp:
        copy = Path(tmp) / "big.duckdb"
        shutil.copyfile(big, copy)  # never open the original: serve writes caches beside it
        out: dict[str, Any] = {"workspace": str(big), "load_average_start": _load()}
        server = Server(copy, Path(tmp) / "serve.log")
        deadline = server.started + budget

        def left() -> float:
            return max(1.0, min(BIG_LIMIT, deadline - time.perf_counter()))

        try:
            out["first_page_seconds"] = round(server.first_ok("/", left()), 2)
            note(f"first page after {out['first_page_seconds']} s")
            # cold at-risk (the slow lane trains the model) while the overview is polled
            at_risk: dict[str, Any] = {}

            def cold() -> None:
                began = time.perf_counter()
                try:
                    status, took, _ = server.get("/at-risk", timeout=left())
                    at_risk.update(status=status, seconds=round(took, 2))
                except OSError as exc:
                    waited = round(time.perf_counter() - began)
                    at_risk.update(error=f"no answer within {waited} s ({type(exc).__name__})")
                at_risk["since_start_seconds"] = round(time.perf_counter() - server.started, 2)

            worker = threading.Thread(target=cold)
            worker.start()
            overview: list[float] = []
            while worker.is_alive():
                overview.append(server.get("/", timeout=left())[1])
                time.sleep(0.05)
            worker.join()
            out["at_risk_cold"] = at_risk
            out["overview_while_at_risk"] = {
                "requests": len(overview),
                "p50_ms": _pct(overview, 0.5),
                "max_ms": _pct(overview, 1.0),
            }
            note(f"cold at-risk {at_risk}; overview meanwhile {out['overview_while_at_risk']}")
            pages: dict[str, Any] = {}
            out["pages"] = pages
            con = server.connection(left())
            for path in PAGES:
                if deadline - time.perf_counter() < 5:
                    pages[path] = {"skipped": f"the {budget:.0f} s budget was used up"}
                    continue
                con.timeout = left()
                try:
                    status, first, _ = server.get(path, con)
                except OSError as exc:
                    pages[path] = {
                        "error": f"first visit: no answer in time ({type(exc).__name__})"
                    }
                    con.close()
                    con = server.connection(left())
                    continue
                times, builds = [], []
                for _ in range(visits):
                    _, took, headers = server.get(path, con)
                    times.append(took)
                    timing = headers.get("server-timing") or headers.get("Server-Timing")
                    if timing and "dur=" in timing:
                        builds.append(float(timing.split("dur=")[1]))
                pages[path] = {
                    "status": status,
                    "first_ms": round(first * 1000, 1),
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "median_build_ms": round(statistics.median(builds), 1) if builds else None,
                }
                note(f"{path}: {pages[path]}")
            con.close()
            out["load_average_end"] = _load()
        finally:
            server.stop()
        out["restart"] = restart(copy, Path(tmp) / "serve2.log", min(BIG_LIMIT, budget))
    return out


def restart(copy: Path, log: Path, limit: float) -> dict[str, Any]:
    """A second ``serve`` on the same file: what a restarted server's first visitor sees
    when the build keeps results across processes (the persistent result cache next to the
    file, ``RETENTIONKIT_CACHE``); without one this is another cold start."""
    out: dict[str, Any] = {"load_average_start": _load()}
    server = Server(copy, log)
    try:
        out["first_page_seconds"] = round(server.first_ok("/", limit), 2)
        note(f"restart: first page after {out['first_page_seconds']} s")
        began = time.perf_counter()
        try:
            status, took, _ = server.get("/at-risk", timeout=limit)
            out["at_risk"] = {"status": status, "seconds": round(took, 2)}
        except OSError as exc:
            waited = round(time.perf_counter() - began)
            out["at_risk"] = {"error": f"no answer within {waited} s ({type(exc).__name__})"}
        out["at_risk"]["since_start_seconds"] = round(time.perf_counter() - server.started, 2)
        note(f"restart: at-risk {out['at_risk']}")
        out["load_average_end"] = _load()
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["load", "pages"])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per route (≤ 25)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--big", type=Path, default=DATA / "orders_10000000.duckdb")
    parser.add_argument(
        "--pages-seconds", type=float, default=PAGES_BUDGET, help="budget of the pages part"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 25.0)
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_average_before": _load()}
    if args.only in (None, "load"):
        result["load"] = part_load(args.customers, seconds, args.threads)
        if not args.json:
            print(json.dumps(result["load"], indent=2), flush=True)
    if args.only in (None, "pages"):
        if args.big.exists():
            result["pages"] = part_pages(args.big, args.visits, args.pages_seconds)
            if not args.json:
                print(json.dumps(result["pages"], indent=2), flush=True)
        else:
            result["pages"] = {"skipped": f"{args.big} does not exist"}
    result["load_average_after"] = _load()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
