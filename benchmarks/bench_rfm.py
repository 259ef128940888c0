"""RFM summary and cohort tables on ~10 M orders / 1 M customers, against lifetimes.

Data: ``generate_business(customers=1_000_000, months=24)`` orders, cached under
``benchmarks/data/`` (git-ignored) as Parquet, as a DuckDB workspace built from it (canonical
column types, loaded with ``CREATE TABLE … AS SELECT`` rather than ``ingest`` — the ingest is
benchmarked on its own) and as a NumPy file for lifetimes.

Every measurement runs in its own process, which reports its wall time, CPU time (all threads)
and peak resident memory:

* ours: ``rfm_summary(ws, "week")`` — the Ibis expression executed by DuckDB and returned as a
  1 M-row pandas DataFrame; the same with a calibration end (holdout columns); the monthly
  cohort tables of kinds ``customers`` and ``revenue``;
* lifetimes 0.11.3 (its own venv, ``bash benchmarks/lifetimes_env.sh``):
  ``summary_data_from_transaction_data(freq="D", freq_multiplier=7, monetary_value_col=…)``
  on the same orders; its result is compared with ours.

Run: ``.venv/bin/python benchmarks/bench_rfm.py [--customers N] [--months M] [--skip-lifetimes]``
(``--orders-parquet FILE`` reuses an orders file instead of generating one.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
LIFETIMES_PY = HERE / ".venv-lifetimes" / "bin" / "python"

_LIFETIMES_SNIPPET = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
d = np.load(sys.argv[1])
tx = pd.DataFrame({"customer_id": d["customer"].astype(object),
                   "ordered_at": d["ordered_at"].astype("datetime64[ns]"),
                   "amount": d["amount"]})
end = pd.Timestamp(str(d["end"]))
t0, c0 = time.perf_counter(), time.process_time()
s = summary_data_from_transaction_data(tx, "customer_id", "ordered_at", monetary_value_col="amount",
                                       observation_period_end=end, freq="D", freq_multiplier=7)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
s = s.sort_index()
np.savez(sys.argv[2], customer=s.index.to_numpy().astype(str), frequency=s["frequency"].to_numpy(),
         recency=s["recency"].to_numpy(), T=s["T"].to_numpy(),
         monetary_value=s["monetary_value"].to_numpy())
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 2**20
print(json.dumps({"seconds": wall, "cpu": cpu, "peak_gb": peak, "rows": len(s)}))
"""


def _paths(customers: int, months: int, source: Path | None = None) -> dict[str, Path]:
    """Cache files; with ``source`` (an orders Parquet file made elsewhere, e.g. the 10 M-order
    file of ``make bench`` step 1) the workspace and the lifetimes input are derived from it."""
    stem = source.stem if source is not None else f"orders_{customers}c_{months}m"
    return {
        "parquet": source if source is not None else DATA / f"{stem}.parquet",
        "duckdb": DATA / f"{stem}.duckdb",
        "npz": DATA / f"{stem}_lifetimes.npz",
    }


def prepare(customers: int, months: int, source: Path | None = None) -> dict[str, Path]:
    """Generate (once, unless ``source`` is given) and cache the orders in the three forms."""
    import duckdb
    import numpy as np

    paths = _paths(customers, months, source)
    DATA.mkdir(parents=True, exist_ok=True)
    if not paths["parquet"].exists():
        from retentionkit.generate import generate_business

        t0 = time.perf_counter()
        orders = generate_business(customers=customers, months=months, kind="ecommerce")["orders"]
        tmp = paths["parquet"].with_suffix(".tmp")
        orders.to_parquet(tmp, index=False)
        tmp.replace(paths["parquet"])
        print(f"generated {len(orders):,} orders in {time.perf_counter() - t0:.1f} s")
        del orders
    if not paths["duckdb"].exists():
        tmp = paths["duckdb"].with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        con.execute(
            "CREATE TABLE orders AS SELECT CAST(order_id AS VARCHAR) AS order_id, "
            "CAST(customer_id AS VARCHAR) AS customer_id, "
            "CAST(ordered_at AS TIMESTAMP) AS ordered_at, "
            "CAST(amount AS DECIMAL(18, 4)) AS amount, CAST(quantity AS BIGINT) AS quantity "
            f"FROM read_parquet('{paths['parquet']}')"
        )
        con.close()
        tmp.replace(paths["duckdb"])
    if not paths["npz"].exists():
        con = duckdb.connect()
        frame = con.execute(
            "SELECT CAST(customer_id AS VARCHAR) AS customer, "
            "epoch_ns(CAST(ordered_at AS TIMESTAMP)) AS ordered_at, "
            "CAST(amount AS DOUBLE) AS amount, "
            "CAST(max(CAST(ordered_at AS DATE)) OVER () AS VARCHAR) AS end_day "
            f"FROM read_parquet('{paths['parquet']}')"
        ).fetchnumpy()
        tmp = paths["npz"].with_suffix(".tmp.npz")
        np.savez(
            tmp,
            customer=frame["customer"].astype(str),  # the same text ids as ours
            ordered_at=frame["ordered_at"],
            amount=frame["amount"],
            end=np.array(str(frame["end_day"][0])),
        )
        tmp.replace(paths["npz"])
    return paths


