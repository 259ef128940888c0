"""The engine ingest (schema/engine_ingest.py) against the pandas ingest as the independent check.

For random files mixing clean values with every awkward form a user's export holds (padding,
NA words, offsets, 8-digit dates, exponents, negative amounts, fractions, repeated keys,
leading-zero codes …), loading through the engine path and through the pandas path
(``RETENTIONKIT_ENGINE_INGEST=off``) must give the same outcome: the same refusal sentence, or
the same report and the same stored table — after a first load and after an upsert on top.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from retentionkit.config import Settings
from retentionkit.errors import InputError
from retentionkit.schema import engine_ingest
from retentionkit.service import IngestRequest, run
from retentionkit.workspace import Workspace

IDS = ["o1", "o2", "o3", "o4", "o5", " o6", "o7 ", "NA", "", "12", "007", "o\u00a08", "é9"]
CUSTOMERS = ["c1", "c2", "c3", " c4", "null", "", "42", "ç5"]
TIMES = [
    "2024-01-05 10:00:00",
    "2024-02-10",
    "2024-03-01T23:59:59",
    "2024-03-01 23:59:59.123456",
    "2024-03-01 10:00",
    "20240105",
    "2024-01-05 10:00:00+02:00",
    "2024-01-05T10:00:00Z",
    "2024-02-30",
    "1850-01-01",
    "2024-1-5",
    " 2024-01-05",
    "",
    "24:00",
]
AMOUNTS = ["19.99", "0", "0.10", "1234567.89", "5", "-3", "1e3", "12.34567", ".5", "+7", "", "NaN"]
AMOUNTS += ["99999999999999.9999", "123456789012345", "abc", "1,5"]
QUANTITIES = ["1", "2", "0", "-1", "1.5", "3.0", "", "007", "9007199254740993", "x"]
CHANNELS = ["web", "shop", "", " web", "NA", "app"]
EXTRAS = ["1", "2.5", "0012", "x", "", "NA", "-4", "1e2", " 7", "true"]


@st.composite
def order_rows(draw: st.DrawFn, ids: list[str]) -> list[dict[str, str]]:
    n = draw(st.integers(1, 6))
    clean = draw(st.booleans())  # half the files are clean: the engine path must take them
    rows = []
    for i in range(n):
        pick = (
            (lambda pool, good: good) if clean else (lambda pool, good: draw(st.sampled_from(pool)))
        )
        rows.append(
            {
                "order_id": pick(ids, f"o{i}") if not clean else draw(st.sampled_from(ids[:5])),
                "customer_id": pick(CUSTOMERS, f"c{i % 3}"),
                "ordered_at": pick(TIMES, f"2024-0{1 + i % 9}-0{1 + i % 9} 10:00:00"),
                "amount": pick(AMOUNTS, f"{i}.5"),
                "quantity": pick(QUANTITIES, str(i % 4)),
                "delivered_at": pick(TIMES + [""] * 4, ""),
                "channel": pick(CHANNELS, "web"),
                "Extra Code": pick(EXTRAS, str(i)),
            }
        )
    if clean:  # unique keys
        for i, row in enumerate(rows):
            row["order_id"] = f"o{i}"
    drop = draw(st.sets(st.sampled_from(["quantity", "delivered_at", "channel", "Extra Code"])))
    return [{k: v for k, v in row.items() if k not in drop} for row in rows]


def _write(rows: list[dict[str, str]], folder: Path, name: str, form: str) -> Path:
    frame = pd.DataFrame(rows)
    if form in ("csv", "csv_quoted"):  # quoted: every field and the header in quotes
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL if form == "csv_quoted" else None)
    else:  # Parquet: typed where the text allows, as a database export would be
        path = folder / f"{name}.parquet"
        columns = {}
        for col in frame.columns:
            values = list(frame[col])
            columns[col] = _typed(col, values)
        pq.write_table(pa.table(columns), path)
    return path


def _typed(col: str, values: list[str]) -> pa.Array:
    if col in ("ordered_at", "delivered_at"):
        try:
            parsed = [None if v == "" else dt.datetime.fromisoformat(v) for v in values]
            if all(p is None or p.tzinfo is None for p in parsed):
                return pa.array(parsed, type=pa.timestamp("us"))
        except ValueError:
            pass
    if col == "amount":
        try:
            decimals = [None if v == "" else Decimal(v) for v in values]
            if all(d is None or (d.is_finite() and abs(d) < 10**13) for d in decimals):
                return pa.array(
                    [None if d is None else d.quantize(Decimal("0.0001")) for d in decimals],
                    type=pa.decimal128(18, 4),
                )
        except ArithmeticError:
            pass
    if col == "quantity":
        try:
            return pa.array([None if v == "" else int(v) for v in values], type=pa.int64())
        except ValueError:
            pass
    return pa.array(values, type=pa.string())


def _load(db: Path, path: Path, engine: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("RETENTIONKIT_ENGINE_INGEST", "on" if engine else "off")
    with Workspace(db, settings=Settings()) as ws:
        try:
            report = run(ws, IngestRequest("orders", path)).report
        except InputError as exc:
            return ("refused", str(exc))
        return ("loaded", report.as_dict()["tables"], report.validated_by)


def _table(db: Path) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    if not db.exists():
        return [], []
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "orders" not in tables:
            return [], []
        schema = [(r[0], r[1]) for r in con.execute("DESCRIBE orders").fetchall()]
        rows = con.execute("SELECT * FROM orders ORDER BY order_id").fetchall()
        return schema, rows
    finally:
        con.close()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=order_rows(IDS),
    second=order_rows(IDS),
    forms=st.tuples(*[st.sampled_from(["csv", "csv_quoted", "parquet"])] * 2),
)
def test_engine_path_equals_pandas_path(
    first: list[dict[str, str]],
    second: list[dict[str, str]],
    forms: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [
            _write(first, folder, "first", forms[0]),
            _write(second, folder, "second", forms[1]),
        ]
        outcomes = {}
        for engine in (True, False):
            db = folder / f"{'engine' if engine else 'pandas'}.duckdb"
            results = [_load(db, f, engine, monkeypatch) for f in files]
            outcomes[engine] = (results, _table(db))
        (eng_results, eng_table), (pd_results, pd_table) = outcomes[True], outcomes[False]
        for got, want in zip(eng_results, pd_results, strict=True):
            assert got[:2] == want[:2]  # same refusal sentence, or the same counts
            event(f"{got[0]} by {got[2] if got[0] == 'loaded' else 'pandas'}")
        assert eng_table == pd_table


def test_clean_files_take_the_engine_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above cannot pass vacuously: clean CSV and Parquet files are written by
    DuckDB, an upsert on top too, and a bad value still gets the pandas path's sentence."""
    rows = [
        {
            "order_id": f"o{i}",
            "customer_id": f"c{i % 3}",
            "ordered_at": f"2024-01-0{i + 1}",
            "amount": f"{i}.25",
            "quantity": str(i),
            "Extra Code": "0012" if i else "7",
        }
        for i in range(4)
    ]
    db = tmp_path / "w.duckdb"
    for form in ("csv", "parquet"):
        path = _write(rows, tmp_path, f"clean_{form}", form)
        outcome = _load(db, path, True, monkeypatch)
        assert outcome[0] == "loaded" and outcome[2] == "duckdb", outcome
    rows[1]["amount"] = "-2"
    bad = _write(rows, tmp_path, "bad", "csv")
    before = _table(db)
    refused = _load(db, bad, True, monkeypatch)
    assert refused == (
        "refused",
        "bad.csv, line 3, column amount: '-2' is not valid; expected an amount of 0 or more "
        "(load refunds into the returns table).",
    )
    assert _table(db) == before


