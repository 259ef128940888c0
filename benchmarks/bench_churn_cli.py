"""Whole-process timings of the churn commands (issue 17 item 4).

* ``retentionkit --db W churn evaluate`` (default options: 90-day horizon, 2 evaluation
  cutoffs, 4 training cutoffs each) on CDNOW master (69,659 orders, 23,570 customers), the
  workspace ingested once as tests/realdata/conftest.py does it, cached under benchmarks/data/;
  target ≤ 15 s;
* ``retentionkit churn train`` on the IBM Telco table (7,043 customers; the command of
  docs/churn.md); target ≤ 10 s (its held-out ROC-AUC: benchmarks/bench_churn.py).

Each run is its own process: wall time, CPU time (user + system of the child, from
``wait4``) and peak resident memory, with the load average before and after, since the 2-core
development machine is shared. The JSON output of every run is kept, so runs can be compared
number for number (``--save DIR``).

Run: ``.venv/bin/python benchmarks/bench_churn_cli.py [--repeat R] [--json] [--save DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
TELCO = ROOT / "tests" / "data" / "telco" / "Telco-Customer-Churn.csv"
SHARED = (ROOT / "../shared/data", Path("/work/shared/data"))


def _cli() -> list[str]:
    return [sys.executable, "-m", "retentionkit"]


def cdnow_workspace() -> Path | None:
    """The CDNOW master workspace (ingested once), or None without the shared data."""
    source = next((p / "cdnow" / "CDNOW_master.txt" for p in SHARED if p.is_dir()), None)
    if source is None or not source.exists():
        return None
    db = DATA / "cdnow_master.duckdb"
    if not db.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = db.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        mapping = ["date=ordered_at", "dollar_value=amount", "number_of_cds=quantity"]
        cmd = [*_cli(), "--db", str(tmp), "ingest", "orders", str(source)]
        cmd += ["--delimiter", "whitespace", "--date-format", "%Y%m%d", "--generate-id"]
        for m in mapping:
            cmd += ["--map", m]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        tmp.replace(db)
    return db


def timed(cmd: list[str], out: Path | None) -> dict[str, Any]:
    """Run ``cmd`` as a child process; wall, CPU (user + system) and peak memory."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}: {stderr.decode()[-400:]}")
    if out is not None:
        out.write_bytes(stdout)
    return {"seconds": wall, "load_before": load, "load_after": os.getloadavg()[0]}


def run(repeat: int, save: Path | None) -> dict[str, Any]:
    import resource

    commands: dict[str, list[str]] = {}
    db = cdnow_workspace()
    if db is not None:
        commands["cdnow_churn_evaluate"] = [
            *_cli(), "--db", str(db), "churn", "evaluate", "--format", "json"
        ]  # fmt: skip
    model = DATA / "telco_bench.rkmodel"
    commands["telco_churn_train"] = [
        *_cli(), "churn", "train", "--features", str(TELCO), "--id", "customerID",
        "--label", "Churn", "--model-out", str(model), "--format", "json",
    ]  # fmt: skip
    results: dict[str, Any] = {"cores": os.cpu_count(), "runs": {}}
    for name, cmd in commands.items():
        runs = []
        for i in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = save / f"{name}_{i}.json" if save is not None else None
            r = timed(cmd, out)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            r["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            r["peak_mb"] = after.ru_maxrss / 1024  # the largest child so far
            runs.append(r)
        results["runs"][name] = runs
    model.unlink(missing_ok=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.add_argument("--save", type=Path, help="keep each run's JSON output in this folder")
    args = parser.parse_args()
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    results = run(args.repeat, args.save)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    targets = {"cdnow_churn_evaluate": 15.0, "telco_churn_train": 10.0}
    for name, runs in results["runs"].items():
        for r in runs:
            print(
                f"{name:<22} {r['seconds']:7.2f} s wall  {r['cpu']:7.2f} s CPU  "
                f"load {r['load_before']:.1f} → {r['load_after']:.1f}  "
                f"(target ≤ {targets[name]:g} s wall)"
            )


if __name__ == "__main__":
    main()
