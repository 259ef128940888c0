"""RFM summary (retentionkit.clv.rfm) checked against outside truth.

* CDNOW: the published calibration summary (x, t_x, T, zbar; 2 decimals) from the raw
  transactions, exactly;
* generated data: an independent pandas re-implementation of lifetimes'
  ``summary_data_from_transaction_data`` / ``calibration_and_holdout_data`` (freq "D",
  freq_multiplier = days per unit), on day-floored timestamps;
* the CLI in both formats and its error sentences.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.cli.app import main
from retentionkit.clv.rfm import DAYS_PER_UNIT, rfm_expr, rfm_summary
from retentionkit.errors import ConfigError, MissingTableError
from retentionkit.workspace import Workspace

DATA = Path(__file__).resolve().parent.parent / "data" / "cdnow"
CDNOW_COLUMNS = "customer_id,customer_index,ordered_at,quantity,amount"


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb"
    code = main(
        [
            "--db",
            str(db),
            "ingest",
            "orders",
            str(DATA / "CDNOW_sample.txt"),
            "--delimiter",
            "whitespace",
            "--no-header",
            "--columns",
            CDNOW_COLUMNS,
            "--generate-id",
        ]
    )
    assert code == 0
    return db


@pytest.fixture(scope="module")
def generated() -> tuple[Workspace, pd.DataFrame]:
    from retentionkit.generate import generate_business

    orders = generate_business(customers=1000, months=18, seed=3)["orders"]
    ws = Workspace(":memory:")
    ws.ingest("orders", orders)
    return ws, orders


def _half_up(value: float) -> float:
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_same_as_published_cdnow_summary(cdnow_db: Path) -> None:
    ws = Workspace(cdnow_db)
    got = rfm_summary(ws, time_unit="week", observation_end="1997-09-30")
    index = ws.table("orders").select("customer_id", "customer_index").distinct().execute()
    got = got.merge(index, on="customer_id")
    got["ID"] = got["customer_index"].astype(int)
    ref = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    both = ref.merge(got, on="ID", suffixes=("_ref", ""), validate="one_to_one")
    assert len(both) == len(ref) == len(got) == 2357
    assert (both["x"] == both["frequency"]).all()
    for ref_col, col in (("t_x", "recency"), ("T_ref", "T"), ("zbar", "monetary_value")):
        rounded = both[col].map(_half_up)
        assert (rounded - both[ref_col]).abs().max() < 1e-9, col
    assert int(both["frequency"].sum()) == 2457


def test_cdnow_via_cli_json(cdnow_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--db",
            str(cdnow_db),
            "rfm",
            "--time-unit",
            "week",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2357
    first = next(r for r in rows if r["customer_id"] == "00004")
    assert first["frequency"] == 2
    assert round(first["recency"], 2) == 30.43
    assert round(first["T"], 2) == 38.86
    assert first["monetary_value"] == pytest.approx(22.345)


def _lifetimes_summary(tx: pd.DataFrame, end: pd.Timestamp, mult: float) -> pd.DataFrame:
    """lifetimes' summary_data_from_transaction_data, freq="D", on day-floored data."""
    tx = tx[tx["date"] <= end]
    daily = tx.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    daily = daily.sort_values(["customer_id", "date"])
    daily["first"] = ~daily.duplicated("customer_id")
    agg = daily.groupby("customer_id")["date"].agg(["min", "max", "count"])
    out = pd.DataFrame(index=agg.index)
    out["frequency"] = agg["count"] - 1
    out["recency"] = (agg["max"] - agg["min"]).dt.days / mult
    out["T"] = (end - agg["min"]).dt.days / mult
    repeat = daily.loc[~daily["first"]].groupby("customer_id")["amount"].mean()
    out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    return out


def _lifetimes_holdout(
    tx: pd.DataFrame, cal: pd.Timestamp, obs: pd.Timestamp, mult: float
) -> pd.DataFrame:
    """lifetimes' calibration_and_holdout_data with monetary values, freq="D"."""
    out = _lifetimes_summary(tx[tx["date"] <= cal], cal, mult)
    held = tx[(tx["date"] > cal) & (tx["date"] <= obs)]
    freq = held.groupby(["customer_id", "date"]).size().groupby(level="customer_id").count()
    out["frequency_holdout"] = freq.reindex(out.index).fillna(0)
    money = held.groupby("customer_id")["amount"].mean()
    out["monetary_value_holdout"] = money.reindex(out.index).fillna(0.0)
    out["duration_holdout"] = (obs - cal).days / mult
    return out


