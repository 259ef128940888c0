"""CLV on a workspace: the RFM summary (engine) → a fitted model (in memory) → per-customer
predictions, holdout evaluation and value tiers. The CLI, the API and the dashboard call these.

Time units: ``time_unit`` (day, week, month) is the unit of recency, T and ``horizon``. CLV is
the discounted value of the expected purchases over the horizon converted to whole months
(lifetimes' monthly cash-flow scheme, :mod:`retentionkit.clv.value`), with a *monthly*
``discount_rate`` (lifetimes' default 0.01) and a gross ``margin``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.clv.models import model_names
from retentionkit.clv.rfm import DAYS_PER_UNIT, check_time_unit, rfm_summary
from retentionkit.errors import ConfigError, InputError, ModelFitError
from retentionkit.vocabulary import AUTO_MODEL

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from retentionkit.clv.models.base import BaseFitter
    from retentionkit.workers import Deferred
    from retentionkit.workspace import Workspace

#: Derived from the model registry (:mod:`retentionkit.clv.models`), never typed out.
PURCHASE_MODELS = model_names("purchase")
SPEND_MODELS = model_names("spend")
#: ``model="auto"``: the credible purchase model chosen by :mod:`retentionkit.clv.choice`.
AUTO = AUTO_MODEL
#: The time unit of each kind of model when none is given (renewals and opportunities: months).
DEFAULT_TIME_UNIT = {
    "purchase": "week",
    "spend": "week",
    "contractual": "month",
    "discrete": "month",
}
#: lifetimes' "freq" code of each time unit.
FREQ_CODE = {"day": "D", "week": "W", "month": "M"}
#: Value tiers by predicted CLV: share of customers from the top.
TIERS = (("top 1%", 0.01), ("top 5%", 0.05), ("top 20%", 0.20))


@dataclass
class FittedCLV:
    """A fitted model with the per-customer data it was fitted on (the RFM summary for purchase
    and spend models, renewal periods for sBG, repeat opportunities for BG/BB)."""

    model: BaseFitter
    summary: pd.DataFrame
    time_unit: str
    spend_model: BaseFitter | None = None


def _check_model(name: str, allowed: tuple[str, ...], flag: str) -> str:
    """The registry name of ``name`` (spelling as :func:`get_model` accepts it), which must be
    one of ``allowed``."""
    from retentionkit.clv.models import get_model
    from retentionkit.errors import UnknownNameError

    try:
        key = get_model(name).model_name
    except UnknownNameError:
        key = None
    if key not in allowed:
        raise ConfigError(f"{flag} {name!r} is not one of: {', '.join(allowed)}.")
    return key


def _by_customer(summary: pd.DataFrame, column: str) -> pd.Series:
    """``summary[column]`` indexed by customer_id, so that the models name customers."""
    return pd.Series(
        summary[column].to_numpy(dtype="float64"),
        index=pd.Index(summary["customer_id"].astype(str), name="customer_id"),
        name=column,
    )


def fit_summary_model(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> BaseFitter:
    """Fit a purchase model or the Gamma-Gamma spend model on an RFM summary (a purchase model
    on a sample of the customers above :data:`~retentionkit.clv.sample.FIT_SAMPLE_CUSTOMERS`)."""
    from retentionkit.clv.models import get_model

    cls = get_model(model)
    fitted = cls(penalizer_coef=penalizer)
    if len(summary) == 0:
        raise ModelFitError("There are no customers with orders in the window; nothing to fit.")
    if cls.kind == "spend":
        repeat = summary[summary["frequency"] > 0]
        if len(repeat) == 0:
            raise ModelFitError(
                "The Gamma-Gamma spend model needs customers with repeat "
                "purchases; there are none. Use more data or a later "
                "--observation-end."
            )
        fitted.fit(_by_customer(repeat, "frequency"), _by_customer(repeat, "monetary_value"))
    else:
        from retentionkit.clv.sample import fit_sample

        rows, note = fit_sample(summary)
        fitted.fit(
            _by_customer(rows, "frequency"),
            _by_customer(rows, "recency"),
            _by_customer(rows, "T"),
        )
        if note is not None:
            fitted.warnings_ = [*getattr(fitted, "warnings_", []), note]
    return fitted


def _fit_contractual(
    ws: Workspace, model: str, time_unit: str, observation_end: Any, penalizer: float
) -> FittedCLV:
    from retentionkit.clv.models import get_model
    from retentionkit.clv.opportunities import renewal_frame

    frame, notes = renewal_frame(ws, time_unit, observation_end)
    fitted = get_model(model)(penalizer_coef=penalizer)
    fitted.fit(_by_customer(frame, "recency"), _by_customer(frame, "T"))
    fitted.warnings_ = [*fitted.warnings_, *notes]
    return FittedCLV(fitted, frame, time_unit)


def _fit_discrete(
    ws: Workspace, model: str, time_unit: str, observation_end: Any, penalizer: float
) -> FittedCLV:
    from retentionkit.clv.models import get_model
    from retentionkit.clv.opportunities import opportunity_frame

    frame, notes = opportunity_frame(ws, time_unit, observation_end)
    if frame.empty:
        raise ModelFitError(
            f"No customer has a complete repeat-purchase {time_unit} yet; use a shorter "
            f"--time-unit or more data."
        )
    fitted = get_model(model)(penalizer_coef=penalizer)
    fitted.fit(
        _by_customer(frame, "frequency"),
        _by_customer(frame, "recency"),
        _by_customer(frame, "n_periods"),
    )
    fitted.warnings_ = [*fitted.warnings_, *notes]
    return FittedCLV(fitted, frame, time_unit)


def fit(
    ws: Workspace,
    model: str = "bgnbd",
    *,
    time_unit: str | None = None,
    observation_end: Any = None,
    penalizer: float = 0.0,
) -> FittedCLV:
    """Fit ``model`` (any registry name, or ``auto``) on the workspace, by the model's kind:

    * ``purchase`` (bgnbd, mbgnbd, paretonbd) and ``spend`` (gamma-gamma): the RFM summary of
      the orders; ``auto`` is the credible purchase model of :mod:`retentionkit.clv.choice`;
    * ``contractual`` (sbg): renewal periods from the subscriptions table
      (:func:`retentionkit.clv.opportunities.renewal_frame`);
    * ``discrete`` (bgbb): repeat-purchase opportunities from the orders
      (:func:`retentionkit.clv.opportunities.opportunity_frame`).

    ``time_unit`` defaults to :data:`DEFAULT_TIME_UNIT` of the kind (week; month for sbg, bgbb).
    The fitted model carries ``status_`` and ``warnings_`` (:func:`fit_report`)."""
    from retentionkit.clv.models import get_model

    if model == AUTO:
        kind = "purchase"
    else:
        model = _check_model(model, model_names(), "--model")
        kind = get_model(model).kind
    unit = time_unit if time_unit is not None else DEFAULT_TIME_UNIT[kind]
    check_time_unit(unit)
    if kind == "contractual":
        return _fit_contractual(ws, model, unit, observation_end, penalizer)
    if kind == "discrete":
        return _fit_discrete(ws, model, unit, observation_end, penalizer)
    summary = rfm_summary(ws, unit, observation_end)
    if model == AUTO:
        choice = choose_purchase(ws, summary, unit, observation_end, penalizer)
        choice.model.warnings_ = [*choice.model.warnings_, *choice.warnings]
        return FittedCLV(choice.model, summary, unit)
    return FittedCLV(fit_summary_model(summary, model, penalizer), summary, unit)


def choose_purchase(
    ws: Workspace,
    summary: pd.DataFrame,
    time_unit: str,
    observation_end: Any,
    penalizer: float,
    then: Deferred[Any] | None = None,
) -> Any:
    """The :class:`~retentionkit.clv.choice.PurchaseChoice` of ``model="auto"`` on ``summary``
    (its :func:`~retentionkit.clv.sample.fit_sample` above the sample size): holdout = the last
    third of the data's time span (at least 4 weeks). A choice made on the same inputs before
    in this process is used again (:mod:`retentionkit.clv.memo`). ``then`` is the caller's
    next fit, queued behind the candidates' fits when they run on threads
    (:func:`~retentionkit.clv.choice.choose_purchase_model`)."""
    from retentionkit.clv import memo
    from retentionkit.clv.choice import NoCredibleModelError, choose_purchase_model
    from retentionkit.clv.rfm import rfm_summary as summary_of
    from retentionkit.clv.sample import FIT_SAMPLE_CUSTOMERS, fit_sample, id_hashes

    @functools.cache
    def summary_hashes() -> np.ndarray:
        """The summary's id hashes: computed once, for both samples."""
        return id_hashes(summary["customer_id"])

    # the holdout customers: those kept with the choice, else the last ones computed
    samples: list[pd.Series | None] = []

    def calibration() -> pd.DataFrame:
        span_days = float(summary["T"].max()) * DAYS_PER_UNIT[time_unit]
        given = pd.Timestamp(observation_end) if observation_end is not None else None
        if given is None:
            orders = ws.table("orders")
            given = pd.Timestamp(orders.ordered_at.max().execute())
        obs = given.normalize()
        cal = obs - pd.Timedelta(days=max(round(span_days / 3), 28))
        if not samples:
            samples.append(
                _calibration_sample(summary, time_unit, (obs - cal).days, summary_hashes)
            )
        sample = samples[0]
        frame = summary_of(ws, time_unit, obs.date(), cal.date(), sample)
        if sample is not None and set(frame["customer_id"]) != set(sample):
            frame = summary_of(ws, time_unit, obs.date(), cal.date())  # the whole, sampled below
        if len(frame) == 0:
            raise InputError("no customer has an order before the holdout window")
        return frame

    def calibration_digest() -> str:
        try:
            return memo.digest(calibration())
        except InputError as exc:
            return f"error: {exc}"

    key = memo.key_of(summary, time_unit, penalizer, FIT_SAMPLE_CUSTOMERS)
    kept = memo.lookup(key)
    if kept is not None:
        choice, read = kept
        if read is None:
            return choice
        samples.append(memo.kept_sample(key))
        if calibration_digest() == read:
            return choice
        samples.clear()

    read_holdout: list[str] = []

    def holdout() -> pd.DataFrame:
        try:
            frame = calibration()
        except InputError as exc:
            read_holdout.append(f"error: {exc}")
            raise
        read_holdout.append(memo.digest(frame))
        return fit_sample(frame)[0]

    # one sample for every candidate: the fits and the credibility check of each candidate's
    # P(alive) (a million customers' P(alive) per candidate took 24 s) see the same customers
    many = len(summary) > FIT_SAMPLE_CUSTOMERS
    rows, note = fit_sample(summary, keys=summary_hashes() if many else None)
    try:
        choice = choose_purchase_model(
            rows,
            lambda name: fit_summary_model(rows, name, penalizer),
            holdout,
            penalizer,
            then,
        )
    except NoCredibleModelError as exc:
        if note is None:
            raise
        raise NoCredibleModelError(f"{exc} {note}") from None
    if note is not None:
        choice.warnings.insert(0, note)
    memo.keep(
        key, choice, read_holdout[0] if read_holdout else None, samples[0] if samples else None
    )
    return choice


