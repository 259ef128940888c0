"""Every evaluation rule of docs/goals.md as worked examples, plus identities (Hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.goals.model import Goal
from retentionkit.goals.rules import bar_percent, elapsed, progress, status

D = dt.date


def test_progress_worked_examples() -> None:
    # CRR from 50 % to a target of 60 %: at 55 % half the way
    assert progress(55.0, 50.0, 60.0) == pytest.approx(0.5)
    # churn from 8 % down to 5 %: at 6.5 % half the way (both differences negative)
    assert progress(6.5, 8.0, 5.0) == pytest.approx(0.5)
    # raw: going the wrong way is negative, overshooting is above 1
    assert progress(45.0, 50.0, 60.0) == pytest.approx(-0.5)
    assert progress(70.0, 50.0, 60.0) == pytest.approx(2.0)
    assert progress(None, 50.0, 60.0) is None


def test_bar_is_clipped_to_0_100() -> None:
    assert bar_percent(-0.5) == 0.0
    assert bar_percent(0.25) == 25.0
    assert bar_percent(2.0) == 100.0
    assert bar_percent(None) == 0.0


def test_elapsed_worked_examples() -> None:
    start, due = D(2025, 1, 1), D(2025, 1, 11)
    assert elapsed(D(2025, 1, 1), start, due) == 0.0
    assert elapsed(D(2025, 1, 6), start, due) == pytest.approx(0.5)
    assert elapsed(D(2025, 1, 21), start, due) == pytest.approx(2.0)  # raw after the due date


def _status(**kw: object) -> str:
    base = {
        "reached": False,
        "as_of": D(2025, 6, 1),
        "due": D(2025, 12, 31),
        "p_hit": None,
        "progress_value": 0.0,
        "elapsed_value": 0.5,
    }
    base.update(kw)
    return status(**base)  # type: ignore[arg-type]


def test_status_order_and_thresholds() -> None:
    assert _status(reached=True, as_of=D(2026, 1, 5)) == "achieved"  # achieved beats missed
    assert _status(as_of=D(2026, 1, 1), p_hit=0.99) == "missed"
    assert _status(p_hit=0.7) == "on_track"
    assert _status(p_hit=0.69) == "at_risk"
    assert _status(p_hit=0.3) == "at_risk"
    assert _status(p_hit=0.29) == "off_track"


def test_status_without_p_hit_compares_progress_with_elapsed() -> None:
    assert _status(progress_value=0.5, elapsed_value=0.5) == "on_track"
    assert _status(progress_value=0.25, elapsed_value=0.5) == "at_risk"
    assert _status(progress_value=0.24, elapsed_value=0.5) == "off_track"
    assert _status(progress_value=None, elapsed_value=0.0) == "on_track"


def test_reached_follows_the_direction() -> None:
    up = Goal(
        "g", "metric", "crr", "month", None, None, "up", 60.0, D(2025, 12, 31), D(2025, 1, 1), 50.0
    )
    down = Goal(
        "g",
        "metric",
        "churn_rate",
        "month",
        None,
        None,
        "down",
        5.0,
        D(2025, 12, 31),
        D(2025, 1, 1),
        8.0,
    )
    assert up.reached(60.0) and not up.reached(59.99)
    assert down.reached(5.0) and not down.reached(5.01)
    assert not up.reached(None)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(start=finite, target=finite)
def test_progress_is_0_at_the_start_and_1_at_the_target(start: float, target: float) -> None:
    if abs(target - start) < 1e-6:
        return
    assert progress(start, start, target) == pytest.approx(0.0, abs=1e-9)
    assert progress(target, start, target) == pytest.approx(1.0)


@given(
    p=st.none() | st.floats(0, 1),
    prog=st.none() | finite,
    el=st.floats(-1, 2),
    late=st.booleans(),
)
def test_a_reached_target_is_always_achieved(
    p: float | None, prog: float | None, el: float, late: bool
) -> None:
    as_of = D(2026, 6, 1) if late else D(2025, 6, 1)
    assert _status(reached=True, as_of=as_of, p_hit=p, progress_value=prog, elapsed_value=el) == (
        "achieved"
    )
    assert _status(as_of=as_of, p_hit=p, progress_value=prog, elapsed_value=el) in (
        ("missed",) if late else ("on_track", "at_risk", "off_track")
    )