def _transactions(orders: pd.DataFrame) -> pd.DataFrame:
    tx = orders[["customer_id", "ordered_at", "amount"]].copy()
    tx["date"] = pd.to_datetime(tx["ordered_at"]).dt.floor("D")
    tx["amount"] = tx["amount"].astype(float)
    return tx


def _compare(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = got.set_index("customer_id").sort_index()
    ref = ref.sort_index()
    assert list(got.index) == list(ref.index)
    for col in ref.columns:
        np.testing.assert_allclose(
            got[col].to_numpy(float),
            ref[col].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=col,
        )


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_same_as_lifetimes_definition_on_generated_data(
    generated: tuple[Workspace, pd.DataFrame], unit: str
) -> None:
    ws, orders = generated
    end = pd.Timestamp("2024-02-15")
    got = rfm_summary(ws, time_unit=unit, observation_end="2024-02-15")
    _compare(got, _lifetimes_summary(_transactions(orders), end, DAYS_PER_UNIT[unit]))


def test_default_observation_end_is_last_order_day(
    generated: tuple[Workspace, pd.DataFrame],
) -> None:
    ws, orders = generated
    tx = _transactions(orders)
    got = ws.rfm(time_unit="day")
    _compare(got, _lifetimes_summary(tx, tx["date"].max(), 1.0))
    assert got["recency"].max() <= got["T"].max()


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_holdout_columns_same_as_lifetimes_definition(
    generated: tuple[Workspace, pd.DataFrame], unit: str
) -> None:
    ws, orders = generated
    cal, obs = pd.Timestamp("2023-12-31"), pd.Timestamp("2024-06-30")
    got = rfm_summary(ws, unit, observation_end="2024-06-30", calibration_end="2023-12-31")
    assert list(got.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    ref = _lifetimes_holdout(_transactions(orders), cal, obs, DAYS_PER_UNIT[unit])
    _compare(got, ref)
    assert got["frequency_holdout"].sum() > 0


def test_orders_on_the_observation_end_day_count() -> None:
    ws = Workspace(":memory:")
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["a", "b", "c", "d"],
                "customer_id": ["1", "1", "1", "1"],
                "ordered_at": pd.to_datetime(
                    ["2024-01-01 10:00", "2024-01-08 09:00", "2024-01-08 20:00", "2024-01-15 23:59"]
                ),
                "amount": [10.0, 5.0, 7.0, 30.0],
            }
        ),
    )
    got = ws.rfm(time_unit="week", observation_end="2024-01-15").iloc[0]
    assert got["frequency"] == 2
    assert got["recency"] == pytest.approx(2.0)
    assert got["T"] == pytest.approx(2.0)
    assert got["monetary_value"] == pytest.approx((12.0 + 30.0) / 2)
    before = ws.rfm(time_unit="day", observation_end="2024-01-14").iloc[0]
    assert before["frequency"] == 1 and before["T"] == pytest.approx(13.0)


def test_is_one_lazy_expression(generated: tuple[Workspace, pd.DataFrame]) -> None:
    import ibis

    ws, _ = generated
    expr = rfm_expr(ws, "week", observation_end="2024-01-01", calibration_end="2023-06-30")
    sql = ibis.to_sql(expr)
    assert "orders" in sql and "frequency_holdout" in sql


