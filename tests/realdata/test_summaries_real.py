"""The two summary files of ../shared/data (issue 12 item 7): the sBG paper's renewal table and
the donations BG/BB table fit with status ok, no warnings, and predictions that are finite and
plausible (survival falls, P(alive) in [0, 1])."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retentionkit.clv.models import BetaGeoBetaBinomFitter, ShiftedBetaGeometricFitter

from .conftest import data_dir

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realdata")]


@pytest.mark.parametrize("cohort", ["regular", "highend"])
def test_sbg_paper_file(cohort: str) -> None:
    d = pd.read_csv(data_dir() / "sbg_contractual_retention" / "sbg_paper.csv")
    d = d[d["cohorts"] == cohort]
    m = ShiftedBetaGeometricFitter().fit(d["recency"], d["T"])
    assert m.status_ == "ok" and not m.warnings_
    survival = np.asarray(m.survival_function(np.arange(1, 13)), dtype=float)
    assert np.isfinite(survival).all()
    assert (np.diff(survival) < 0).all() and 0 < survival[-1] < 1


def test_donations_file() -> None:
    d = pd.read_csv(data_dir() / "donations_bgbb" / "donations.csv")
    m = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])
    assert m.status_ == "ok" and not m.warnings_
    alive = np.asarray(
        m.conditional_probability_alive(d["frequency"], d["recency"], d["periods"]),
        dtype=float,
    )
    assert np.isfinite(alive).all() and ((alive >= 0) & (alive <= 1)).all()
    # a donor who gave in each of the 6 years is more likely alive than one who never did
    best = alive[(d["frequency"] == 6).to_numpy()][0]
    worst = alive[(d["frequency"] == 0).to_numpy()][0]
    assert best > worst
