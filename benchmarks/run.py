"""`make bench`: the monthly order-KPI report on a synthetic 10-million-order business.

Steps (SPEC §10):

1. generate 1 M customers over 24 months (kind ``both``, ~10 M orders) once, cached as Parquet
   under benchmarks/data/, and ingest it into a DuckDB workspace file (also cached);
2. in one process, time the monthly report of every order KPI three ways — retentionkit
   (``ws.metrics([...], period="month")``), the hand-written DuckDB SQL of
   benchmarks/handwritten.sql, and plain pandas (benchmarks/pandas_reference.py) — and check
   the three give the same numbers;
3. run each variant again in a fresh subprocess for its peak memory (``ru_maxrss``);
4. time the CLI as a whole process: ``retentionkit --help`` and
   ``retentionkit --db BENCH metrics --period month`` on a ~5 M-order workspace;
5. load-test the survey answer route (benchmarks/bench_surveys.py: a real ``serve`` on
   loopback, bounded to 60 s);
6. (after the goals and PostgreSQL steps) the dashboard and the REST API under load
   (benchmarks/bench_serve.py: ``serve`` on a 2,000-customer workspace, 8 loopback clients
   on GET /api/metrics and GET /; then page latencies and the cold at-risk page on the
   10 M-order workspace that bench_postgres.py --orders leaves in benchmarks/data/).

Environment knobs (a quick run: ``BENCH_CUSTOMERS=100000 make bench``):

    BENCH_CUSTOMERS      customers of the main data set (default 1000000 → ~10 M orders)
    BENCH_MONTHS         months (default 24)
    BENCH_SEED           generator seed (default 42)
    BENCH_REPEAT         timed repetitions of the retentionkit and SQL reports (default 3)
    BENCH_THREADS        DuckDB threads (default: DuckDB's own, = cores)
    BENCH_PANDAS=0       skip the pandas variant
    BENCH_MEMORY=0       skip the per-variant subprocesses
    BENCH_CLI_CUSTOMERS  customers of the CLI workspace (default BENCH_CUSTOMERS / 2 → ~5 M
                         orders); BENCH_CLI=0 skips the CLI timings
    BENCH_SURVEYS=0      skip the survey answer-route load test (benchmarks/bench_surveys.py)
    BENCH_ATRISK=0       skip the whole-process cold `churn at-risk` on the 10 M-order workspace
                         and the purchase-model fits on 20,000 of its customers
                         (benchmarks/bench_atrisk.py; issue 17 item 3)
    BENCH_SERVE=0        skip the dashboard/API load test and page latencies
                         (benchmarks/bench_serve.py)
    BENCH_GOALS=0        skip the goals' p_hit calibration backtest (benchmarks/bench_goals.py)
    BENCH_MODELS=0       skip the model timings: whole-process `churn evaluate` on CDNOW master
                         and `churn train` on Telco (benchmarks/bench_churn_cli.py), and the
                         RFM summary against lifetimes (benchmarks/bench_rfm.py)
    BENCH_RFM_PARQUET    an orders Parquet file for bench_rfm.py (default: it generates and
                         caches 1 M customers × 24 months itself)
    BENCH_PG=0           skip the PostgreSQL-vs-DuckDB report (benchmarks/bench_postgres.py)
    BENCH_PG_CUSTOMERS   customers of that comparison (default 100000 → ~1 M orders)
    BENCH_PG_URL         an existing PostgreSQL database for it (default: a throw-away server)
    BENCH_PG_ORDERS      orders of the whole-process PostgreSQL-vs-DuckDB run (default 10000000;
                         0 skips it)
    BENCH_INGEST=0       skip the whole-process ingest of 10 M orders (Parquet, CSV, a 10 k append)
                         against DuckDB's own load (benchmarks/bench_ingest.py; issue 17 item 2)
    BENCH_INGEST_ORDERS  its size (default 10000000)
    BENCH_REPORT=0       skip the whole-process KPI report vs hand-written SQL and the result
                         cache (benchmarks/bench_report.py; issue 17 items 1 and 5)
    BENCH_REPORT_ORDERS  its sizes (default 5000000,10000000,50000000)
    BENCH_SPARK=0        skip the Spark local[2] vs DuckDB report (benchmarks/bench_spark.py:
                         whole CLI processes, monthly KPI report and RFM summary; needs Java)
    BENCH_SPARK_ORDERS   orders of that comparison (default 50000000; 1000000 for a quick run)
    BENCH_JSON           where to write the results (default
                         benchmarks/data/kpi_results_<customers>c.json)

Internal: ``run.py --variant NAME --db PATH --data DIR`` runs one variant and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.executable).parent

ORDER_METRICS = [
    "crr",
    "churn_rate",
    "active_customers",
    "new_customers",
    "reactivated_customers",
    "lost_customers",
    "repeat_purchase_rate",
    "purchase_frequency",
    "average_order_value",
    "revenue",
    "time_to_second_purchase",
    "time_between_purchases",
    "return_rate",
    "order_processing_time",
]
#: Components checked besides the values: (metric, component) → column of the reference report.
COMPONENTS = {
    ("crr", "start"): "start",
    ("crr", "end"): "end",
    ("crr", "new"): "new",
    ("crr", "reactivated"): "reactivated",
    ("crr", "retained"): "retained",
    ("crr", "lost"): "lost",
    ("new_customers", "acquired"): "acquired",
    ("repeat_purchase_rate", "repeat_buyers"): "repeat_buyers",
    ("purchase_frequency", "orders"): "orders",
    ("purchase_frequency", "buyers"): "buyers",
    ("average_order_value", "order_amount"): "order_amount",
    ("revenue", "returned_amount"): "returned_amount",
    ("time_to_second_purchase", "customers"): "second_customers",
    ("time_to_second_purchase", "mean_days"): "second_mean_days",
    ("time_between_purchases", "pairs"): "pairs",
    ("time_between_purchases", "mean_days"): "gap_mean_days",
    ("order_processing_time", "delivered"): "delivered",
    ("order_processing_time", "mean_days"): "processing_mean_days",
}
REL = 1e-9


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB: VmHWM on Linux (it starts afresh at exec,
    whereas ru_maxrss keeps the forking parent's high-water mark), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


# -- data ------------------------------------------------------------------------------------
def prepare(customers: int, months: int, seed: int) -> tuple[Path, Path, dict[str, int]]:
    """Parquet directory and DuckDB workspace for one data set (generated once, cached)."""
    name = f"kpi_{customers}c_{months}m_s{seed}"
    data_dir, db = DATA / name, DATA / f"{name}.duckdb"
    counts_file = DATA / f"{name}.rows.json"
    if not (data_dir / "orders.parquet").exists():
        from retentionkit.generate import generate_tables, write_business

        print(f"generating {customers:,} customers × {months} months …", flush=True)
        began = time.perf_counter()
        tables = generate_tables(customers, months, seed, "both")
        write_business(tables, data_dir)
        del tables
        print(f"  {time.perf_counter() - began:.1f} s", flush=True)
    if not counts_file.exists() or not db.exists():
        from retentionkit.config import Settings
        from retentionkit.workspace import Workspace

        print(f"ingesting into {db.relative_to(ROOT)} …", flush=True)
        began = time.perf_counter()
        tmp = db.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        ws = Workspace(tmp, settings=Settings())
        counts = {}
        for table in (
            "customers",
            "orders",
            "returns",
            "subscriptions",
            "survey_responses",
            "acquisition_costs",
            "tickets",
        ):
            path = data_dir / f"{table}.parquet"
            if path.exists():
                ws.ingest(table, path)
        counts = ws.row_counts()
        ws.con.disconnect()
        tmp.replace(db)
        counts_file.write_text(json.dumps(counts))
        print(f"  {time.perf_counter() - began:.1f} s", flush=True)
    return data_dir, db, json.loads(counts_file.read_text())


# -- the three variants ----------------------------------------------------------------------
def duckdb_threads(con: Any) -> None:
    threads = env_int("BENCH_THREADS", 0)
    if threads:
        con.execute(f"SET threads = {threads}")


def run_retentionkit(db: Path) -> Any:
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    ws = Workspace(db, settings=Settings())
    try:
        duckdb_threads(ws.con.con)
        return ws.metrics(ORDER_METRICS, period="month")
    finally:
        ws.con.disconnect()


def run_sql(db: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        duckdb_threads(con)
        return con.execute((HERE / "handwritten.sql").read_text()).df()
    finally:
        con.close()


def run_pandas(data_dir: Path) -> Any:
    sys.path.insert(0, str(HERE))
    import pandas_reference

    orders, returns = pandas_reference.load(str(data_dir))
    return pandas_reference.report(orders, returns)


def load_pandas(data_dir: Path) -> tuple[Any, Any]:
    sys.path.insert(0, str(HERE))
    import pandas_reference

    return pandas_reference.load(str(data_dir))


def run_pandas_compute(frames: tuple[Any, Any]) -> Any:
    sys.path.insert(0, str(HERE))
    import pandas_reference

    return pandas_reference.report(*frames)


def timed(fn: Any, *args: Any) -> tuple[float, float, Any]:
    began, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - began, time.process_time() - cpu, result


# -- equality ----------------------------------------------------------------------------------
def wide_from_retentionkit(frame: Any) -> Any:
    """retentionkit's records as one row per month: metric values and checked components."""
    import pandas as pd

    rows: dict[Any, dict[str, Any]] = {}
    for rec in frame.itertuples(index=False):
        row = rows.setdefault(pd.Timestamp(rec.period_start), {})
        row[rec.metric] = rec.value
        for (metric, comp), col in COMPONENTS.items():
            if metric == rec.metric:
                row[col] = rec.components.get(comp)
    out = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    out.index.name = "period_start"
    return out


