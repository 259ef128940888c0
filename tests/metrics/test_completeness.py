"""Issue 12 items 1, 3 and 4: complete periods, n and 95 % intervals, null outside the data,
orders without amounts, the same simple CLV whatever the reporting period."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.errors import ConfigError
from retentionkit.metrics import completeness, intervals
from retentionkit.metrics.registry import REGISTRY
from retentionkit.workspace import Workspace


def _orders(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "ordered_at": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    )


def _shop(tmp_path, with_amount: bool = True) -> Workspace:
    """40 customers buying monthly from 1 Jan to 9 Dec 2023 (December is partial)."""
    rows = []
    for c in range(40):
        for month in range(1, 13):
            if (c + month) % 4 == 0:
                continue
            day = 9 if month == 12 else 1 + (c % 27)
            rows.append((f"c{c}", f"2023-{month:02d}-{day:02d}", 10.0 + c % 3))
    rows.append(("c0", "2023-01-01", 10.0))
    frame = _orders(rows)
    if not with_amount:
        frame = frame.drop(columns="amount")
    ws = Workspace(tmp_path / "shop.duckdb")
    ws.ingest("orders", frame)
    return ws


def test_complete_rule_days_not_instants() -> None:
    starts = pd.Series(pd.to_datetime(["2023-06-01", "2023-07-01"]))
    ends = pd.Series(pd.to_datetime(["2023-07-01", "2023-08-01"]))
    extent = (pd.Timestamp("2023-06-01 08:00"), pd.Timestamp("2023-06-30"))
    assert completeness.complete_flags(starts, ends, extent).tolist() == [True, False]
    assert completeness.outside_flags(starts, ends, extent).tolist() == [False, True]
    assert completeness.last_complete_month_end(extent) == pd.Timestamp("2023-07-01")


def test_wilson_known_value() -> None:
    low, high = intervals.wilson([5], [10])
    assert low[0] == pytest.approx(23.66, abs=0.01)
    assert high[0] == pytest.approx(76.34, abs=0.01)
    low, high = intervals.wilson([0], [0])
    assert math.isnan(low[0]) and math.isnan(high[0])


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
)
def test_intervals_hold_the_estimate(p: int, passive: int, d: int) -> None:
    n = p + passive + d
    if n == 0:
        return
    low, high = intervals.wilson([p], [n])
    assert low[0] - 1e-9 <= 100 * p / n <= high[0] + 1e-9
    nlow, nhigh = intervals.nps_interval([p], [d], [n])
    nps = 100 * (p - d) / n
    assert -100 <= nlow[0] <= nps + 1e-9 <= nhigh[0] + 2e-9 <= 100 + 2e-9


def test_rates_declare_n_and_interval_in_the_registry() -> None:
    for name in ("crr", "churn_rate", "repeat_purchase_rate", "csat", "renewal_rate"):
        assert REGISTRY[name].interval == "wilson" and REGISTRY[name].denominator
    assert REGISTRY["nps"].interval == "nps"


def test_partial_last_month_is_flagged_and_uncoloured(tmp_path) -> None:
    ws = _shop(tmp_path)
    frame = ws.metrics(["crr", "revenue", "active_customers"], period="month")
    dec = frame[frame["period_start"] == pd.Timestamp("2023-12-01")]
    nov = frame[frame["period_start"] == pd.Timestamp("2023-11-01")]
    assert not dec["complete"].any() and nov["complete"].all()
    assert dec["health"].isna().all()
    crr = nov[nov["metric"] == "crr"].iloc[0]
    assert crr["n"] == crr["components"]["start"]
    assert crr["ci_low"] <= crr["value"] <= crr["ci_high"]
    assert crr["health"] is not None  # n = 30 ≥ the default minimum


def test_small_n_gets_no_health_colour(tmp_path) -> None:
    ws = _shop(tmp_path)
    (tmp_path / "retentionkit.toml").write_text("health_min_n = 1000\n")
    ws = Workspace(tmp_path / "shop.duckdb")
    frame = ws.metrics("crr", period="month")
    assert frame["health"].isna().all()


def test_a_range_outside_the_data_is_one_sentence(tmp_path) -> None:
    ws = _shop(tmp_path)
    with pytest.raises(ConfigError, match="holds no data: the data of these metrics run from"):
        ws.metrics("active_customers", period="month", start="2024-01-01", end="2024-03-01")


def test_a_range_past_the_data_is_cut_to_it(tmp_path) -> None:
    ws = _shop(tmp_path)
    plain = ws.metrics("active_customers", period="month")
    wide = ws.metrics("active_customers", period="month", start="1900-01-01", end="2199-12-31")
    assert wide["period_start"].tolist() == plain["period_start"].tolist()
    assert wide["value"].tolist() == plain["value"].tolist()


def test_simple_clv_does_not_depend_on_the_period(tmp_path) -> None:
    ws = _shop(tmp_path)
    values = []
    for period in ("month", "quarter", "year"):
        frame = ws.metrics("clv", period=period)
        values.append(frame.iloc[-1]["value"])
    assert values[0] is not None
    assert values == pytest.approx([values[0]] * 3, rel=1e-9)


@pytest.mark.parametrize("how", ["no column", "empty cells"])
def test_orders_without_amounts(tmp_path, how: str) -> None:
    if how == "no column":
        ws = _shop(tmp_path, with_amount=False)
    else:
        ws = _shop(tmp_path)
        ws.con.raw_sql("update orders set amount = null")
    frame = ws.metrics(["revenue", "average_order_value", "clv", "crr"], period="month")
    money = frame[frame["metric"].isin(["revenue", "average_order_value", "clv"])]
    assert money["value"].isna().all()
    assert frame[frame["metric"] == "crr"]["value"].notna().sum() >= 10
    assert any("no amount" in note for note in frame.attrs["notes"])
    cohorts = ws.cohorts(period="month", kind="customers")
    assert len(cohorts) > 0
    assert cohorts["value"].notna().any()
