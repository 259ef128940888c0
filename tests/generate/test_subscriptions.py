"""Realism of subscription terms: renewals, plan changes, churn, win-backs, concurrency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .conftest import END

MONTHLY = {29.0, 79.0, 199.0}
ANNUAL = {24.17, 65.83, 165.83}


def _ordered(subs: pd.DataFrame) -> pd.DataFrame:
    return subs.sort_values(["subscription_id", "started_at"]).reset_index(drop=True)


def test_terms_of_a_subscription_are_contiguous(saas: dict[str, pd.DataFrame]) -> None:
    subs = _ordered(saas["subscriptions"])
    nxt = subs.groupby("subscription_id")["started_at"].shift(-1)
    renewed = nxt.notna()
    assert renewed.sum() > len(subs) / 2
    assert (nxt[renewed] == subs.loc[renewed, "ended_at"]).all()
    assert (subs["ended_at"].isna() | (subs["ended_at"] > subs["started_at"])).all()
    # only the last term of a subscription may still be running
    running = subs["ended_at"].isna() | (subs["ended_at"] >= END)
    assert not (running & renewed).any()
    assert subs.groupby("customer_id")["customer_id"].size().min() >= 1


def test_plans_prices_and_term_lengths(saas: dict[str, pd.DataFrame]) -> None:
    subs = saas["subscriptions"]
    assert set(subs["plan"]) == {"basic", "pro", "business"}
    assert set(subs["mrr"]) <= MONTHLY | ANNUAL
    annual = subs["mrr"].isin(ANNUAL)
    assert 0.03 < annual.mean() < 0.3  # few rows: one row a year instead of twelve
    days = (subs["ended_at"] - subs["started_at"]).dt.days
    assert days[annual].dropna().between(365, 366).all()
    assert days[~annual].dropna().between(28, 31).all()
    # annual terms running at the end carry their contractual end, monthly ones none
    assert (subs.loc[annual & (subs["ended_at"] >= END)].shape[0]) > 0
    assert subs.loc[annual, "ended_at"].notna().all()
    assert subs.loc[~annual, "ended_at"].isna().sum() > 0
    assert (subs.loc[~annual, "ended_at"].dropna() < END).all()


def test_upgrades_and_downgrades_change_mrr_within_a_subscription(
    saas: dict[str, pd.DataFrame],
) -> None:
    subs = _ordered(saas["subscriptions"])
    prev = subs.groupby("subscription_id")["mrr"].shift(1)
    up = (subs["mrr"] > prev).sum()
    down = (subs["mrr"] < prev).sum()
    assert up > 20 and down > 10
    assert up > down


def test_monthly_churn_cancellations_and_winbacks(saas: dict[str, pd.DataFrame]) -> None:
    subs = _ordered(saas["subscriptions"])
    last = subs.groupby("subscription_id").tail(1)
    cancelled = last["ended_at"].notna() & (last["ended_at"] < END)
    assert cancelled.sum() > 100
    monthly_due = subs[subs["mrr"].isin(MONTHLY) & subs["ended_at"].notna()]
    nxt = subs.groupby("subscription_id")["started_at"].shift(-1).loc[monthly_due.index]
    churn = nxt.isna().mean()
    assert 0.02 <= churn <= 0.08  # monthly logo churn of a healthy SaaS

    span = subs.groupby("subscription_id").agg(
        customer_id=("customer_id", "first"),
        start=("started_at", "min"),
        end=("ended_at", lambda s: s.max() if s.notna().all() else pd.NaT),
    )
    span = span.sort_values(["customer_id", "start"])
    prev_end = span.groupby("customer_id")["end"].shift(1)
    winback = (span["start"] - prev_end).dt.days > 45
    assert winback.sum() > 10
    overlap = span["start"] < prev_end.fillna(END)
    has_prev = span.groupby("customer_id").cumcount() > 0
    assert (overlap & has_prev).sum() > 20  # concurrent subscriptions


def test_subscribers_in_both_kind(both: dict[str, pd.DataFrame]) -> None:
    customers = both["customers"]
    subscribers = both["subscriptions"]["customer_id"].unique()
    assert 0.2 < len(subscribers) / len(customers) < 0.4
    plans = customers.set_index("customer_id")["plan"]
    assert plans.loc[subscribers].notna().all()
    assert plans.drop(index=subscribers).isna().all()
    first = both["subscriptions"].sort_values("started_at").drop_duplicates("customer_id")
    assert (first.set_index("customer_id")["plan"] == plans.loc[first["customer_id"]]).all()


def test_saas_starts_at_signup(saas: dict[str, pd.DataFrame]) -> None:
    first = saas["subscriptions"].groupby("customer_id")["started_at"].min()
    signup = saas["customers"].set_index("customer_id")["signed_up_at"]
    delta = (first - signup.loc[first.index]).dt.total_seconds()
    assert np.allclose(delta, 0, atol=1)
