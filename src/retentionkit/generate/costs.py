"""Acquisition costs: monthly cost lines that scale with the customers they bought.

For every data month, one ``marketing`` line per channel costs the channel's cost per
acquisition (``channel_cpa``; organic stands for content and SEO) times the new customers the
channel brought that month, plus a small always-on base, with ±15 % noise — so CAC per channel
is sensible and marketing follows the seasonal acquisition curve. ``salaries``, ``software``,
``professional_services`` and ``overhead`` are one line each per month, proportional to a
smoothed count of new customers (half this month's, half the average month's) times
``fixed_cost_per_customer`` — fixed costs grow with the business but do not jump with a good
month. Professional services are lumpy (±50 %). Lines are dated the first day of their month.
With the defaults the blended CAC is about 50–70 per new customer every month.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retentionkit.generate._util import Calendar, labels, make_ids, money, timestamps
from retentionkit.generate.customers import Population
from retentionkit.generate.params import CHANNELS, COST_CATEGORIES, BusinessParams


def simulate_costs(
    rng: np.random.Generator, pop: Population, cal: Calendar, p: BusinessParams
) -> pa.Table:
    """The ``acquisition_costs`` table."""
    months = cal.months
    n_ch = len(CHANNELS)
    month = cal.month_index(pop.signup)
    new = np.bincount(month * n_ch + pop.channel, minlength=months * n_ch).reshape(months, n_ch)
    total = new.sum(axis=1).astype(np.float64)
    average = max(float(total.mean()), 1.0)

    cpa = np.asarray(p.channel_cpa)
    marketing = (new + 0.02 * average / n_ch) * cpa * rng.uniform(0.85, 1.15, (months, n_ch))
    smooth = 0.5 * total + 0.5 * average
    noise = rng.uniform(0.95, 1.05, (months, 4))
    noise[:, 2] = rng.uniform(0.5, 1.5, months)
    fixed = smooth[:, None] * np.asarray(p.fixed_cost_per_customer) * noise

    amount = np.concatenate([marketing, fixed], axis=1).reshape(-1)
    category = np.tile(np.array([0] * n_ch + [1, 2, 3, 4]), months)
    channel = np.tile(np.concatenate([np.arange(n_ch), np.full(4, -1)]), months)
    when = np.repeat(cal.bounds[:months], n_ch + 4)
    return pa.table(
        {
            "cost_id": make_ids("AC", len(amount), 6),
            "incurred_on": timestamps(when),
            "amount": money(amount),
            "category": labels(category, COST_CATEGORIES),
            "channel": labels(channel, CHANNELS),
        }
    )
