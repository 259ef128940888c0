"""The registry is the single source of a KPI: every name a formula reads is declared (by the
metric's inputs and derived components, and by its family), every family is declared, the
default health bands, calc inputs and labels live in the specs, and ``applicable_metrics``
answers which metrics a workspace allows."""

from __future__ import annotations

import inspect
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.config import Settings, load_settings
from retentionkit.errors import ConfigError
from retentionkit.metrics import engine
from retentionkit.metrics.calculator import calculate
from retentionkit.metrics.families import FAMILIES
from retentionkit.metrics.registry import (
    CALC_METRIC_NAMES,
    METRIC_NAMES,
    REGISTRY,
    FormulaContext,
    MetricSpec,
    applicable_metrics,
    default_definition,
    default_health_bands,
    get_metric,
    resolve_definition,
)

#: Every request context a formula can see: definition × churn basis × CLV model × period.
CONTEXTS = [
    FormulaContext(period=p, definition=d, churn_basis=b, margin=0.5, clv_model=m)
    for p, d, b, m in itertools.product(
        ("week", "month"), ("activity", "contractual"), ("start", "end"), (None, "bgnbd")
    )
]
STRINGS = {"survey": "pulse", "basis": "quantity"}


def _frame(columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Two rows holding exactly ``columns`` (numbers, or the value a text/dict column has)."""
    data: dict[str, object] = {}
    for col in columns:
        if col in STRINGS:
            data[col] = [STRINGS[col]] * 2
        elif col == "costs_by_category":
            data[col] = [{"ads": 1.0}, {"ads": 2.0}]
        else:
            data[col] = np.array([3.0, 4.0])
    return pd.DataFrame(data)


def _derive(spec: MetricSpec, frame: pd.DataFrame, ctx: FormulaContext) -> pd.DataFrame:
    frame = frame.copy()
    for derived in spec.derived:
        frame[derived.name] = np.broadcast_to(
            np.asarray(derived.formula(frame, ctx), dtype="float64"), len(frame)
        )
    return frame


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_inputs_are_declared_by_the_family(name: str) -> None:
    spec = get_metric(name)
    family = FAMILIES[spec.family]
    assert set(spec.inputs) <= set(family.columns), set(spec.inputs) - set(family.columns)
    derived = [d.name for d in spec.derived]
    assert len(set(spec.components)) == len(spec.components), "a component is listed twice"
    assert not set(derived) & set(family.columns), "a derived name shadows a family component"


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_formulas_read_only_declared_names(name: str) -> None:
    """Derived components read only what the family declares; the formula reads only the
    metric's inputs and derived components (a KeyError names an undeclared read)."""
    spec = get_metric(name)
    family = FAMILIES[spec.family]
    for ctx in CONTEXTS:
        full = _derive(spec, _frame(family.columns), ctx)  # KeyError: not declared by family
        own = full[[*spec.inputs, *(d.name for d in spec.derived)]]
        values = np.asarray(spec.formula(own, ctx), dtype="float64")
        assert values.shape in ((), (2,)), (name, ctx)


def test_every_family_is_declared_once_with_its_tables() -> None:
    for spec in REGISTRY.values():
        assert spec.family in FAMILIES
        assert spec.tables == FAMILIES[spec.family].requires
    for name, family in FAMILIES.items():
        assert family.name == name
        assert family.produces, name
        assert set(family.nullable) <= set(family.columns), name
        assert set(family.constants) <= set(family.columns), name


def test_the_engine_has_no_branch_on_a_metric_name() -> None:
    source = inspect.getsource(engine)
    quoted = [n for n in METRIC_NAMES if f'"{n}"' in source or f"'{n}'" in source]
    assert quoted == []


def test_spec_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        MetricSpec("x", "X", "x", "count", "orders", ("orders",), lambda d, c: 0)  # type: ignore[misc]


def test_labels_are_short_and_unique() -> None:
    labels = [spec.label for spec in REGISTRY.values()]
    assert all(0 < len(label) <= 40 for label in labels)
    assert len(set(labels)) == len(labels)


def test_default_health_bands_come_from_the_specs() -> None:
    bands = default_health_bands()
    assert Settings().health_bands() == bands and Settings().health == {}
    assert bands["crr"].good == 90 and bands["churn_rate"].poor == 25
    assert set(bands) == {n for n, s in REGISTRY.items() if s.health_band is not None}
    assert not hasattr(Settings(), "health_band")


def test_health_overrides_replace_one_band(tmp_path: Path) -> None:
    path = tmp_path / "retentionkit.toml"
    path.write_text("[health]\ncrr = { good = 95, poor = 80 }\n", encoding="utf-8")
    bands = load_settings(path).health_bands()
    assert bands["crr"].good == 95
    assert bands["nps"] == default_health_bands()["nps"]


def test_calc_inputs_are_consistent() -> None:
    assert CALC_METRIC_NAMES == (
        "crr",
        "churn_rate",
        "repeat_purchase_rate",
        "clv",
        "nps",
        "csat",
        "mrr",
        "cac",
        "renewal_rate",
    )
    for name in CALC_METRIC_NAMES:
        spec = get_metric(name)
        names = [i.name for i in spec.calc_inputs]
        assert len(set(names)) == len(names), name
        for calc_input in spec.calc_inputs:
            assert calc_input.help.endswith("."), (name, calc_input.name)
            assert calc_input.at_most in (None, *names), (name, calc_input.name)


def test_resolve_definition() -> None:
    assert resolve_definition("activity", ["subscriptions"]) == "contractual"
    assert resolve_definition("activity", ["orders", "subscriptions"]) == "activity"
    assert resolve_definition("contractual", ["orders"]) == "contractual"
    assert resolve_definition("activity", []) == "activity"


def test_applicable_metrics_for_a_subscriptions_only_workspace(saas_ws) -> None:
    ws, _ = saas_ws
    assert "orders" not in ws.tables()
    names = applicable_metrics(ws.tables(), default_definition(ws))
    for name in ("crr", "churn_rate", "active_customers", "new_customers", "clv", "mrr", "nrr"):
        assert name in names
    assert "revenue" not in names and "average_order_value" not in names
    assert list(names) == [n for n in METRIC_NAMES if n in names]  # registry order


def test_applicable_metrics_follow_the_tables() -> None:
    shop = applicable_metrics(["orders"], "activity")
    assert {"crr", "revenue", "clv", "purchase_frequency"} <= set(shop)
    assert not {"mrr", "nps", "cac", "return_rate"} & set(shop)
    assert "return_rate" in applicable_metrics(["orders", "returns"], "activity")
    assert applicable_metrics(["orders"], "contractual") == tuple(
        n for n in shop if "@customers" not in get_metric(n).tables
    )
    assert applicable_metrics([], "activity") == ()


def test_engine_default_list_is_applicable_metrics(saas_ws) -> None:
    ws, _ = saas_ws
    frame = ws.metrics(period="quarter", start="2024-01-01", end="2024-07-01")
    assert set(frame["metric"]) == set(applicable_metrics(ws.tables(), default_definition(ws)))


@settings(max_examples=200, deadline=None)
@given(
    metric=st.sampled_from(CALC_METRIC_NAMES),
    numbers=st.dictionaries(
        st.sampled_from(
            sorted({i.name for n in CALC_METRIC_NAMES for i in get_metric(n).calc_inputs})
        ),
        st.floats(allow_nan=True, allow_infinity=True, width=32),
        max_size=6,
    ),
)
def test_calc_answers_a_value_or_one_sentence(metric: str, numbers: dict[str, float]) -> None:
    """Any numbers for any calc metric: a value (or null), or a ConfigError sentence naming a
    flag — never another exception."""
    given: dict[str, object] = {
        k: [v] if any(i.repeatable and i.name == k for i in get_metric(metric).calc_inputs) else v
        for k, v in numbers.items()
    }
    try:
        result = calculate(metric, given)
    except ConfigError as exc:
        message = str(exc)
        assert message.endswith(".") and "--" in message and "\n" not in message
    else:
        assert result["value"] is None or not math.isnan(result["value"])
