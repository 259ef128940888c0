"""Orders and returns: a BG/NBD purchase process with seasonality, heavy-tailed spend.

**Purchases** follow the BG/NBD story (Fader, Hardie & Lee 2005), so the CLV models of
``retentionkit.clv`` fit sensibly on the result:

* the first order is placed within an hour of signing up (it *is* the acquisition);
* while alive, customer *i* places repeat orders as a Poisson process with rate λᵢ, and
  λᵢ ~ Gamma(shape r, mean ``purchase_rate_per_month``) — a few customers buy very often, most
  rarely;
* after each repeat order the customer drops out for good with probability pᵢ,
  pᵢ ~ Beta(a, b) scaled by the acquisition channel's loyalty and the customer's churn risk; so
  the number of repeat orders before dropping out is geometric;
* the rate is modulated by calendar month (``order_seasonality``: the November/December peak).
  Seasonality is applied by a time change: the process is homogeneous in "seasonal time"
  Λ(t) = ∫ s(u) du, which is piecewise linear in t, so times are drawn uniformly in Λ and mapped
  back with one interpolation.

Vectorised simulation: the number of arrivals in the customer's window is nᵢ ~ Poisson(λᵢ·W),
the number observed is kᵢ = min(nᵢ, Dᵢ) with Dᵢ ~ Geometric(pᵢ), and the kᵢ arrival times are
the first kᵢ order statistics of nᵢ uniforms, drawn directly as partial sums of exponentials
divided by the total of nᵢ + 1 (the tail needs one Gamma(nᵢ + 1 − kᵢ) draw). No loop over
customers, no sort per customer.

A few customers who dropped out **reactivate** after a long pause (``reactivation_share``):
a short burst of 1 + Poisson(1.2) orders, mostly through the email channel — the win-back.

**Spend** is lognormal across customers (median ``spend_median``, sigma ``spend_sigma``: heavy
right tail) and gamma around the customer's mean for each order (the Gamma-Gamma story), times
the category's price level and a quantity factor. Quantity is 1 + Binomial(4, 0.12).

**Delivery** takes 1 + Gamma(2, 1) days, capped at 7; an order not delivered by the end of the
data has no ``delivered_at``.

**Returns**: a share ``return_rate`` of orders (by count) is returned, apparel most; the return
is booked 3–30 days after delivery, for 1 … quantity items and the matching share of the amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retentionkit.generate._util import (
    DAY,
    MONTH_DAYS,
    Calendar,
    choice,
    format_ids,
    id_width,
    labels,
    make_ids,
    money,
    segment_cumsum,
    timestamps,
)
from retentionkit.generate.customers import Population
from retentionkit.generate.params import CATEGORIES, CHANNELS, BusinessParams

_EMAIL = CHANNELS.index("email")
#: P(quantity = 1 … 5): Binomial(4, 0.12) shifted by one.
_QUANTITY_PMF = (0.59969536, 0.32710656, 0.06690816, 0.00608256, 0.00020736)


@dataclass
class Purchases:
    """The order tables plus who received which delivery when (for post-purchase surveys)."""

    orders: pa.Table
    returns: pa.Table
    delivered_owner: np.ndarray
    delivered_at: np.ndarray


def _seasonal_clock(cal: Calendar, params: BusinessParams) -> np.ndarray:
    """Λ at each month boundary, in "seasonal days" (days weighted by the month's multiplier)."""
    season = np.asarray(params.order_seasonality)[cal.month_of_year - 1]
    days = np.diff(cal.bounds) / DAY
    clock = np.zeros(len(cal.bounds))
    np.cumsum(season * days, out=clock[1:])
    return clock


def _repeat_orders(
    rng: np.random.Generator, first: np.ndarray, pop: Population, cal: Calendar, p: BusinessParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat-order times (flat, grouped by customer) and each customer's dropout time."""
    n = len(first)
    clock = _seasonal_clock(cal, p)
    lam_a = np.interp(first, cal.bounds, clock)
    lam_end = float(np.interp(cal.t_end, cal.bounds, clock))
    window = np.maximum(lam_end - lam_a, 0.0)
    rate = rng.gamma(
        p.purchase_rate_shape, p.purchase_rate_per_month / MONTH_DAYS / p.purchase_rate_shape, n
    )
    dropout = rng.beta(p.dropout_a, p.dropout_b, n)
    dropout *= np.asarray(p.channel_loyalty)[pop.channel] * pop.risk
    np.clip(dropout, 1e-4, 0.95, out=dropout)
    arrivals = rng.poisson(rate * window)
    life = rng.geometric(dropout)
    kept = np.minimum(arrivals, life)
    died = life <= arrivals

    owner = np.repeat(np.arange(n, dtype=np.int64), kept)
    gaps = rng.standard_exponential(len(owner))
    partial = segment_cumsum(gaps, kept)
    has = kept > 0
    last_idx = np.cumsum(kept) - 1
    total = np.zeros(n)
    total[has] = partial[last_idx[has]]
    total[has] += rng.gamma((arrivals - kept + 1)[has])
    share = partial / np.repeat(np.where(has, total, 1.0), kept)
    seasonal_t = lam_a[owner] + share * window[owner]
    times = np.interp(seasonal_t, clock, cal.bounds)
    np.minimum(times, cal.t_end - 1.0, out=times)

    churn = np.full(n, np.inf)
    dead = died & has
    churn[dead] = times[last_idx[dead]]
    return owner, times, churn


def _reactivations(
    rng: np.random.Generator, churn: np.ndarray, cal: Calendar, p: BusinessParams
) -> tuple[np.ndarray, np.ndarray]:
    """Win-back bursts of a few dropped-out customers, after a long pause."""
    lo, hi = p.reactivation_pause_days
    candidates = np.flatnonzero(np.isfinite(churn) & (churn + lo * DAY < cal.t_end - 14 * DAY))
    chosen = candidates[rng.random(len(candidates)) < p.reactivation_share]
    back = churn[chosen] + rng.uniform(lo, hi, len(chosen)) * DAY
    keep = back < cal.t_end - 1.0
    chosen, back = chosen[keep], back[keep]
    count = 1 + rng.poisson(1.2, len(chosen))
    owner = np.repeat(chosen, count)
    gaps = rng.exponential(25.0 * DAY, len(owner))
    offset = segment_cumsum(gaps, count) - np.repeat(gaps[np.cumsum(count) - count], count)
    times = np.repeat(back, count) + offset
    inside = times < cal.t_end
    return owner[inside], times[inside]


def simulate_orders(
    rng: np.random.Generator, pop: Population, cal: Calendar, p: BusinessParams
) -> Purchases:
    """The ``orders`` and ``returns`` tables; records each customer's dropout in ``pop.churn``."""
    n = pop.n
    first = np.minimum(pop.signup + rng.random(n) * 3600.0, cal.t_end - 1.0)
    rep_owner, rep_times, churn = _repeat_orders(rng, first, pop, cal, p)
    np.minimum(pop.churn, churn, out=pop.churn)
    re_owner, re_times = _reactivations(rng, churn, cal, p)

    owner = np.concatenate([np.arange(n, dtype=np.int64), rep_owner, re_owner])
    times = np.concatenate([first, rep_times, re_times])
    source = np.concatenate(
        [
            np.zeros(n, np.int8),
            np.ones(len(rep_owner), np.int8),
            np.full(len(re_owner), 2, np.int8),
        ]
    )
    del rep_owner, rep_times, re_owner, re_times
    order = np.argsort(times)
    owner, times, source = owner[order], times[order], source[order]
    del order
    m = len(owner)

    # channel: acquisition channel for the first order, a mix for repeats, email for win-backs
    own = pop.channel[owner]
    mixed = choice(rng, p.repeat_channel_weights, m)
    u = rng.random(m)
    channel = np.where(
        source == 0,
        own,
        np.where(
            source == 1,
            np.where(u < p.own_channel_share, own, mixed),
            np.where(u < 0.7, _EMAIL, own),
        ),
    ).astype(np.int16)
    del own, mixed, u, source

    # spend: lognormal customer mean x gamma order noise x category price x quantity factor
    category = choice(rng, p.category_weights, m)
    cat_w = np.asarray(p.category_weights) / np.sum(p.category_weights)
    price = np.asarray(p.category_price) / float(np.dot(cat_w, p.category_price))
    quantity = 1 + choice(rng, _QUANTITY_PMF, m).astype(np.int64)
    customer_mean = rng.lognormal(np.log(p.spend_median), p.spend_sigma, n)
    amount = customer_mean[owner] * price[category]
    amount *= rng.gamma(p.order_value_shape, 1.0 / p.order_value_shape, m)
    amount *= (1.0 + 0.35 * (quantity - 1)) / 1.168
    amount = np.maximum(np.round(amount, 2), 1.0)

    delay = np.minimum(1.0 + rng.gamma(p.delivery_shape, p.delivery_scale, m), 7.0) * DAY
    delivered = times + delay
    delivered[delivered >= cal.t_end] = np.nan

    orders = pa.table(
        {
            "order_id": make_ids("O", m, 7),
            "customer_id": pop.ids_of(owner),
            "ordered_at": timestamps(times),
            "amount": money(amount),
            "quantity": pa.array(quantity),
            "delivered_at": timestamps(delivered),
            "channel": labels(channel, CHANNELS),
            "category": labels(category, CATEGORIES),
        }
    )
    del channel, times

    # returns: a share of delivered orders, by category propensity
    rel = np.asarray(p.category_returns) / float(np.dot(cat_w, p.category_returns))
    chance = p.return_rate * rel[category]
    picked = np.flatnonzero(np.isfinite(delivered) & (rng.random(m) < chance))
    returned = delivered[picked] + rng.uniform(3.0, 30.0, len(picked)) * DAY
    inside = returned < cal.t_end
    picked, returned = picked[inside], returned[inside]
    q = quantity[picked]
    back_q = np.minimum(1 + np.floor(rng.random(len(picked)) * q).astype(np.int64), q)
    refund = np.floor(amount[picked] * back_q / q * 100.0) / 100.0
    order = np.argsort(returned, kind="stable")
    picked, returned, back_q, refund = picked[order], returned[order], back_q[order], refund[order]
    returns = pa.table(
        {
            "return_id": make_ids("R", len(picked), 7),
            "customer_id": pop.ids_of(owner[picked]),
            "returned_at": timestamps(returned),
            "order_id": format_ids("O", picked + 1, id_width(m, 7)),
            "quantity": pa.array(back_q),
            "amount": money(refund),
        }
    )
    delivered_ok = np.isfinite(delivered)
    return Purchases(orders, returns, owner[delivered_ok], delivered[delivered_ok])
