"""Subscriptions: one row per contract term, with renewals, plan changes, churn and win-backs.

The model is a monthly Markov chain per subscription, simulated for all subscriptions at once
(the only loop is over calendar months):

* a subscription starts on a plan (``plan_weights``: basic 29, pro 79, business 199 a month)
  and a billing period — monthly, or annual with probability ``annual_share`` at
  ``annual_months_paid`` monthly prices a year (so the annual term's mrr is price × 10 / 12);
* every term ends on the same day of month as the subscription started (calendar months, the
  day clipped to short months, the way billing systems renew); at that boundary the customer
  cancels with probability ``monthly_churn[plan]`` (``annual_churn`` for annual terms) times the
  customer's churn-risk multiplier, higher in the first three months (``early_churn_factor``) —
  a geometric lifetime in terms with heterogeneous hazard, which gives the familiar decaying
  cohort curves;
* otherwise the subscription renews: the next term starts exactly when the previous one ends
  (``started_at == previous ended_at``); with small probabilities it moves one plan up or down
  at that moment (expansion / contraction MRR);
* a cancelled customer comes back with probability ``winback_probability`` 2–9 months later
  with a new subscription (reactivation MRR);
* a share of subscribers (``second_subscription_share``) adds a second, concurrent
  subscription on another plan, so cancelling one of the two is contraction, not churn.

The last term of a subscription still running at the end of the data has ``ended_at`` empty
(monthly billing) or its contractual end after the data (annual billing).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retentionkit.generate._util import (
    DAY,
    MONTH_DAYS,
    Calendar,
    abs_month,
    add_months,
    choice,
    format_ids,
    id_width,
    labels,
    make_ids,
    money,
    timestamps,
)
from retentionkit.generate.customers import Population
from retentionkit.generate.params import PLANS, BusinessParams

_FIELDS = ("sid", "cust", "plan", "billing", "anchor", "end_k", "start", "terms")


def _empty_state() -> dict[str, np.ndarray]:
    return {
        "sid": np.empty(0, np.int64),
        "cust": np.empty(0, np.int64),
        "plan": np.empty(0, np.int16),
        "billing": np.empty(0, np.int16),
        "anchor": np.empty(0, np.float64),
        "end_k": np.empty(0, np.int64),
        "start": np.empty(0, np.float64),
        "terms": np.empty(0, np.int64),
    }


def _pending(
    rng: np.random.Generator,
    cust: np.ndarray,
    start: np.ndarray,
    plan: np.ndarray,
    p: BusinessParams,
) -> dict[str, np.ndarray]:
    billing = np.where(rng.random(len(cust)) < p.annual_share, 12, 1).astype(np.int16)
    return {"cust": cust, "start": start, "plan": plan.astype(np.int16), "billing": billing}


def simulate_subscriptions(
    rng: np.random.Generator,
    pop: Population,
    cal: Calendar,
    p: BusinessParams,
    *,
    everyone: bool,
) -> pa.Table:
    """The ``subscriptions`` table; records contractual churn in ``pop.churn`` and ``pop.plan``."""
    n = pop.n
    if everyone:
        cust = np.arange(n, dtype=np.int64)
        start = pop.signup.copy()
    else:
        cust = np.flatnonzero(rng.random(n) < p.subscriber_share).astype(np.int64)
        start = pop.signup[cust] + rng.exponential(45.0 * DAY, len(cust))
    keep = start < cal.t_end - 1.0
    cust, start = cust[keep], start[keep]
    plan = choice(rng, p.plan_weights, len(cust))
    pop.plan[cust] = plan

    second = rng.random(len(cust)) < p.second_subscription_share
    s_cust = cust[second]
    s_start = start[second] + rng.uniform(1.0, 8.0, len(s_cust)) * MONTH_DAYS * DAY
    s_plan = (plan[second] + rng.integers(1, len(PLANS), len(s_cust))) % len(PLANS)
    keep2 = s_start < cal.t_end - 1.0
    pending = _pending(
        rng,
        np.concatenate([cust, s_cust[keep2]]),
        np.concatenate([start, s_start[keep2]]),
        np.concatenate([plan, s_plan[keep2]]),
        p,
    )
    pending["month"] = abs_month(pending["start"])

    prices = np.asarray(p.plan_prices, dtype=np.float64)
    mrr_of = np.stack([prices, np.round(prices * p.annual_months_paid / 12.0, 2)])
    churn_of = np.stack([np.asarray(p.monthly_churn), np.asarray(p.annual_churn)])
    top = len(PLANS) - 1

    state = _empty_state()
    rows: list[dict[str, np.ndarray]] = []
    next_sid = 0
    first_month = int(abs_month(np.array([cal.t0]))[0])
    last_month = int(abs_month(np.array([cal.t_end - 1.0]))[0])
    for month in range(first_month, last_month + 1):
        # 1. subscriptions starting this month
        now = pending["month"] == month
        k = int(now.sum())
        if k:
            fresh = {
                "sid": np.arange(next_sid, next_sid + k, dtype=np.int64),
                "cust": pending["cust"][now],
                "plan": pending["plan"][now],
                "billing": pending["billing"][now],
                "anchor": pending["start"][now],
                "end_k": pending["billing"][now].astype(np.int64),
                "start": pending["start"][now],
                "terms": np.zeros(k, np.int64),
            }
            next_sid += k
            state = {f: np.concatenate([state[f], fresh[f]]) for f in _FIELDS}
            pending = {f: v[~now] for f, v in pending.items()}

        # 2. terms ending this month (before the end of the data)
        due = np.flatnonzero(abs_month(state["anchor"]) + state["end_k"] == month)
        if len(due) == 0:
            continue
        boundary = add_months(state["anchor"][due], state["end_k"][due])
        inside = boundary < cal.t_end
        due, boundary = due[inside], boundary[inside]
        if len(due) == 0:
            continue
        plan_d = state["plan"][due]
        annual = (state["billing"][due] == 12).astype(np.int64)
        cust_d = state["cust"][due]
        rows.append(
            {
                "sid": state["sid"][due],
                "cust": cust_d,
                "start": state["start"][due],
                "end": boundary,
                "mrr": mrr_of[annual, plan_d],
                "plan": plan_d,
            }
        )
        hazard = churn_of[annual, plan_d] * pop.risk[cust_d]
        early = (annual == 0) & (state["terms"][due] < 3)
        hazard = np.minimum(np.where(early, hazard * p.early_churn_factor, hazard), 0.9)
        change = 1.0 + 3.0 * annual
        up_p = np.where(plan_d < top, p.upgrade_probability * change, 0.0)
        down_p = np.where(plan_d > 0, p.downgrade_probability * change, 0.0)
        u = rng.random(len(due))
        cancel = u < hazard
        up = ~cancel & (u < hazard + up_p)
        down = ~cancel & ~up & (u < hazard + up_p + down_p)

        renew = due[~cancel]
        state["plan"][due[up]] += 1
        state["plan"][due[down]] -= 1
        state["start"][renew] = boundary[~cancel]
        state["end_k"][renew] += state["billing"][renew]
        state["terms"][renew] += 1

        # win-backs: a new subscription a few months after cancelling
        gone = due[cancel]
        back = rng.random(len(gone)) < p.winback_probability
        w_cust = state["cust"][gone[back]]
        lo, hi = p.winback_months
        w_start = add_months(boundary[cancel][back], rng.integers(lo, hi + 1, len(w_cust)))
        w_start += rng.random(len(w_cust)) * 10.0 * DAY
        ok = w_start < cal.t_end - 1.0
        if ok.any():
            wb = _pending(
                rng, w_cust[ok], w_start[ok], choice(rng, p.plan_weights, int(ok.sum())), p
            )
            wb["month"] = abs_month(wb["start"])
            pending = {f: np.concatenate([pending[f], wb[f]]) for f in pending}
        alive = np.ones(len(state["sid"]), dtype=bool)
        alive[gone] = False
        state = {f: v[alive] for f, v in state.items()}

    # the terms still running at the end of the data
    annual = (state["billing"] == 12).astype(np.int64)
    end = np.where(annual == 1, add_months(state["anchor"], state["end_k"]), np.nan)
    rows.append(
        {
            "sid": state["sid"],
            "cust": state["cust"],
            "start": state["start"],
            "end": end,
            "mrr": mrr_of[annual, state["plan"]],
            "plan": state["plan"],
        }
    )
    terms = {f: np.concatenate([r[f] for r in rows]) for f in rows[0]}
    _record_churn(pop, terms, cal)
    return _table(pop, terms)


def _record_churn(pop: Population, terms: dict[str, np.ndarray], cal: Calendar) -> None:
    """A customer churned (contractually) when their last term ended before the data end."""
    end = np.where(np.isnan(terms["end"]) | (terms["end"] >= cal.t_end), np.inf, terms["end"])
    last = np.full(pop.n, -np.inf)
    np.maximum.at(last, terms["cust"], end)
    has = np.isfinite(last)
    pop.churn[has] = np.minimum(pop.churn[has], last[has])


def _table(pop: Population, terms: dict[str, np.ndarray]) -> pa.Table:
    # subscription ids in order of their first start, term ids in order of start
    order = np.lexsort((terms["sid"], terms["start"]))
    terms = {f: v[order] for f, v in terms.items()}
    n_sub = int(terms["sid"].max()) + 1 if len(terms["sid"]) else 0
    first_seen = np.full(n_sub, -1, dtype=np.int64)
    rank = np.arange(len(order), dtype=np.int64)
    # the first occurrence of each sid in start order gives its number
    first_seen[terms["sid"][::-1]] = rank[::-1]
    sub_number = np.empty(n_sub, dtype=np.int64)
    sub_number[np.argsort(first_seen, kind="stable")] = np.arange(n_sub)
    return pa.table(
        {
            "term_id": make_ids("T", len(order), 7),
            "subscription_id": format_ids("S", sub_number[terms["sid"]] + 1, id_width(n_sub, 6)),
            "customer_id": pop.ids_of(terms["cust"]),
            "started_at": timestamps(terms["start"]),
            "ended_at": timestamps(terms["end"]),
            "mrr": money(terms["mrr"]),
            "plan": labels(terms["plan"], PLANS),
        }
    )
