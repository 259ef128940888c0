"""The monthly KPI report and the RFM summary on Spark local[2] against DuckDB (50 M orders).

Issue 13 item 5; the figures are in docs/benchmarks.md ("Spark local[2] vs DuckDB").

Data: one orders table written by a single DuckDB ``COPY (SELECT …) TO … (FORMAT parquet)``
and cached under benchmarks/data/ (git-ignored): ``orders_<N>.parquet`` with the canonical
columns order_id, customer_id (text), ordered_at (timestamp), amount (decimal(18,4)), quantity,
delivered_at (1 h to 7 days later; null for 10 %) and channel; N orders drawn from N / 10
customers over 24 months (2024-01 … 2025-12). Every value is a hash of the row number
(``hash(i * 8 + k)``: DuckDB's ``hash(i, k)`` values are correlated), so the file is the same
on every run. Customers are Zipf-like (the customer of an order is ``floor(C · u²)``: the
largest customer has ~√(1/C) of the orders, a typical one a handful); each customer starts on
a random day and orders uniformly over a random lifetime after it.

DuckDB side: a workspace file built from that Parquet with the user's path,
``retentionkit --db orders_<N>.duckdb ingest orders orders_<N>.parquet`` (timed, once; cached)
up to ``--max-ingest-orders`` (default 20 M): the ingest holds the whole file in pandas
(7.1 GB at 10 M orders), so above that the table the ingest would make (same columns, types and
order) is created with ``CREATE TABLE orders AS SELECT … FROM read_parquet(…)`` instead.
Spark side: a folder with a ``retentionkit.toml`` mapping ``orders`` to the same Parquet file
(read in place) and ``[spark] conf`` (driver memory); the CLI runs in that folder with
``--db spark://local[2]``. ``--prototype-spark`` (automatic when ``retentionkit.backends.spark``
is missing) runs this file's ``--spark-cli`` mode instead: the same CLI command with the
workspace opened as tests/backends/conftest.py did (``ibis.pyspark.connect`` over a temporary
view of the Parquet, TIMESTAMP_NTZ cast to TIMESTAMP).

Measured, each as a whole process (what a user runs), one heavy process at a time:

* ``retentionkit --db … metrics --period month --format json`` (every metric the orders allow);
* ``retentionkit --db … rfm --format csv`` (the RFM summary; output to a file, compared);

Wall time, CPU time and memory come from a sampler that reads /proc every 0.5 s for the
whole process tree (the CLI and its children: Spark's JVM is a child of the Python process):
the peak of the tree's summed resident memory (``tree_peak_rss_mb``), each process's own
high-water mark (VmHWM, ``processes``) and its CPU time (utime + stime at the last sample). The
command also runs under ``/usr/bin/time -v``, whose "Maximum resident set size" is the largest
single process it waited for (it misses the JVM unless pyspark waits for it); both are kept.
The two backends' outputs are compared: every metric value and component (1e-9 relative) and
the RFM summary (every row; frequency exact, recency / T / monetary value 1e-9 relative).

Run: ``.venv/bin/python benchmarks/bench_spark.py --orders 1000000`` (a quick check), or
``make bench`` (``BENCH_SPARK=0`` skips it, ``BENCH_SPARK_ORDERS`` sets N, default 50000000).
Options: ``--repeat R`` (default 1), ``--timeout S`` per process (default 3600),
``--driver-memory`` (default 6g), ``--only duckdb|spark``, ``--json PATH``.
Results: ``benchmarks/data/spark_results_<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.executable).parent
EXE = shutil.which("retentionkit", path=str(BIN)) or str(BIN / "retentionkit")
MONTHS_DAYS = 730  # 2024-01-01 … 2025-12-31
REL = 1e-9
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS = os.sysconf("SC_CLK_TCK")


# -- data ----------------------------------------------------------------------------------------
def orders_sql(n: int, path: Path) -> str:
    """One COPY statement writing ``n`` orders of ``n // 10`` customers to ``path``."""
    customers = max(1, n // 10)
    u = "(hash({}) / 18446744073709551616.0)"  # uniform in [0, 1) from a 64-bit hash
    return f"""
COPY (
  WITH o AS (
    SELECT i,
      CAST(floor({customers} * pow({u.format("i * 8 + 1")}, 2)) AS BIGINT) AS cust,
      {u.format("i * 8 + 2")} AS u_day,
      hash(i * 8 + 3) % 86400 AS sec,
      {u.format("i * 8 + 4")} AS u_amt,
      hash(i * 8 + 5) AS h
    FROM range({n}) t(i)
  ), c AS (
    SELECT *,
      hash(cust * 8 + 6) % {MONTHS_DAYS} AS start_day,
      {u.format("cust * 8 + 7")} AS u_life
    FROM o
  ), t AS (
    SELECT *,
      TIMESTAMP '2024-01-01'
        + to_days(CAST(start_day + floor(u_day * least({MONTHS_DAYS} - start_day,
              30 + {MONTHS_DAYS - 30} * u_life * u_life)) AS INTEGER))
        + to_seconds(CAST(sec AS BIGINT)) AS ordered_at
    FROM c
  )
  SELECT 'o' || i AS order_id,
         'c' || cust AS customer_id,
         ordered_at,
         CAST(round(5 + 195 * u_amt * u_amt, 2) AS DECIMAL(18, 4)) AS amount,
         CAST(1 + h % 5 AS BIGINT) AS quantity,
         CASE WHEN (h // 15) % 10 > 0  -- 10 % not delivered (yet)
              THEN ordered_at + to_seconds(CAST(3600 + (h // 150) % (7 * 86400) AS BIGINT))
         END AS delivered_at,
         ['web', 'shop', 'app'][CAST(1 + (h // 5) % 3 AS BIGINT)] AS channel
  FROM t
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
"""


def orders_parquet(n: int) -> Path:
    """``benchmarks/data/orders_<n>.parquet``, written once."""
    import duckdb

    path = DATA / f"orders_{n}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.parquet")
    tmp.unlink(missing_ok=True)
    print(f"writing {n:,} orders to {path.relative_to(ROOT)} …", flush=True)
    began = time.perf_counter()
    con = duckdb.connect()
    con.execute(orders_sql(n, tmp))
    con.close()
    tmp.replace(path)
    print(f"  {time.perf_counter() - began:.1f} s, {path.stat().st_size / 2**20:.0f} MiB")
    return path


