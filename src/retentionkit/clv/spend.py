"""The spend step of ``clv predict`` on messy real data (issue 12 item 1).

Gamma-Gamma (Fader, Hardie & Lee 2005, note 025) models the average value of a customer's
*repeat* purchases. Real order logs break its preconditions in three ways, handled here before
the fitter is called, each named in the output's ``warnings``:

* **no amounts at all** (visit or loyalty-card logs: every ``amount`` null): there is no spend to
  model; expected spend and CLV are null, expected purchases and P(alive) are still given;
* **repeat buyers whose repeat orders carry no amount** (``monetary_value`` null): left out of
  the fit and given the population mean, like a non-positive average spend (which the fitter
  itself leaves out);
* **fewer repeat buyers with a positive spend than a fit needs** (``MIN_CUSTOMERS``, e.g. Olist,
  where almost everyone buys once): no model — the mean order value over every priced order up
  to the observation end is everyone's expected spend (``mean-spend``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from retentionkit.clv.models.base import MIN_CUSTOMERS

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workers import Deferred
    from retentionkit.workspace import Workspace

__all__ = ["MeanSpend", "SpendAhead", "fit_spend", "spend_fit_ahead"]


class MeanSpend:
    """Everyone's expected spend per purchase is one number (the mean order value), or null
    when the orders carry no amount. Quacks like a fitted spend model for ``predict_summary``."""

    model_name: ClassVar[str] = "mean-spend"

    def __init__(self, mean: float | None, warnings: list[str]) -> None:
        self.mean = mean
        self.status_ = "ok"
        self.warnings_ = warnings

    def conditional_expected_average_profit(self, frequency: Any, monetary_value: Any) -> Any:
        value = math.nan if self.mean is None else self.mean
        return np.full(len(np.asarray(frequency)), value, dtype="float64")


def _mean_order_value(ws: Workspace, observation_end: Any) -> float | None:
    t = ws.table("orders")
    if observation_end is not None:
        t = t.filter(t.ordered_at < pd.Timestamp(observation_end) + pd.Timedelta(days=1))
    # the mean of the stored decimals (an exact sum, one division): the same on every run
    value = t.amount.mean().execute()
    return None if value is None or pd.isna(value) else float(value)


def _fit_rows(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """(the summary with null spend as 0, the repeat buyers without an amount, those with a
    positive spend)."""
    m = summary["monetary_value"].astype("float64")
    repeat = summary["frequency"] > 0
    return summary.assign(monetary_value=m.fillna(0.0)), repeat & m.isna(), repeat & (m > 0)


@dataclass
class SpendAhead:
    """The spend model's fit :func:`fit_spend` will make, worked out before it: the memo key
    of the fit and the fit itself, which a caller may start early on a fit thread (None when
    the fit is kept in this process)."""

    key: str | None
    fit: Deferred[Any] | None


def spend_fit_ahead(summary: pd.DataFrame, spend_model: str, penalizer: float) -> SpendAhead | None:
    """:class:`SpendAhead` for ``summary``; None when :func:`fit_spend` fits no spend model
    (too few priced repeat buyers)."""
    from retentionkit.clv import memo
    from retentionkit.clv.workflow import fit_summary_model
    from retentionkit.workers import Deferred

    filled, unpriced, usable = _fit_rows(summary)
    if int(usable.sum()) < MIN_CUSTOMERS:
        return None
    key = memo.spend_key(summary, spend_model, penalizer)
    if memo.lookup(key) is not None:
        return SpendAhead(key, None)
    return SpendAhead(
        key, Deferred(lambda: fit_summary_model(filled[~unpriced], spend_model, penalizer))
    )


def fit_spend(
    ws: Workspace,
    summary: pd.DataFrame,
    spend_model: str,
    penalizer: float,
    observation_end: Any,
    ahead: SpendAhead | None = None,
) -> tuple[Any, pd.DataFrame]:
    """The spend model for ``summary`` and the summary to predict it with (null
    ``monetary_value`` → 0: no usable own spend, so the population mean). ``ahead`` is this
    fit from :func:`spend_fit_ahead`, perhaps already running on a fit thread."""
    from retentionkit.clv.workflow import fit_summary_model

    filled, unpriced, usable = _fit_rows(summary)
    notes: list[str] = []
    if unpriced.any():
        ids = summary.loc[unpriced, "customer_id"].astype(str).tolist()
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        notes.append(
            f"{len(ids)} repeat buyer{'s' if len(ids) > 1 else ''} without an amount on "
            f"{'their' if len(ids) > 1 else 'its'} repeat orders ({shown}) "
            f"{'were' if len(ids) > 1 else 'was'} left out of the spend model; "
            "their expected spend is the population mean."
        )
    if int(usable.sum()) < MIN_CUSTOMERS:
        mean = _mean_order_value(ws, observation_end)
        if mean is None:
            note = (
                "The orders carry no amount, so expected spend and CLV are null; expected "
                "purchases and P(alive) do not need amounts."
            )
        else:
            note = (
                f"Only {int(usable.sum())} repeat buyer{'s' if int(usable.sum()) != 1 else ''} "
                f"with a positive spend (a spend model needs {MIN_CUSTOMERS}); every "
                f"customer's expected spend is the mean order value, {mean:,.2f}."
            )
        return MeanSpend(mean, [note]), filled
    from retentionkit.clv import memo

    key = ahead.key if ahead is not None else memo.spend_key(summary, spend_model, penalizer)
    kept = memo.lookup(key)
    if kept is not None:  # fitted on the same cells before in this process
        spend = kept[0]
    elif ahead is not None and ahead.fit is not None:
        spend = ahead.fit.result()
        memo.keep(key, spend, None)
    else:
        spend = fit_summary_model(filled[~unpriced], spend_model, penalizer)
        memo.keep(key, spend, None)
    spend.warnings_ = [*getattr(spend, "warnings_", []), *notes]
    return spend, filled
