"""``model="auto"``: choosing a purchase model that is credible on this data.

Rules (issue 12, item 2), applied to every purchase model of the registry
(:func:`retentionkit.clv.models.model_names` of kind ``purchase``: BG/NBD, MBG/NBD, Pareto/NBD):

1. Each is fitted on the RFM summary. A model that cannot be fitted or whose fit is
   ``degenerate`` (:data:`~retentionkit.clv.models.base.STATUSES`) is rejected; a ``boundary``
   fit (a valid limit model) stays a candidate.
2. A candidate whose P(alive) contradicts the data is rejected (:func:`contradiction`): the
   data say a customer who has been silent for :data:`SILENCE_MULTIPLE` (5) times their usual
   gap between purchases or longer is more likely gone than not, so a model is not credible when

   * every customer has P(alive) ≥ :data:`FLAT_P_ALIVE` (0.999) while at least
     :data:`MIN_SILENT_SHARE` (10 %) of the repeat buyers are silent that long, or
   * the median P(alive) of those silent customers (when there are at least
     :data:`MIN_SILENT_CUSTOMERS`) is 0.5 or more.

3. Among the credible candidates the one with the lowest per-customer mean absolute error on a
   holdout window (the last third of the data, :func:`retentionkit.clv.evaluation.choose_model`)
   is used; when the holdout comparison cannot be made, the highest log-likelihood.
4. When no candidate is credible, :class:`NoCredibleModelError` says why for each; callers that
   can do without a probabilistic model (churn at-risk) catch it and say what they used instead.

The usual gap of a repeat buyer is ``recency / frequency`` (time from first to last purchase per
repeat purchase); silence is ``T - recency``.

Speed: from :data:`PARALLEL_MIN_CUSTOMERS` customers on, every fit the rules may need — each
candidate on the summary and each on the holdout summary — is started at once on
:func:`~retentionkit.workers.fit_workers` threads (NumPy and SciPy release the GIL in these
fits), before rule 2 says which holdout fits will be used; the rules then read the results in
the order above, so the choice, its candidates table and its warnings are those of the loop, to
the last digit. A fit started but not needed is discarded. On a million customers the two
Pareto/NBD fits (summary and holdout, ~15 s each at the exponential boundary) run side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.errors import InputError, ModelFitError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workers import Deferred

__all__ = [
    "FLAT_P_ALIVE",
    "MIN_SILENT_CUSTOMERS",
    "MIN_SILENT_SHARE",
    "SILENCE_MULTIPLE",
    "NoCredibleModelError",
    "PurchaseChoice",
    "choose_purchase_model",
    "contradiction",
    "silent_customers",
]

SILENCE_MULTIPLE = 5.0
MIN_SILENT_SHARE = 0.10
FLAT_P_ALIVE = 0.999
MIN_SILENT_CUSTOMERS = 10
#: From this many customers in the summary, the fits run side by side (module docstring).
PARALLEL_MIN_CUSTOMERS = 20_000


class NoCredibleModelError(ModelFitError):
    """No purchase model gives credible predictions on this data (each reason is in the text)."""


def silent_customers(summary: pd.DataFrame) -> np.ndarray:
    """Mask of the repeat buyers silent for ≥ SILENCE_MULTIPLE × their usual gap."""
    x = summary["frequency"].to_numpy(dtype="float64")
    t_x = summary["recency"].to_numpy(dtype="float64")
    big_t = summary["T"].to_numpy(dtype="float64")
    with np.errstate(all="ignore"):
        gap = np.where(x > 0, t_x / np.maximum(x, 1.0), np.nan)
    return (x > 0) & (gap > 0) & ((big_t - t_x) >= SILENCE_MULTIPLE * gap)


def contradiction(summary: pd.DataFrame, p_alive: np.ndarray) -> str | None:
    """Why ``p_alive`` contradicts the data (module docstring, rule 2), or None."""
    p_alive = np.asarray(p_alive, dtype="float64")
    if not np.all(np.isfinite(p_alive)):
        return "its P(alive) is not a number for some customers"
    silent = silent_customers(summary)
    n_silent = int(silent.sum())
    repeat = int((summary["frequency"] > 0).sum())
    share = n_silent / repeat if repeat else 0.0
    multiple = f"{SILENCE_MULTIPLE:g}×"
    if share >= MIN_SILENT_SHARE and float(p_alive.min()) >= FLAT_P_ALIVE:
        return (
            f"it gives every customer P(alive) ≥ {FLAT_P_ALIVE:g} while {n_silent:,} repeat "
            f"buyers ({share:.0%}) have been silent for {multiple} their usual gap or longer"
        )
    if n_silent >= MIN_SILENT_CUSTOMERS:
        median = float(np.median(p_alive[silent]))
        if median >= 0.5:
            return (
                f"the {n_silent:,} customers silent for {multiple} their usual gap or longer "
                f"have a median P(alive) of {median:.2f} (a credible model puts them below 0.5)"
            )
    return None


@dataclass
class PurchaseChoice:
    """The chosen purchase model and what happened to every candidate."""

    name: str
    model: Any
    candidates: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def choose_purchase_model(
    summary: pd.DataFrame,
    fit: Callable[[str], Any],
    holdout_frame: Callable[[], pd.DataFrame] | None = None,
    penalizer: float = 0.0,
    then: Deferred[Any] | None = None,
) -> PurchaseChoice:
    """Apply the module's rules. ``fit(name)`` fits one candidate on ``summary``;
    ``holdout_frame()`` builds the calibration/holdout summary, used when two or more are
    credible (on a large summary it is built ahead, with the fits; module docstring).
    ``then``, the caller's next fit (the spend model), is queued behind the fits when they
    run side by side, so it uses a thread the last, slow fit leaves idle; its caller asks
    its result afterwards (:class:`~retentionkit.workers.Deferred`)."""
    from retentionkit.clv.models import model_names

    names = model_names("purchase")
    ahead = _FitsAhead.start(summary, names, fit, holdout_frame, penalizer)
    if ahead is not None and then is not None:
        then.start_on(ahead.pool)
    try:
        return _apply_rules(summary, names, fit, holdout_frame, penalizer, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def _apply_rules(
    summary: pd.DataFrame,
    names: list[str],
    fit: Callable[[str], Any],
    holdout_frame: Callable[[], pd.DataFrame] | None,
    penalizer: float,
    ahead: _FitsAhead | None,
) -> PurchaseChoice:
    from retentionkit.clv.evaluation import choose_model

    rows: list[dict[str, Any]] = []
    credible: dict[str, Any] = {}
    x = summary["frequency"].to_numpy(dtype="float64")
    t_x = summary["recency"].to_numpy(dtype="float64")
    big_t = summary["T"].to_numpy(dtype="float64")
    for name in names:
        row: dict[str, Any] = {"model": name, "status": None, "credible": False, "reason": None}
        rows.append(row)
        try:
            fitted = ahead.fitted(name) if ahead is not None else fit(name)
        except ModelFitError as exc:
            row["reason"] = f"could not be fitted: {exc}"
            continue
        row["status"] = fitted.status_
        if fitted.status_ == "degenerate":
            row["reason"] = "degenerate fit (the data do not identify it)"
            continue
        why = contradiction(summary, fitted.conditional_probability_alive(x, t_x, big_t))
        if why is not None:
            row["reason"] = f"not credible: {why}"
            continue
        row["credible"] = True
        row["log_likelihood"] = fitted.log_likelihood_
        credible[name] = fitted
    if not credible:
        details = "; ".join(f"{r['model']}: {r['reason']}" for r in rows)
        raise NoCredibleModelError(f"No purchase model is credible on this data ({details}).")
    warnings = [f"{r['model']} was not used: {r['reason']}." for r in rows if not r["credible"]]
    best = next(iter(credible))
    if len(credible) > 1:
        best = max(credible, key=lambda k: credible[k].log_likelihood_)
        basis = "the highest log-likelihood"
        try:
            if holdout_frame is None:
                raise InputError("no holdout window")
            if ahead is not None:
                choice = ahead.choose(tuple(credible))
            else:
                choice = choose_model(holdout_frame(), tuple(credible), penalizer_coef=penalizer)
            usable = {
                k: e for k, e in choice.evaluations.items() if e.model.status_ != "degenerate"
            }
            for r in rows:
                if r["model"] in choice.evaluations:
                    r["holdout_mae"] = choice.evaluations[r["model"]].mae
            if usable:
                best = min(usable, key=lambda k: usable[k].mae)
                basis = "the lowest holdout error per customer"
        except (InputError, ModelFitError) as exc:
            warnings.append(f"The holdout comparison could not be made ({exc}).")
        warnings.append(f"{best} was chosen among {', '.join(credible)} by {basis}.")
    return PurchaseChoice(best, credible[best], rows, warnings)


class _FitsAhead:
    """The fits :func:`choose_purchase_model` may need, started at once on worker threads
    (module docstring, "Speed"): each candidate on the summary, and — once the calling thread
    has built the holdout summary (a workspace query: the connection stays in this thread) —
    each candidate on it. Results and exceptions are read back where the loop would have
    computed them; an exception of the holdout summary itself is raised only if it is used."""

    def __init__(self, pool: Any, full: dict[str, Any]) -> None:
        self.pool = pool
        self.full = full
        self.holdout: dict[str, Any] = {}
        self.holdout_error: BaseException | None = None

    @classmethod
    def start(
        cls,
        summary: pd.DataFrame,
        names: list[str],
        fit: Callable[[str], Any],
        holdout_frame: Callable[[], pd.DataFrame] | None,
        penalizer: float,
    ) -> _FitsAhead | None:
        from retentionkit.workers import fit_workers

        workers = min(fit_workers(), 2 * len(names))
        if len(summary) < PARALLEL_MIN_CUSTOMERS or workers < 2 or len(names) < 2:
            return None
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(workers, thread_name_prefix="clv-fit")
        ahead = cls(pool, {name: pool.submit(fit, name) for name in names})
        if holdout_frame is not None:
            from retentionkit.clv.evaluation import _check_frame, evaluate_holdout

            try:
                frame = holdout_frame()
                _check_frame(frame)
            except Exception as exc:  # raised where the loop would have met it, if it does
                ahead.holdout_error = exc
            else:
                # a candidate whose fit on the summary is still running is a slow one (Pareto/NBD
                # at its boundary): its holdout fit goes first, to the next free thread, and the
                # quick ones follow on whichever thread frees up (the pool takes jobs in order)
                slow_first = sorted(names, key=lambda name: ahead.full[name].done())
                ahead.holdout = {
                    name: pool.submit(evaluate_holdout, frame, name, penalizer_coef=penalizer)
                    for name in slow_first
                }
        return ahead

    def fitted(self, name: str) -> Any:
        return self.full[name].result()

    def choose(self, candidates: tuple[str, ...]) -> Any:
        from retentionkit.clv.evaluation import choose_among

        if self.holdout_error is not None:
            raise self.holdout_error
        return choose_among(candidates, lambda key: self.holdout[key].result())

    def close(self) -> None:
        """Drop the fits not started; one still running finishes on its thread, unread."""
        self.pool.shutdown(wait=False, cancel_futures=True)
