"""Round trips: every table in every file format and every frame type comes back with the
documented types, money exact to the cent and timestamps in UTC; upserts are idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import pandas as pd
import pytest

from retentionkit.config import Settings
from retentionkit.errors import InputError
from retentionkit.schema.contracts import CONTRACTS, IBIS_TYPES, TABLE_NAMES
from retentionkit.workspace import Workspace

from .conftest import FORMATS, SAMPLES


def _expected(table: str, column: str, text: str):
    kind = CONTRACTS[table].column_by_name[column].kind
    if text == "":
        return None
    if kind == "money":
        return Decimal(text)
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "timestamp":
        return pd.Timestamp(text).to_pydatetime()
    return text


def _stored(ws: Workspace, table: str) -> pd.DataFrame:
    pk = CONTRACTS[table].primary_key
    return ws.table(table).execute().sort_values(pk).reset_index(drop=True)


def _norm(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, Decimal):
        return value.item()
    return value


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLE_NAMES)
def test_round_trip_every_table_and_format(tmp_path, write_rows, table, fmt):
    rows = SAMPLES[table]
    path = write_rows(rows, tmp_path / f"{table}.{fmt}", fmt)
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    report = ws.ingest(table, path)
    assert [(s.table, s.inserted, s.updated, s.unchanged) for s in report.tables] == [
        (table, 3, 0, 0)
    ]
    contract = CONTRACTS[table]
    schema = ws.table(table).schema()
    for column in contract.columns:
        assert schema[column.name] == ibis.dtype(IBIS_TYPES[column.kind]), column.name
    got = _stored(ws, table)
    want = sorted(rows, key=lambda r: r[contract.primary_key])
    for i, row in enumerate(want):
        for column, text in row.items():
            value = _norm(got[column].iloc[i])
            assert value == _expected(table, column, text), (column, text, value)
            if isinstance(value, Decimal):
                assert value.quantize(Decimal("0.01")) == Decimal(text)


def test_stored_timestamps_are_naive_utc_and_money_is_decimal(tmp_path, write_rows):
    path = write_rows(SAMPLES["orders"], tmp_path / "orders.csv", "csv")
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings(timezone="Europe/Warsaw"))
    ws.ingest("orders", path)
    got = _stored(ws, "orders")
    # 2024-01-05 10:00 in Warsaw (CET, UTC+1) is 09:00 UTC
    assert got["ordered_at"].iloc[0] == pd.Timestamp("2024-01-05 09:00:00")
    assert got["ordered_at"].dt.tz is None
    assert got["amount"].iloc[2] == Decimal("1234567.89")
    total = ws.table("orders").amount.sum().execute()
    assert Decimal(str(total)) == Decimal("1234587.98")


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_frames_pandas_polars_arrow(tmp_path, kind):
    frame = pd.DataFrame(
        {
            "order_id": [1, 2, 3],
            "customer_id": ["a", "b", "a"],
            "ordered_at": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-02", "2024-01-03"], format="ISO8601"
            ),
            "amount": [10.5, 0.1, 99.99],
            "quantity": [1, 2, 3],
            "country": ["PL", "DE", "PL"],
        }
    )
    if kind == "polars":
        import polars as pl

        source = pl.from_pandas(frame)
    elif kind == "arrow":
        import pyarrow as pa

        source = pa.Table.from_pandas(frame, preserve_index=False)
    else:
        source = frame
    ws = Workspace(":memory:", settings=Settings())
    report = ws.ingest("orders", source)
    assert report.tables[0].inserted == 3
    got = _stored(ws, "orders")
    assert got["order_id"].tolist() == ["1", "2", "3"]
    assert got["amount"].tolist() == [Decimal("10.5"), Decimal("0.1"), Decimal("99.99")]
    assert got["ordered_at"].iloc[0] == pd.Timestamp("2024-01-01 10:00")
    assert got["country"].tolist() == ["PL", "DE", "PL"]


def test_tz_aware_frame_is_converted_to_utc(tmp_path):
    frame = pd.DataFrame(
        {
            "order_id": ["1"],
            "customer_id": ["a"],
            "ordered_at": pd.to_datetime(["2024-07-01 12:00"]).tz_localize("Europe/Warsaw"),
            "amount": ["5"],
        }
    )
    ws = Workspace(":memory:", settings=Settings())
    ws.ingest("orders", frame)
    assert _stored(ws, "orders")["ordered_at"].iloc[0] == pd.Timestamp("2024-07-01 10:00")


# -- idempotency and updates ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_file_twice_changes_nothing(tmp_path, write_rows, fmt):
    path = write_rows(SAMPLES["orders"], tmp_path / f"orders.{fmt}", fmt)
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    ws.ingest("orders", path)
    before = _stored(ws, "orders")
    report = ws.ingest("orders", path)
    stats = report.tables[0]
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 0, 3)
    pd.testing.assert_frame_equal(_stored(ws, "orders"), before)
    assert "0 inserted, 0 updated, 3 unchanged" in report.summary()


def test_changed_amount_is_one_update(tmp_path, write_rows):
    rows = [dict(r) for r in SAMPLES["orders"]]
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    ws.ingest("orders", write_rows(rows, tmp_path / "a.csv", "csv"))
    rows[1]["amount"] = "0.11"
    rows.append(dict(rows[0], order_id="o4"))
    report = ws.ingest("orders", write_rows(rows, tmp_path / "b.csv", "csv"))
    stats = report.tables[0]
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 1, 2)
    got = _stored(ws, "orders")
    assert got.set_index("order_id").loc["o2", "amount"] == Decimal("0.11")
    assert len(got) == 4


def test_file_without_optional_column_keeps_stored_values(tmp_path, write_rows):
    rows = SAMPLES["orders"]
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    ws.ingest("orders", write_rows(rows, tmp_path / "full.csv", "csv"))
    slim = [
        {k: v for k, v in r.items() if k not in ("delivered_at", "channel", "quantity")}
        for r in rows
    ]
    slim[0]["amount"] = "20.00"
    report = ws.ingest("orders", write_rows(slim, tmp_path / "slim.csv", "csv"))
    stats = report.tables[0]
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 2)
    got = _stored(ws, "orders").set_index("order_id")
    assert got.loc["o1", "delivered_at"] == pd.Timestamp("2024-01-07 12:30:00")
    assert got.loc["o1", "channel"] == "web"
    assert got.loc["o1", "quantity"] == 2
    assert got.loc["o1", "amount"] == Decimal("20.00")


def test_extra_attributes_are_kept_and_new_ones_added(tmp_path, write_rows):
    rows = [dict(r, Country="PL", zip="00950") for r in SAMPLES["customers"]]
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    ws.ingest("customers", write_rows(rows, tmp_path / "c.csv", "csv"))
    got = _stored(ws, "customers").set_index("customer_id")
    assert got.loc["c1", "zip"] == "00950"  # leading zeros: kept as text
    more = [dict(r, segment="vip", score=str(i)) for i, r in enumerate(SAMPLES["customers"])]
    ws.ingest("customers", write_rows(more, tmp_path / "d.csv", "csv"))
    got = _stored(ws, "customers").set_index("customer_id")
    assert got.loc["c1", "segment"] == "vip"
    assert got.loc["c1", "zip"] == "00950"  # not erased by a file without it
    assert got["score"].dtype == "float64"


def test_identical_duplicate_rows_collapse(tmp_path, write_rows):
    rows = SAMPLES["orders"] + [SAMPLES["orders"][0]]
    ws = Workspace(":memory:", settings=Settings())
    report = ws.ingest("orders", write_rows(rows, tmp_path / "o.csv", "csv"))
    assert report.tables[0].inserted == 3


# -- mapping -------------------------------------------------------------------------------


def _user_orders(path: Path) -> Path:
    path.write_text(
        "InvoiceNo,CustomerID,InvoiceDate,Total,Store\n"
        "1,c1,2024-01-01 10:00,10.00,north\n"
        "2,c2,2024-01-02 11:00,20.50,south\n",
        encoding="utf-8",
    )
    return path


def test_mapping_argument(tmp_path):
    ws = Workspace(":memory:", settings=Settings())
    ws.ingest(
        "orders",
        _user_orders(tmp_path / "o.csv"),
        mapping={
            "InvoiceNo": "order_id",
            "CustomerID": "customer_id",
            "InvoiceDate": "ordered_at",
            "Total": "amount",
        },
    )
    got = _stored(ws, "orders")
    assert got["customer_id"].tolist() == ["c1", "c2"]
    assert got["store"].tolist() == ["north", "south"]


def test_mapping_from_config(tmp_path):
    settings = Settings(
        mapping={
            "orders": {
                "InvoiceNo": "order_id",
                "CustomerID": "customer_id",
                "InvoiceDate": "ordered_at",
                "Total": "amount",
                "NotInThisFile": "channel",
            }
        }
    )
    ws = Workspace(":memory:", settings=settings)
    ws.ingest("orders", _user_orders(tmp_path / "o.csv"))
    assert _stored(ws, "orders")["amount"].tolist() == [Decimal("10.00"), Decimal("20.50")]


def test_mapping_source_not_in_file_is_clear(tmp_path):
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(InputError, match=r"o\.csv: column 'Nope' named in --map is not in the"):
        ws.ingest("orders", _user_orders(tmp_path / "o.csv"), mapping={"Nope": "order_id"})


def test_missing_required_column_names_the_fix(tmp_path):
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(InputError, match=r"required column 'order_id' is missing.*--map"):
        ws.ingest("orders", _user_orders(tmp_path / "o.csv"))


# -- time zones ------------------------------------------------------------------------------


def _times(tmp_path: Path, values: list[str], **kwargs) -> list[pd.Timestamp]:
    path = tmp_path / "t.csv"
    lines = ["ticket_id,customer_id,opened_at"]
    lines += [f"t{i},c,{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = Workspace(":memory:", settings=Settings(timezone="Europe/Warsaw"))
    ws.ingest("tickets", path, **kwargs)
    got = ws.table("tickets").execute()
    got["n"] = got["ticket_id"].str[1:].astype(int)
    return got.sort_values("n")["opened_at"].tolist()


def test_naive_timestamps_read_in_configured_zone(tmp_path):
    got = _times(tmp_path, ["2024-01-15 12:00:00", "2024-07-15 12:00:00"])
    assert got == [pd.Timestamp("2024-01-15 11:00"), pd.Timestamp("2024-07-15 10:00")]


def test_offsets_are_honoured(tmp_path):
    got = _times(
        tmp_path,
        ["2024-07-15T12:00:00Z", "2024-07-15T12:00:00+02:00", "2024-07-15 12:00:00-0500"],
    )
    assert got == [
        pd.Timestamp("2024-07-15 12:00"),
        pd.Timestamp("2024-07-15 10:00"),
        pd.Timestamp("2024-07-15 17:00"),
    ]


def test_bare_date_is_local_midnight(tmp_path):
    got = _times(tmp_path, ["2024-01-15", "2024-07-15", "20240716"])
    assert got == [
        pd.Timestamp("2024-01-14 23:00"),
        pd.Timestamp("2024-07-14 22:00"),
        pd.Timestamp("2024-07-15 22:00"),
    ]


def test_dst_edges(tmp_path):
    got = _times(
        tmp_path,
        [
            "2024-03-31 01:59:59",  # last second of CET
            "2024-03-31 02:30:00",  # does not exist: moved forward to 03:00 CEST
            "2024-03-31 03:00:00",  # first CEST hour
            "2024-10-27 02:30:00",  # happens twice: read as the second (standard time)
            "2024-10-27 03:00:00",
        ],
    )
    assert got == [
        pd.Timestamp("2024-03-31 00:59:59"),
        pd.Timestamp("2024-03-31 01:00:00"),
        pd.Timestamp("2024-03-31 01:00:00"),
        pd.Timestamp("2024-10-27 01:30:00"),
        pd.Timestamp("2024-10-27 02:00:00"),
    ]


def test_timezone_and_date_format_options(tmp_path):
    got = _times(
        tmp_path,
        ["15-01-2024 12:00", "31-07-2024 00:00"],
        date_format="%d-%m-%Y %H:%M",
        timezone="America/New_York",
    )
    assert got == [pd.Timestamp("2024-01-15 17:00"), pd.Timestamp("2024-07-31 04:00")]


def test_date_format_without_time_is_not_mistaken_for_an_offset(tmp_path):
    got = _times(tmp_path, ["15-01-2024"], date_format="%d-%m-%Y")
    assert got == [pd.Timestamp("2024-01-14 23:00")]


def test_python_datetime_objects(tmp_path):
    frame = pd.DataFrame(
        {
            "ticket_id": ["1", "2"],
            "customer_id": ["a", "b"],
            "opened_at": [dt.date(2024, 1, 15), dt.datetime(2024, 1, 15, 12, 0)],
        }
    )
    ws = Workspace(":memory:", settings=Settings(timezone="Europe/Warsaw"))
    ws.ingest("tickets", frame)
    got = ws.table("tickets").order_by("ticket_id").execute()["opened_at"].tolist()
    assert got == [pd.Timestamp("2024-01-14 23:00"), pd.Timestamp("2024-01-15 11:00")]