def _peak_gb() -> float:
    """Peak resident memory of this process image (VmHWM; unlike ru_maxrss it does not carry
    over the parent's peak through fork + exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure_ours(db: str, what: str, repeat: int) -> None:
    """Child process: run one of our computations ``repeat`` times; print JSON (best run)."""
    from retentionkit.workspace import Workspace

    ws = Workspace(db)
    runs = []
    rows = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        if what == "rfm":
            frame = ws.rfm(time_unit="week")
        elif what == "rfm_holdout":
            last = ws.table("orders").ordered_at.max().execute()
            cal = (last - __import__("pandas").Timedelta(days=182)).date()
            frame = ws.rfm(time_unit="week", calibration_end=cal)
        elif what == "cohorts_customers":
            frame = ws.cohorts(period="month", kind="customers")
        elif what == "cohorts_revenue":
            frame = ws.cohorts(period="month", kind="revenue")
        else:
            raise SystemExit(f"unknown measurement {what}")
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
        rows = len(frame)
        if what == "rfm":
            out = DATA / "ours_rfm.parquet"
            frame.to_parquet(out, index=False)
    wall, cpu = min(runs)
    print(json.dumps({"seconds": wall, "cpu": cpu, "peak_gb": _peak_gb(), "rows": rows}))


def _child(args: list[str]) -> dict[str, float]:
    # The computation is what is compared: the result cache (docs/performance.md) would answer
    # every run after the first from disk.
    env = {**os.environ, "RETENTIONKIT_CACHE": "off"}
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise SystemExit(f"measurement failed: {' '.join(args[-2:])}: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(npz_lifetimes: Path) -> str:
    """Largest differences between lifetimes' summary and ours."""
    import numpy as np
    import pandas as pd

    ours = pd.read_parquet(DATA / "ours_rfm.parquet")
    ours["customer"] = ours["customer_id"].astype(str)
    ours = ours.sort_values("customer").reset_index(drop=True)
    theirs = dict(np.load(npz_lifetimes, allow_pickle=True))
    theirs["customer"] = theirs["customer"].astype(str)
    if (
        len(ours) != len(theirs["customer"])
        or not (ours["customer"].to_numpy() == theirs["customer"]).all()
    ):
        return "customer sets differ"
    diffs = {
        col: float(np.max(np.abs(ours[col].to_numpy(float) - theirs[col])))
        for col in ("frequency", "recency", "T", "monetary_value")
    }
    return ", ".join(f"max |Δ{k}| = {v:.2e}" for k, v in diffs.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours; best is reported")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument(
        "--orders-parquet",
        type=Path,
        help="use this orders Parquet file (customer_id, ordered_at, amount, quantity, order_id) "
        "instead of generating one, e.g. ../main/benchmarks/data/orders_10000000.parquet",
    )
    parser.add_argument("--measure", nargs=2, metavar=("DB", "WHAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_ours(args.measure[0], args.measure[1], args.repeat)
        return

    paths = prepare(args.customers, args.months, args.orders_parquet)
    import duckdb

    con = duckdb.connect(str(paths["duckdb"]), read_only=True)
    n_orders, n_customers = con.execute(
        "SELECT count(*), count(DISTINCT customer_id) FROM orders"
    ).fetchone()
    con.close()
    print(f"orders {n_orders:,}, customers {n_customers:,} ({paths['duckdb'].name})")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    me = [sys.executable, __file__, "--repeat", str(args.repeat), "--measure", str(paths["duckdb"])]
    results = {}
    for what in ("rfm", "rfm_holdout", "cohorts_customers", "cohorts_revenue"):
        results[what] = r = _child([*me, what])
        print(
            f"ours {what:<20} {r['seconds']:7.2f} s wall  {r['cpu']:7.2f} s CPU  "
            f"peak {r['peak_gb']:.2f} GB  ({r['rows']:,} rows; best of {args.repeat})"
        )

    if args.skip_lifetimes or not LIFETIMES_PY.exists():
        print("lifetimes skipped (run `bash benchmarks/lifetimes_env.sh` first)")
        return
    out = DATA / "lifetimes_rfm.npz"
    lt = _child([str(LIFETIMES_PY), "-c", _LIFETIMES_SNIPPET, str(paths["npz"]), str(out)])
    print(
        f"lifetimes summary_data_from_transaction_data {lt['seconds']:7.2f} s wall  "
        f"{lt['cpu']:7.2f} s CPU  peak {lt['peak_gb']:.2f} GB  ({lt['rows']:,} rows)"
    )
    ours = results["rfm"]
    print(
        f"speed-up: {lt['seconds'] / ours['seconds']:.1f}x wall, "
        f"{lt['cpu'] / ours['cpu']:.1f}x CPU; peak memory lifetimes / ours "
        f"{lt['peak_gb'] / ours['peak_gb']:.1f}x"
    )
    print("same numbers:", compare(out))


if __name__ == "__main__":
    main()
