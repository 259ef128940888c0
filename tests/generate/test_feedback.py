"""Survey answers, tickets and acquisition costs: scales, timing and the link to churn."""

from __future__ import annotations

import pandas as pd

from .conftest import END, N

CHANNELS = {"organic", "paid_search", "social", "referral", "email", "affiliate"}


def _nps(scores: pd.Series) -> float:
    return float(((scores >= 9).mean() - (scores <= 6).mean()) * 100)


def test_survey_values_and_scales(both: dict[str, pd.DataFrame]) -> None:
    answers = both["survey_responses"]
    assert set(answers["survey"]) == {"nps", "csat", "would_buy_again"}
    assert set(answers["touchpoint"]) == {"post_purchase", "support", "quarterly"}
    nps = answers.loc[answers["survey"] == "nps", "score"]
    csat = answers.loc[answers["survey"] == "csat", "score"]
    wba = answers.loc[answers["survey"] == "would_buy_again", "score"]
    assert nps.between(0, 10).all() and (nps == nps.round()).all()
    assert csat.between(1, 5).all() and (csat == csat.round()).all()
    assert set(wba) == {0.0, 1.0}
    assert -10 < _nps(nps) < 60
    assert 0.6 < (csat >= 4).mean() < 0.95
    assert 0.6 < wba.mean() < 0.9
    share = answers["customer_id"].nunique() / N
    assert 0.1 < share < 0.9
    nps_rows = answers[answers["survey"] == "nps"]
    assert (nps_rows[["scale_min", "scale_max"]] == [0.0, 10.0]).all().all()
    assert 0.05 < answers["comment"].notna().mean() < 0.3


def test_churners_give_lower_nps_saas(saas: dict[str, pd.DataFrame]) -> None:
    subs = saas["subscriptions"]
    running = subs["ended_at"].isna() | (subs["ended_at"] >= END)
    active = set(subs.loc[running, "customer_id"])
    nps = saas["survey_responses"].query("survey == 'nps'")
    churner = ~nps["customer_id"].isin(active)
    assert churner.sum() > 50 and (~churner).sum() > 50
    assert nps.loc[churner, "score"].mean() < nps.loc[~churner, "score"].mean() - 1.0
    assert _nps(nps.loc[churner, "score"]) < _nps(nps.loc[~churner, "score"]) - 20


def test_churners_give_lower_nps_ecommerce(ecommerce: dict[str, pd.DataFrame]) -> None:
    last = ecommerce["orders"].groupby("customer_id")["ordered_at"].max()
    lapsed = set(last[last < END - pd.Timedelta(days=180)].index)
    recent = set(last[last >= END - pd.Timedelta(days=30)].index)
    nps = ecommerce["survey_responses"].query("survey == 'nps'")
    lapsed_mean = nps.loc[nps["customer_id"].isin(lapsed), "score"].mean()
    recent_mean = nps.loc[nps["customer_id"].isin(recent), "score"].mean()
    assert lapsed_mean < recent_mean - 0.5


def test_tickets(saas: dict[str, pd.DataFrame]) -> None:
    tickets = saas["tickets"]
    assert 0.05 * N < len(tickets) < 5 * N
    hours = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    assert (hours.dropna() > 0).all()
    assert 2 < hours.median() < 48
    assert (hours > 48).mean() > 0.02  # slow ones
    open_ = tickets["resolved_at"].isna()
    stale = open_ & (tickets["opened_at"] < END - pd.Timedelta(hours=48))
    fresh = open_ & (tickets["opened_at"] >= END - pd.Timedelta(hours=48))
    assert stale.sum() >= 3
    assert (tickets.loc[stale, "opened_at"] < END - pd.Timedelta(days=7)).any()
    assert fresh.sum() >= 1
    assert (tickets["resolved_at"].dropna() < END).all()


def test_churners_open_more_tickets(saas: dict[str, pd.DataFrame]) -> None:
    subs = saas["subscriptions"]
    running = subs["ended_at"].isna() | (subs["ended_at"] >= END)
    active = set(subs.loc[running, "customer_id"])
    customers = saas["customers"].set_index("customer_id")
    churned = ~customers.index.isin(active)
    per_customer = saas["tickets"].groupby("customer_id").size().reindex(customers.index).fillna(0)
    # per month as a customer: churners' lives are shorter, so normalise by tenure
    tenure_end = subs.groupby("customer_id")["ended_at"].max().reindex(customers.index)
    tenure_end = tenure_end.where(~customers.index.isin(active), END).fillna(END)
    months = ((tenure_end - customers["signed_up_at"]).dt.days / 30.4).clip(lower=1)
    rate = per_customer / months
    assert rate[churned].mean() > 1.5 * rate[~churned].mean()


def test_acquisition_costs_give_a_sensible_cac(both: dict[str, pd.DataFrame]) -> None:
    costs = both["acquisition_costs"]
    assert set(costs["category"]) == {
        "marketing",
        "salaries",
        "software",
        "professional_services",
        "overhead",
    }
    marketing = costs["category"] == "marketing"
    assert costs.loc[marketing, "channel"].notna().all()
    assert costs.loc[~marketing, "channel"].isna().all()
    assert set(costs["channel"].dropna()) == CHANNELS
    assert (costs["amount"] > 0).all()
    assert 30 <= costs["amount"].sum() / N <= 120
    month = costs["incurred_on"].dt.to_period("M")
    new = both["customers"]["signed_up_at"].dt.to_period("M").value_counts()
    cac = costs.groupby(month)["amount"].sum() / new
    assert cac.between(20, 200).all()
    spend = costs[marketing].groupby("channel")["amount"].sum()
    acquired = both["customers"]["channel"].value_counts()
    per_channel = spend / acquired
    assert per_channel["paid_search"] > per_channel["email"]
