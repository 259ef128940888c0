"""Shape of the generated tables: canonical columns, types, keys, ids, time window, integrity."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from retentionkit.errors import ConfigError
from retentionkit.generate import TABLES, generate_business, generate_tables
from retentionkit.schema.contracts import CONTRACTS

from .conftest import END, START

TIME_COLUMNS = {
    "customers": ["signed_up_at"],
    "orders": ["ordered_at", "delivered_at"],
    "returns": ["returned_at"],
    "subscriptions": ["started_at"],
    "survey_responses": ["responded_at"],
    "acquisition_costs": ["incurred_on"],
    "tickets": ["opened_at", "resolved_at"],
}
ID_PATTERN = {
    "customers": r"C\d{6,}",
    "orders": r"O\d{7,}",
    "returns": r"R\d{7,}",
    "subscriptions": r"T\d{7,}",
    "survey_responses": r"SR\d{7,}",
    "acquisition_costs": r"AC\d{6,}",
    "tickets": r"TK\d{6,}",
}


@pytest.mark.parametrize("kind", ["both", "ecommerce", "saas"])
def test_every_table_has_the_canonical_columns_and_types(
    kind: str, request: pytest.FixtureRequest
) -> None:
    frames = request.getfixturevalue(kind)
    assert list(frames) == list(TABLES)
    for name, frame in frames.items():
        contract = CONTRACTS[name]
        assert frame.columns[: len(contract.names)].tolist() == contract.names, name
        for col in contract.columns:
            series = frame[col.name]
            if col.kind in ("id", "text"):
                assert pd.api.types.is_string_dtype(series), (name, col.name)
            elif col.kind == "timestamp":
                assert str(series.dtype) == "datetime64[us]", (name, col.name)
            elif col.kind == "money":
                assert series.dtype == np.float64
                assert np.allclose(series.dropna(), series.dropna().round(2), atol=1e-9, rtol=0)
            elif col.kind == "integer":
                assert series.dtype == np.int64
            else:
                assert series.dtype == np.float64
            if col.required:
                assert series.notna().all(), (name, col.name)
        key = frame[contract.primary_key]
        assert key.is_unique, name
        if len(key):
            assert key.str.fullmatch(ID_PATTERN[name]).all(), name


def test_extra_attributes(both: dict[str, pd.DataFrame]) -> None:
    assert {"plan"} <= set(both["customers"].columns)
    assert set(both["orders"]["category"].unique()) <= {
        "apparel",
        "electronics",
        "home",
        "beauty",
        "sports",
        "books",
    }


@pytest.mark.parametrize("kind", ["both", "ecommerce", "saas"])
def test_every_event_falls_inside_the_period(kind: str, request: pytest.FixtureRequest) -> None:
    frames = request.getfixturevalue(kind)
    for name, columns in TIME_COLUMNS.items():
        for col in columns:
            values = frames[name][col].dropna()
            if len(values):
                assert values.min() >= START, (name, col)
                assert values.max() < END, (name, col)
                assert (values.dt.microsecond == 0).all()


def test_kinds_fill_the_right_tables(
    ecommerce: dict[str, pd.DataFrame], saas: dict[str, pd.DataFrame]
) -> None:
    assert len(ecommerce["orders"]) > 0 and len(ecommerce["subscriptions"]) == 0
    assert "plan" not in ecommerce["customers"].columns
    assert len(saas["orders"]) == 0 and len(saas["returns"]) == 0
    assert set(saas["subscriptions"]["customer_id"]) == set(saas["customers"]["customer_id"])


def test_references_point_to_existing_rows(both: dict[str, pd.DataFrame]) -> None:
    customers = set(both["customers"]["customer_id"])
    for name in ("orders", "returns", "subscriptions", "tickets"):
        assert set(both[name]["customer_id"]) <= customers, name
    assert set(both["survey_responses"]["customer_id"].dropna()) <= customers
    orders = both["orders"].set_index("order_id")
    returns = both["returns"]
    assert (
        orders.loc[returns["order_id"], "customer_id"].to_numpy()
        == returns["customer_id"].to_numpy()
    ).all()


def test_customers_are_numbered_in_signup_order(both: dict[str, pd.DataFrame]) -> None:
    customers = both["customers"]
    assert customers["signed_up_at"].is_monotonic_increasing
    assert customers["customer_id"].iloc[0] == "C000001"
    assert both["orders"]["ordered_at"].is_monotonic_increasing
    assert both["orders"]["order_id"].iloc[0] == "O0000001"


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate_business(300, 12, seed=5, kind="both")
    b = generate_business(300, 12, seed=5, kind="both")
    c = generate_business(300, 12, seed=6, kind="both")
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["orders"]["amount"].equals(c["orders"]["amount"])


def test_kind_does_not_reshuffle_customers() -> None:
    a = generate_business(300, 12, seed=5, kind="both")["customers"]
    b = generate_business(300, 12, seed=5, kind="ecommerce")["customers"]
    pd.testing.assert_frame_equal(a.drop(columns="plan"), b)


def test_other_start_and_short_period() -> None:
    frames = generate_business(50, 1, seed=1, kind="both", start="2024-02-15")
    lo, hi = pd.Timestamp("2024-02-15"), pd.Timestamp("2024-03-15")
    assert frames["orders"]["ordered_at"].between(lo, hi, inclusive="left").all()
    assert frames["subscriptions"]["started_at"].between(lo, hi, inclusive="left").all()
    assert len(frames["acquisition_costs"]) == 10


def test_single_customer() -> None:
    tables = generate_tables(1, 3, seed=0, kind="both")
    assert tables["customers"].num_rows == 1
    assert tables["orders"].num_rows >= 1


def test_id_width_grows_with_the_count() -> None:
    from retentionkit.generate._util import format_ids, id_width, make_ids

    assert make_ids("C", 3, 6).to_pylist() == ["C000001", "C000002", "C000003"]
    width = id_width(12_345_678, 7)
    assert width == 8
    wide = format_ids("O", np.array([1, 12_345_678]), width).to_pylist()
    assert wide == ["O00000001", "O12345678"]
    assert format_ids("X", np.array([2**33]), 10).to_pylist() == ["X8589934592"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0}, "--customers must be at least 1, got 0."),
        ({"months": 0}, "--months must be between 1 and 600, got 0."),
        ({"months": 601}, "--months must be between 1 and 600, got 601."),
        ({"kind": "retail"}, "--kind 'retail' is not one of: ecommerce, saas, both."),
        ({"start": "yesterday"}, "--start 'yesterday' is not a date; expected YYYY-MM-DD"),
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        generate_business(**kwargs)  # type: ignore[arg-type]


def test_public_names_match_all() -> None:
    import retentionkit.generate as gen

    public = {n for n in vars(gen) if not n.startswith("_")} - {
        "annotations",
        "business",
        "params",
        "customers",
        "orders",
        "subscriptions",
        "feedback",
        "costs",
    }
    assert public == set(gen.__all__)