def _calibration_sample(
    summary: pd.DataFrame,
    time_unit: str,
    holdout_days: int,
    summary_hashes: Callable[[], np.ndarray],
) -> pd.Series | None:
    """The ids of the customers the holdout comparison is fitted on when it is fitted on a
    sample (:func:`~retentionkit.clv.sample.fit_sample` of the calibration summary), else
    None. The calibration summary's customers are those with an order on or before the
    calibration-end day: in ``summary`` (up to the same observation end), those whose first
    purchase is ``holdout_days`` or more before its end — ``T`` in whole days. Its rows for
    these customers are the whole calibration summary's rows (each from the customer's own
    orders), so the comparison reads the orders of 50,000 customers instead of summarising a
    million to keep 50,000; the caller checks the rows it gets are those customers'.
    ``summary_hashes()`` gives :func:`~retentionkit.clv.sample.id_hashes` of the summary's
    ids (the caller's, computed once for both samples)."""
    from retentionkit.clv.sample import FIT_SAMPLE_CUSTOMERS, fit_sample

    if len(summary) <= FIT_SAMPLE_CUSTOMERS:
        return None
    first_before_end = np.rint(summary["T"].to_numpy(dtype="float64") * DAYS_PER_UNIT[time_unit])
    inside = first_before_end >= holdout_days
    if int(inside.sum()) <= FIT_SAMPLE_CUSTOMERS:
        return None
    keys = summary_hashes()[inside]
    in_calibration = summary.loc[inside, ["customer_id"]]
    return fit_sample(in_calibration, keys=keys)[0]["customer_id"].astype(str)


