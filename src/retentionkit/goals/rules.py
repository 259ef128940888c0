"""The evaluation rules of a goal, as pure functions (docs/goals.md states each one).

* progress = (current − start value) / (target − start value), raw (it can be negative or
  above 1); bars clip it to 0–100 %.
* elapsed = (as-of − start) / (due − start), in days.
* status, in this order: ``achieved`` when the current value reaches the target (≥ going up,
  ≤ going down); ``missed`` when the as-of date is after the due date; otherwise from
  ``p_hit``: ``on_track`` (p_hit ≥ 0.7), ``at_risk`` (0.3 ≤ p_hit < 0.7), ``off_track``
  (p_hit < 0.3); without a ``p_hit`` (custom goals, too little history) from progress against
  elapsed: ``on_track`` when progress ≥ elapsed, ``at_risk`` when progress ≥ elapsed / 2,
  else ``off_track``.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["AT_RISK_FROM", "ON_TRACK_FROM", "bar_percent", "elapsed", "progress", "status"]

#: p_hit thresholds of the issue: ≥ 0.7 on track, 0.3–0.7 at risk, < 0.3 off track.
ON_TRACK_FROM = 0.7
AT_RISK_FROM = 0.3


def progress(current: float | None, start_value: float, target: float) -> float | None:
    """(current − start) / (target − start); None without a current value."""
    if current is None or not math.isfinite(current) or target == start_value:
        return None
    return (current - start_value) / (target - start_value) + 0.0  # no -0.0


def elapsed(as_of: dt.date, start: dt.date, due: dt.date) -> float:
    """(as-of − start) / (due − start) in days (raw: negative before the start, > 1 after)."""
    span = (due - start).days
    return (as_of - start).days / span if span > 0 else 1.0


def status(
    *,
    reached: bool,
    as_of: dt.date,
    due: dt.date,
    p_hit: float | None,
    progress_value: float | None,
    elapsed_value: float,
) -> str:
    """The status of a goal (rules in the module docstring)."""
    if reached:
        return "achieved"
    if as_of > due:
        return "missed"
    if p_hit is not None:
        if p_hit >= ON_TRACK_FROM:
            return "on_track"
        return "at_risk" if p_hit >= AT_RISK_FROM else "off_track"
    done = progress_value if progress_value is not None else 0.0
    if done >= elapsed_value:
        return "on_track"
    return "at_risk" if done >= elapsed_value / 2 else "off_track"


def bar_percent(progress_value: float | None) -> float:
    """Progress clipped to 0–100 for a progress bar."""
    if progress_value is None or not math.isfinite(progress_value):
        return 0.0
    return max(0.0, min(100.0, 100.0 * progress_value))
