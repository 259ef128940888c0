"""Events per trigger, from the workspace's tables: one row per (customer, occurrence) with
``event_at`` (when it happened), ``due_at`` (when the action is due) and ``context`` (the
trigger's values for the message: score, risk, metric value …), bounded by the rule's
``since`` (events before it never fire) and ``as_of`` (only actions already due are planned,
so every ``unless`` condition is judged on the data up to the due time).

=====================  ==============================================  ============================
trigger                event_at                                        occurrence (in the key)
=====================  ==============================================  ============================
order_placed           the order's ``ordered_at``                      order id
ticket_opened          the ticket's ``opened_at``                      ticket id
ticket_unresolved      ``opened_at`` (due DELAY later, if unresolved)  ticket id
term_ending            the term's ``ended_at`` (due DELAY *before*)    term id
survey_answered        ``responded_at``                                response id
became_at_risk         silence: last order + k × mean gap; risk: the   id of the last order (or
                       scoring day (00:00 UTC) = as_of − DELAY         term) before the event
kpi_crossed            the end of the first complete period beyond     ``metric:period:start``
                       the threshold after one that was not
goal_off_track         the day after the first ``off_track``           ``goal:evaluation date``
                       evaluation following one that was not
=====================  ==============================================  ============================

``kpi_crossed`` and ``goal_off_track`` are team-level: ``customer_id`` is ``""``. The key of
every action is ``sha256(rule \\x1f customer \\x1f occurrence)``: deterministic, so a second
planning finds every key already in the outbox.

``became_at_risk`` fires when *either* test holds (each can be switched off):

* **silence**: a customer with ≥ 2 orders silent for ≥ k × their mean gap between orders
  (``--gap-multiple``, default 3);
* **risk**: churn risk ≥ ``--risk`` (default 0.7) from the churn at-risk service
  (``ChurnAtRiskRequest``, method and model ``auto``) scored as of the day ``as_of − DELAY``;
  a customer already at risk on the rule's ``since`` day with the same last order is history
  and never fires. Scores are cached per data version and day, in the process and on disk
  next to the workspace (:mod:`.cache`), so the once-a-minute planner — ``serve`` or cron —
  fits the model at most twice a day (the scoring day and the ``since`` day) and after each
  data load. When the model cannot be fitted the risk test plans nothing and a warning is
  logged; the silence test still runs.

Both tests of one silence share the occurrence (the last order), so they give one action.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from retentionkit.automations.cache import cached, cached_frame
from retentionkit.automations.rules import Rule

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["events", "risk_scores"]

log = logging.getLogger("retentionkit.automations")

_COLUMNS = ["customer_id", "occurrence", "event_at", "due_at", "context"]
#: ``customer_id`` of team-level events.
TEAM = ""


def _frame(
    ws: Workspace, table: str, columns: list[str], since: dt.datetime | None
) -> pd.DataFrame:
    """``columns`` of ``table`` (optional columns missing from the table are left out) with
    the time column (the third) ≥ ``since``."""
    if not ws.has_table(table):
        return pd.DataFrame(columns=columns)
    t = ws.table(table)
    columns = [c for c in columns if c in t.columns]
    time_col = columns[2]
    if since is not None:
        t = t.filter(t[time_col] >= since)
    frame = t.select(*columns).execute()
    for col in columns:
        if col.endswith("_at"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame


def _between(events: pd.DataFrame, later: pd.DataFrame, time_col: str) -> pd.Series:
    """True where ``later`` has a row of the same customer in (event_at, due_at]."""
    if events.empty or later.empty:
        return pd.Series(False, index=events.index)
    merged = events.reset_index().merge(later[["customer_id", time_col]], on="customer_id")
    hit = (merged[time_col] > merged["event_at"]) & (merged[time_col] <= merged["due_at"])
    keys = set(merged.loc[hit, "index"])
    return pd.Series(events.index.isin(keys), index=events.index)


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy → Python, NaN/NaT → None, timestamps → ISO text."""
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    return value


