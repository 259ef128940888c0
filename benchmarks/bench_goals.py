"""Calibration backtest of the goals' ``p_hit``: set goals on past dates, forecast at the start,
check the outcome at the due date, and report how often goals given p_hit ≈ p were hit.

Data sets: a generated business (``retentionkit generate``'s generator, 5,000 customers over
36 months, seed 7, kind both), CDNOW (the full 69,660-row master file) and the Online Retail
sample, loaded as the README shows (read from ``../shared/data`` next to the repository or
``--data DIR``; a missing one is skipped and said so).

For every data set, metric, start month (at least 6 complete months of history) and horizon
(1, 3 and 6 months), goals are set in the metric's better direction at the start value plus
0.25, 0.5, 1 and 2 standard deviations of its month-over-month changes (so targets range from
easy to hard). p_hit is computed as a goal's evaluation does at its start (the same
``retentionkit.goals.forecast.simulate`` and ``hit_probability``, seed 0, on the months complete
at the start); the outcome is whether the metric in the due month reached the target.

Run: ``.venv/bin/python benchmarks/bench_goals.py [--json] [--data DIR] [--only NAME]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The shared real-data folder next to the repository (override with --data).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HORIZONS = (1, 3, 6)
OFFSETS = (0.25, 0.5, 1.0, 2.0)
MIN_MONTHS = 6
METRICS = {
    "generated": ["crr", "churn_rate", "new_customers", "nps", "mrr", "revenue"],
    "cdnow": ["crr", "active_customers", "revenue", "average_order_value"],
    "online_retail": ["crr", "new_customers", "revenue", "average_order_value"],
}


def load(name: str, folder: Path, data: Path) -> Any:
    """A workspace holding one data set (None when its file is missing)."""
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    ws = Workspace(folder / f"{name}.duckdb", settings=Settings())
    if name == "generated":
        from retentionkit.generate import generate_business

        for table, frame in generate_business(customers=5000, months=36, seed=7).items():
            if len(frame):
                ws.ingest(table, frame)
        return ws
    if name == "cdnow":
        path = data / "cdnow" / "CDNOW_master.txt"
        if not path.exists():
            return None
        ws.ingest(
            "orders",
            path,
            {"date": "ordered_at", "number_of_cds": "quantity", "dollar_value": "amount"},
            delimiter="whitespace",
            generate_id=True,
        )
        return ws
    path = data / "online_retail_sample" / "online_retail_sample.csv"
    if not path.exists():
        return None
    ws.ingest(
        "orders",
        path,
        {
            "InvoiceNo": "order_id",
            "CustomerID": "customer_id",
            "InvoiceDate": "ordered_at",
            "Quantity": "quantity",
            "UnitPrice": "unit_price",
        },
        line_items=True,
        drop_missing_customer=True,
    )
    return ws


def goals_of(ws: Any, dataset: str, metric: str) -> list[dict[str, Any]]:
    """Every backtest goal of one metric: p_hit at the start and the outcome at the due date."""
    from retentionkit.goals.forecast import hit_probability, simulate, unit_bounds
    from retentionkit.goals.measure import metric_series
    from retentionkit.goals.model import Goal
    from retentionkit.metrics.registry import get_metric

    spec = get_metric(metric)
    direction = "down" if spec.higher_is_better is False else "up"
    template = Goal(metric, "metric", metric, "month", None, None, direction, 0.0,
                    dt.date(2100, 1, 1), dt.date(1900, 1, 1), 0.0)  # fmt: skip
    full = metric_series(ws, template, dt.date.today())
    values = full["value"].to_numpy()
    ends = pd.to_datetime(full["period_end"])
    sign = 1.0 if direction == "up" else -1.0
    out = []
    for i in range(MIN_MONTHS - 1, len(values) - 1):
        history = values[: i + 1]
        sigma = float(np.std(np.diff(history)))
        horizon = min(max(HORIZONS), len(values) - 1 - i)
        if sigma == 0 or not np.isfinite(sigma):
            continue
        method, paths = simulate(
            history, horizon, period="month", bounds=unit_bounds(spec.unit, metric), seed=0
        )
        if paths is None:
            continue
        start = (ends.iloc[i] - pd.Timedelta(days=1)).date()
        for h in (h for h in HORIZONS if h <= horizon):
            for k in OFFSETS:
                target = history[-1] + sign * k * sigma
                reached = values[i + h] >= target if direction == "up" else values[i + h] <= target
                out.append(
                    {
                        "dataset": dataset,
                        "metric": metric,
                        "start": start.isoformat(),
                        "horizon": h,
                        "offset_sd": k,
                        "method": method,
                        "p_hit": hit_probability(paths[:, h - 1], target, direction),
                        "hit": bool(reached),
                    }
                )
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| p_hit bin | goals | mean p_hit | hit rate |", "|---|---:|---:|---:|"]
    for r in rows:
        mean = "–" if r["mean_p_hit"] is None else f"{r['mean_p_hit']:.2f}"
        rate = "–" if r["hit_rate"] is None else f"{r['hit_rate']:.2f}"
        lines.append(f"| {r['bin']} | {r['goals']} | {mean} | {rate} |")
    return "\n".join(lines)


def main() -> None:
    from retentionkit.goals.calibration import brier_score, calibration_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    parser.add_argument("--data", type=Path, default=SHARED, help="Folder of the real data.")
    parser.add_argument("--only", choices=list(METRICS), help="Only this data set.")
    args = parser.parse_args()
    began = time.perf_counter()
    goals: list[dict[str, Any]] = []
    skipped = []
    with tempfile.TemporaryDirectory(prefix="bench-goals-") as tmp:
        for dataset, metrics in METRICS.items():
            if args.only and dataset != args.only:
                continue
            ws = load(dataset, Path(tmp), args.data)
            if ws is None:
                skipped.append(dataset)
                continue
            for metric in metrics:
                goals += goals_of(ws, dataset, metric)
            ws.con.disconnect()
    pairs = [(g["p_hit"], g["hit"]) for g in goals]
    result: dict[str, Any] = {
        "goals": len(goals),
        "by_dataset": dict(Counter(g["dataset"] for g in goals)),
        "by_method": dict(Counter(g["method"] for g in goals)),
        "skipped": skipped,
        "brier": brier_score(pairs),
        "table": calibration_table(pairs),
        "table_by_method": {
            m: calibration_table([(g["p_hit"], g["hit"]) for g in goals if g["method"] == m])
            for m in sorted({g["method"] for g in goals})
        },
        "brier_by_dataset": {
            d: brier_score([(g["p_hit"], g["hit"]) for g in goals if g["dataset"] == d])
            for d in sorted({g["dataset"] for g in goals})
        },
        "seconds": time.perf_counter() - began,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['goals']} goals {result['by_dataset']}, methods {result['by_method']}")
    if skipped:
        print(f"skipped (data not found): {', '.join(skipped)}")
    print(f"\nall goals (Brier score {result['brier']:.3f}):\n")
    print(markdown(result["table"]))
    for method, table in result["table_by_method"].items():
        print(f"\n{method}:\n")
        print(markdown(table))
    print("\nBrier score per data set: " + ", ".join(
        f"{d} {b:.3f}" for d, b in result["brier_by_dataset"].items()))  # fmt: skip
    print(f"\n{result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
