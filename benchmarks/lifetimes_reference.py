"""Write lifetimes 0.11.3's fits and predictions on CDNOW (and donations) as a JSON reference.

Run inside the lifetimes environment (see ``benchmarks/lifetimes_env.sh``), from the repository
root::

    bash benchmarks/lifetimes_env.sh
    benchmarks/.venv-lifetimes/bin/python benchmarks/lifetimes_reference.py

It writes ``tests/data/lifetimes_reference.json``: lifetimes' fitted parameters and, evaluated at
those parameters, per-customer predictions for the first ``N_CUSTOMERS`` CDNOW customers plus
sums/means over all 2,357 (so the test checks every customer without storing them all). The
tests evaluate *our* formulas at *lifetimes'* parameters, so optimiser differences do not matter.
Numbers are written with full float precision (``repr``), never rounded.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

import lifetimes
import numpy as np
import pandas as pd
import scipy
from lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

ROOT = Path(__file__).resolve().parent.parent
CDNOW = ROOT / "tests" / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
DONATIONS = ROOT / "tests" / "data" / "donations" / "donations.csv"
OUT = ROOT / "tests" / "data" / "lifetimes_reference.json"
N_CUSTOMERS = 300
HORIZONS = (10.0, 39.0)
N_PURCHASES = (0, 1, 2, 5)
UNCONDITIONAL_T = (1.0, 10.0, 39.0, 78.0)


def series(values: Any) -> dict[str, Any]:
    """First N_CUSTOMERS values plus sum and mean over all customers."""
    arr = np.asarray(values, dtype=float)
    return {
        "first": [float(v) for v in arr[:N_CUSTOMERS]],
        "sum": float(arr.sum()),
        "mean": float(arr.mean()),
        "n": int(arr.size),
    }


def purchase_model(model: Any, names: list[str], x: Any, t_x: Any, T: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "params": {k: float(model.params_[k]) for k in names},
        "conditional_expected_purchases": {
            str(h): series(model.conditional_expected_number_of_purchases_up_to_time(h, x, t_x, T))
            for h in HORIZONS
        },
        "p_alive": series(model.conditional_probability_alive(x, t_x, T)),
        "expected_purchases": {
            str(t): float(model.expected_number_of_purchases_up_to_time(t)) for t in UNCONDITIONAL_T
        },
    }
    if hasattr(model, "probability_of_n_purchases_up_to_time"):
        out["p_n_purchases_t39"] = {
            str(n): float(model.probability_of_n_purchases_up_to_time(39.0, n)) for n in N_PURCHASES
        }
    return out


def main() -> None:
    data = pd.read_csv(CDNOW)
    x, t_x, T, zbar = data["x"], data["t_x"], data["T"], data["zbar"]
    ref: dict[str, Any] = {
        "generated_by": "benchmarks/lifetimes_reference.py",
        "versions": {
            "lifetimes": lifetimes.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": scipy.__version__,
            "python": platform.python_version(),
        },
        "data": "tests/data/cdnow/cdnow_customers_summary_with_transactions.csv (x, t_x, T, zbar)",
        "n_first": N_CUSTOMERS,
    }

    bgf = BetaGeoFitter().fit(x, t_x, T)
    ref["bgnbd"] = purchase_model(bgf, ["r", "alpha", "a", "b"], x, t_x, T)

    mbgf = ModifiedBetaGeoFitter().fit(x, t_x, T)
    ref["mbgnbd"] = purchase_model(mbgf, ["r", "alpha", "a", "b"], x, t_x, T)

    np.random.seed(0)  # lifetimes' Pareto/NBD starts Nelder-Mead from a random point
    pnbd = ParetoNBDFitter().fit(x, t_x, T)
    ref["paretonbd"] = purchase_model(pnbd, ["r", "alpha", "s", "beta"], x, t_x, T)
    ref["paretonbd"]["conditional_p_n_purchases_t10"] = {
        str(n): series(pnbd.conditional_probability_of_n_purchases_up_to_time(n, 10.0, x, t_x, T))
        for n in (0, 1, 2)
    }

    repeat = x > 0
    ggf = GammaGammaFitter().fit(x[repeat], zbar[repeat])
    ref["gamma_gamma"] = {
        "params": {
            "p": float(ggf.params_["p"]),
            "q": float(ggf.params_["q"]),
            "gamma": float(ggf.params_["v"]),
        },
        "expected_average_profit": series(ggf.conditional_expected_average_profit(x, zbar)),
        # time unit of CDNOW is weeks: freq="W"; 12 months at 1 % a month
        "clv_bgnbd_12m_w": series(
            ggf.customer_lifetime_value(bgf, x, t_x, T, zbar, time=12, discount_rate=0.01, freq="W")
        ),
        "clv_paretonbd_6m_w": series(
            ggf.customer_lifetime_value(pnbd, x, t_x, T, zbar, time=6, discount_rate=0.02, freq="W")
        ),
    }

    don = pd.read_csv(DONATIONS)
    bb = BetaGeoBetaBinomFitter().fit(
        don["frequency"], don["recency"], don["periods"], weights=don["weights"]
    )
    f, r, n = don["frequency"], don["recency"], don["periods"]
    ref["bgbb"] = {
        "params": {k: float(bb.params_[k]) for k in ["alpha", "beta", "gamma", "delta"]},
        "conditional_expected_purchases_m5": [
            float(v) for v in bb.conditional_expected_number_of_purchases_up_to_time(5, f, r, n)
        ],
        "p_alive_m1": [float(v) for v in bb.conditional_probability_alive(1, f, r, n)],
    }

    OUT.write_text(json.dumps(ref, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes) with python {sys.version}")


if __name__ == "__main__":
    main()