def _contexts(frame: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per row, ``{variable: value}`` from the columns ``names`` maps to variables."""
    cols = [c for c in names if c in frame.columns]
    return [
        {names[c]: _plain(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False)
    ]


def events(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """Due events of ``rule`` as of ``as_of``: customer_id, occurrence, event_at, due_at,
    context."""
    since = rule.since
    conditions = rule.conditions
    if rule.trigger == "order_placed":
        orders = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at", "amount"], since)
        ev = orders.rename(columns={"ordered_at": "event_at"})
        ev["occurrence"] = ev["order_id"]
        ev["due_at"] = ev["event_at"] + rule.delay
        ev["context"] = _contexts(ev, {"order_id": "order_id", "amount": "amount"})
    elif rule.trigger in ("ticket_opened", "ticket_unresolved"):
        cols = ["customer_id", "ticket_id", "opened_at", "resolved_at"]
        tickets = _frame(ws, "tickets", cols, since)
        ev = tickets.rename(columns={"opened_at": "event_at"})
        ev["occurrence"] = ev["ticket_id"]
        ev["due_at"] = ev["event_at"] + rule.delay
        if rule.trigger == "ticket_unresolved" or "ticket_resolved" in conditions:
            resolved = ev["resolved_at"].notna() & (ev["resolved_at"] <= ev["due_at"])
            ev = ev[~resolved]
        ev["context"] = _contexts(ev, {"ticket_id": "ticket_id"})
    elif rule.trigger == "term_ending":
        cols = ["customer_id", "term_id", "ended_at", "subscription_id", "started_at"]
        terms = _frame(ws, "subscriptions", cols, since)
        ev = terms.rename(columns={"ended_at": "event_at"})
        ev["occurrence"] = ev["term_id"]
        ev = ev[ev["event_at"].notna()]
        ev["due_at"] = ev["event_at"] - rule.delay
        ev = ev[ev["due_at"] >= since]
        if "renewed" in conditions and not ev.empty:
            starts = _frame(ws, "subscriptions", ["subscription_id", "term_id", "started_at"], None)
            nxt = ev.reset_index().merge(starts, on="subscription_id", suffixes=("", "_next"))
            renewed = nxt[
                (nxt["started_at_next"] > nxt["started_at"])
                & (nxt["started_at_next"] <= nxt["due_at"])
            ]["index"]
            ev = ev[~ev.index.isin(set(renewed))]
        ev["context"] = _contexts(ev, {"term_id": "term_id", "subscription_id": "subscription_id"})
    elif rule.trigger == "survey_answered":
        cols = ["customer_id", "response_id", "responded_at", "score", "survey"]
        answers = _frame(ws, "survey_responses", cols, since)
        answers = answers[answers["customer_id"].notna()]
        kind = rule.params.get("survey_type")
        if kind is None and rule.template == "detractor_follow_up":  # rules stored before 0.x
            kind = rule.params.get("survey")
        if kind is not None:
            answers = answers[answers["survey"] == kind]
        if "max_score" in rule.params:
            answers = answers[answers["score"] <= float(rule.params["max_score"])]
        ev = answers.rename(columns={"response_id": "occurrence", "responded_at": "event_at"})
        ev["due_at"] = ev["event_at"] + rule.delay
        ev["context"] = _contexts(ev, {"survey": "survey", "score": "score"})
    elif rule.trigger == "became_at_risk":
        ev = _at_risk(ws, rule, as_of)
    elif rule.trigger == "kpi_crossed":
        ev = _kpi_crossed(ws, rule, as_of)
    elif rule.trigger == "goal_off_track":
        ev = _goal_off_track(ws, rule, as_of)
    else:  # rules are checked when added; a trigger removed since then plans nothing
        return pd.DataFrame(columns=_COLUMNS)
    if ev.empty:
        return pd.DataFrame(columns=_COLUMNS)
    ev = ev[(ev["due_at"] <= as_of) & (ev["event_at"] >= since)]
    if "ordered_again" in conditions:
        later = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], since)
        ev = ev[~_between(ev, later, "ordered_at")]
    if "answered_survey" in conditions:
        later = _frame(
            ws, "survey_responses", ["customer_id", "response_id", "responded_at"], since
        )
        ev = ev[~_between(ev, later, "responded_at")]
    ev = ev.assign(
        customer_id=ev["customer_id"].astype(str), occurrence=ev["occurrence"].astype(str)
    )
    return ev[_COLUMNS].sort_values(["due_at", "customer_id", "occurrence"]).reset_index(drop=True)


# -- became_at_risk ------------------------------------------------------------------------


def risk_scores(ws: Workspace, day: dt.date) -> pd.DataFrame:
    """customer_id, risk of every scored customer as of ``day`` (the churn at-risk service,
    ``min_risk=0``, method and model auto), cached per data version; empty (and a warning
    logged) when no model can be fitted on the data."""
    from retentionkit.errors import RetentionkitError
    from retentionkit.service import ChurnAtRiskRequest, run

    def compute() -> pd.DataFrame:
        try:
            frame = run(ws, ChurnAtRiskRequest(as_of=day.isoformat(), min_risk="0")).frame
        except RetentionkitError as exc:
            log.warning("became_at_risk: no churn risk as of %s: %s", day, exc)
            return pd.DataFrame(columns=["customer_id", "risk"])
        out = frame[["customer_id", "risk"]].copy()
        out["customer_id"] = out["customer_id"].astype(str)
        return out

    return cached_frame(ws, ("churn-risk", day.isoformat()), compute)


def _last_activity(ws: Workspace, before: dt.datetime) -> pd.DataFrame:
    """Per customer the id and time of the latest order (or subscription term start) before
    ``before``: customer_id → occurrence, last_at."""
    parts = []
    orders = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], None)
    parts.append(orders.set_axis(["customer_id", "occurrence", "last_at"], axis=1))
    terms = _frame(ws, "subscriptions", ["customer_id", "term_id", "started_at"], None)
    parts.append(terms.set_axis(["customer_id", "occurrence", "last_at"], axis=1))
    every = pd.concat([p for p in parts if not p.empty] or [parts[0]], ignore_index=True)
    every = every[every["last_at"] < before]
    every["customer_id"] = every["customer_id"].astype(str)
    every = every.sort_values(["customer_id", "last_at", "occurrence"])
    return every.groupby("customer_id").tail(1).set_index("customer_id")


def _at_risk(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """The silence test and the risk test (module docstring), one row per (customer, last
    order); the earlier event wins when both fire."""
    frames = []
    k = rule.params.get("k")
    if k:
        frames.append(_silent(ws, rule, as_of, float(k)))
    threshold = rule.params.get("risk")
    if threshold:
        frames.append(_risky(ws, rule, as_of, float(threshold)))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=_COLUMNS)
    ev = pd.concat(frames, ignore_index=True).sort_values("event_at", kind="stable")
    return ev.drop_duplicates(["customer_id", "occurrence"], keep="first")


def _silent(ws: Workspace, rule: Rule, as_of: dt.datetime, k: float) -> pd.DataFrame:
    """Customers silent for ≥ k × their mean gap between orders (≥ 2 orders, up to
    ``as_of``): event_at = last order + k × gap, occurrence = that last order's id."""
    orders = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], None)
    orders = orders[orders["ordered_at"] <= as_of].sort_values(["customer_id", "ordered_at"])
    if orders.empty:
        return pd.DataFrame(columns=_COLUMNS)
    grouped = orders.groupby("customer_id")
    stats = grouped.agg(
        first=("ordered_at", "min"), last=("ordered_at", "max"), n=("order_id", "size")
    )
    last_id = grouped.tail(1).set_index("customer_id")["order_id"]
    stats = stats[stats["n"] >= 2]
    gap = (stats["last"] - stats["first"]) / (stats["n"] - 1)
    gap_days = gap.dt.total_seconds() / 86400
    ev = pd.DataFrame(
        {
            "customer_id": stats.index,
            "occurrence": last_id.reindex(stats.index).to_numpy(),
            "event_at": (stats["last"] + gap * k).to_numpy(),
        }
    )
    ev["event_at"] = ev["event_at"].astype("datetime64[us]")
    ev["due_at"] = ev["event_at"] + rule.delay
    ev["context"] = [
        {"risk": None, "silent_days": round(g * k, 1), "usual_gap_days": round(g, 1)}
        for g in gap_days.to_numpy()
    ]
    return ev


