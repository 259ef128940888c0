"""Held-out quality of the churn model on the IBM Telco customer table.

For each seed the table is split 80/20 at random, stratified by churn; a ``ChurnModel`` is fitted
on the 80 % (its candidate choice uses cross-validation inside that part only) and scored on the
20 % it never saw. Prints mean, standard deviation, minimum and maximum over the seeds of ROC-AUC,
PR-AUC, lift in the top 10 % and the Brier score, plus which candidate each split chose.

Run: ``.venv/bin/python benchmarks/bench_churn.py [--seeds 10] [--json]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

TELCO = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "telco" / "Telco-Customer-Churn.csv"
)


def run(seeds: int, test_size: float = 0.2) -> dict[str, object]:
    """Fit and evaluate on ``seeds`` random stratified splits; returns per-split and summary."""
    from sklearn.model_selection import train_test_split

    from retentionkit.churn.features_file import check_id_column, parse_labels, read_features_file
    from retentionkit.churn.metrics import brier_score, lift_at, pr_auc, roc_auc
    from retentionkit.churn.model import ChurnModel

    table = read_features_file(TELCO)
    check_id_column(table, "customerID")
    y = parse_labels(table, "Churn")
    X = table.frame.drop(columns=["customerID", "Churn"])
    splits = []
    for seed in range(seeds):
        start = time.perf_counter()
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=seed
        )
        model = ChurnModel(random_state=seed).fit(X_tr, y_tr)
        risk = model.predict_risk(X_te)
        splits.append(
            {
                "seed": seed,
                "model": model.report()["model"],
                "cv_roc_auc": model.report()["validation"]["roc_auc"],
                "roc_auc": roc_auc(y_te, risk),
                "pr_auc": pr_auc(y_te, risk),
                "lift_top10": lift_at(y_te, risk, 0.10),
                "brier": brier_score(y_te, risk),
                "seconds": time.perf_counter() - start,
            }
        )
    summary = {}
    for key in ("roc_auc", "pr_auc", "lift_top10", "brier", "seconds"):
        values = np.array([s[key] for s in splits])
        summary[key] = {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "min": float(values.min()),
            "max": float(values.max()),
        }
    return {
        "data": str(TELCO.name),
        "splits": splits,
        "summary": summary,
        "chosen": dict(Counter(s["model"] for s in splits)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="number of random splits")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    result = run(args.seeds)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Telco churn, {args.seeds} random stratified 80/20 splits (held-out 20 %)")
    print(f"{'measure':<12}{'mean':>9}{'std':>9}{'min':>9}{'max':>9}")
    for key, stats in result["summary"].items():  # type: ignore[union-attr]
        print(
            f"{key:<12}{stats['mean']:>9.4f}{stats['std']:>9.4f}"
            f"{stats['min']:>9.4f}{stats['max']:>9.4f}"
        )
    print("chosen models:", ", ".join(f"{k} ×{v}" for k, v in result["chosen"].items()))  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