def fit_report(fitted: BaseFitter) -> dict[str, Any]:
    """{"model", "kind", "status", "warnings", "limit", "params", "standard_errors",
    "log_likelihood", "n_customers", "converged"}: ``status`` is ok, boundary (returned as the
    valid limit model in ``limit``) or degenerate (never used silently: see ``warnings``)."""
    data = fitted.to_dict()
    report = {"model": data["model"], "kind": fitted.kind}
    for key in (
        "status",
        "warnings",
        "limit",
        "params",
        "standard_errors",
        "log_likelihood",
        "n_customers",
        "converged",
    ):
        report[key] = data[key]
    return report


def horizon_months(horizon: float, time_unit: str) -> int:
    months = round(horizon * DAYS_PER_UNIT[time_unit] / DAYS_PER_UNIT["month"])
    return max(months, 1)


def predict(
    ws: Workspace,
    *,
    model: str = AUTO,
    spend_model: str = "gamma-gamma",
    horizon: float = 52,
    time_unit: str = "week",
    observation_end: Any = None,
    margin: float = 1.0,
    discount_rate: float = 0.01,
    penalizer: float = 0.0,
    fitted: BaseFitter | None = None,
    fallback: bool = True,
) -> pd.DataFrame:
    """Per customer: customer_id, frequency, recency, T, monetary_value, expected_purchases
    (next ``horizon`` time units), p_alive, expected_avg_spend, clv.

    ``model="auto"`` (default) uses the credible purchase model chosen by
    :mod:`retentionkit.clv.choice`; when there is none, the recency-ratio rule
    (:mod:`retentionkit.clv.recency`, model ``recency-ratio``, with the reasons in the
    warnings), or :class:`~retentionkit.clv.choice.NoCredibleModelError` with
    ``fallback=False``. An explicitly named model is used even when degenerate, with a warning.
    ``frame.attrs`` names what was used: ``model``, ``status``, ``spend_model``,
    ``spend_status``, ``warnings`` (sentences) and, for auto, ``candidates``."""
    if model != AUTO:
        model = _check_model(model, PURCHASE_MODELS, "--model")
    spend_model = _check_model(spend_model, SPEND_MODELS, "--spend-model")
    check_time_unit(time_unit)
    if not horizon or horizon <= 0:
        raise ConfigError(f"--horizon {horizon} must be a positive number of {time_unit}s.")
    if not 0 < margin <= 1:
        raise ConfigError(f"--margin {margin} must be in (0, 1].")
    if discount_rate < 0:
        raise ConfigError(f"--discount-rate {discount_rate} must be 0 or more.")
    summary = rfm_summary(ws, time_unit, observation_end)
    from retentionkit.clv.spend import fit_spend, spend_fit_ahead

    warnings: list[str] = []
    candidates: list[dict[str, Any]] | None = None
    # the spend fit, queued behind the purchase candidates' fits when they run on threads
    spend_ahead = (
        spend_fit_ahead(summary, spend_model, penalizer)
        if fitted is None and model == AUTO
        else None
    )
    if fitted is not None:
        purchase = fitted
    elif model == AUTO:
        from retentionkit.clv.choice import NoCredibleModelError
        from retentionkit.clv.recency import RecencyRatioModel

        try:
            choice = choose_purchase(
                ws,
                summary,
                time_unit,
                observation_end,
                penalizer,
                None if spend_ahead is None else spend_ahead.fit,
            )
            purchase, candidates = choice.model, choice.candidates
            warnings.extend(choice.warnings)
        except NoCredibleModelError as exc:
            if not fallback:
                raise
            purchase = RecencyRatioModel().fit(
                summary["frequency"], summary["recency"], summary["T"]
            )
            warnings.append(
                f"{exc} Expected purchases and P(alive) come from the recency-ratio rule "
                f"instead (even odds of being gone after 5 usual gaps of silence)."
            )
    else:
        purchase = fit_summary_model(summary, model, penalizer)
    spend, priced = fit_spend(ws, summary, spend_model, penalizer, observation_end, spend_ahead)
    out = predict_summary(
        priced,
        purchase,
        spend,
        horizon=horizon,
        time_unit=time_unit,
        margin=margin,
        discount_rate=discount_rate,
    )
    out["monetary_value"] = summary["monetary_value"].to_numpy()  # null stays null
    out.attrs.update(
        {
            "model": purchase.model_name,
            "status": purchase.status_,
            "spend_model": spend.model_name,
            "spend_status": spend.status_,
            "warnings": [
                *getattr(purchase, "warnings_", []),
                *warnings,
                *getattr(spend, "warnings_", []),
            ],
        }
    )
    if candidates is not None:
        out.attrs["candidates"] = candidates
    return out