def _risky(ws: Workspace, rule: Rule, as_of: dt.datetime, threshold: float) -> pd.DataFrame:
    """Customers whose churn risk scored as of the day ``as_of − delay`` is ≥ ``threshold``,
    except those already at risk with the same last order on the ``since`` day."""
    day = (as_of - rule.delay).date()
    start = dt.datetime.combine(day, dt.time())
    if start < rule.since.replace(hour=0, minute=0, second=0, microsecond=0):
        return pd.DataFrame(columns=_COLUMNS)
    scores = risk_scores(ws, day)
    risky = scores[scores["risk"] >= threshold]
    if risky.empty:
        return pd.DataFrame(columns=_COLUMNS)
    last = _last_activity(ws, start)
    ev = risky.merge(last, left_on="customer_id", right_index=True, how="inner")
    since_day = rule.since.date()
    if since_day < day:
        before = risk_scores(ws, since_day)
        was = before[before["risk"] >= threshold].merge(
            _last_activity(ws, dt.datetime.combine(since_day, dt.time())),
            left_on="customer_id",
            right_index=True,
        )
        old = set(zip(was["customer_id"], was["occurrence"].astype(str), strict=True))
        keep = [
            (c, str(o)) not in old for c, o in zip(ev["customer_id"], ev["occurrence"], strict=True)
        ]
        ev = ev[keep]
    ev = ev.assign(event_at=pd.Timestamp(start), due_at=pd.Timestamp(start) + rule.delay)
    ev["event_at"] = ev["event_at"].astype("datetime64[us]")
    ev["due_at"] = ev["due_at"].astype("datetime64[us]")
    silent = (pd.Timestamp(start) - ev["last_at"]).dt.total_seconds() / 86400
    ev["context"] = [
        {"risk": round(float(r), 3), "silent_days": round(float(s), 1), "usual_gap_days": None}
        for r, s in zip(ev["risk"], silent, strict=True)
    ]
    return ev[_COLUMNS]


