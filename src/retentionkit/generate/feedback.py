"""Support tickets and survey answers, both driven by how close a customer is to churning.

**Tickets** arrive as a Poisson process while the customer is a customer (until two weeks
after they churn): ``ticket_rate_*`` per month, ``ticket_churner_factor`` times more for
customers who churn — unhappy customers write in before they leave. Resolution time is
lognormal (median ``resolution_median_hours``, sigma ``resolution_sigma``: most within a day,
a long tail past 48 hours). A share ``stale_ticket_share`` is forgotten and never resolved; a
ticket whose resolution would fall after the end of the data is still open (``resolved_at``
empty), which covers tickets opened in the last hours.

**Survey answers**:

* ``nps`` (0–10): a Poisson number of answers per customer-month alive (quarterly relationship
  survey and post-purchase asks). The score is a rounded normal around a per-customer level
  N(``nps_mean``, 1), lowered by ``nps_churner_drop`` for customers who churn and by another
  ``nps_near_churn_drop`` in the ``churn_warning_days`` before they do — so churners' NPS is
  measurably lower and scores predict churn.
* ``csat`` (1–5): after a share of delivered orders (touchpoint ``post_purchase``) and of
  resolved tickets (``support``, lower when the resolution took long).
* ``would_buy_again`` (0/1): a custom yes/no survey after a share of deliveries; "yes" with
  probability 0.82, 0.5 for churners.

A share ``comment_share`` of answers carries a short comment matching the score.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retentionkit.generate._util import (
    DAY,
    MONTH_DAYS,
    Calendar,
    labels,
    make_ids,
    timestamps,
)
from retentionkit.generate.customers import Population
from retentionkit.generate.params import BusinessParams

SURVEYS: tuple[str, ...] = ("nps", "csat", "would_buy_again")
SCALES: tuple[tuple[float, float], ...] = ((0.0, 10.0), (1.0, 5.0), (0.0, 1.0))
TOUCHPOINTS: tuple[str, ...] = ("post_purchase", "support", "quarterly")
COMMENTS: tuple[str, ...] = (
    # negative 0-4
    "Too expensive for what it is",
    "Support took too long to answer",
    "The item arrived damaged",
    "Hard to use",
    "Thinking of cancelling",
    # neutral 5-7
    "It was fine",
    "Okay overall",
    "Room for improvement",
    # positive 8-11
    "Great service",
    "Fast delivery",
    "Love the product",
    "Would recommend to a friend",
)


def _alive_window(pop: Population, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """[from, to) during which a customer can write in: sign-up to two weeks after churn."""
    until = np.minimum(pop.churn + 14.0 * DAY, cal.t_end)
    return pop.signup, np.maximum(until, pop.signup)


def simulate_tickets(
    rng: np.random.Generator, pop: Population, cal: Calendar, p: BusinessParams, *, saas: bool
) -> tuple[pa.Table, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The ``tickets`` table, plus (owner, resolved_at, hours) of resolved tickets for CSAT."""
    lo, hi = _alive_window(pop, cal)
    churner = np.isfinite(pop.churn)
    base = p.ticket_rate_saas if saas else p.ticket_rate_ecommerce
    rate = base * np.where(churner, p.ticket_churner_factor, 1.0) * np.sqrt(pop.risk)
    count = rng.poisson(rate * (hi - lo) / (MONTH_DAYS * DAY))
    owner = np.repeat(np.arange(pop.n, dtype=np.int64), count)
    opened = lo[owner] + rng.random(len(owner)) * (hi - lo)[owner]
    order = np.argsort(opened, kind="stable")
    owner, opened = owner[order], opened[order]
    hours = rng.lognormal(np.log(p.resolution_median_hours), p.resolution_sigma, len(owner))
    hours *= np.where(churner[owner], 1.5, 1.0)
    resolved = opened + hours * 3600.0
    resolved[rng.random(len(owner)) < p.stale_ticket_share] = np.nan
    resolved[resolved >= cal.t_end] = np.nan
    table = pa.table(
        {
            "ticket_id": make_ids("TK", len(owner), 6),
            "customer_id": pop.ids_of(owner),
            "opened_at": timestamps(opened),
            "resolved_at": timestamps(resolved),
        }
    )
    done = np.isfinite(resolved)
    return table, (owner[done], resolved[done], hours[done])