def compare(ours: Any, theirs: Any, label: str) -> list[str]:
    """Differences between retentionkit's wide report and a reference report."""
    import pandas as pd

    theirs = theirs.set_index(pd.to_datetime(theirs["period_start"])).sort_index()
    problems = []
    if list(ours.index) != list(theirs.index):
        return [f"{label}: months differ: {list(ours.index)} vs {list(theirs.index)}"]
    for col in ORDER_METRICS + sorted(set(COMPONENTS.values())):
        for month, a, b in zip(ours.index, ours[col], theirs[col], strict=True):
            a_na = a is None or (isinstance(a, float) and math.isnan(a))
            b_na = b is None or pd.isna(b)
            if a_na or b_na:
                if a_na != b_na:
                    problems.append(f"{label} {col} {month:%Y-%m}: {a!r} vs {b!r}")
                continue
            if not math.isclose(float(a), float(b), rel_tol=REL, abs_tol=1e-9):
                problems.append(f"{label} {col} {month:%Y-%m}: {a!r} vs {b!r}")
    return problems


# -- child mode: one variant in a fresh process, for its peak memory ---------------------------
def child(variant: str, db: Path, data_dir: Path) -> None:
    fn, arg = {
        "retentionkit": (run_retentionkit, db),
        "sql": (run_sql, db),
        "pandas": (run_pandas, data_dir),
    }[variant]
    seconds, cpu, _ = timed(fn, arg)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_rss_mb": peak_rss_mb()}))


