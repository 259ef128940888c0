"""A range reaching past the data is cut to it, whichever of --from and --to is given: a --to
alone (the dashboard's "to" date picker) used to report every empty period up to that date
(CDNOW's data end in June 1998: --to 2025-03-01 gave 338 months), and --to with --last the
last periods before that date, all empty."""

from __future__ import annotations

import pytest

from retentionkit.errors import ConfigError
from retentionkit.metrics.engine import compute_metrics


def _starts(frame) -> list[str]:
    return sorted({str(p)[:10] for p in frame["period_start"]})


def test_a_to_after_the_data_is_cut_to_it(business_ws) -> None:
    ws, _ = business_ws
    whole = compute_metrics(ws, ["revenue", "crr"])
    far = compute_metrics(ws, ["revenue", "crr"], end="2099-01-01")
    assert _starts(far) == _starts(whole)
    both = compute_metrics(ws, ["revenue", "crr"], start="1990-01-01", end="2099-01-01")
    assert _starts(both) == _starts(whole)
    assert far.equals(whole)


def test_last_with_a_to_after_the_data_gives_the_datas_last_periods(business_ws) -> None:
    ws, _ = business_ws
    last3 = compute_metrics(ws, ["revenue"], end="2099-01-01", last=3)
    assert _starts(last3) == _starts(compute_metrics(ws, ["revenue"], last=3))
    assert last3["value"].notna().all()


def test_a_to_inside_the_data_is_kept(business_ws) -> None:
    ws, _ = business_ws
    starts = _starts(compute_metrics(ws, ["revenue"]))
    cut = compute_metrics(ws, ["revenue"], end=starts[5])
    assert _starts(cut) == starts[:5]
    with pytest.raises(ConfigError, match="is empty"):
        compute_metrics(ws, ["revenue"], end="1990-01-01")
