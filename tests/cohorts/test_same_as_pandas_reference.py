"""Every cohort kind, period and customer definition against the independent pandas
reference (tests/cohorts/reference.py) on a generated business."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retentionkit.workspace import Workspace

KINDS = ["customers", "unbounded", "revenue", "cumulative_revenue"]


def _check(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(got.columns) == list(ref.columns)
    assert len(got) == len(ref)
    for col in got.columns:
        if col == "value":
            np.testing.assert_allclose(
                got[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, atol=1e-7
            )
        elif col == "cohort":
            assert (pd.to_datetime(got[col]) == pd.to_datetime(ref[col])).all()
        else:
            assert got[col].astype(str).tolist() == ref[col].astype(str).tolist(), col


@pytest.mark.parametrize("definition", ["activity", "contractual"])
@pytest.mark.parametrize("period", ["week", "month", "quarter"])
@pytest.mark.parametrize("kind", KINDS)
def test_same_as_pandas_reference(
    ws: Workspace, business, reference_cohorts, definition: str, period: str, kind: str
) -> None:
    got = ws.cohorts(period=period, kind=kind, customer_definition=definition)
    ref = reference_cohorts(business, period=period, kind=kind, definition=definition)
    _check(got, ref)


@pytest.mark.parametrize("definition", ["activity", "contractual"])
@pytest.mark.parametrize("kind", KINDS)
def test_same_as_reference_with_from_and_to(
    ws: Workspace, business, reference_cohorts, definition: str, kind: str
) -> None:
    got = ws.cohorts(
        period="month",
        kind=kind,
        start="2023-03-15",
        end="2024-01-10",
        customer_definition=definition,
    )
    ref = reference_cohorts(
        business,
        period="month",
        kind=kind,
        definition=definition,
        start="2023-03-15",
        end="2024-01-10",
    )
    _check(got, ref)
    assert got["cohort"].min() == pd.Timestamp("2023-03-01")
    # the period holding --to (January 2024) has started before --to, so it is the last
    assert (got["cohort"] + pd.to_timedelta(0, "D")).max() == pd.Timestamp("2024-01-01")


@pytest.mark.parametrize("kind", ["customers", "cumulative_revenue"])
def test_same_as_reference_per_segment(
    ws: Workspace, business, reference_cohorts, kind: str
) -> None:
    got = ws.cohorts(period="quarter", kind=kind, segment="country")
    segments = business["customers"][["customer_id", "country"]].rename(
        columns={"country": "segment"}
    )
    ref = reference_cohorts(business, period="quarter", kind=kind, segments=segments)
    _check(got, ref)