def test_plan_declines_what_it_does_not_cover(tmp_path: Path) -> None:
    from retentionkit.schema.validate import IngestOptions

    path = _write(
        [{"order_id": "o1", "customer_id": "c1", "ordered_at": "2024-01-01"}], tmp_path, "o", "csv"
    )
    covered = engine_ingest.plan("orders", path, IngestOptions(), Settings())
    assert covered is not None
    for options, table, conf in [
        (IngestOptions(line_items=True), "orders", Settings()),
        (IngestOptions(date_format="%Y-%m-%d"), "orders", Settings()),
        (IngestOptions(timezone="Europe/Warsaw"), "orders", Settings()),
        (IngestOptions(), "orders", Settings(timezone="America/New_York")),
        (IngestOptions(), "survey_responses", Settings()),
    ]:
        assert engine_ingest.plan(table, path, options, conf) is None


def _all_tables(db: Path) -> dict[str, tuple[list[tuple[str, str]], list[tuple[object, ...]]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (name,) in con.execute("SHOW TABLES").fetchall():
            if not str(name).startswith("retentionkit_"):
                schema = [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
                rows = con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
                out[name] = (schema, rows)
        return out
    finally:
        con.close()


@pytest.mark.parametrize("form", ["parquet", "csv"])
def test_load_dir_mixes_both_paths_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """A generated business: orders, customers … through the engine, survey answers through
    pandas, all in one transaction; every table equals the pandas-only load."""
    from retentionkit.generate import generate_tables, write_business

    folder = tmp_path / "data"
    write_business(generate_tables(300, 6, 7, "both", "2024-01-01"), folder, form)
    outcomes = {}
    for engine in (True, False):
        monkeypatch.setenv("RETENTIONKIT_ENGINE_INGEST", "on" if engine else "off")
        db = tmp_path / f"{engine}.duckdb"
        with Workspace(db, settings=Settings()) as ws:
            reports = ws.load_dir(folder)
        outcomes[engine] = ([r.as_dict() for r in reports], _all_tables(db))
        by = {r.source.split(".")[0]: r.validated_by for r in reports if r.tables}
        if engine:
            assert by["orders"] == "duckdb" and by["survey_responses"] == "pandas", by
    assert outcomes[True] == outcomes[False]
