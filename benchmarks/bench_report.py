"""The monthly KPI report as a user runs it (issue 17 item 1): whole processes on stored orders.

For each size (5 M, 10 M and 50 M orders by default; the orders-only workspaces of
benchmarks/bench_spark.py, ``benchmarks/data/orders_<n>.duckdb``) this times, as separate
processes, median of ``--repeat`` runs:

* **sql**: a Python process running the hand-written DuckDB SQL of benchmarks/handwritten.sql
  over the same file (read-only; the table of returns, which these workspaces do not have,
  is an empty temporary view) and fetching its rows — the limit to approach;
* **engine**: ``RETENTIONKIT_CACHE=off retentionkit --db W metrics --period month --format
  json`` — every order KPI with default options, computed from the raw table;
* **first**: the same command with the cache on and emptied — compute, then store the answer
  (what the first report after an ingest costs);
* **cached**: the same command again — the answer from the result cache
  (retentionkit.service.result_cache), as every later run until the next write.

First, start-up (issue 17 item 5): ``retentionkit --help`` and ``metrics --last 1`` on a small
workspace, computed (cache off) and cached, median of at least 5 runs.

It checks that the cached output is byte-identical to the engine's and that every value the
hand-written SQL computes equals the engine's (1e-9 relative). Wall time, CPU time (user +
system) and peak memory come from ``/usr/bin/time``.

    .venv/bin/python benchmarks/bench_report.py                       # 5 M, 10 M, 50 M
    .venv/bin/python benchmarks/bench_report.py --orders 5000000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIN = Path(sys.executable).parent
EXE = shutil.which("retentionkit", path=str(BIN)) or str(BIN / "retentionkit")
sys.path.insert(0, str(HERE))

from run import ORDER_METRICS  # noqa: E402

EMPTY_RETURNS = (
    "CREATE TEMP VIEW returns AS SELECT NULL::VARCHAR AS return_id, NULL::VARCHAR AS order_id, "
    "NULL::TIMESTAMP AS returned_at, NULL::DECIMAL(18,4) AS amount, NULL::BIGINT AS quantity "
    "WHERE false"
)
SQL_SCRIPT = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
if "returns" not in tables:
    con.execute(sys.argv[3])
cur = con.execute(open(sys.argv[2]).read())
names = [d[0] for d in cur.description]
rows = cur.fetchall()
print(json.dumps([dict(zip(names, r)) for r in rows], default=str))
"""
#: The order KPIs of benchmarks/run.py that these orders-only workspaces have (no returns table).
CHECKED = [m for m in ORDER_METRICS if m != "return_rate"]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[dict[str, float], str]:
    """Run ``cmd`` under /usr/bin/time: wall, cpu (user + sys) seconds, peak MiB, stdout."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M", *cmd]
        began = time.perf_counter()
        done = subprocess.run(
            full, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT
        )
        wall = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
        _, user, system, kb = tf.read().split()[-4:]
    figures = {"wall_s": wall, "cpu_s": float(user) + float(system), "peak_mb": int(kb) / 1024}
    return figures, done.stdout


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def compare(engine_json: str, sql_json: str) -> list[str]:
    ours: dict[tuple[str, str], Any] = {}
    for rec in json.loads(engine_json):
        ours[(rec["metric"], rec["period_start"][:7])] = rec["value"]
    problems = []
    months = 0
    for row in json.loads(sql_json):
        month = str(row["period_start"])[:7]
        months += 1
        for metric in CHECKED:
            if (metric, month) not in ours:
                problems.append(f"{metric} {month}: missing in retentionkit's report")
                continue
            a, b = ours[(metric, month)], row[metric]
            if a is None or b is None:
                if (a is None) != (b is None):
                    problems.append(f"{metric} {month}: {a!r} vs {b!r}")
                continue
            if not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{metric} {month}: {a!r} vs {b!r}")
    if months == 0:
        problems.append("the hand-written report is empty")
    return problems


def workspace(n: int) -> Path:
    from bench_spark import duckdb_workspace, orders_parquet

    db, _ = duckdb_workspace(n, orders_parquet(n), timeout=3600, max_ingest=0)
    return db


def bench(n: int, repeat: int) -> dict[str, Any]:
    db = workspace(n)
    cache = db.resolve().parent / f".{db.name}.cache"
    report = [EXE, "--db", str(db), "metrics", "--period", "month", "--format", "json"]
    sql = [sys.executable, "-c", SQL_SCRIPT, str(db), str(HERE / "handwritten.sql"), EMPTY_RETURNS]
    runs: dict[str, list[dict[str, float]]] = {"sql": [], "engine": [], "first": [], "cached": []}
    outputs: dict[str, str] = {}
    for _ in range(repeat):
        f, outputs["sql"] = timed(sql)
        runs["sql"].append(f)
        f, outputs["engine"] = timed(report, {"RETENTIONKIT_CACHE": "off"})
        runs["engine"].append(f)
        shutil.rmtree(cache, ignore_errors=True)
        f, outputs["first"] = timed(report, {"RETENTIONKIT_CACHE": "on"})
        runs["first"].append(f)
        f, outputs["cached"] = timed(report, {"RETENTIONKIT_CACHE": "on"})
        runs["cached"].append(f)
        print(
            f"{n:,} orders: sql {runs['sql'][-1]['wall_s']:.2f} s, engine "
            f"{runs['engine'][-1]['wall_s']:.2f} s, first {runs['first'][-1]['wall_s']:.2f} s, "
            f"cached {runs['cached'][-1]['wall_s']:.2f} s",
            flush=True,
        )
    problems = compare(outputs["engine"], outputs["sql"])
    if not outputs["cached"] == outputs["first"] == outputs["engine"]:
        problems.append("the cached report differs from the engine's")
    shutil.rmtree(cache, ignore_errors=True)
    sql_wall = median(runs["sql"], "wall_s")
    out: dict[str, Any] = {"orders": n, "repeat": repeat, "problems": problems[:20]}
    for name, rs in runs.items():
        out[name] = {
            "wall_s": median(rs, "wall_s"),
            "cpu_s": median(rs, "cpu_s"),
            "peak_mb": max(r["peak_mb"] for r in rs),
            "walls": [round(r["wall_s"], 3) for r in rs],
            "ratio_to_sql": median(rs, "wall_s") / sql_wall,
        }
    return out


def startup(repeat: int) -> dict[str, Any]:
    """Issue 17 item 5: ``retentionkit --help`` and a read command (``metrics --last 1``) on a
    small workspace (200 generated customers over 6 months), computed and cached."""
    small = DATA / "startup"
    db = small / "small.duckdb"
    if not db.exists():
        shutil.rmtree(small, ignore_errors=True)
        gen = [EXE, "generate", "--out", str(small / "data"), "--customers", "200"]
        subprocess.run([*gen, "--months", "6", "--seed", "1"], check=True, capture_output=True)
        load = [EXE, "--db", str(db), "load-dir", str(small / "data")]
        subprocess.run(load, check=True, capture_output=True)
    # the package's bytecode compiled, as an installed package has it (``pip install`` compiles;
    # a source tree run with PYTHONDONTWRITEBYTECODE=1 would compile every module every start)
    import retentionkit

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    package = str(Path(retentionkit.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, env=env)
    read = [EXE, "--db", str(db), "metrics", "--last", "1"]
    out: dict[str, Any] = {}
    for name, cmd, env in (
        ("help", [EXE, "--help"], {}),
        ("read_computed", read, {"RETENTIONKIT_CACHE": "off"}),
        ("read_cached", read, {"RETENTIONKIT_CACHE": "on"}),
    ):
        timed(cmd, env)  # warm the file system cache
        walls = sorted(timed(cmd, env)[0]["wall_s"] for _ in range(repeat))
        out[name] = {"median_s": statistics.median(walls), "best_s": walls[0], "walls": walls}
        print(f"{name}: median {out[name]['median_s']:.2f} s, best {walls[0]:.2f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", default="5000000,10000000,50000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=DATA / "report_results.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"load_before": os.getloadavg(), "sizes": []}
    results["startup"] = startup(max(5, args.repeat))
    failed = False
    for n in (int(x) for x in args.orders.split(",") if x.strip()):
        r = bench(n, args.repeat)
        results["sizes"].append(r)
        failed |= bool(r["problems"])
        print(json.dumps(r), flush=True)
    results["load_after"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\n{'orders':>12} {'variant':>8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'× sql':>6}")
    for r in results["sizes"]:
        for name in ("sql", "engine", "first", "cached"):
            v = r[name]
            print(
                f"{r['orders']:>12,} {name:>8} {v['wall_s']:>8.2f} {v['cpu_s']:>8.2f} "
                f"{v['peak_mb']:>8.0f} {v['ratio_to_sql']:>6.2f}"
            )
        for p in r["problems"]:
            print(f"  PROBLEM: {p}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