#: From this many customers, :func:`predict_summary` splits them between the fit threads.
PARALLEL_PREDICT_CUSTOMERS = 100_000


def predict_summary(
    summary: pd.DataFrame,
    purchase: BaseFitter,
    spend: BaseFitter,
    *,
    horizon: float,
    time_unit: str,
    margin: float = 1.0,
    discount_rate: float = 0.01,
) -> pd.DataFrame:
    """Per customer of ``summary``: expected purchases over ``horizon``, P(alive), expected
    spend and CLV. Every figure is a customer's own (no sum over customers), so from
    :data:`PARALLEL_PREDICT_CUSTOMERS` customers on the purchase model's figures are computed
    in consecutive slices on :func:`~retentionkit.workers.fit_workers` threads (NumPy and
    SciPy release the GIL): the same numbers, to the last digit
    (``tests/clv/test_predict_threads.py``); a million customers' CLV 3.5 s → 1.9 s."""
    from retentionkit.clv.value import customer_lifetime_value

    x = summary["frequency"].to_numpy(dtype="float64")
    t_x = summary["recency"].to_numpy(dtype="float64")
    big_t = summary["T"].to_numpy(dtype="float64")
    m = summary["monetary_value"].to_numpy(dtype="float64")
    out = summary[["customer_id", "frequency", "recency", "T", "monetary_value"]].copy()
    spend_values = np.asarray(spend.conditional_expected_average_profit(x, m), dtype="float64")
    no_money = bool(np.isnan(spend_values).all())  # orders without amounts: CLV null

    def rows(part: slice) -> tuple[Any, Any, Any]:
        px, pt, pT = x[part], t_x[part], big_t[part]
        expected = purchase.conditional_expected_number_of_purchases_up_to_time(horizon, px, pt, pT)
        alive = purchase.conditional_probability_alive(px, pt, pT)
        if no_money:
            return expected, alive, None
        clv = customer_lifetime_value(
            purchase,
            px,
            pt,
            pT,
            spend_values[part],
            time=horizon_months(horizon, time_unit),
            discount_rate=discount_rate,
            freq=FREQ_CODE[time_unit],
            margin=margin,
        )
        return expected, alive, clv

    from retentionkit.workers import thread_map

    done = thread_map(rows, _slices(len(out)), name="clv-predict")

    def joined(i: int) -> Any:
        return np.concatenate([np.asarray(d[i], dtype="float64") for d in done])

    out["expected_purchases"] = joined(0)
    out["p_alive"] = joined(1)
    out["expected_avg_spend"] = spend_values
    out["clv"] = np.nan if no_money else joined(2)
    return out.reset_index(drop=True)


