"""Customers: when they arrive, from where, and their hidden traits.

Sign-ups follow an inhomogeneous Poisson process over the months: the expected number of new
customers in data month k is proportional to ``(1 + growth)^k × seasonality[calendar month] ×
days in month``, so acquisition grows a little and peaks around the holidays. Given the monthly
counts (a multinomial draw, which fixes the total to exactly ``customers``), sign-up times are
uniform within the month. Customers are numbered in sign-up order.

Each customer also gets hidden traits that the other tables share, so the data hangs together:
a lognormal churn-risk multiplier (mean 1) that raises dropout, cancellation, tickets and lowers
survey scores, and later (filled in by the order and subscription simulations) the time the
customer churned, ``inf`` when they were still a customer at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retentionkit.generate._util import Calendar, choice, make_ids
from retentionkit.generate.params import BusinessParams


@dataclass
class Population:
    """The customers of the simulated business (arrays indexed by customer number − 1)."""

    ids: pa.Array
    signup: np.ndarray  # epoch seconds
    channel: np.ndarray  # codes into params.CHANNELS
    country: np.ndarray  # codes into params.COUNTRIES
    risk: np.ndarray  # churn-risk multiplier, mean 1
    churn: np.ndarray  # epoch seconds of churn; inf = still a customer at the end
    plan: np.ndarray  # first subscription plan code, −1 = none

    @property
    def n(self) -> int:
        return len(self.signup)

    def ids_of(self, index: np.ndarray) -> pa.Array:
        """Customer ids of 0-based customer indices (an Arrow gather of the id strings)."""
        return self.ids.take(pa.array(np.asarray(index, dtype=np.int64)))


def simulate_customers(
    rng: np.random.Generator, n: int, cal: Calendar, params: BusinessParams
) -> Population:
    """Draw ``n`` customers: sign-up times, channel, country and churn risk."""
    k = np.arange(cal.months)
    seasonal = np.asarray(params.acquisition_seasonality)[cal.month_of_year[: cal.months] - 1]
    length = np.diff(cal.bounds[: cal.months + 1])
    weight = (1.0 + params.acquisition_growth) ** k * seasonal * length
    per_month = rng.multinomial(n, weight / weight.sum())
    month = np.repeat(k, per_month)
    signup = cal.bounds[month] + rng.random(n) * length[month]
    signup.sort()
    risk = rng.lognormal(-0.5 * params.risk_sigma**2, params.risk_sigma, n)
    return Population(
        ids=make_ids("C", n, 6),
        signup=signup,
        channel=choice(rng, params.channel_weights, n),
        country=choice(rng, params.country_weights, n),
        risk=risk,
        churn=np.full(n, np.inf),
        plan=np.full(n, -1, dtype=np.int16),
    )


def contact_columns(ids: pa.Array, countries: np.ndarray) -> dict[str, pa.Array]:
    """``email`` and ``language`` of each customer, derived from the id alone (no random draw,
    so the other tables stay exactly as they were): ``<id>@example.com`` (a reserved domain,
    RFC 2606) and the country's language where the emails have one (PL → pl), else en, with
    every 17th customer ru and every 23rd zh so the demo shows all four languages."""
    emails = [f"{str(i).lower()}@example.com" for i in ids.to_pylist()]
    languages = []
    for n, country in enumerate(countries):
        lang = "pl" if country == "PL" else "en"
        lang = "ru" if n % 17 == 5 else "zh" if n % 23 == 7 else lang
        languages.append(lang)
    return {"email": pa.array(emails, pa.string()), "language": pa.array(languages, pa.string())}