def subprocess_run(variant: str, db: Path, data_dir: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--variant", variant, "--db", str(db), "--data", str(data_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- CLI ----------------------------------------------------------------------------------------
def time_command(cmd: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return times


def cli_timings(customers: int, months: int, seed: int) -> dict[str, Any]:
    exe = shutil.which("retentionkit", path=str(BIN)) or str(BIN / "retentionkit")
    helps = time_command([exe, "--help"], 5)
    _, db, counts = prepare(customers, months, seed)
    report = time_command([exe, "--db", str(db), "metrics", "--period", "month"], 3)
    return {
        "help_seconds": helps,
        "metrics_db_rows": counts,
        "metrics_seconds": report,
        "metrics_command": f"retentionkit --db {db.relative_to(ROOT)} metrics --period month",
    }


# -- main -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=["retentionkit", "sql", "pandas"])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.db, args.data)
        return

    customers = env_int("BENCH_CUSTOMERS", 1_000_000)
    months = env_int("BENCH_MONTHS", 24)
    seed = env_int("BENCH_SEED", 42)
    repeat = max(1, env_int("BENCH_REPEAT", 3))
    results: dict[str, Any] = {
        "customers": customers,
        "months": months,
        "seed": seed,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": os.getloadavg()[0],
    }
    data_dir, db, counts = prepare(customers, months, seed)
    results["rows"] = counts
    print(f"data: {counts}", flush=True)

    # same process: retentionkit and SQL alternate (first run of each is the cold one)
    rk_runs, sql_runs = [], []
    for _ in range(repeat):
        s, c, rk = timed(run_retentionkit, db)
        rk_runs.append((s, c))
        s, c, sql = timed(run_sql, db)
        sql_runs.append((s, c))
        print(
            f"retentionkit {rk_runs[-1][0]:.2f} s   hand-written SQL {sql_runs[-1][0]:.2f} s",
            flush=True,
        )
    results["retentionkit_seconds"] = [r[0] for r in rk_runs]
    results["retentionkit_cpu"] = [r[1] for r in rk_runs]
    results["sql_seconds"] = [r[0] for r in sql_runs]
    results["sql_cpu"] = [r[1] for r in sql_runs]
    ours = wide_from_retentionkit(rk)
    problems = compare(ours, sql, "sql")
    if env_int("BENCH_PANDAS", 1):
        s, c, frames = timed(load_pandas, data_dir)
        results["pandas_load_seconds"] = s
        s, c, pdf = timed(run_pandas_compute, frames)
        del frames
        results["pandas_seconds"] = s
        results["pandas_cpu"] = c
        print(
            f"pandas {results['pandas_load_seconds']:.2f} s reading + {s:.2f} s computing",
            flush=True,
        )
        problems += compare(ours, pdf, "pandas")
    results["equal"] = not problems
    results["problems"] = problems[:50]
    # medians: the machine may be shared, and one lucky run should not decide the ratio
    best_rk = statistics.median(results["retentionkit_seconds"])
    results["ratio_retentionkit_over_sql"] = best_rk / statistics.median(results["sql_seconds"])
    results["ratio_retentionkit_over_sql_cpu"] = statistics.median(
        results["retentionkit_cpu"]
    ) / statistics.median(results["sql_cpu"])
    if "pandas_seconds" in results:
        results["ratio_pandas_over_retentionkit"] = results["pandas_seconds"] / best_rk
        results["ratio_pandas_with_reading_over_retentionkit"] = (
            results["pandas_seconds"] + results["pandas_load_seconds"]
        ) / best_rk

    if env_int("BENCH_MEMORY", 1):
        variants = ["retentionkit", "sql"] + (["pandas"] if env_int("BENCH_PANDAS", 1) else [])
        results["subprocess"] = {v: subprocess_run(v, db, data_dir) for v in variants}
        for v, r in results["subprocess"].items():
            print(
                f"{v}: fresh process {r['seconds']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MiB",
                flush=True,
            )

    if env_int("BENCH_CLI", 1):
        cli_customers = env_int("BENCH_CLI_CUSTOMERS", max(1, customers // 2))
        results["cli"] = cli_timings(cli_customers, months, seed)
        print(
            f"retentionkit --help: best {min(results['cli']['help_seconds']):.2f} s; "
            f"metrics --period month on {results['cli']['metrics_db_rows'].get('orders', 0):,}"
            f" orders: best {min(results['cli']['metrics_seconds']):.2f} s",
            flush=True,
        )

    if env_int("BENCH_SURVEYS", 1):
        # the survey answer route under load (benchmarks/bench_surveys.py; bounded, ≤ 60 s)
        cmd = [sys.executable, str(HERE / "bench_surveys.py"), "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        lines = done.stdout.strip().splitlines()
        results["surveys"] = (
            json.loads(lines[-1])
            if done.returncode in (0, 1) and lines
            else {"error": (done.stderr or done.stdout)[-500:]}
        )
        print(f"survey answers: {results['surveys']}", flush=True)
    if env_int("BENCH_GOALS", 1):  # p_hit calibration of the goals (docs/benchmarks.md)
        subprocess.run([sys.executable, str(HERE / "bench_goals.py")], check=True, cwd=ROOT)
    if env_int("BENCH_MODELS", 1):  # issue 17 item 4: churn commands, RFM vs lifetimes
        subprocess.run([sys.executable, str(HERE / "bench_churn_cli.py")], check=True, cwd=ROOT)
        cmd = [sys.executable, str(HERE / "bench_rfm.py")]
        if os.environ.get("BENCH_RFM_PARQUET"):
            cmd += ["--orders-parquet", os.environ["BENCH_RFM_PARQUET"]]
        subprocess.run(cmd, check=True, cwd=ROOT)
    if env_int("BENCH_PG", 1):  # the same report on PostgreSQL vs DuckDB (docs/benchmarks.md)
        pg_customers = env_int("BENCH_PG_CUSTOMERS", 100_000)
        cmd = [sys.executable, str(HERE / "bench_postgres.py"), "--customers", str(pg_customers)]
        subprocess.run(cmd, check=True, cwd=ROOT)
        # issue 13: whole CLI processes at 10 M orders (ingest, report, RFM) on both backends
        pg_orders = env_int("BENCH_PG_ORDERS", 10_000_000)
        if pg_orders:
            cmd = [sys.executable, str(HERE / "bench_postgres.py"), "--orders", str(pg_orders)]
            subprocess.run([*cmd, "--repeat", "1"], check=True, cwd=ROOT)

    if env_int("BENCH_ATRISK", 1):  # the cold at-risk list and its CLV fits on 10 M orders
        cmd = [sys.executable, str(HERE / "bench_atrisk.py"), "--fits", "20000"]
        subprocess.run(cmd, check=True, cwd=ROOT)
    if env_int("BENCH_SERVE", 1):  # dashboard and API under load (docs/benchmarks.md), pages
        # on the 10 M-order workspace of bench_postgres --orders above (skipped when absent)
        cmd = [sys.executable, str(HERE / "bench_serve.py"), "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        lines = done.stdout.strip().splitlines()
        results["serve"] = (
            json.loads(lines[-1])
            if done.returncode == 0 and lines
            else {"error": (done.stderr or done.stdout)[-500:]}
        )
        print(f"dashboard and API under load: {results['serve']}", flush=True)

    if env_int("BENCH_INGEST", 1):  # whole-process ingest vs DuckDB's own load (item 2)
        size = str(env_int("BENCH_INGEST_ORDERS", 10_000_000))
        cmd = [sys.executable, str(HERE / "bench_ingest.py"), "--orders", size]
        subprocess.run(cmd, check=True, cwd=ROOT)
    if env_int("BENCH_REPORT", 1):  # whole-process report vs hand-written SQL, result cache
        sizes = os.environ.get("BENCH_REPORT_ORDERS", "5000000,10000000,50000000")
        cmd = [sys.executable, str(HERE / "bench_report.py"), "--orders", sizes]
        subprocess.run(cmd, check=True, cwd=ROOT)

    if env_int("BENCH_SPARK", 1):  # Spark local[2] vs DuckDB, whole CLI processes
        spark_orders = env_int("BENCH_SPARK_ORDERS", 50_000_000)
        cmd = [sys.executable, str(HERE / "bench_spark.py"), "--orders", str(spark_orders)]
        subprocess.run(cmd, check=True, cwd=ROOT)

    results["load_average_after"] = os.getloadavg()[0]
    out = Path(os.environ.get("BENCH_JSON") or DATA / f"kpi_results_{customers}c.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps({k: v for k, v in results.items() if k != "problems"}, indent=2, default=str))
    if problems:
        print("DIFFERENCES:\n" + "\n".join(problems[:50]))
        sys.exit(1)
    print("all three reports agree")


if __name__ == "__main__":
    main()
