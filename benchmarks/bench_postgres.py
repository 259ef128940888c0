"""The monthly order-KPI report on PostgreSQL against DuckDB, on the same generated business.

Data: the Parquet files of ``benchmarks/run.py``'s ``prepare`` (``generate_business(customers=N,
months=24, seed=42, kind="both")``, cached under benchmarks/data/) and its DuckDB workspace.
PostgreSQL: the database of ``BENCH_PG_URL``, or else a throw-away server started here from
Debian's packages on loopback (tests/pgserver.py: ``initdb`` into a temporary folder, default
settings except ``fsync=off`` — it is thrown away — and ``jit=off``), into which every table is
loaded with ``ws.ingest`` (the real path: validation, ``COPY`` staging, one transaction, upsert).

Measured, each in this process: the ingest of every table into PostgreSQL (wall), and the report
``ws.metrics(ORDER_METRICS, period="month")`` on each backend, ``--repeat`` times (the first is
cold); the two reports are checked equal (values, 1e-9 relative). Client-side peak memory is
not meaningful for PostgreSQL (the work runs in the server's processes) and is not reported.

Run: ``.venv/bin/python benchmarks/bench_postgres.py --customers 100000`` (≈ 1 M orders);
``make bench`` runs it with ``BENCH_PG_CUSTOMERS`` (default 100000) unless ``BENCH_PG=0``.

``--orders N`` (e.g. 10000000, the issue's size) measures whole CLI processes instead, on the
orders-only Parquet of benchmarks/bench_spark.py (one DuckDB ``COPY``, cached under
benchmarks/data/) and its DuckDB workspace (built with ``retentionkit ingest``):
``retentionkit --db postgresql://… ingest orders orders_<N>.parquet`` once, then, alternating
with DuckDB, ``metrics --period month --format json`` and ``rfm --format csv``, ``--repeat``
times. Each process is sampled as bench_spark.py does (wall, CPU, peak resident memory of the
CLI's process tree); for PostgreSQL the server's processes are sampled too (their summed
resident memory counts shared buffers once per process that touched them, so it is an upper
bound). The outputs are compared as in bench_spark.py (metric values and components 1e-9
relative, the RFM summary row by row). ``--work-mem`` (default 256MB; ``default`` keeps the
server's 4MB) is set on the benchmark database with ``ALTER DATABASE``, as a team server would
be configured. Results: ``benchmarks/data/postgres_results_<N>orders.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLES = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)


def _module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(ws: Any, metrics: list[str]) -> tuple[float, float, Any]:
    began, cpu = time.perf_counter(), time.process_time()
    frame = ws.metrics(metrics, period="month")
    return time.perf_counter() - began, time.process_time() - cpu, frame


def _differences(duck: Any, pg: Any) -> list[str]:
    keys = ["metric", "period_start", "segment"]
    a = duck.set_index(keys).sort_index()
    b = pg.set_index(keys).sort_index()
    if list(a.index) != list(b.index):
        return ["the reports have different rows"]
    out = []
    for key, x, y in zip(a.index, a["value"], b["value"], strict=True):
        x_na = x is None or (isinstance(x, float) and math.isnan(x))
        y_na = y is None or (isinstance(y, float) and math.isnan(y))
        if x_na or y_na:
            if x_na != y_na:
                out.append(f"{key}: {x!r} vs {y!r}")
        elif not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9):
            out.append(f"{key}: {x!r} vs {y!r}")
    return out


def _postmaster_pid(server: Any) -> int | None:
    try:
        return int((server.dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main_orders(args: argparse.Namespace) -> None:
    """Whole CLI processes on PostgreSQL and DuckDB over the same N orders (``--orders``)."""
    import re

    bench = _module(HERE / "bench_spark.py", "bench_spark")
    n = args.orders
    parquet = bench.orders_parquet(n)
    duck_db, duck_ingest = bench.duckdb_workspace(n, parquet, args.timeout, 10**12)
    data = HERE / "data"
    results: dict[str, Any] = {
        "orders": n,
        "cpus": os.cpu_count(),
        "work_mem": args.work_mem,
        "duckdb_ingest": duck_ingest,
        "load_average_before": os.getloadavg(),
    }
    server = None
    url = os.environ.get("BENCH_PG_URL")
    also: list[int] = []
    if not url:
        pgserver = _module(ROOT / "tests" / "pgserver.py", "bench_pgserver")
        bindir = pgserver.postgres_bindir()
        if bindir is None:
            sys.exit("bench_postgres: no PostgreSQL server programs; apt-get install postgresql")
        server = pgserver.PostgresServer(bindir)
        server.start()
        url = server.new_database("bench")
        pid = _postmaster_pid(server)
        also = [pid] if pid else []
        results["server"] = f"throw-away PostgreSQL from {bindir} (tests/pgserver.py settings)"
    shown = re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", url)
    try:
        if args.work_mem != "default":
            import psycopg

            database = url.rsplit("/", 1)[1]
            with psycopg.connect(url, autocommit=True) as con:
                con.execute(f"ALTER DATABASE \"{database}\" SET work_mem = '{args.work_mem}'")
        exe = bench.EXE

        def run(name: str, cmd: list[str], out: Path) -> dict[str, Any]:
            figures = bench.measure(
                cmd, out, args.timeout, also=also if "postgres" in name else None
            )
            figures["command"] = figures["command"].replace(url, shown)
            bench.show(name, figures)
            if figures["returncode"] != 0:
                figures["stderr_tail"] = figures["stderr_tail"].replace(url, shown)
            return figures

        results["pg_ingest"] = run(
            "postgres ingest",
            [exe, "--db", url, "ingest", "orders", str(parquet)],
            data / f"pg_{n}_ingest.out",
        )
        outs: dict[str, dict[str, Path]] = {}
        for what, argv in (
            ("metrics", ["metrics", "--period", "month", "--format", "json"]),
            ("rfm", ["rfm", "--format", "csv"]),
        ):
            for i in range(args.repeat):
                for backend, db in (("duckdb", str(duck_db)), ("postgres", url)):
                    out = data / f"pg_{n}_{what}_{backend}.txt"
                    figures = run(f"{backend} {what} (run {i + 1})", [exe, "--db", db, *argv], out)
                    results.setdefault(what, {}).setdefault(backend, []).append(figures)
                    if figures["returncode"] == 0:
                        outs.setdefault(what, {})[backend] = out
        if len(outs.get("metrics", {})) == 2:
            results["metrics_agree"] = bench.compare_metrics(
                outs["metrics"]["duckdb"], outs["metrics"]["postgres"]
            )
            print("metrics agree:", json.dumps(results["metrics_agree"])[:600], flush=True)
        if len(outs.get("rfm", {})) == 2:
            results["rfm_agree"] = bench.compare_rfm(
                outs["rfm"]["duckdb"], outs["rfm"]["postgres"], "postgres"
            )
            print("rfm agree:", json.dumps(results["rfm_agree"]), flush=True)
    finally:
        if server is not None:
            server.stop()
    results["load_average_after"] = os.getloadavg()
    out = args.json or data / f"postgres_results_{n}orders.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"results: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--orders", type=int, default=0, help="whole-CLI mode (see above)")
    parser.add_argument("--work-mem", default="256MB")
    parser.add_argument("--timeout", type=int, default=3600)
    args = parser.parse_args()
    if args.orders:
        main_orders(args)
        return

    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    run = _module(HERE / "run.py", "bench_run")
    data_dir, duck_db, counts = run.prepare(args.customers, args.months, args.seed)
    print(f"data: {counts}", flush=True)

    server = None
    url = os.environ.get("BENCH_PG_URL")
    if not url:
        pgserver = _module(ROOT / "tests" / "pgserver.py", "bench_pgserver")
        bindir = pgserver.postgres_bindir()
        if bindir is None:
            sys.exit("bench_postgres: no PostgreSQL server programs; apt-get install postgresql")
        server = pgserver.PostgresServer(bindir)
        server.start()
        url = server.new_database("bench")
    results: dict[str, Any] = {
        "customers": args.customers,
        "months": args.months,
        "seed": args.seed,
        "rows": counts,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
    }
    try:
        pg = Workspace(url, settings=Settings())
        began = time.perf_counter()
        for table in TABLES:
            path = data_dir / f"{table}.parquet"
            if path.exists():
                t0 = time.perf_counter()
                print(pg.ingest(table, path).summary(), f"({time.perf_counter() - t0:.1f} s)")
        results["pg_ingest_seconds"] = time.perf_counter() - began
        duck = Workspace(duck_db, settings=Settings())
        runs: dict[str, list[tuple[float, float]]] = {"duckdb": [], "postgres": []}
        frames: dict[str, Any] = {}
        for i in range(args.repeat):
            for name, ws in (("duckdb", duck), ("postgres", pg)):
                wall, cpu, frame = _report(ws, run.ORDER_METRICS)
                runs[name].append((wall, cpu))
                frames[name] = frame
                print(f"run {i + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU (client)")
        problems = _differences(frames["duckdb"], frames["postgres"])
        results["same_numbers"] = not problems
        if problems:
            print("DIFFERENT:", *problems[:10], sep="\n  ")
        for name, values in runs.items():
            results[name] = {
                "wall_median": statistics.median(w for w, _ in values),
                "cpu_median_client": statistics.median(c for _, c in values),
                "runs": values,
            }
        results["ratio_pg_over_duckdb"] = (
            results["postgres"]["wall_median"] / results["duckdb"]["wall_median"]
        )
        results["load_average_after"] = os.getloadavg()[0]
        duck.close()
        pg.close()
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(results, indent=2, default=str))
    out = args.json or HERE / "data" / f"postgres_results_{args.customers}c.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
