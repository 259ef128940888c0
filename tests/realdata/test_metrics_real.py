"""Real data through the metric engine: no error, no NaN, partial periods flagged and never
the headline, the same simple CLV whatever the period, nulls outside the data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retentionkit.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realdata")]

PERIODS = ("week", "month", "quarter", "year")


def _no_nan(frame: pd.DataFrame) -> None:
    """Missing values are missing (NaN in the Python frame, null in JSON), never inf; the
    components (JSON-ready dicts) hold None, never NaN."""
    for col in ("value", "ci_low", "ci_high"):
        values = pd.to_numeric(frame[col], errors="coerce").dropna()
        assert values.map(math.isfinite).all(), col
    for comps in frame["components"]:
        for key, v in comps.items():
            assert not (isinstance(v, float) and math.isnan(v)), key


@pytest.mark.parametrize("name", ["cdnow", "retail", "olist", "hard"])
@pytest.mark.parametrize("period", PERIODS)
def test_every_metric_every_period(name: str, period: str, request) -> None:
    ws: Workspace = request.getfixturevalue(name)
    frame = ws.metrics(period=period)
    assert len(frame) > 0
    _no_nan(frame)
    if period in ("week", "month"):  # Online Retail spans Dec 2010 – 9 Dec 2011: no whole year
        assert frame["complete"].any(), "some period is complete"
    # no colour on a partial period or below the minimum n
    assert frame.loc[~frame["complete"], "health"].isna().all()
    small = frame["n"].notna() & (frame["n"].astype(float) < 30)
    assert frame.loc[small, "health"].isna().all()
    rates = frame[frame["metric"].isin(["crr", "churn_rate", "csat", "repeat_purchase_rate"])]
    rates = rates[rates["value"].notna()]
    assert (rates["ci_low"] <= rates["value"] + 1e-9).all()
    assert (rates["value"] <= rates["ci_high"] + 1e-9).all()


def test_retail_december_2011_is_partial(retail: Workspace) -> None:
    frame = retail.metrics(["crr", "revenue"], period="month")
    dec = frame[frame["period_start"] == pd.Timestamp("2011-12-01")]
    assert len(dec) == 2 and not dec["complete"].any()
    assert dec["health"].isna().all()  # was "poor" at 14.4 %
    nov = frame[frame["period_start"] == pd.Timestamp("2011-11-01")]
    assert nov["complete"].all()


def test_cdnow_clv_does_not_depend_on_the_period(cdnow: Workspace) -> None:
    periods = ("month", "quarter", "year")
    values = [cdnow.metrics("clv", period=p).iloc[-1]["value"] for p in periods]
    assert values == pytest.approx([values[0]] * 3, rel=1e-9)
    assert 20 < values[0] < 500
    year = cdnow.metrics("average_customer_lifespan", period="year").iloc[-1]
    assert year["components"]["months"] == 6  # January–June 1998, not empty months


def test_olist_survey_only_month_is_not_zero_customers(olist: Workspace) -> None:
    frame = olist.metrics(["active_customers", "revenue", "csat"], period="month")
    last = frame["period_start"].max()
    orders_end = olist.sql("select max(ordered_at) as t from orders")["t"].iloc[0]
    after = frame[(frame["period_start"] > pd.Timestamp(orders_end))]
    orders_side = after[after["metric"].isin(["active_customers", "revenue"])]
    assert orders_side["value"].isna().all()
    csat = frame[(frame["metric"] == "csat") & (frame["period_start"] == last)].iloc[0]
    assert pd.isna(csat["health"])  # one or few answers: n below 30, or partial


def test_hard_cases_money_null_with_a_note(hard: Workspace) -> None:
    frame = hard.metrics(["revenue", "crr", "nps"], period="month")
    assert any("no amount" in n for n in frame.attrs["notes"])
    assert frame[frame["metric"] == "revenue"]["value"].isna().all()
    assert frame[frame["metric"] == "crr"]["value"].notna().sum() >= 10
    nps = frame[frame["metric"] == "nps"]
    assert (nps["n"] == 1).all() and nps["health"].isna().all()
    assert ((nps["ci_low"] >= -100) & (nps["ci_high"] <= 100)).all()
