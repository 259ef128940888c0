"""Churn risk on the workspace: time-based backtest and the at-risk list.

* **Order businesses** (no subscriptions): risk = 1 − P(alive) from the purchase model
  (``model="auto"``: the credible model chosen by :mod:`retentionkit.clv.choice`) fitted on the
  RFM summary as of the date; value at risk = 12-month CLV (that model + Gamma-Gamma) × risk.
  When no purchase model is credible, the supervised model below is used if its backtest
  ROC-AUC is at least :data:`MIN_BACKTEST_AUC` and its risks do not contradict the data (the
  customers silent for 5× their usual gap get a median risk of 0.5 or more); otherwise the
  recency-ratio rule (:mod:`retentionkit.churn.recency`). The output's ``attrs`` say which
  (``method``, ``model``, ``status``, ``warnings``).
* **Subscriptions and everything else**: the supervised :class:`ChurnModel` on the features of
  :mod:`retentionkit.churn.features`, trained on earlier cutoffs whose label window is fully
  observed (cutoff + horizon ≤ the scoring date: the future never leaks into training); value
  at risk = the next 12 months of current MRR × gross margin × risk.

Backtest: evaluation cutoffs e_j = end − H − j·H (j = 0 … folds−1); for each, the model is
trained on cutoffs e_j − H − i·H (i = 0 … train_cutoffs−1) and scored on the customers at e_j
against what happened in [e_j, e_j + H): ROC-AUC, PR-AUC, lift in the top 10 %, Brier score and a
calibration table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.churn import features as feat
from retentionkit.churn.threads import parallel_map
from retentionkit.config import monthly_rate, parse_duration_days
from retentionkit.errors import ConfigError, InputError, ModelFitError
from retentionkit.metrics.periods import parse_date
from retentionkit.vocabulary import CHURN_METHODS

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.churn.model import ChurnModel
    from retentionkit.workspace import Workspace

#: ``--method``: the one definition is :data:`retentionkit.vocabulary.CHURN_METHODS`.
METHODS = CHURN_METHODS
#: The supervised model stands in for P(alive) only with at least this mean backtest ROC-AUC.
MIN_BACKTEST_AUC = 0.7


def _horizon(horizon: str | int) -> int:
    return horizon if isinstance(horizon, int) else parse_duration_days(str(horizon))


class _CutoffTables:
    """Features and labels per cutoff, each built once (a backtest's evaluation cutoff j + 1 is
    a training cutoff of fold j, and consecutive folds share three training cutoffs). Callers
    must not modify the frames they get."""

    def __init__(self, ws: Workspace, horizon_days: int) -> None:
        self.ws = ws
        self.horizon_days = horizon_days
        self._features: dict[pd.Timestamp, pd.DataFrame] = {}
        self._labels: dict[pd.Timestamp, pd.DataFrame] = {}

    def features(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        if cutoff not in self._features:
            self._features[cutoff] = feat.build_features(self.ws, cutoff)
        return self._features[cutoff]

    def labels(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        if cutoff not in self._labels:
            self._labels[cutoff] = feat.labels(self.ws, cutoff, self.horizon_days)
        return self._labels[cutoff]


def _training_rows(
    ws: Workspace,
    cutoffs: list[pd.Timestamp],
    horizon_days: int,
    tables: _CutoffTables | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    tables = tables if tables is not None else _CutoffTables(ws, horizon_days)
    frames, ys = [], []
    for cutoff in cutoffs:
        x = tables.features(cutoff)
        y = tables.labels(cutoff)
        merged = x.merge(y, on="customer_id", how="inner")
        if len(merged):
            frames.append(merged)
            ys.append(merged["churned"].to_numpy())
    if not frames:
        raise InputError(
            "There is not enough history to train a churn model: no customers at "
            "the training cutoffs; use a shorter --horizon or more data."
        )
    data = pd.concat(frames, ignore_index=True)
    return data[feat.model_columns(data.drop(columns=["churned"]))], np.concatenate(ys)


def _new_model() -> ChurnModel:
    from retentionkit.churn.model import ChurnModel

    # one linear and one tree candidate, 3 folds: the workspace refits on every request
    return ChurnModel(
        candidates=("logistic", "hgb"),
        feature_labels=feat.FEATURE_LABELS,
        reason_templates=feat.REASON_TEMPLATES,
        cv_folds=3,
        id_column="customer_id",
        label_column="churned",
    )


def _cutoffs_before(
    anchor: pd.Timestamp, horizon_days: int, count: int, start: pd.Timestamp
) -> list[pd.Timestamp]:
    out = []
    for i in range(count):
        c = anchor - pd.Timedelta(days=horizon_days * (i + 1))
        if c - pd.Timedelta(days=horizon_days) < start:
            break
        out.append(c.normalize())
    return sorted(out)


def backtest(
    ws: Workspace, *, horizon: str | int = "90d", folds: int = 2, train_cutoffs: int = 4
) -> dict[str, Any]:
    """Time-based backtest of the supervised churn model (see the module docstring)."""
    from retentionkit.churn import metrics as cm

    h = _horizon(horizon)
    start, end = feat.data_span(ws)
    end = end.normalize()
    tables = _CutoffTables(ws, h)
    jobs = []  # the folds with something to learn and to score, in order
    for j in range(folds):
        e = (end - pd.Timedelta(days=h * (j + 1))).normalize()
        train_at = _cutoffs_before(e, h, train_cutoffs, start)
        if not train_at:
            continue
        x_train, y_train = _training_rows(ws, train_at, h, tables)
        if y_train.min() == y_train.max():
            continue
        x_test = tables.features(e)
        test = x_test.merge(tables.labels(e), on="customer_id")
        if len(test) == 0 or test["churned"].nunique() < 2:
            continue
        jobs.append((e, train_at, x_train, y_train, test[feat.model_columns(x_test)], test))

    def run_fold(job: tuple[Any, ...]) -> dict[str, Any]:
        e, train_at, x_train, y_train, x_score, test = job
        model = _new_model().fit(x_train, y_train)
        scores = cm.evaluate(test["churned"].to_numpy(), model.predict_risk(x_score))
        return {
            "cutoff": str(e.date()),
            "train_cutoffs": [str(c.date()) for c in train_at],
            "train_rows": len(y_train),
            "test_rows": len(test),
            "churn_rate": float(test["churned"].mean()),
            "model": model.report().get("model"),
            **{k: v for k, v in scores.items()},
        }

    # the folds' models are independent: fitted side by side (parallel_map keeps their order)
    fewest_rows = min((len(y_train) for _, _, _, y_train, _, _ in jobs), default=0)
    results = parallel_map(run_fold, jobs, rows=fewest_rows)
    if not results:
        raise ModelFitError(
            f"Not enough history for a backtest with a {h}-day horizon: it needs at least "
            f"three horizons of data with churned and retained customers; try a shorter "
            f"--horizon (e.g. 30d)."
        )
    summary = {}
    for key in ("roc_auc", "pr_auc", "lift_top10", "brier"):
        values = [r[key] for r in results if isinstance(r.get(key), (int, float))]
        if values:
            summary[key] = {
                "mean": float(np.mean(values)),
                "min": float(np.min(values)),
                "max": float(np.max(values)),
            }
    return {"horizon_days": h, "folds": results, "summary": summary}


#: Up to this many customers, :func:`_segments` fetches only their rows (an IN list).
SEGMENT_FILTER_MAX = 10_000


def at_risk(
    ws: Workspace,
    *,
    as_of: Any = None,
    horizon: str | int = "90d",
    top: int | None = None,
    method: str = "auto",
    sort: str = "value_at_risk",
    min_risk: float | str = "average",
    model: str = "auto",
) -> pd.DataFrame:
    """customer_id, risk, value_at_risk, reasons, segment — sorted by ``sort`` (value at risk by
    default: the money a team can still save; ``"risk"`` for the most likely to leave).

    ``model`` is the purchase model of the P(alive) method (``auto``: the credible one). The
    frame's ``attrs`` name what produced the risks: ``method`` (palive, model or recency),
    ``model`` (the purchase model, ``supervised:<candidate>`` or ``recency-ratio``),
    ``status`` and ``warnings`` (sentences, e.g. why no purchase model was credible).

    Only customers at risk are listed: ``min_risk="average"`` (default) keeps those riskier than
    the average scored customer; a number in [0, 1] is a fixed threshold (0 lists everyone)."""
    if method not in METHODS:
        raise ConfigError(f"--method {method!r} is not one of: {', '.join(METHODS)}.")
    if sort not in ("value_at_risk", "risk"):
        raise ConfigError(f"--sort {sort!r} is not one of: value_at_risk, risk.")
    if top is not None and top < 1:
        raise ConfigError("--top must be 1 or more.")
    threshold = _min_risk(min_risk)
    h = _horizon(horizon)
    end = feat.data_end(ws)
    given = parse_date(as_of, "--as-of")
    when = given if given is not None else (end + pd.Timedelta(days=1)).normalize()
    explain: Callable[[pd.Index], list[list[str]]] | None = None
    used: dict[str, Any]
    if method == "auto" and feat.contractual(ws):
        method = "model"
    if method == "model":
        frame, explain = _model_risk(ws, when, h)
        used = _supervised_used(explain)
    else:
        from retentionkit.clv.choice import NoCredibleModelError

        try:
            frame, explain, used = _palive_risk(ws, when, model)
        except NoCredibleModelError as exc:
            if method == "palive":
                raise
            frame, explain, used = _fallback(ws, when, h, str(exc))
    if len(frame):
        cut = float(frame["risk"].mean()) if threshold is None else threshold
        frame = frame[frame["risk"] >= cut] if threshold is not None else frame[frame["risk"] > cut]
    keys = ["value_at_risk", "risk"] if sort == "value_at_risk" else ["risk", "value_at_risk"]
    frame = frame.sort_values(keys, ascending=False, kind="stable")
    if top is not None:
        frame = frame.head(top)
    # the RFM segment of the rows kept only (a million customers' took 4.5 s in Python)
    frame["segment"] = _segments(ws, frame["customer_id"])
    if explain is not None and len(frame):  # the costly part: only for the rows kept
        frame["reasons"] = explain(frame.index)
    elif "reasons" not in frame:  # no customer above the risk cut: an empty table
        frame["reasons"] = pd.Series([], dtype=object)
    out = frame[["customer_id", "risk", "value_at_risk", "reasons", "segment"]].reset_index(
        drop=True
    )
    out.attrs.update(used)
    return out


def _min_risk(value: float | str) -> float | None:
    """None for "average", else a threshold in [0, 1]."""
    if isinstance(value, str):
        if value.strip().lower() == "average":
            return None
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(
                f"--min-risk {value!r} must be 'average' or a number from 0 to 1."
            ) from None
    if not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"--min-risk {value} must be 'average' or a number from 0 to 1.")
    return float(value)


def _segments(ws: Workspace, ids: pd.Series) -> list[str]:
    """The RFM segment of each customer in ``ids`` ("unknown" for one the scheme does not
    score; "all" for every customer when the workspace cannot score RFM). The scores are
    quintiles over every customer, so the scheme is computed whole and only the rows of
    ``ids`` are fetched when they are few."""
    from retentionkit.errors import RetentionkitError
    from retentionkit.segments.resolve import segment_table

    wanted = ids.astype(str)
    if not len(wanted):
        return []
    try:
        table = segment_table(ws, "rfm")
        if len(wanted) <= SEGMENT_FILTER_MAX:
            table = table.filter(table.customer_id.cast("string").isin(wanted.unique().tolist()))
        scored = table.execute()
    except RetentionkitError:
        return ["all"] * len(ids)
    mapping = pd.Series(
        scored["segment"].astype(str).to_numpy(), index=scored["customer_id"].astype(str)
    )
    mapping = mapping[~mapping.index.duplicated(keep="last")]
    return wanted.map(mapping).fillna("unknown").tolist()


def _palive_risk(
    ws: Workspace, when: pd.Timestamp, model: str
) -> tuple[pd.DataFrame, Callable[[pd.Index], list[list[str]]], dict[str, Any]]:
    """(customer_id, risk, value_at_risk per customer; the reasons of the rows asked for; what
    was used). The reasons are sentences per customer, so they are written only for the rows
    the list keeps (a million customers' would take seconds)."""
    from retentionkit.clv import workflow

    observation_end = (when - pd.Timedelta(days=1)).date()
    pred = workflow.predict(
        ws,
        model=model,
        fallback=False,
        horizon=52,
        time_unit="week",
        observation_end=observation_end,
        margin=ws.settings.gross_margin,
        discount_rate=monthly_rate(ws.settings.annual_discount_rate),
    )
    risk = 1.0 - pred["p_alive"].to_numpy()
    frame = pd.DataFrame(
        {
            "customer_id": pred["customer_id"].astype(str),
            "risk": risk,
            "value_at_risk": pred["clv"].to_numpy() * risk,
        }
    )

    def explain(index: pd.Index) -> list[list[str]]:
        rows = pred.loc[index]
        days_unit = 7.0
        since = (rows["T"] - rows["recency"]) * days_unit
        gap = np.where(
            rows["frequency"] > 0,
            rows["recency"] * days_unit / rows["frequency"].clip(lower=1),
            np.nan,
        )
        reasons = []
        for s, g, p, n in zip(since, gap, rows["p_alive"], rows["frequency"], strict=True):
            parts = [
                f"no order for {s:.0f} days"
                + (f", {s / g:.1f}× their usual gap" if g == g and g > 0 else "")
            ]
            parts.append(f"P(alive) {p:.2f}")
            parts.append(f"{int(n) + 1} purchase days so far")
            reasons.append(parts)
        return reasons

    used = {
        "method": "palive",
        "model": pred.attrs["model"],
        "status": pred.attrs["status"],
        "warnings": list(pred.attrs.get("warnings", [])),
    }
    return frame, explain, used


def _supervised_used(explain: Any, warnings: list[str] | None = None) -> dict[str, Any]:
    name = getattr(explain, "model_name", None)
    return {
        "method": "model",
        "model": f"supervised:{name}" if name else "supervised",
        "status": "ok",
        "warnings": list(warnings or []),
    }


def _fallback(
    ws: Workspace, when: pd.Timestamp, h: int, why: str
) -> tuple[pd.DataFrame, Callable[[pd.Index], list[list[str]]] | None, dict[str, Any]]:
    """No credible purchase model (``why``): the backtested supervised model when it is good
    and credible, else the recency-ratio rule (module docstring)."""
    from retentionkit.churn.recency import recency_ratio_risk
    from retentionkit.errors import RetentionkitError

    notes = [why]
    try:
        scores = backtest(ws, horizon=h, folds=1).get("summary", {})
        auc = float(scores.get("roc_auc", {}).get("mean", float("nan")))
        if not auc >= MIN_BACKTEST_AUC:
            raise ModelFitError(f"its backtest ROC-AUC is {auc:.2f}, below {MIN_BACKTEST_AUC:g}")
        frame, explain = _model_risk(ws, when, h)
        problem = _risk_contradiction(ws, when, frame)
        if problem is not None:
            raise ModelFitError(problem)
        notes.append(
            f"Churn risk comes from the supervised model instead (backtest ROC-AUC {auc:.2f})."
        )
        return frame, explain, _supervised_used(explain, notes)
    except RetentionkitError as exc:
        notes.append(
            f"The supervised model was not used ({exc}); churn risk comes from the "
            f"recency-ratio rule (silence compared with the customer's usual gap)."
        )
    frame = recency_ratio_risk(ws, when, ws.settings.gross_margin)
    used = {"method": "recency", "model": "recency-ratio", "status": "ok", "warnings": notes}
    return frame, None, used


def _risk_contradiction(ws: Workspace, when: pd.Timestamp, frame: pd.DataFrame) -> str | None:
    """Why the risks contradict the data (the customers silent for 5× their usual gap or longer
    have a median risk below 0.5), or None (:mod:`retentionkit.clv.choice`)."""
    from retentionkit.clv.choice import MIN_SILENT_CUSTOMERS, SILENCE_MULTIPLE, silent_customers
    from retentionkit.clv.rfm import rfm_summary

    summary = rfm_summary(ws, "day", (when - pd.Timedelta(days=1)).date())
    silent = set(summary.loc[silent_customers(summary), "customer_id"].astype(str))
    risks = frame.loc[frame["customer_id"].astype(str).isin(silent), "risk"]
    if len(risks) >= MIN_SILENT_CUSTOMERS and float(risks.median()) < 0.5:
        return (
            f"the {len(risks):,} customers silent for {SILENCE_MULTIPLE:g}× their usual gap or "
            f"longer get a median risk of {float(risks.median()):.2f}"
        )
    return None


def _model_risk(
    ws: Workspace, when: pd.Timestamp, h: int
) -> tuple[pd.DataFrame, Callable[[pd.Index], list[list[str]]] | None]:
    start, _ = feat.data_span(ws)
    train_at = _cutoffs_before(when, h, 4, start)
    if not train_at:
        raise ModelFitError(
            f"Not enough history to train a churn model with a {h}-day horizon before "
            f"{when.date()}; use a shorter --horizon or a later --as-of."
        )
    model = _trained_model(ws, when, h, train_at, body=lambda: _fit_on(ws, train_at, h))
    x = feat.build_features(ws, when)
    if len(x) == 0:
        return pd.DataFrame(columns=["customer_id", "risk", "value_at_risk", "reasons"]), None
    cols = feat.model_columns(x)
    risk = model.predict_risk(x[cols])

    def explain(index: pd.Index) -> list[list[str]]:
        """Readable reasons for the rows at ``index``."""
        rows = x.loc[index]
        reasons = model.explain(rows[cols], top=3)
        if "latest_nps" in rows:
            for i, rs in enumerate(reasons):
                score, at = rows["latest_nps"].iloc[i], rows["latest_nps_at"].iloc[i]
                for k, text in enumerate(rs):
                    if text.startswith(feat.FEATURE_LABELS["latest_nps"]) and (
                        score == score and score <= 6
                    ):
                        rs[k] = f"detractor answer on {pd.Timestamp(at).date()} (score {score:g})"
        return reasons

    explain.model_name = model.report().get("model")  # type: ignore[attr-defined]
    margin = ws.settings.gross_margin
    if "mrr_now" in x:
        annual = x["mrr_now"].fillna(0.0).to_numpy() * 12.0
    else:
        annual = x.get("revenue_90d", pd.Series(0.0, index=x.index)).fillna(0.0).to_numpy() * 4
    out = pd.DataFrame(
        {
            "customer_id": x["customer_id"].astype(str),
            "risk": risk,
            "value_at_risk": annual * margin * risk,
            "reasons": None,
        },
        index=x.index,
    )
    return out, explain


def _fit_on(ws: Workspace, train_at: list[pd.Timestamp], h: int) -> ChurnModel:
    x_train, y_train = _training_rows(ws, train_at, h)
    if y_train.min() == y_train.max():
        raise ModelFitError(
            "Every training customer has the same outcome; a churn model needs churned and "
            "retained customers (try a longer --horizon)."
        )
    return _new_model().fit(x_train, y_train)


def _fingerprint(ws: Workspace) -> str:
    """What the trained model depends on: row counts and latest times of every table."""
    import hashlib

    from retentionkit import __version__
    from retentionkit.churn.model import FORMAT_VERSION
    from retentionkit.metrics.completeness import TIME_COLUMNS

    parts = [__version__, str(FORMAT_VERSION)]
    for name in ws.tables():
        t = ws.table(name)
        column = TIME_COLUMNS.get(name)
        agg = {"n": t.count()}
        if column is not None:
            agg["hi"] = t[column].max()
        row = t.aggregate(**agg).execute().iloc[0].to_dict()
        parts.append(f"{name}:{row}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _trained_model(
    ws: Workspace,
    when: pd.Timestamp,
    h: int,
    train_at: list[pd.Timestamp],
    body: Callable[[], ChurnModel],
) -> ChurnModel:
    """Train (``body``) or reuse the model trained on the same data, date and horizon: kept in
    ``.<workspace>.cache/`` next to a workspace file (training is the slow part of at-risk)."""
    from retentionkit.churn.model import ChurnModel
    from retentionkit.errors import RetentionkitError

    if ws.path is None:
        return body()
    folder = ws.path.resolve().parent / f".{ws.path.name}.cache"
    key = f"{_fingerprint(ws)}-{when.date()}-{h}-{len(train_at)}"
    path = folder / f"churn-{key}.rkmodel"
    if path.exists():
        try:
            return ChurnModel.load(path)
        except RetentionkitError:
            path.unlink(missing_ok=True)
    model = body()
    try:
        folder.mkdir(exist_ok=True)
        for old in folder.glob("churn-*.rkmodel"):  # one cached model per workspace
            old.unlink(missing_ok=True)
        model.save(path)  # writes a temporary file and renames it
    except OSError:
        pass  # a read-only folder only costs the next run the training time
    return model