def duckdb_workspace(
    n: int, parquet: Path, timeout: int, max_ingest: int
) -> tuple[Path, dict[str, Any]]:
    """``benchmarks/data/orders_<n>.duckdb`` ingested with the CLI once; the ingest's figures
    are kept next to it (``orders_<n>.ingest.json``)."""
    db = DATA / f"orders_{n}.duckdb"
    info = DATA / f"orders_{n}.ingest.json"
    if db.exists() and info.exists():
        return db, json.loads(info.read_text())
    tmp = DATA / f"orders_{n}.tmp.duckdb"
    for stale in (tmp, tmp.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    if n <= max_ingest:
        print(f"ingesting {n:,} orders into {db.relative_to(ROOT)} with the CLI …", flush=True)
        cmd = [EXE, "--db", str(tmp), "ingest", "orders", str(parquet)]
        figures = measure(cmd, DATA / f"orders_{n}.ingest.out", timeout)
        show("duckdb ingest", figures)
        if figures["returncode"] != 0:
            sys.exit(f"ingest failed: {figures['stderr_tail']}")
        figures["how"] = "retentionkit ingest"
    else:
        # The CLI ingest holds the whole file in pandas (≈ 0.7 GB per million orders: 7.1 GB
        # at 10 M), so one 50 M-order file needs ≈ 35 GB: more than this machine has. The
        # workspace gets the table the ingest makes (same columns, types and order) directly.
        import duckdb

        from retentionkit.schema.contracts import ORDERS

        duck_type = {"string": "VARCHAR", "timestamp(6)": "TIMESTAMP", "int64": "BIGINT"}
        cols = ", ".join(
            f"CAST({c} AS {duck_type.get(t, t.upper())}) AS {c}"
            for c, t in ORDERS.ibis_schema().items()
        )
        print(f"loading {n:,} orders into {db.relative_to(ROOT)} (CREATE TABLE AS) …", flush=True)
        began, cpu = time.perf_counter(), time.process_time()
        con = duckdb.connect(str(tmp))
        con.execute(f"CREATE TABLE orders AS SELECT {cols} FROM read_parquet('{parquet}')")
        con.close()
        figures = {
            "how": "CREATE TABLE orders AS SELECT … FROM read_parquet (the ingest's schema); "
            f"the CLI ingest is run up to --max-ingest-orders {max_ingest:,}",
            "wall_s": time.perf_counter() - began,
            "cpu_s_client": time.process_time() - cpu,
            "returncode": 0,
        }
        print(f"  {figures['wall_s']:.1f} s", flush=True)
    tmp.replace(db)
    info.write_text(json.dumps(figures, indent=2))
    return db, figures


def spark_folder(n: int, parquet: Path, driver_memory: str) -> Path:
    """A folder holding the retentionkit.toml of the Spark workspace (orders read in place)."""
    folder = DATA / f"spark_{n}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "retentionkit.toml").write_text(
        "[spark]\n"
        f'conf = {{ "spark.driver.memory" = "{driver_memory}" }}\n\n'
        "[spark.tables]\n"
        f'orders = "{parquet}"\n'
    )
    return folder


