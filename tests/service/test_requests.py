"""Request objects: validated once, normalised, hash-equal for equal options; the Python API
refuses unknown keyword arguments with one sentence naming them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.errors import ConfigError, RetentionkitError
from retentionkit.service import (
    ChurnAtRiskRequest,
    ClvPredictRequest,
    CohortRequest,
    MetricRequest,
    RfmRequest,
    SegmentRequest,
)
from retentionkit.service.options import COMPARE_MODES, CUSTOMER_DEFINITIONS, PERIODS
from retentionkit.service.requests import DEFAULT_ANNUAL_DISCOUNT_RATE, monthly_rate


def test_equal_options_give_equal_hashable_requests() -> None:
    a = MetricRequest(metrics=["crr", "nps"], period="month", start=dt.date(2024, 1, 1))
    b = MetricRequest(metrics=("crr", "nps"), start="2024-01-01", segment="")
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1  # usable as the web cache key
    assert MetricRequest(metrics="crr") == MetricRequest(metrics=["crr"])
    assert MetricRequest(metrics=[]) == MetricRequest()
    assert CohortRequest(start="2024-02-01T00:00:00") == CohortRequest(start="2024-02-01")
    assert ChurnAtRiskRequest(horizon=90) == ChurnAtRiskRequest(horizon="90d")
    assert ClvPredictRequest(horizon=52) == ClvPredictRequest()
    assert SegmentRequest(" rfm ") == SegmentRequest("rfm")


@given(
    period=st.sampled_from(PERIODS),
    definition=st.sampled_from((None, *CUSTOMER_DEFINITIONS)),
    compare=st.sampled_from((None, *COMPARE_MODES)),
    last=st.one_of(st.none(), st.integers(1, 500)),
)
def test_requests_built_twice_are_equal(
    period: str, definition: str | None, compare: str | None, last: int | None
) -> None:
    kwargs = dict(period=period, customer_definition=definition, compare=compare, last=last)
    a, b = MetricRequest(**kwargs), MetricRequest(**kwargs)
    assert a == b and hash(a) == hash(b)
    assert dataclasses.replace(a) == a


@given(bad=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() not in PERIODS))
def test_bad_period_names_the_flag(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"^--period .* is not one of: day, week"):
        MetricRequest(period=bad)


@pytest.mark.parametrize(
    ("build", "flag"),
    [
        (lambda: MetricRequest(start="2024-13-45"), "--from"),
        (lambda: MetricRequest(start="2024-02-01", end="2024-01-01"), "--to"),
        (lambda: MetricRequest(last=0), "--last"),
        (lambda: MetricRequest(compare="yesterday"), "--compare"),
        (lambda: MetricRequest(churn_basis="middle"), "--churn-basis"),
        (lambda: MetricRequest(customer_definition="vibes"), "--customer-definition"),
        (lambda: MetricRequest(clv_model="gamma-gamma"), "--clv-model"),
        (lambda: CohortRequest(kind="everything"), "--kind"),
        (lambda: CohortRequest(period="day"), "--period"),
        (lambda: RfmRequest(time_unit="hour"), "--time-unit"),
        (lambda: ClvPredictRequest(margin=0), "--margin"),
        (lambda: ClvPredictRequest(penalizer=-1), "--penalizer"),
        (lambda: ClvPredictRequest(model="sbg"), "--model"),
        (lambda: ChurnAtRiskRequest(sort="name"), "--sort"),
        (lambda: ChurnAtRiskRequest(min_risk="2"), "--min-risk"),
        (lambda: ChurnAtRiskRequest(horizon="soon"), "--horizon"),
    ],
)
def test_bad_options_name_the_flag(build, flag: str) -> None:
    with pytest.raises(RetentionkitError) as info:
        build()
    message = str(info.value)
    assert message.startswith(flag) or f" {flag}" in message, message
    assert "\n" not in message


def test_unknown_metric_lists_the_valid_ones() -> None:
    with pytest.raises(RetentionkitError, match="crr"):
        MetricRequest(metrics=["crr", "happiness"])


def test_discount_rate_is_annual() -> None:
    assert monthly_rate(DEFAULT_ANNUAL_DISCOUNT_RATE) == pytest.approx(0.01, abs=1e-15)
    assert (1 + monthly_rate(0.1)) ** 12 == pytest.approx(1.1)


def test_unknown_workspace_keyword_is_a_clear_error() -> None:
    from retentionkit.workspace import Workspace

    ws = Workspace(":memory:")
    with pytest.raises(ConfigError) as info:
        ws.metrics("crr", bogus=1)
    message = str(info.value)
    assert "'bogus'" in message and "Workspace.metrics()" in message
    assert "period" in message and "customer_definition" in message
    for call in (
        lambda: ws.cohorts(perod="month"),
        lambda: ws.rfm(unit="week"),
        lambda: ws.segments("rfm", asof="2024-01-01"),
        lambda: ws.clv(52, discount=0.1),
        lambda: ws.churn(limit=3),
        lambda: ws.churn_backtest(k=2),
    ):
        with pytest.raises(ConfigError, match="unknown keyword argument"):
            call()