def _slices(n: int) -> list[slice]:
    """Consecutive slices of ``n`` customers, one per fit thread from
    :data:`PARALLEL_PREDICT_CUSTOMERS` customers on, else one."""
    from retentionkit.workers import fit_workers

    workers = fit_workers() if n >= PARALLEL_PREDICT_CUSTOMERS else 1
    bounds = np.linspace(0, n, max(workers, 1) + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def value_tiers(predictions: pd.DataFrame) -> pd.DataFrame:
    """customer_id, clv, tier: top 1 %, top 5 %, top 20 % and rest by predicted CLV (each
    tier excludes the ones above it; ties broken by customer_id for stability)."""
    ranked = (
        predictions[["customer_id", "clv"]]
        .sort_values(["clv", "customer_id"], ascending=[False, True])
        .reset_index(drop=True)
    )
    n = len(ranked)
    position = np.arange(n)
    tier = np.full(n, "rest", dtype=object)
    for label, share in reversed(TIERS):
        tier[position < int(np.ceil(share * n))] = label
    ranked["tier"] = tier
    return ranked


def evaluate(
    ws: Workspace,
    *,
    calibration_end: Any,
    observation_end: Any,
    model: str = "auto",
    time_unit: str = "week",
    penalizer: float = 0.0,
) -> dict[str, Any]:
    """Fit on the calibration window, compare predicted with actual holdout purchases.

    ``model="auto"`` fits every purchase model and picks the lowest per-customer MAE."""
    from retentionkit.clv.evaluation import choose_model, evaluate_holdout
    from retentionkit.clv.rfm import rfm_summary as summary_of

    if calibration_end is None or observation_end is None:
        raise ConfigError("clv evaluate needs both --calibration-end and --observation-end.")
    check_time_unit(time_unit)
    frame = summary_of(ws, time_unit, observation_end, calibration_end)
    if len(frame) == 0:
        raise InputError(
            "No customer has an order in the calibration window; choose a later --calibration-end."
        )
    if model == "auto":
        choice = choose_model(frame, PURCHASE_MODELS, penalizer_coef=penalizer)
        evaluation = choice.evaluations[choice.best]
        candidates = choice.table()
    else:
        name = _check_model(model, PURCHASE_MODELS, "--model")
        evaluation = evaluate_holdout(frame, name, penalizer_coef=penalizer)
        candidates = pd.DataFrame(
            [
                {
                    "model": name,
                    "mae": evaluation.mae,
                    "total_actual": evaluation.total_actual,
                    "total_predicted": evaluation.total_predicted,
                    "error": None,
                }
            ]
        )
    cumulative = cumulative_repeat_transactions(
        ws, evaluation.model, time_unit, calibration_end, observation_end
    )
    return {
        "model": evaluation.model_name,
        "params": dict(evaluation.model.params_),
        "calibration_end": str(pd.Timestamp(calibration_end).date()),
        "observation_end": str(pd.Timestamp(observation_end).date()),
        "time_unit": time_unit,
        "n_customers": len(frame),
        "total_actual": evaluation.total_actual,
        "total_predicted": evaluation.total_predicted,
        "mae": evaluation.mae,
        "candidates": candidates.to_dict("records"),
        "by_frequency": evaluation.by_frequency.to_dict("records"),
        "cumulative": cumulative.to_dict("records"),
    }


def cumulative_repeat_transactions(
    ws: Workspace, model: BaseFitter, time_unit: str, calibration_end: Any, observation_end: Any
) -> pd.DataFrame:
    """Actual vs expected cumulative repeat transactions per time unit (lifetimes'
    plot_cumulative_transactions): actual counts repeat purchase days (every purchase day but
    a customer's first); expected sums E[X(t − first day)] over the customers first seen in
    the calibration window."""
    import ibis

    unit_days = DAYS_PER_UNIT[time_unit]
    cal = pd.Timestamp(calibration_end).normalize()
    obs = pd.Timestamp(observation_end).normalize()
    orders = ws.table("orders")
    days = orders.select("customer_id", day=orders.ordered_at.cast("date")).distinct()
    days = days.filter(days.day <= ibis.date(obs.date()))
    first = days.group_by("customer_id").agg(first_day=days.day.min())
    first = first.filter(first.first_day <= ibis.date(cal.date()))
    births = first.group_by("first_day").agg(n=first.count()).execute()
    joined = days.join(first, "customer_id")
    repeats = joined.filter(joined.day > joined.first_day)
    daily = repeats.group_by("day").agg(n=repeats.count()).execute()
    if births.empty:
        return pd.DataFrame(columns=["t", "date", "actual", "predicted"])
    start = pd.Timestamp(births["first_day"].min())
    steps = int(np.floor((obs - start).days / unit_days)) + 1
    grid = start + pd.to_timedelta(np.arange(1, steps + 1) * unit_days, unit="D")
    daily_days = pd.to_datetime(daily["day"]).to_numpy()
    daily_n = daily["n"].to_numpy(dtype="float64")
    order = np.argsort(daily_days)
    cum = np.cumsum(daily_n[order])
    idx = np.searchsorted(daily_days[order], grid.to_numpy(), side="right")
    actual = np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
    birth_days = pd.to_datetime(births["first_day"]).to_numpy()
    birth_n = births["n"].to_numpy(dtype="float64")
    predicted = np.empty(len(grid))
    for k, t in enumerate(grid.to_numpy()):
        age = (t - birth_days) / np.timedelta64(1, "D") / unit_days
        alive = age > 0
        predicted[k] = float(
            np.sum(
                birth_n[alive]
                * np.asarray(
                    model.expected_number_of_purchases_up_to_time(age[alive]), dtype="float64"
                )
            )
        )
    return pd.DataFrame(
        {
            "t": np.arange(1, steps + 1) * 1.0,
            "date": grid.strftime("%Y-%m-%d"),
            "actual": actual,
            "predicted": predicted,
        }
    )


def tier_segment_table(ws: Workspace) -> Any:
    """The ``clv_tier`` segment scheme: (customer_id, segment) with the value tier of each
    customer by 12-month CLV (the auto-chosen purchase model + Gamma-Gamma, weekly, as of the
    last order day, at the configured gross margin and annual discount rate).

    The predictions are those of the ``ClvPredictRequest`` operation with that margin (what
    ``retentionkit clv predict --margin M``, ``GET /api/clv`` and the dashboard's CLV page
    ask), answered through :func:`retentionkit.service.operations.run` and so from the result
    cache when one of them already computed it on this data: the CLV page's tier chart on a
    million customers predicted a second time (6–7 s) before."""
    import ibis

    from retentionkit.service.operations import run
    from retentionkit.service.requests import ClvPredictRequest

    predictions = run(ws, ClvPredictRequest(margin=ws.settings.gross_margin)).frame
    tiers = value_tiers(predictions)
    return ibis.memtable(tiers[["customer_id", "tier"]].rename(columns={"tier": "segment"}))