# -- measuring a process tree ----------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _sample(pid: int) -> dict[str, Any] | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in status}
    rest = stat.rsplit(")", 1)[1].split()
    return {
        "name": fields.get("Name", "?"),
        "rss_kb": int(fields.get("VmRSS", "0 kB").split()[0]),
        "hwm_kb": int(fields.get("VmHWM", "0 kB").split()[0]),
        "cpu_s": (int(rest[11]) + int(rest[12])) / TICKS,  # utime + stime
    }


class TreeSampler(threading.Thread):
    """Every ``interval`` s: the resident memory of every process under ``roots`` (summed, and
    each process's own high-water mark and CPU time at its last sample)."""

    def __init__(self, roots: list[int], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.roots, self.interval = roots, interval
        self.stop_event = threading.Event()
        self.peak_kb = 0
        self.procs: dict[int, dict[str, Any]] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            total = 0
            for root in self.roots:
                for pid in _tree(root):
                    s = _sample(pid)
                    if s is None or s["name"] == "time":
                        continue
                    total += s["rss_kb"]
                    seen = self.procs.get(pid)
                    if seen is not None:  # a zombie shows no memory: keep the last figures
                        s["hwm_kb"] = max(s["hwm_kb"], seen["hwm_kb"])
                        s["cpu_s"] = max(s["cpu_s"], seen["cpu_s"])
                    self.procs[pid] = s
            self.peak_kb = max(self.peak_kb, total)
            self.stop_event.wait(self.interval)


def _time_v(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        key, _, value = line.strip().partition(": ")
        if key == "Maximum resident set size (kbytes)":
            out["max_rss_mb"] = int(value) / 1024
        elif key.startswith("Elapsed (wall clock) time"):
            parts = [float(p) for p in value.split(":")]
            out["elapsed_s"] = sum(p * 60**i for i, p in enumerate(reversed(parts)))
        elif key == "User time (seconds)":
            out["user_s"] = float(value)
        elif key == "System time (seconds)":
            out["sys_s"] = float(value)
    return out


def measure(
    cmd: list[str],
    stdout: Path,
    timeout: int,
    cwd: Path = ROOT,
    also: list[int] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v`` and ``timeout``, stdout to ``stdout``; sample
    its process tree (and the trees of the pids in ``also``, e.g. a database server)."""
    time_file = stdout.with_suffix(".time")
    time_file.unlink(missing_ok=True)
    full = ["/usr/bin/time", "-v", "-o", str(time_file), "timeout", str(timeout), *cmd]
    load_before = os.getloadavg()
    with stdout.open("wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(
            full, stdout=out, stderr=subprocess.PIPE, cwd=cwd, env={**os.environ, **(env or {})}
        )
        sampler = TreeSampler([proc.pid, *(also or [])])
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - began
        sampler.stop_event.set()
        sampler.join()
    own = [p for p in sampler.procs.values()]
    figures = {
        "command": " ".join(cmd),
        "cwd": str(cwd),
        "returncode": proc.returncode,
        "wall_s": wall,
        "tree_peak_rss_mb": sampler.peak_kb / 1024,
        "sum_process_hwm_mb": sum(p["hwm_kb"] for p in own) / 1024,
        "cpu_s": sum(p["cpu_s"] for p in own),
        "processes": sorted(
            (
                {"name": p["name"], "hwm_mb": p["hwm_kb"] / 1024, "cpu_s": p["cpu_s"]}
                for p in own
                if p["hwm_kb"] > 10 * 1024
            ),
            key=lambda p: -p["hwm_mb"],
        ),
        "time_v": _time_v(time_file),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "stderr_tail": err.decode(errors="replace")[-2000:],
    }
    return figures


def show(label: str, f: dict[str, Any]) -> None:
    procs = ", ".join(f"{p['name']} {p['hwm_mb']:.0f}" for p in f["processes"][:3])
    print(
        f"{label}: {f['wall_s']:.1f} s wall, {f['cpu_s']:.1f} s CPU, tree peak "
        f"{f['tree_peak_rss_mb']:.0f} MiB (per process HWM MiB: {procs}; /usr/bin/time "
        f"max RSS {f['time_v'].get('max_rss_mb', float('nan')):.0f} MiB), rc {f['returncode']}, "
        f"load {f['load_before'][0]:.1f} → {f['load_after'][0]:.1f}",
        flush=True,
    )
    if f["returncode"] != 0:
        print("  stderr:", f["stderr_tail"][-1500:], flush=True)


# -- the Spark CLI before the spark:// backend existed ---------------------------------------
def has_spark_backend() -> bool:
    import importlib.util

    return importlib.util.find_spec("retentionkit.backends.spark") is not None


def spark_cli_prototype(parquet: str, driver_memory: str, argv: list[str]) -> int:
    """Run the CLI command ``argv`` with the workspace opened on a local[2] Spark session over
    ``parquet`` (as tests/backends/conftest.py opens it), instead of ``--db``'s workspace."""
    import ibis
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    import retentionkit.cli._common as common
    from retentionkit.cli import app as cli_app
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    utc = "-Duser.timezone=UTC"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("retentionkit-bench")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", utc)
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    df = session.read.parquet(parquet)
    casts = [
        F.col(f.name).cast(T.TimestampType()).alias(f.name)
        if isinstance(f.dataType, T.TimestampNTZType)
        else F.col(f.name)
        for f in df.schema.fields
    ]
    # the canonical columns the file lacks, as typed nulls (a DuckDB workspace has them all)
    from retentionkit.schema.contracts import ORDERS

    spark_type = {"string": "string", "timestamp(6)": "timestamp", "int64": "bigint"}
    present = {f.name for f in df.schema.fields}
    for column, dtype in ORDERS.ibis_schema().items():
        if column not in present:
            kind = spark_type.get(dtype, dtype.replace(" ", ""))
            casts.append(F.lit(None).cast(kind).alias(column))
    df.select(*casts).createOrReplaceTempView("orders")
    ws = Workspace(ibis.pyspark.connect(session), settings=Settings())

    def opened(ctx: Any, *, create: bool = False) -> Any:
        return ws

    common.open_workspace = opened  # type: ignore[assignment]
    for name, module in list(sys.modules.items()):
        if name.startswith("retentionkit.cli.") and hasattr(module, "open_workspace"):
            module.open_workspace = opened  # type: ignore[attr-defined]
    try:
        return cli_app.main(["--db", "prototype.duckdb", *argv])
    finally:
        session.stop()


# -- comparing the outputs -----------------------------------------------------------------------
def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=1e-12)


def compare_metrics(duck: Path, spark: Path) -> dict[str, Any]:
    """Every record (metric, period, segment): value and every component, 1e-9 relative."""
    a = {(r["metric"], r["period_start"], r["segment"]): r for r in json.loads(duck.read_text())}
    b = {(r["metric"], r["period_start"], r["segment"]): r for r in json.loads(spark.read_text())}
    problems = []
    if set(a) != set(b):
        problems.append(
            f"records differ: {len(set(a) - set(b))} only on DuckDB "
            f"({sorted(set(a) - set(b))[:3]}), {len(set(b) - set(a))} only on Spark "
            f"({sorted(set(b) - set(a))[:3]})"
        )
    checked, max_rel = 0, 0.0
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        pairs = [("value", x["value"], y["value"])]
        comps = set(x.get("components") or {}) | set(y.get("components") or {})
        pairs += [
            (f"components.{c}", (x["components"] or {}).get(c), (y["components"] or {}).get(c))
            for c in sorted(comps)
        ]
        for name, p, q in pairs:
            checked += 1
            if isinstance(p, (int, float)) and isinstance(q, (int, float)) and p != q:
                max_rel = max(max_rel, abs(p - q) / max(abs(p), abs(q)))
            if not _close(p, q):
                problems.append(f"{key} {name}: DuckDB {p!r} vs Spark {q!r}")
    metrics = sorted({k[0] for k in a})
    return {
        "records": len(a),
        "metrics": metrics,
        "numbers_checked": checked,
        "max_relative_difference": max_rel,
        "equal": not problems,
        "problems": problems[:20],
        "problem_count": len(problems),
    }


def compare_rfm(duck: Path, spark: Path, other: str = "spark") -> dict[str, Any]:
    """The two RFM CSVs, row by row after sorting by customer: frequency exact, the rest 1e-9."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(duck, dtype={"customer_id": str}).sort_values("customer_id")
    b = pd.read_csv(spark, dtype={"customer_id": str}).sort_values("customer_id")
    out: dict[str, Any] = {"rows_duckdb": len(a), f"rows_{other}": len(b)}
    problems = []
    if list(a.columns) != list(b.columns):
        problems.append(f"columns differ: {list(a.columns)} vs {list(b.columns)}")
    elif a["customer_id"].tolist() != b["customer_id"].tolist():
        problems.append("the customers differ")
    else:
        identical = True
        for col in a.columns[1:]:
            x, y = a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float)
            same = (x == y) | (np.isnan(x) & np.isnan(y))
            identical &= bool(same.all())
            close = np.isclose(x, y, rtol=REL, atol=1e-12, equal_nan=True)
            if col == "frequency":
                close = same
            if not close.all():
                problems.append(f"{col}: {int((~close).sum())} rows differ")
            denom = np.maximum(np.abs(x), np.abs(y))
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(denom > 0, np.abs(x - y) / denom, 0.0)
            out[f"max_rel_{col}"] = float(np.nanmax(rel)) if len(rel) else 0.0
        out["identical"] = identical
    out["equal"] = not problems
    out["problems"] = problems
    return out


# -- main ------------------------------------------------------------------------------------------
def run_pair(
    name: str,
    argv: list[str],
    n: int,
    duck_db: Path,
    spark_dir: Path,
    args: argparse.Namespace,
    prototype: bool,
    results: dict[str, Any],
) -> dict[str, Path]:
    """``argv`` on DuckDB then on Spark, ``--repeat`` times each; the outputs' paths."""
    outs: dict[str, Path] = {}
    for backend in ("duckdb", "spark"):
        if args.only and args.only != backend:
            continue
        out = DATA / f"out_{n}_{name}_{backend}.txt"
        runs = []
        for i in range(args.repeat):
            if backend == "duckdb":
                cmd, cwd = [EXE, "--db", str(duck_db), *argv], ROOT
            elif prototype:
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--spark-cli",
                    str(orders_parquet(n)),
                    args.driver_memory,
                    *argv,
                ]
                cwd = spark_dir
            else:
                cmd, cwd = [EXE, "--db", "spark://local[2]", *argv], spark_dir
            figures = measure(cmd, out, args.timeout, cwd=cwd)
            show(f"{backend} {name} (run {i + 1})", figures)
            runs.append(figures)
        results.setdefault(name, {})[backend] = runs
        if all(r["returncode"] == 0 for r in runs):
            outs[backend] = out
    if args.only:  # compare with the other backend's output of an earlier run, if any
        other = "spark" if args.only == "duckdb" else "duckdb"
        earlier = DATA / f"out_{n}_{name}_{other}.txt"
        if earlier.exists() and outs:
            outs[other] = earlier
            results.setdefault("compared_with_earlier_output", []).append(str(earlier))
    return outs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--only", choices=["duckdb", "spark"])
    parser.add_argument("--prototype-spark", action="store_true")
    parser.add_argument(
        "--max-ingest-orders",
        type=int,
        default=20_000_000,
        help="largest N built with `retentionkit ingest` (larger: CREATE TABLE AS, see above)",
    )
    parser.add_argument("--data-only", action="store_true", help="write the Parquet and stop")
    parser.add_argument("--json", type=Path)
    if len(sys.argv) > 1 and sys.argv[1] == "--spark-cli":  # internal: the prototype
        parquet, memory, *argv = sys.argv[2:]
        sys.exit(spark_cli_prototype(parquet, memory, argv))
    args = parser.parse_args()
    n = args.orders

    prototype = args.prototype_spark or not has_spark_backend()
    results: dict[str, Any] = {
        "orders": n,
        "customers_drawn_from": max(1, n // 10),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "spark_path": "prototype (ibis.pyspark.connect)" if prototype else "spark://local[2]",
        "driver_memory": args.driver_memory,
        "load_average_before": os.getloadavg(),
    }
    parquet = orders_parquet(n)
    results["parquet_mib"] = parquet.stat().st_size / 2**20
    if args.data_only:
        return
    duck_db, ingest = duckdb_workspace(n, parquet, args.timeout, args.max_ingest_orders)
    results["duckdb_ingest"] = ingest
    spark_dir = spark_folder(n, parquet, args.driver_memory)
    try:
        import pyspark

        results["pyspark"] = pyspark.__version__
    except ImportError:
        pass
    import duckdb

    results["duckdb"] = duckdb.__version__

    metrics = run_pair(
        "metrics",
        ["metrics", "--period", "month", "--format", "json"],
        n,
        duck_db,
        spark_dir,
        args,
        prototype,
        results,
    )
    if len(metrics) == 2:
        results["metrics_agree"] = compare_metrics(metrics["duckdb"], metrics["spark"])
        print("metrics agree:", json.dumps(results["metrics_agree"])[:600], flush=True)
    rfm = run_pair(
        "rfm", ["rfm", "--format", "csv"], n, duck_db, spark_dir, args, prototype, results
    )
    if len(rfm) == 2:
        results["rfm_agree"] = compare_rfm(rfm["duckdb"], rfm["spark"])
        print("rfm agree:", json.dumps(results["rfm_agree"]), flush=True)
    results["load_average_after"] = os.getloadavg()

    out = args.json or DATA / f"spark_results_{n}.json"
    if args.only and out.exists():  # keep the other backend's figures of an earlier run
        earlier = json.loads(out.read_text())
        for name in ("metrics", "rfm"):
            results[name] = {**earlier.get(name, {}), **results.get(name, {})}
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed = [k for k in ("metrics_agree", "rfm_agree") if k in results and not results[k]["equal"]]
    if failed:
        sys.exit(f"the backends disagree: {failed}")


if __name__ == "__main__":
    main()
