"""``workflow.fit`` dispatches by the model's kind: sBG from the subscriptions table, BG/BB from
the orders' repeat opportunities, through the same entry point (and CLI command) as BG/NBD."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.clv import workflow
from retentionkit.clv.opportunities import opportunity_frame, renewal_frame
from retentionkit.errors import MissingTableError
from retentionkit.workspace import Workspace


def test_renewal_frame_follows_the_sbg_convention(gen_db: Path) -> None:
    frame, notes = renewal_frame(Workspace(gen_db), "month")
    assert notes == [] and len(frame) > 0
    assert (frame["recency"] >= 1).all() and (frame["recency"] <= frame["T"]).all()
    assert (frame["recency"] < frame["T"]).any() and (frame["recency"] == frame["T"]).any()


def test_opportunity_frame_counts_complete_periods(gen_db: Path) -> None:
    frame, _ = opportunity_frame(Workspace(gen_db), "month")
    assert (frame["n_periods"] >= 1).all()
    assert (
        (frame["frequency"] <= frame["recency"]) & (frame["recency"] <= frame["n_periods"])
    ).all()
    assert ((frame["frequency"] == 0) == (frame["recency"] == 0)).all()


def test_one_customer_opportunities_by_hand(tmp_db: Path) -> None:
    ws = Workspace(tmp_db)
    days = ["2024-01-05", "2024-01-20", "2024-02-10", "2024-04-07", "2024-06-30"]
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": [f"o{i}" for i in range(len(days))],
                "customer_id": "c1",
                "ordered_at": pd.to_datetime(days),
                "amount": 10.0,
            }
        ),
    )
    frame, _ = opportunity_frame(ws, "month")
    # 30.44-day periods from Jan 5: Feb 10 is period 1, Apr 7 period 3; Jun 30 ends the data and
    # period 5 (Jun 4 - Jul 4) is incomplete: opportunities 1..4
    row = frame.iloc[0]
    assert (row["frequency"], row["recency"], row["n_periods"]) == (2.0, 3.0, 4.0)


@pytest.mark.parametrize(("model", "kind"), [("sbg", "contractual"), ("bgbb", "discrete")])
def test_clv_fit_works_for_sbg_and_bgbb_from_the_cli(
    gen_db: Path, capsys: pytest.CaptureFixture[str], model: str, kind: str
) -> None:
    capsys.readouterr()
    rc = main(["--db", str(gen_db), "clv", "fit", "--model", model, "--time-unit", "month",
               "--format", "json"])  # fmt: skip
    out = capsys.readouterr()
    assert rc == 0, out.err
    report = json.loads(out.out)
    assert report["model"] == model and report["kind"] == kind
    assert report["status"] in ("ok", "boundary", "degenerate")
    assert isinstance(report["warnings"], list)
    assert all(np.isfinite(v) for v in report["params"].values())


def test_sbg_needs_the_subscriptions_table(tmp_db: Path) -> None:
    ws = Workspace(tmp_db)
    ws.ingest(
        "orders",
        pd.DataFrame(
            {"order_id": ["o1"], "customer_id": ["c1"], "ordered_at": ["2024-01-01"], "amount": 1}
        ),
    )
    with pytest.raises(MissingTableError, match="ingest subscriptions"):
        workflow.fit(ws, "sbg")


def test_predict_names_the_model_used(gen_db: Path) -> None:
    frame = workflow.predict(Workspace(gen_db), horizon=26)
    assert frame.attrs["model"] in ("bgnbd", "mbgnbd", "paretonbd", "recency-ratio")
    assert frame.attrs["status"] != "degenerate"
    assert frame.attrs["spend_model"] == "gamma-gamma"
    assert isinstance(frame.attrs["warnings"], list)
    assert frame[["expected_purchases", "p_alive", "clv"]].notna().all().all()
