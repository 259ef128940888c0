"""Speed and memory of the synthetic-business generator at benchmark scale.

Times ``generate_tables`` (all seven tables as Arrow tables) for 1 M customers over 24 months by
default, then writing them as Parquet into a temporary directory, and prints the row counts, the
seconds of each step and the peak resident memory of the process. Run it alone, on an idle
machine:

    .venv/bin/python benchmarks/bench_generate.py [--customers 1000000] [--months 24]
        [--kind both] [--seed 42] [--no-write] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def run(customers: int, months: int, kind: str, seed: int, write: bool) -> dict[str, object]:
    from retentionkit.generate import generate_tables, write_business

    load_before = os.getloadavg()[0]
    began, cpu = time.perf_counter(), time.process_time()
    tables = generate_tables(customers, months, seed, kind)
    generate_seconds = time.perf_counter() - began
    generate_cpu = time.process_time() - cpu
    generate_rss = peak_rss_mb()
    result: dict[str, object] = {
        "customers": customers,
        "months": months,
        "kind": kind,
        "seed": seed,
        "rows": {name: table.num_rows for name, table in tables.items()},
        "generate_seconds": round(generate_seconds, 2),
        "generate_cpu_seconds": round(generate_cpu, 2),
        "load_average_before": round(load_before, 2),
        "peak_rss_mb_after_generate": round(generate_rss, 0),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    if write:
        with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
            began = time.perf_counter()
            paths = write_business(tables, os.path.join(tmp, "data"), "parquet")
            result["write_parquet_seconds"] = round(time.perf_counter() - began, 2)
            result["parquet_mb"] = round(sum(p.stat().st_size for p in paths.values()) / 2**20)
    result["peak_rss_mb"] = round(peak_rss_mb(), 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--kind", default="both", choices=["ecommerce", "saas", "both"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-write", action="store_true", help="skip the Parquet write")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args.customers, args.months, args.kind, args.seed, not args.no_write)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    rows = result["rows"]
    assert isinstance(rows, dict)
    print(f"generator: {args.customers:,} customers x {args.months} months, kind={args.kind}")
    for name, count in rows.items():
        print(f"  {name:<18} {count:>12,} rows")
    print(
        f"  generate           {result['generate_seconds']:>10.2f} s wall, "
        f"{result['generate_cpu_seconds']:.2f} s CPU "
        f"(load average before: {result['load_average_before']})"
    )
    if "write_parquet_seconds" in result:
        print(
            f"  write parquet      {result['write_parquet_seconds']:>10.2f} s "
            f"({result['parquet_mb']} MiB)"
        )
    print(f"  peak RSS           {result['peak_rss_mb']:>10,.0f} MiB")


if __name__ == "__main__":
    main()