# -- team-level: kpi_crossed, goal_off_track --------------------------------------------------


def _crossings(beyond: pd.Series) -> pd.Series:
    """True where ``beyond`` turns True after a False (or at the first row)."""
    before = beyond.shift(1, fill_value=False).astype(bool)
    return beyond & ~before


def _recovered(times: pd.Series, beyond: pd.Series, due: pd.Series) -> pd.Series:
    """Per crossing row i: a later row j with times[j] ≤ due[i] that is not beyond."""
    out = []
    for i in range(len(times)):
        later = (times.index > times.index[i]) & (times <= due.iloc[i]) & ~beyond
        out.append(bool(later.any()))
    return pd.Series(out, index=times.index)


def _kpi_crossed(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """Complete periods (``period_end ≤ as_of``) whose value is beyond the threshold after a
    period that was not (or as the first period with a value): event_at = period_end."""
    metric, period = rule.params["metric"], rule.params["period"]
    side, threshold = rule.params["side"], float(rule.params["threshold"])

    def series() -> pd.DataFrame:
        frame = ws.metrics(metric, period=period)
        frame = frame[(frame["segment"] == "all") & frame["complete"].astype(bool)]
        return frame[["period_start", "period_end", "value"]].reset_index(drop=True)

    frame = cached(ws, ("kpi", metric, period), series)
    frame = frame.assign(
        period_start=pd.to_datetime(frame["period_start"]).astype("datetime64[us]"),
        period_end=pd.to_datetime(frame["period_end"]).astype("datetime64[us]"),
    )
    frame = frame[frame["value"].notna() & (frame["period_end"] <= as_of)]
    frame = frame.sort_values("period_start").reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    value = frame["value"].astype(float)
    beyond = value < threshold if side == "below" else value > threshold
    ev = frame.assign(event_at=frame["period_end"], due_at=frame["period_end"] + rule.delay)
    cross = _crossings(beyond)
    if "recovered" in rule.conditions:
        cross &= ~_recovered(ev["period_end"], beyond, ev["due_at"])
    ev = ev[cross]
    ev = ev.assign(
        customer_id=TEAM,
        occurrence=[f"{metric}:{period}:{s:%Y-%m-%d}" for s in ev["period_start"]],
    )
    ev["context"] = [
        {
            "metric": metric,
            "value": round(float(v), 4),
            "threshold": threshold,
            "side": side,
            "period": period,
            "period_start": f"{s:%Y-%m-%d}",
        }
        for v, s in zip(ev["value"], ev["period_start"], strict=True)
    ]
    return ev[_COLUMNS]


def _goal_off_track(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """Stored evaluations of the goal (``goals evaluate``; ``serve`` evaluates daily) whose
    status is ``off_track`` after one that was not (or as the first): event_at = the day after
    the evaluation date (the evaluation covers that whole day)."""
    from retentionkit.goals.store import read_evaluations, read_goals

    name = rule.params["goal"]
    goal = read_goals(ws).get(name)
    if goal is None:
        log.warning("goal_off_track: rule %s: goal %s no longer exists", rule.name, name)
        return pd.DataFrame(columns=_COLUMNS)
    hist = read_evaluations(ws, name)
    if hist.empty:
        return pd.DataFrame(columns=_COLUMNS)
    hist = hist.sort_values("as_of").reset_index(drop=True)
    hist["known_at"] = pd.to_datetime(hist["as_of"]).astype("datetime64[us]") + pd.Timedelta(days=1)
    hist = hist[hist["known_at"] <= as_of].reset_index(drop=True)
    if hist.empty:
        return pd.DataFrame(columns=_COLUMNS)
    beyond = hist["status"] == "off_track"
    ev = hist.assign(event_at=hist["known_at"], due_at=hist["known_at"] + rule.delay)
    cross = _crossings(beyond)
    if "recovered" in rule.conditions:
        cross &= ~_recovered(ev["known_at"], beyond, ev["due_at"])
    ev = ev[cross]
    ev = ev.assign(customer_id=TEAM, occurrence=[f"{name}:{d.isoformat()}" for d in ev["as_of"]])
    ev["context"] = [
        {
            "goal": name,
            "status": status,
            "current": _plain(current),
            "target": _plain(goal.target),
            "p_hit": _plain(p_hit),
            "evaluated_on": day.isoformat(),
        }
        for status, current, p_hit, day in zip(
            ev["status"], ev["current"], ev["p_hit"], ev["as_of"], strict=True
        )
    ]
    return ev[_COLUMNS]
