"""Ingest as a user runs it (issue 17 item 2): whole ``retentionkit ingest`` processes.

On the orders file of benchmarks/bench_spark.py (``benchmarks/data/orders_<n>.parquet``,
10 M orders by default) and the same rows as CSV (written once next to it), this times, as
separate processes under ``/usr/bin/time`` (wall, CPU, peak memory), median of ``--repeat``:

* **duckdb parquet / duckdb csv**: a Python process running ``CREATE TABLE orders AS SELECT *
  FROM read_parquet(…)`` (``read_csv``) into a new DuckDB file — no validation at all: the
  engine's own write speed, the limit to approach;
* **parquet / csv**: ``retentionkit --db NEW ingest orders FILE`` (the engine path of
  schema/engine_ingest.py: every value checked, then written in one transaction);
* **pandas parquet** (once, ``--pandas``): the same with ``RETENTIONKIT_ENGINE_INGEST=off``,
  the path every ingest took before;
* **append parquet / append csv**: ``ingest orders append_10000.*`` (10 k new orders) into a
  copy of the loaded workspace — the nightly load.

After the loads it checks that the CSV and Parquet workspaces hold the same rows (an
``EXCEPT`` both ways), and that the append added exactly its rows.

    .venv/bin/python benchmarks/bench_ingest.py                     # 10 M orders
    .venv/bin/python benchmarks/bench_ingest.py --orders 1000000 --pandas
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_report import EXE, timed  # noqa: E402
from bench_spark import DATA, orders_parquet  # noqa: E402

CTAS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE TABLE orders AS SELECT * FROM {sys.argv[2]}")
con.close()
"""


def files(n: int) -> tuple[Path, Path, Path, Path]:
    """The Parquet file, the same rows as CSV, and 10 k new orders in both forms."""
    import duckdb

    parquet = orders_parquet(n)
    csv = DATA / f"orders_{n}.csv"
    append_parquet = DATA / "append_10000.parquet"
    append_csv = DATA / "append_10000.csv"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if not csv.exists():
        tmp = csv.with_suffix(".tmp.csv")
        con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{tmp}' (HEADER)")
        tmp.replace(csv)
    if not append_parquet.exists():  # keys after every generated order: all new
        con.execute(
            "COPY (SELECT 'o' || (1000000000 + i) AS order_id, 'c' || (i * 7919 % 100000) AS "
            "customer_id, TIMESTAMP '2025-12-31 00:00:00' + to_seconds(i * 8) AS ordered_at, "
            "CAST(10 + i % 90 AS DECIMAL(18,4)) AS amount, 1 + i % 3 AS quantity, "
            "NULL::TIMESTAMP AS delivered_at, 'web' AS channel FROM range(10000) t(i)) "
            f"TO '{append_parquet}'"
        )
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{append_parquet}')) TO '{append_csv}' (HEADER)"
        )
    con.close()
    return parquet, csv, append_parquet, append_csv


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def load(cmd_for: Any, repeat: int, folder: Path, env: dict[str, str] | None = None) -> dict:
    runs = []
    for i in range(repeat):
        db = folder / f"w{i}.duckdb"
        for p in folder.glob(f"w{i}.duckdb*"):
            p.unlink()
        figures, _ = timed(cmd_for(db), env)
        runs.append(figures)
    return _median(runs)


def rows_equal(a: Path, b: Path) -> bool:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    one = con.execute("SELECT count(*) FROM (FROM a.orders EXCEPT ALL FROM b.orders)").fetchone()
    two = con.execute("SELECT count(*) FROM (FROM b.orders EXCEPT ALL FROM a.orders)").fetchone()
    con.close()
    return one == (0,) and two == (0,)


def count(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    con.close()
    return int(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandas", action="store_true", help="also time the pandas path once")
    args = parser.parse_args()
    n = args.orders
    parquet, csv, append_parquet, append_csv = files(n)
    results: dict[str, Any] = {"orders": n}
    py = sys.executable
    # the package's bytecode compiled, as an installed package has it (bench_report.py too)
    import retentionkit

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    package = str(Path(retentionkit.__file__).parent)
    subprocess.run([py, "-m", "compileall", "-q", package], check=True, env=env)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        folder = Path(tmp)
        for name, reader in (
            ("duckdb_parquet", f"read_parquet('{parquet}')"),
            ("duckdb_csv", f"read_csv('{csv}')"),
        ):
            results[name] = load(
                lambda db, r=reader: [py, "-c", CTAS, str(db), r], args.repeat, folder
            )
            print(name, results[name], flush=True)
        for name, path in (("csv", csv), ("parquet", parquet)):  # parquet last: kept below
            results[name] = load(
                lambda db, p=path: [EXE, "--db", str(db), "ingest", "orders", str(p)],
                args.repeat,
                folder,
            )
            print(name, results[name], flush=True)
            shutil.copy(folder / "w0.duckdb", folder / f"loaded_{name}.duckdb")
        loaded = folder / "loaded_parquet.duckdb"
        results["csv_equals_parquet"] = rows_equal(folder / "loaded_csv.duckdb", loaded)
        results["rows_per_s_parquet"] = n / results["parquet"]["wall_s"]
        results["rows_per_s_csv"] = n / results["csv"]["wall_s"]
        results["csv_over_parquet"] = results["csv"]["wall_s"] / results["parquet"]["wall_s"]
        results["parquet_over_duckdb"] = (
            results["parquet"]["wall_s"] / results["duckdb_parquet"]["wall_s"]
        )
        for name, path in (("append_parquet", append_parquet), ("append_csv", append_csv)):
            runs = []
            for _ in range(args.repeat):
                db = folder / "append.duckdb"
                shutil.copy(loaded, db)
                # the copy's 0.24 GB of dirty pages are written out first: otherwise the
                # append's commit (fsync) pays for writing the copy, not the append
                os.sync()
                figures, _ = timed([EXE, "--db", str(db), "ingest", "orders", str(path)])
                runs.append(figures)
                assert count(db) == n + 10_000, "the append did not add exactly its rows"
            results[name] = _median(runs)
            print(name, results[name], flush=True)
        if args.pandas:
            results["pandas_parquet"] = load(
                lambda db: [EXE, "--db", str(db), "ingest", "orders", str(parquet)],
                1,
                folder,
                {"RETENTIONKIT_ENGINE_INGEST": "off"},
            )
            print("pandas_parquet", results["pandas_parquet"], flush=True)
    out = DATA / f"ingest_results_{n}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    if not results["csv_equals_parquet"]:
        sys.exit("the CSV and Parquet loads differ")


if __name__ == "__main__":
    main()
