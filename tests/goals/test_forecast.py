"""p_hit sanity: monotone in the target, deterministic with a seed, the method by history
length, values kept in the metric's range; the calibration table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from retentionkit.goals.calibration import brier_score, calibration_table
from retentionkit.goals.forecast import forecast, hit_probability, simulate, unit_bounds


def _history(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    months = np.arange(n)
    return 50 + 0.3 * months + 4 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 2, n)


@pytest.mark.parametrize("n", [8, 30])
def test_p_hit_is_monotone_in_the_target(n: int) -> None:
    """p_hit = share of the simulated due-period values reaching the target: on the same paths
    (same seed) it can only fall as the target rises (going up), and rise going down."""
    y = _history(n)
    _, paths = simulate(y, 4, period="month", seed=0)
    assert paths is not None
    targets = np.linspace(y[-1] - 15, y[-1] + 15, 13)
    up = [hit_probability(paths[:, -1], t, "up") for t in targets]
    down = [hit_probability(paths[:, -1], t, "down") for t in targets]
    assert all(a >= b for a, b in itertools.pairwise(up))
    assert all(a <= b for a, b in itertools.pairwise(down))
    assert up[0] > 0.9 and up[-1] < 0.1
    # forecast() is that same computation
    one = forecast(y, 4, period="month", target=float(targets[7]), direction="up", seed=0)
    assert one.p_hit == up[7]


def test_p_hit_is_deterministic_with_a_seed() -> None:
    for n in (8, 30):
        y = _history(n)
        a = forecast(y, 6, period="month", target=y[-1] + 2, direction="up", seed=3)
        b = forecast(y, 6, period="month", target=y[-1] + 2, direction="up", seed=3)
        assert a == b
    y = _history(8)
    other = forecast(y, 6, period="month", target=y[-1] + 2, direction="up", seed=4)
    assert other.fan != forecast(y, 6, period="month", target=y[-1] + 2, direction="up").fan


def test_method_follows_the_history_length() -> None:
    assert forecast(_history(2), 3, period="month", target=60, direction="up").method == "none"
    assert forecast(_history(2), 3, period="month", target=60, direction="up").p_hit is None
    assert forecast(_history(23), 3, period="month", target=60, direction="up").method == (
        "bootstrap"
    )
    assert forecast(_history(24), 3, period="month", target=60, direction="up").method == "ets"
    assert forecast(_history(8), 2, period="quarter", target=60, direction="up").method == "ets"
    assert forecast(_history(30), 0, period="month", target=60, direction="up").method == "none"


def test_fan_has_one_row_of_ordered_quantiles_per_period() -> None:
    result = forecast(_history(30), 5, period="month", target=60, direction="up")
    assert len(result.fan) == 5
    for row in result.fan:
        assert row == sorted(row)


def test_simulated_values_stay_in_the_metric_range() -> None:
    y = np.array([99.0, 95.0, 99.5, 92.0, 99.9, 97.0, 99.0])
    _, paths = simulate(y, 6, period="month", bounds=unit_bounds("%"))
    assert paths is not None and paths.max() <= 100 and paths.min() >= 0
    assert unit_bounds("score", "nps") == (-100.0, 100.0)
    assert unit_bounds("count")[0] == 0.0


def test_calibration_table_worked_example() -> None:
    pairs = [(0.05, False), (0.05, True), (0.95, True), (1.0, True), (0.5, False)]
    table = {row["bin"]: row for row in calibration_table(pairs)}
    assert table["0.0–0.1"]["goals"] == 2 and table["0.0–0.1"]["hit_rate"] == 0.5
    assert table["0.9–1.0"]["goals"] == 2 and table["0.9–1.0"]["hit_rate"] == 1.0
    assert table["0.5–0.7"]["goals"] == 1 and table["0.1–0.3"]["hit_rate"] is None
    assert brier_score([(1.0, True), (0.0, False)]) == 0.0
    assert brier_score([(0.5, True)]) == 0.25


def test_no_forecast_beyond_the_longest_horizon() -> None:
    from retentionkit.goals.forecast import MAX_HORIZON

    y = _history(8)
    assert forecast(y, MAX_HORIZON, period="month", target=60, direction="up").method == (
        "bootstrap"
    )
    assert forecast(y, MAX_HORIZON + 1, period="month", target=60, direction="up").p_hit is None
