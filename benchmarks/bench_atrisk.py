"""The at-risk list and its CLV fits on a large shop (issue 17 item 3: a cold at-risk page).

Two measurements on the 10 M-order workspace of ``bench_spark.py`` / ``bench_postgres.py
--orders`` (``benchmarks/data/orders_10000000.duckdb``: 998,221 customers, orders only):

1. **whole process**: ``RETENTIONKIT_CACHE=off retentionkit --db W churn at-risk --top 20
   --format json`` — what the dashboard's at-risk page computes on a cold start: the RFM
   summary, ``model="auto"`` (BG/NBD, MBG/NBD and Pareto/NBD fitted, checked and compared on a
   holdout), P(alive) and CLV for every customer, segments. Wall time, CPU and peak memory;
2. **the fits alone** (``--fits N``): each purchase model fitted in-process on N customers of
   that workspace's RFM summary (a stable hash sample, as ``clv/sample.py`` draws it), with the
   number of likelihood evaluations. On this shop every model is a boundary fit, so this is
   where the ridge stop of ``clv/models/base.py`` acts.

``--baseline-src DIR`` runs the same steps with ``PYTHONPATH=DIR`` (another checkout's
``src``, e.g. a ``git worktree`` of an older commit) right after each run of this code, so the
two are measured in the same minutes of this shared 2-core machine.

Run::

    .venv/bin/python benchmarks/bench_atrisk.py                       # whole process, once
    .venv/bin/python benchmarks/bench_atrisk.py --repeat 2 --fits 20000
    .venv/bin/python benchmarks/bench_atrisk.py --fits 20000 --skip-cli --baseline-src ../old/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"

_FITS = r"""
import json, sys, time
import pandas as pd
from retentionkit.clv.models import get_model
from retentionkit.clv.rfm import rfm_summary
from retentionkit.workspace import Workspace
n, path, cache = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    summary = pd.read_parquet(cache)
except OSError:
    summary = rfm_summary(Workspace(path), "week")
    summary.to_parquet(cache)
keys = pd.util.hash_pandas_object(summary["customer_id"].astype(str), index=False)
rows = summary.loc[keys.sort_values(kind="stable").index[:n]]
out = {}
for name in ("bgnbd", "mbgnbd", "paretonbd"):
    cls = get_model(name)
    calls = [0]
    nll = cls._nll
    def counted(self, params, data, grad, nll=nll):
        calls[0] += 1
        return nll(self, params, data, grad)
    cls._nll = counted
    t0 = time.perf_counter()
    m = cls().fit(rows["frequency"].to_numpy(), rows["recency"].to_numpy(), rows["T"].to_numpy())
    out[name] = {"seconds": round(time.perf_counter() - t0, 2), "likelihood_calls": calls[0],
                 "status": m.status_, "limit": m.limit_, "log_likelihood": m.log_likelihood_}
    cls._nll = nll
print(json.dumps(out))
"""


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ, RETENTIONKIT_CACHE="off")
    if src is not None:
        env["PYTHONPATH"] = src
    return env


def whole_process(db: Path, src: str | None) -> dict[str, Any]:
    """One cold ``churn at-risk`` process: wall, CPU, peak memory and the model it used."""
    cmd = [sys.executable, "-m", "retentionkit", "--db", str(db), "churn", "at-risk"]
    cmd += ["--top", "20", "--format", "json"]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(src)
    )
    streams: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: streams.__setitem__(k, f.read()))
        for k, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    # this child's own rusage (RUSAGE_CHILDREN's ru_maxrss is the largest child so far)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}: {streams['err'][-400:]}")
    rows = json.loads(streams["out"])
    return {
        "seconds": round(wall, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "model": rows[0].get("model") if rows else None,
        "load_before": round(load, 2),
        "warnings": [line for line in streams["err"].splitlines() if line.startswith("warning")],
    }


def fits(db: Path, n: int, src: str | None) -> dict[str, Any]:
    cache = DATA / f"{db.stem}_rfm_week.parquet"
    cmd = [sys.executable, "-c", _FITS, str(n), str(db), str(cache)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=_env(src))
    if done.returncode != 0:
        raise SystemExit(f"fits failed: {done.stderr[-400:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DATA / "orders_10000000.duckdb")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--fits", type=int, default=0, help="customers for the fits (0: skip)")
    parser.add_argument("--skip-cli", action="store_true", help="only the fits")
    parser.add_argument("--baseline-src", help="another checkout's src to compare with")
    args = parser.parse_args()
    if not args.db.exists():
        print(
            f"bench_atrisk: {args.db} is missing (bench_spark.py or bench_postgres.py --orders "
            f"builds it); skipped",
            file=sys.stderr,
        )
        return
    sources: dict[str, str | None] = {"this": None}
    if args.baseline_src:
        sources["baseline"] = args.baseline_src
    result: dict[str, Any] = {"db": str(args.db), "cores": os.cpu_count()}
    for i in range(args.repeat):
        for label, src in sources.items():
            if args.fits:
                r = fits(args.db, args.fits, src)
                result.setdefault(f"fits_{label}", []).append(r)
                print(f"fits {label} run {i + 1}: {json.dumps(r)}", file=sys.stderr, flush=True)
            if not args.skip_cli:
                r = whole_process(args.db, src)
                result.setdefault(f"at_risk_{label}", []).append(r)
                print(f"at-risk {label} run {i + 1}: {json.dumps(r)}", file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
