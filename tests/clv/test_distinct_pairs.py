"""BG/NBD and MBG/NBD expectations evaluate their ``hyp2f1`` term once per distinct
(frequency, T) pair (``clv.models.base.per_distinct_pair``) and give the numbers of the
evaluation per customer to the last digit: for one horizon, per-customer horizons and the
monthly CLV steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.clv.models import base, bgnbd, mbgnbd
from retentionkit.clv.value import customer_lifetime_value


def _summary(n: int, seed: int) -> pd.DataFrame:
    """Weekly RFM of ``n`` customers over 78 weeks of daily data: pairs repeat, as in a shop."""
    rng = np.random.default_rng(seed)
    big_t = rng.integers(1, 546, n) / 7
    frequency = rng.poisson(1.5, n).astype("float64")
    recency = np.where(frequency > 0, np.floor(big_t * 7 * rng.uniform(0, 1, n)) / 7, 0.0)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": frequency,
            "recency": recency,
            "T": big_t,
            "monetary_value": np.where(frequency > 0, 20.0, 0.0),
        }
    )


def _figures(model: Any, s: pd.DataFrame) -> list[np.ndarray]:
    x, t_x, big_t = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    per_customer = np.linspace(0.0, 52.0, len(s))
    return [
        *(
            np.asarray(model.conditional_expected_number_of_purchases_up_to_time(h, x, t_x, big_t))
            for h in (0.0, 1.0, 52.0)
        ),
        np.asarray(
            model.conditional_expected_number_of_purchases_up_to_time(per_customer, x, t_x, big_t)
        ),
        np.asarray(
            customer_lifetime_value(model, x, t_x, big_t, np.full(len(s), 25.0), time=12, freq="W")
        ),
    ]


#: The CDNOW weekly estimates (Fader, Hardie & Lee 2005; Batislam et al. 2007): regular fits,
#: so the predictions take the hyp2f1 path, not a limit model's closed form.
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.mark.parametrize(
    ("cls", "module"),
    [(bgnbd.BetaGeoFitter, bgnbd), (mbgnbd.ModifiedBetaGeoFitter, mbgnbd)],
)
def test_once_per_distinct_pair_gives_the_per_customer_numbers(
    monkeypatch: pytest.MonkeyPatch, cls: Any, module: Any
) -> None:
    model = cls.from_dict({"model": cls.model_name, "params": CDNOW})
    s = _summary(25_000, seed=2)
    pairs = len(s[["frequency", "T"]].drop_duplicates())
    assert pairs < len(s) / 5
    sizes: list[int] = []
    real = module.log_hyp2f1

    def counted(a: Any, b: Any, c: Any, z: Any) -> Any:
        sizes.append(int(np.broadcast(a, b, c, z).size))
        return real(a, b, c, z)

    monkeypatch.setattr(module, "log_hyp2f1", counted)
    monkeypatch.setattr(base, "DISTINCT_PAIRS_MIN", 10**12)
    each = _figures(model, s)
    assert set(sizes) == {len(s)}
    sizes.clear()
    monkeypatch.setattr(base, "DISTINCT_PAIRS_MIN", 10_000)
    once = _figures(model, s)
    # per-customer horizons are evaluated per customer; every single horizon once per pair
    assert sorted(set(sizes)) == [pairs, len(s)]
    for a, b in zip(each, once, strict=True):
        assert a.tobytes() == b.tobytes()


@settings(max_examples=60, deadline=None)
@given(
    pool=st.lists(
        st.tuples(st.floats(0, 1e6, allow_nan=False), st.floats(1e-9, 1e6, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=400),
)
def test_per_distinct_pair_is_the_elementwise_function(
    pool: list[tuple[float, float]], picks: list[int]
) -> None:
    chosen = [pool[i % len(pool)] for i in picks]
    u = np.array([p[0] for p in chosen])
    v = np.array([p[1] for p in chosen])

    def f(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(np.log1p(a) * np.exp(-b / (1 + a)) - np.expm1(-a / b))

    original = base.DISTINCT_PAIRS_MIN
    try:
        base.DISTINCT_PAIRS_MIN = 1
        got = base.per_distinct_pair(u, v, f)
    finally:
        base.DISTINCT_PAIRS_MIN = original
    assert got.tobytes() == f(u, v).tobytes()