def simulate_surveys(
    rng: np.random.Generator,
    pop: Population,
    cal: Calendar,
    p: BusinessParams,
    *,
    deliveries: tuple[np.ndarray, np.ndarray] | None,
    resolved_tickets: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pa.Table:
    """The ``survey_responses`` table (NPS, CSAT and the custom ``would_buy_again``)."""
    churner = np.isfinite(pop.churn)
    parts: list[tuple[np.ndarray, ...]] = []  # (survey, owner, time, score, touchpoint)

    # NPS while alive
    lo, hi = _alive_window(pop, cal)
    lo = np.minimum(lo + 7.0 * DAY, hi)
    count = rng.poisson(p.nps_rate_per_month * (hi - lo) / (MONTH_DAYS * DAY))
    owner = np.repeat(np.arange(pop.n, dtype=np.int64), count)
    when = lo[owner] + rng.random(len(owner)) * (hi - lo)[owner]
    level = rng.normal(p.nps_mean, 1.0, pop.n) - np.where(churner, p.nps_churner_drop, 0.0)
    near = (pop.churn[owner] - when) < p.churn_warning_days * DAY
    mean = level[owner] - np.where(near, p.nps_near_churn_drop, 0.0)
    score = np.clip(np.round(mean + rng.normal(0.0, 1.4, len(owner))), 0, 10)
    touch = np.where((deliveries is not None) & (rng.random(len(owner)) < 0.25), 0, 2).astype(
        np.int16
    )
    parts.append((np.zeros(len(owner), np.int16), owner, when, score, touch))

    # CSAT and would_buy_again after deliveries
    if deliveries is not None:
        d_owner, d_time = deliveries
        for survey, share, lag in (
            (1, p.csat_order_share, (1.0, 10.0)),
            (2, p.would_buy_again_share, (1.0, 14.0)),
        ):
            pick = np.flatnonzero(rng.random(len(d_owner)) < share)
            who = d_owner[pick]
            when = d_time[pick] + rng.uniform(*lag, len(pick)) * DAY
            if survey == 1:
                mean = 4.4 - np.where(churner[who], 0.7, 0.0)
                score = np.clip(np.round(mean + rng.normal(0.0, 0.8, len(pick))), 1, 5)
            else:
                yes = np.where(churner[who], 0.5, 0.82)
                score = (rng.random(len(pick)) < yes).astype(np.float64)
            parts.append(
                (
                    np.full(len(pick), survey, np.int16),
                    who,
                    when,
                    score,
                    np.zeros(len(pick), np.int16),
                )
            )

    # CSAT after resolved tickets, lower for slow resolutions
    t_owner, t_resolved, t_hours = resolved_tickets
    pick = np.flatnonzero(rng.random(len(t_owner)) < p.csat_ticket_share)
    who = t_owner[pick]
    when = t_resolved[pick] + rng.uniform(0.5, 48.0, len(pick)) * 3600.0
    slow = np.log2(np.maximum(t_hours[pick], 1.0) / p.resolution_median_hours)
    mean = 4.3 - 0.3 * np.clip(slow, -1.0, 4.0) - np.where(churner[who], 0.8, 0.0)
    score = np.clip(np.round(mean + rng.normal(0.0, 0.8, len(pick))), 1, 5)
    parts.append((np.full(len(pick), 1, np.int16), who, when, score, np.ones(len(pick), np.int16)))

    survey, owner, when, score, touch = (np.concatenate(col) for col in zip(*parts, strict=True))
    inside = when < cal.t_end
    survey, owner, when, score, touch = (a[inside] for a in (survey, owner, when, score, touch))
    order = np.argsort(when, kind="stable")
    survey, owner, when, score, touch = (a[order] for a in (survey, owner, when, score, touch))

    comment = _comments(rng, survey, score, p.comment_share)
    scale = np.asarray(SCALES)
    return pa.table(
        {
            "response_id": make_ids("SR", len(owner), 7),
            "survey": labels(survey, SURVEYS),
            "score": pa.array(score.astype(np.float64)),
            "responded_at": timestamps(when),
            "customer_id": pop.ids_of(owner),
            "comment": labels(comment, COMMENTS),
            "touchpoint": labels(touch, TOUCHPOINTS),
            "scale_min": pa.array(scale[survey, 0]),
            "scale_max": pa.array(scale[survey, 1]),
            # answers imported from elsewhere: no retentionkit survey asked them
            "survey_name": pa.nulls(len(owner), type=pa.string()),
            "order_id": pa.nulls(len(owner), type=pa.string()),
        }
    )


def _comments(
    rng: np.random.Generator, survey: np.ndarray, score: np.ndarray, share: float
) -> np.ndarray:
    """A comment code matching the score's sentiment for a share of answers, −1 otherwise."""
    scale = np.asarray(SCALES)
    rel = (score - scale[survey, 0]) / (scale[survey, 1] - scale[survey, 0])
    band = np.where(rel < 0.65, 0, np.where(rel < 0.85, 1, 2))
    band = np.where(survey == 2, np.where(score > 0, 2, 0), band)
    start = np.array([0, 5, 8])[band]
    width = np.array([5, 3, 4])[band]
    code = start + np.floor(rng.random(len(score)) * width).astype(np.int64)
    return np.where(rng.random(len(score)) < share, code, -1)
