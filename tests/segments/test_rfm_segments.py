"""RFM scores and named segments: a pandas reference of the scores, the documented grid, one
segment per customer, the summary's arithmetic, and the schemes in metrics and cohorts."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retentionkit.errors import ConfigError, MissingTableError, UnknownNameError
from retentionkit.segments.resolve import segment_table
from retentionkit.segments.rfm import RFM_SEGMENTS, rfm_scores, segment_of
from retentionkit.segments.summary import SUMMARY_COLUMNS, segment_summary
from retentionkit.workspace import Workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "segments.md"


def _reference_scores(orders: pd.DataFrame, as_of: str | None) -> pd.DataFrame:
    o = orders.copy()
    o["day"] = pd.to_datetime(o["ordered_at"]).dt.floor("D")
    ref = pd.Timestamp(as_of) if as_of else o["day"].max()
    o = o[o["day"] <= ref]
    o["amount"] = o["amount"].astype(float)
    per = o.groupby("customer_id").agg(
        last=("day", "max"), frequency=("order_id", "count"), monetary=("amount", "sum")
    )
    per["recency_days"] = (ref - per["last"]).dt.days
    n = len(per)

    def score(values: pd.Series) -> pd.Series:  # values: larger is better
        rank = values.rank(method="min")
        return (1 + np.minimum(4, (5 * (rank - 1)) // max(n - 1, 1))).astype(int)

    per["r_score"] = score(-per["recency_days"])
    per["f_score"] = score(per["frequency"])
    per["m_score"] = score(per["monetary"])
    return per.sort_index()


@pytest.mark.parametrize("as_of", [None, "2023-12-31"])
def test_scores_same_as_pandas_reference(ws: Workspace, business, as_of: str | None) -> None:
    got = rfm_scores(ws, as_of).set_index("customer_id").sort_index()
    ref = _reference_scores(business["orders"], as_of)
    assert list(got.index) == list(ref.index)
    for col in ("recency_days", "frequency", "r_score", "f_score", "m_score"):
        assert (got[col].to_numpy() == ref[col].to_numpy()).all(), col
    np.testing.assert_allclose(got["monetary"], ref["monetary"], rtol=1e-9)
    # roughly quintiles where there are few ties
    assert got["m_score"].value_counts().between(0.18 * len(got), 0.22 * len(got)).all()


def test_every_customer_gets_exactly_one_named_segment(ws: Workspace, business) -> None:
    got = rfm_scores(ws)
    assert got["customer_id"].is_unique
    assert len(got) == business["orders"]["customer_id"].nunique()
    assert got["segment"].isin(RFM_SEGMENTS).all()
    fm = (got["f_score"] + got["m_score"] + 1) // 2
    assert (got["fm_score"] == fm).all()
    expected = [segment_of(r, f) for r, f in zip(got["r_score"], fm, strict=True)]
    assert got["segment"].tolist() == expected
    assert (got["rfm_score"] == got[["r_score", "f_score", "m_score"]].astype(str).sum(1)).all()


def test_engine_rules_cover_every_cell(ws: Workspace) -> None:
    """The SQL case expression gives segment_of for all 25 cells (drawn from real scores
    plus the rule function itself): each cell exactly one name, every name used."""
    cells = {(r, fm): segment_of(r, fm) for r, fm in itertools.product(range(1, 6), repeat=2)}
    assert set(cells.values()) == set(RFM_SEGMENTS)
    import ibis

    from retentionkit.segments.rfm import _segment_expr

    t = ibis.memtable(pd.DataFrame(list(cells), columns=["r", "fm"]))
    out = t.mutate(segment=_segment_expr(t.r, t.fm)).execute()
    engine = {(int(r), int(f)): s for r, f, s in out.itertuples(index=False)}
    assert engine == cells


def test_documented_grid_is_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([1-5]) \| (.+) \|$", text, flags=re.M)
    assert len(rows) == 5
    for fm, cells in rows:
        names = [c.strip() for c in cells.split("|")]
        for r, name in enumerate(names, start=1):
            assert segment_of(r, int(fm)) == name, (r, fm)
    for name in RFM_SEGMENTS:
        assert f"| {name} | " in text


def test_summary_arithmetic(ws: Workspace, business) -> None:
    frame = segment_summary(ws, "country", as_of="2024-01-31")
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    o = business["orders"].copy()
    o = o[pd.to_datetime(o["ordered_at"]).dt.floor("D") <= pd.Timestamp("2024-01-31")]
    o["amount"] = o["amount"].astype(float)
    o = o.merge(business["customers"][["customer_id", "country"]], on="customer_id")
    ref = o.groupby("country").agg(
        customers=("customer_id", "nunique"),
        revenue=("amount", "sum"),
        orders=("order_id", "count"),
    )
    got = frame.set_index("segment").loc[ref.index]
    assert (got["customers"] == ref["customers"]).all()
    np.testing.assert_allclose(got["revenue"], ref["revenue"], rtol=1e-9)
    np.testing.assert_allclose(got["orders_per_customer"], ref["orders"] / ref["customers"])
    np.testing.assert_allclose(got["average_order_value"], ref["revenue"] / ref["orders"])
    assert frame["share"].sum() == pytest.approx(100.0)
    assert frame["revenue_share"].sum() == pytest.approx(100.0)
    assert frame["revenue"].is_monotonic_decreasing


def test_rfm_summary_order_and_recency(ws: Workspace) -> None:
    frame = segment_summary(ws, "rfm")
    order = [s for s in RFM_SEGMENTS if s in set(frame["segment"])]
    assert frame["segment"].tolist() == order
    assert frame["customers"].sum() == len(rfm_scores(ws))
    days = frame.set_index("segment")["days_since_last_order"]
    assert days["champions"] < days["lost"]
    score = segment_summary(ws, "rfm_score")
    assert score["customers"].sum() == frame["customers"].sum()


def test_schemes_work_with_metrics_and_cohorts(ws: Workspace) -> None:
    assert set(segment_table(ws, "rfm").execute()["segment"]) <= set(RFM_SEGMENTS)
    kpis = ws.metrics("crr", segment="rfm", last=2)
    assert set(kpis["segment"]) <= set(RFM_SEGMENTS)
    cohorts = ws.cohorts(period="quarter", segment="rfm")
    assert set(cohorts["segment"]) <= set(RFM_SEGMENTS)
    sizes = cohorts[cohorts["offset"] == 0]["size"].sum()
    assert sizes == len(rfm_scores(ws))


def test_bad_input(ws: Workspace) -> None:
    with pytest.raises(UnknownNameError, match="rfm_score"):
        segment_summary(ws, "favourite_colour")
    with pytest.raises(ConfigError, match="choose a later --as-of"):
        segment_summary(ws, "rfm", as_of="2001-01-01")
    with pytest.raises(ConfigError, match="--as-of 'yesterday' is not a date"):
        segment_summary(ws, "rfm", as_of="yesterday")
    with pytest.raises(MissingTableError, match="orders"):
        segment_summary(Workspace(":memory:"), "rfm")
