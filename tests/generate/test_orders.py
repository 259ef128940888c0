"""Realism of orders and returns: BG/NBD behaviour, seasonality, spend, delivery, returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

from retentionkit.generate import BusinessParams

from .conftest import END, N


def _per_customer(orders: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks: repeat purchases, time of the last, age since the first."""
    g = orders.groupby("customer_id")["ordered_at"]
    first, last = g.min(), g.max()
    week = 7 * 86400.0
    x = (g.size() - 1).to_numpy(dtype=float)
    t_x = ((last - first).dt.total_seconds() / week).to_numpy()
    big_t = ((END - first).dt.total_seconds() / week).to_numpy()
    return x, t_x, big_t


def test_about_ten_orders_per_customer(ecommerce: dict[str, pd.DataFrame]) -> None:
    per_customer = len(ecommerce["orders"]) / N
    assert 8.0 <= per_customer <= 12.0
    counts = ecommerce["orders"].groupby("customer_id").size()
    assert counts.size == N  # everyone bought once at least
    assert 0.08 <= (counts == 1).mean() <= 0.4  # one-time buyers
    assert counts.max() > 10 * counts.median()  # heterogeneous rates


def test_december_peak(ecommerce: dict[str, pd.DataFrame]) -> None:
    orders = ecommerce["orders"]
    monthly = orders.groupby(orders["ordered_at"].dt.to_period("M")).size()
    for year in (2023, 2024):
        december = monthly[f"{year}-12"]
        autumn = (monthly[f"{year}-09"] + monthly[f"{year}-10"]) / 2
        assert 1.4 <= december / autumn <= 2.4, year
        assert monthly[f"{year}-11"] > autumn


def test_acquisition_grows(ecommerce: dict[str, pd.DataFrame]) -> None:
    signups = ecommerce["customers"]["signed_up_at"]
    first_year = (signups < pd.Timestamp("2024-01-01")).sum()
    assert 1.1 <= (N - first_year) / first_year <= 1.6
    per_month = signups.dt.to_period("M").value_counts()
    assert len(per_month) == 24


def test_bgnbd_fits_sensibly(ecommerce: dict[str, pd.DataFrame]) -> None:
    """Maximum-likelihood BG/NBD on the data recovers r and the mean rate, and predicts the
    number of repeat purchases (Fader, Hardie & Lee 2005, eq. 6 and 7)."""
    x, t_x, big_t = _per_customer(ecommerce["orders"])

    def nll(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        core = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        core += gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        first = -(r + x) * np.log(alpha + big_t)
        with np.errstate(divide="ignore"):
            second = np.where(
                x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf
            )
        return float(-(core + np.logaddexp(first, second)).sum())

    fit = minimize(nll, np.zeros(4), method="Nelder-Mead", options={"maxiter": 4000})
    r, alpha, a, b = np.exp(fit.x)
    params = BusinessParams()
    true_rate = params.purchase_rate_per_month / 30.4375 * 7  # per week
    assert abs(r / params.purchase_rate_shape - 1) < 0.3
    assert abs((r / alpha) / true_rate - 1) < 0.3
    assert 0.03 < a / (a + b) < 0.3
    expected = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + big_t)) ** r * hyp2f1(r, b, a + b - 1, big_t / (alpha + big_t)))
    )
    assert abs(expected.sum() / x.sum() - 1) < 0.15


def test_some_customers_come_back_after_a_long_pause(ecommerce: dict[str, pd.DataFrame]) -> None:
    orders = ecommerce["orders"].sort_values(["customer_id", "ordered_at"])
    gap = orders.groupby("customer_id")["ordered_at"].diff().dt.days
    back = orders.loc[gap > 150, "customer_id"].nunique()
    assert 0.01 * N <= back <= 0.2 * N


def test_spend_is_heavy_tailed(ecommerce: dict[str, pd.DataFrame]) -> None:
    orders = ecommerce["orders"]
    assert (orders["amount"] >= 1.0).all()
    mean_spend = orders.groupby("customer_id")["amount"].mean()
    assert 40 <= mean_spend.median() <= 80
    assert mean_spend.mean() > 1.1 * mean_spend.median()
    revenue = orders.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert revenue.iloc[: N // 10].sum() / revenue.sum() > 0.3  # top 10 % bring > 30 %


def test_quantity_delivery_and_channels(ecommerce: dict[str, pd.DataFrame]) -> None:
    orders = ecommerce["orders"]
    assert orders["quantity"].between(1, 5).all()
    assert (orders["quantity"] == 1).mean() > 0.4
    days = (orders["delivered_at"] - orders["ordered_at"]).dt.total_seconds() / 86400
    assert days.dropna().between(1, 7).all()
    missing = orders["delivered_at"].isna()
    assert missing.any()
    assert (orders.loc[missing, "ordered_at"] >= END - pd.Timedelta(days=7)).all()
    assert set(orders["channel"]) <= {
        "organic",
        "paid_search",
        "social",
        "referral",
        "email",
        "affiliate",
    }
    first = orders.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    acquired = ecommerce["customers"].set_index("customer_id")["channel"]
    assert (first == acquired.loc[first.index]).all()


def test_returns(ecommerce: dict[str, pd.DataFrame]) -> None:
    orders = ecommerce["orders"].set_index("order_id")
    returns = ecommerce["returns"]
    assert 0.035 <= len(returns) / len(orders) <= 0.065
    assert returns["order_id"].is_unique
    matched = orders.loc[returns["order_id"]]
    delay = returns["returned_at"].to_numpy() - matched["delivered_at"].to_numpy()
    after = delay / np.timedelta64(1, "D")
    assert ((after >= 3) & (after <= 30)).all()
    assert (returns["quantity"].to_numpy() <= matched["quantity"].to_numpy()).all()
    assert (returns["quantity"] >= 1).all()
    assert (returns["amount"].to_numpy() <= matched["amount"].to_numpy()).all()
    assert (returns["quantity"].to_numpy() < matched["quantity"].to_numpy()).any()  # partial
    sold = ecommerce["orders"]["category"].value_counts()
    by_category = matched["category"].value_counts() / sold
    assert by_category["apparel"] > by_category["books"]