def test_bad_input_is_one_sentence() -> None:
    ws = Workspace(":memory:")
    with pytest.raises(MissingTableError, match="ingest it first"):
        rfm_summary(ws)
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["a"],
                "customer_id": ["1"],
                "ordered_at": pd.to_datetime(["2024-01-01"]),
                "amount": [1.0],
            }
        ),
    )
    with pytest.raises(ConfigError, match="--time-unit 'year' is not one of: day, week, month"):
        rfm_summary(ws, time_unit="year")
    with pytest.raises(ConfigError, match="must be before --observation-end"):
        rfm_summary(ws, observation_end="2024-01-01", calibration_end="2024-02-01")
    with pytest.raises(ConfigError, match="is not a date"):
        rfm_summary(ws, observation_end="tomorrow-ish")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["rfm", "--time-unit", "fortnight"], "--time-unit 'fortnight' is not one of"),
        (["rfm", "--observation-end", "1997-13-45"], "is not a date"),
        # rfm accepts table since issue 10 (docs/cli.md); an unknown format is still refused
        (["rfm", "--format", "xml"], "--format 'xml' is not one of: table, csv, json"),
        (
            ["rfm", "--observation-end", "1997-03-01", "--calibration-end", "1997-04-01"],
            "must be before --observation-end",
        ),
    ],
)
def test_cli_bad_input(
    cdnow_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code = main(["--db", str(cdnow_db), *args])
    err = capsys.readouterr().err
    assert code != 0
    assert needle in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_cli_missing_orders_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.duckdb"
    Workspace(db).con.disconnect()
    code = main(["--db", str(db), "rfm"])
    err = capsys.readouterr().err
    assert code == MissingTableError.exit_code
    assert "orders" in err and err.count("\n") == 1


def test_cli_csv_with_holdout(cdnow_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--db",
            str(cdnow_db),
            "rfm",
            "--calibration-end",
            "1997-09-30",
            "--observation-end",
            "1998-06-30",
            "--format",
            "csv",
        ]
    )
    assert code == 0
    import io

    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"customer_id": str})
    assert len(frame) == 2357
    assert frame["duration_holdout"].iloc[0] == pytest.approx(273 / 7)
    assert frame["frequency_holdout"].sum() > 0


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),  # customer
            st.integers(0, 40),  # day
            st.integers(0, 10**10),  # amount in ten-thousandths (decimal(18, 4))
        ),
        min_size=1,
        max_size=60,
    )
)
def test_spend_is_the_exact_decimal_mean_on_every_run(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, int, int]]
) -> None:
    """monetary_value (and the holdout's) equal the exact decimal computation to the last
    bits of a double (a division): the parallel float sums are rounded back to the amounts'
    4 decimals (rfm.MONEY_DIGITS) before it, so two runs give the same bits."""
    db = tmp_path_factory.mktemp("spend") / "ws.duckdb"
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [f"c{c}" for c, _, _ in rows],
            "ordered_at": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=d) for _, d, _ in rows],
            "amount": [Decimal(a).scaleb(-4) for _, _, a in rows],
        }
    )
    ws = Workspace(db)
    ws.ingest("orders", orders)
    got = rfm_summary(ws, "day").set_index("customer_id")
    again = rfm_summary(ws, "day").set_index("customer_id")
    assert (
        got["monetary_value"].to_numpy().tobytes() == again["monetary_value"].to_numpy().tobytes()
    )
    days: dict[str, dict[int, Decimal]] = {}
    for c, d, a in rows:
        day = days.setdefault(f"c{c}", {})
        day[d] = day.get(d, Decimal(0)) + Decimal(a).scaleb(-4)
    for customer, per_day in days.items():
        values = [per_day[d] for d in sorted(per_day)]
        repeats = len(values) - 1
        exact = (sum(values[1:], Decimal(0)) / repeats) if repeats else Decimal(0)
        assert math.isclose(got.loc[customer, "monetary_value"], exact, rel_tol=1e-15), customer
    cal = pd.Timestamp("2024-01-21")
    end = pd.Timestamp("2024-02-10").date()  # day 40: after every order
    held = rfm_summary(ws, "day", end, cal.date()).set_index("customer_id")
    for customer in held.index:
        later = [Decimal(a).scaleb(-4) for c, d, a in rows if f"c{c}" == customer and d > 20]
        exact = sum(later, Decimal(0)) / len(later) if later else Decimal(0)
        value = held.loc[customer, "monetary_value_holdout"]
        assert math.isclose(value, exact, rel_tol=1e-15), customer
    ws.close()


def test_spend_has_the_same_bits_on_every_run_of_a_parallel_aggregation(
    tmp_path: Path,
) -> None:
    """Enough orders for DuckDB to aggregate on several threads: its float sums then add in an
    order that changes between runs; the summary's spend must not (rfm.MONEY_DIGITS)."""
    rng = np.random.default_rng(7)
    n = 600_000
    orders = pd.DataFrame(
        {
            "order_id": np.char.add("o", np.arange(n).astype(str)),
            "customer_id": np.char.add("c", rng.integers(0, 30_000, n).astype(str)),
            "ordered_at": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "amount": (rng.integers(1, 5_000_000, n) / 10_000).round(4),
        }
    )
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.ingest("orders", orders)
    runs = [rfm_summary(ws, "week") for _ in range(4)]
    held = [rfm_summary(ws, "week", calibration_end="2024-06-01") for _ in range(3)]
    ws.close()
    for frame in runs[1:]:
        assert frame["monetary_value"].to_numpy().tobytes() == (
            runs[0]["monetary_value"].to_numpy().tobytes()
        )
    for frame in held[1:]:
        for column in ("monetary_value", "monetary_value_holdout"):
            assert frame[column].to_numpy().tobytes() == held[0][column].to_numpy().tobytes()
