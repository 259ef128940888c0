"""Every registered KPI against an independent plain-pandas implementation (reference.py).

Counts must match exactly; money, rates and durations to 1e-9 relative. Both the value and
every component of every (metric, period, segment) record are compared.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from reference import Reference

from retentionkit.config import parse_duration_days
from retentionkit.metrics.registry import METRIC_NAMES

COUNT_KEYS = {
    "start",
    "end",
    "new",
    "reactivated",
    "retained",
    "lost",
    "acquired",
    "orders",
    "buyers",
    "repeat_buyers",
    "promoters",
    "passives",
    "detractors",
    "responses",
    "satisfied",
    "at_or_above",
    "paying_customers",
    "new_subscribers",
    "churned_subscribers",
    "renewed",
    "due",
    "customers",
    "pairs",
    "delivered",
    "resolved",
    "open_over_48h",
    "open_tickets",
    "months",
}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _same(key: str, got: Any, want: Any) -> bool:
    if _missing(got) or _missing(want):
        return _missing(got) and _missing(want)
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(want)
            and all(_same(k, got[k], want[k]) for k in want)
        )
    if isinstance(want, str):
        return got == want
    if key in COUNT_KEYS:
        return float(got) == float(want)
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)


def _trivial(comps: dict[str, Any]) -> bool:
    """A reference record with no data behind it (the engine may leave such a segment out)."""
    return all(
        _missing(v) or v == 0
        for k, v in comps.items()
        if k not in ("survey", "threshold", "basis", "margin")
    )


def compare(engine: pd.DataFrame, ref: dict[tuple, tuple[Any, dict]]) -> list[str]:
    problems: list[str] = []
    seen = set()
    for rec in engine.itertuples(index=False):
        key = (rec.metric, pd.Timestamp(rec.period_start), rec.segment)
        seen.add(key)
        if key not in ref:
            problems.append(f"{key}: engine record has no reference")
            continue
        want_value, want_comps = ref[key]
        if not _same(rec.metric, rec.value, want_value):
            problems.append(f"{key}: value {rec.value!r} != reference {want_value!r}")
        if set(rec.components) != set(want_comps):
            problems.append(f"{key}: components {sorted(rec.components)} != {sorted(want_comps)}")
            continue
        for name, want in want_comps.items():
            if not _same(name, rec.components[name], want):
                problems.append(
                    f"{key}: component {name} {rec.components[name]!r} != reference {want!r}"
                )
    for key, (_, comps) in ref.items():
        if key not in seen and key[0] in set(engine["metric"]) and not _trivial(comps):
            problems.append(f"{key}: reference record {comps} missing from the engine")
    return problems


def check(
    ws_tables,
    *,
    period,
    start,
    end,
    segment=None,
    definition="activity",
    window=None,
    basis="start",
    metrics=None,
) -> pd.DataFrame:
    ws, tables = ws_tables
    engine = ws.metrics(
        metrics,
        period=period,
        start=start,
        end=end,
        segment=segment,
        customer_definition=definition,
        active_window=window,
        churn_basis=basis,
    )
    ref = Reference(
        tables,
        definition=definition,
        window_days=parse_duration_days(window) if window else None,
        churn_basis=basis,
        segment=segment,
    ).compute(period, start, end)
    problems = compare(engine, ref)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:25])
    return engine


#: The metrics that depend on who counts as a customer (definition, window, churn basis).
CUSTOMER_METRICS = [
    "crr",
    "churn_rate",
    "active_customers",
    "new_customers",
    "reactivated_customers",
    "lost_customers",
    "average_customer_lifespan",
    "clv",
    "cac",
    "ltv_cac",
    "cac_payback_months",
]

MRR_METRICS = [
    "mrr",
    "arpc",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "nrr",
    "grr",
    "renewal_rate",
]

CASES = [
    pytest.param(dict(period="month", start="2023-11-01", end="2024-07-01"), id="month"),
    pytest.param(dict(period="quarter", start="2023-01-01", end="2025-01-01"), id="quarter"),
    pytest.param(dict(period="week", start="2024-01-01", end="2024-02-26"), id="week"),
    pytest.param(
        dict(period="month", start="2024-01-01", end="2024-07-01", segment="country"),
        id="month-country",
    ),
    pytest.param(
        dict(period="quarter", start="2023-01-01", end="2025-01-01", segment="channel"),
        id="quarter-channel",
    ),
    pytest.param(
        dict(
            period="month",
            start="2024-01-01",
            end="2024-07-01",
            segment="plan",
            definition="contractual",
        ),
        id="month-plan-contractual",
    ),
    pytest.param(
        dict(period="quarter", start="2023-01-01", end="2025-01-01", definition="contractual"),
        id="quarter-contractual",
    ),
    pytest.param(
        dict(
            period="month",
            start="2023-07-01",
            end="2024-07-01",
            window="90d",
            metrics=CUSTOMER_METRICS,
        ),
        id="month-window-90d",
    ),
    pytest.param(
        dict(
            period="month",
            start="2023-07-01",
            end="2024-07-01",
            basis="end",
            metrics=CUSTOMER_METRICS,
        ),
        id="month-churn-basis-end",
    ),
    pytest.param(
        dict(
            period="week",
            start="2024-03-04",
            end="2024-04-29",
            window="90d",
            definition="contractual",
            metrics=CUSTOMER_METRICS,
        ),
        id="week-contractual-window",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_every_metric_matches_the_reference(business_ws, case):
    engine = check(business_ws, **case)
    assert set(engine["metric"]) == set(case.get("metrics") or METRIC_NAMES)


def test_saas_business_contractual(saas_ws):
    engine = check(
        saas_ws, period="month", start="2023-07-01", end="2024-07-01", definition="contractual"
    )
    assert {"mrr", "nrr", "renewal_rate", "crr", "cac"} <= set(engine["metric"])


def test_saas_business_by_plan(saas_ws):
    check(
        saas_ws,
        period="quarter",
        start="2023-01-01",
        end="2024-07-01",
        definition="contractual",
        segment="plan",
        metrics=CUSTOMER_METRICS + MRR_METRICS,
    )


def test_shop_business(shop_ws):
    engine = check(shop_ws, period="month", start="2023-07-01", end="2024-07-01")
    assert "mrr" not in set(engine["metric"])
    assert {"crr", "return_rate", "revenue", "clv", "cac"} <= set(engine["metric"])


def test_shop_business_by_channel_weekly(shop_ws):
    check(shop_ws, period="week", start="2023-11-06", end="2024-01-01", segment="channel")
