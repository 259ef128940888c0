"""``retentionkit ingest`` through the real entry point: the summary line, and for every kind of
bad input a non-zero exit, exactly one sentence on stderr naming the file, the editor line, the
column and the value, and a workspace left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.schema.contracts import CONTRACTS
from retentionkit.workspace import Workspace

GOOD_ORDERS = (
    "order_id,customer_id,ordered_at,amount,note\n"
    "1,c1,2024-01-01 10:00,10.00,first\n"
    "2,c2,2024-01-02,20.50,second\n"
)


def snapshot(db: Path) -> dict[str, pd.DataFrame] | None:
    """Every table of the workspace, sorted; None when there is no workspace file."""
    if not db.exists():
        return None
    ws = Workspace(db, settings=Settings())
    try:
        return {
            name: ws.table(name)
            .execute()
            .sort_values(CONTRACTS[name].primary_key)
            .reset_index(drop=True)
            for name in ws.tables()
        }
    finally:
        ws.con.disconnect()


def assert_same(before: dict[str, pd.DataFrame] | None, after: dict[str, pd.DataFrame] | None):
    if before is None:
        assert after is None
        return
    assert after is not None
    assert sorted(before) == sorted(after)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def ingest(db: Path, *args: str) -> int:
    return main(["--db", str(db), "ingest", *args])


@pytest.fixture
def loaded_db(tmp_db: Path, tmp_path: Path, capsys) -> Path:
    """A workspace that already holds two orders and one return."""
    (tmp_path / "seed_orders.csv").write_text(GOOD_ORDERS, encoding="utf-8")
    (tmp_path / "seed_returns.csv").write_text(
        "return_id,customer_id,returned_at,amount\nr1,c1,2024-01-05,5.00\n", encoding="utf-8"
    )
    assert ingest(tmp_db, "orders", str(tmp_path / "seed_orders.csv")) == 0
    assert ingest(tmp_db, "returns", str(tmp_path / "seed_returns.csv")) == 0
    capsys.readouterr()
    return tmp_db


def test_summary_line(tmp_db, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_ORDERS, encoding="utf-8")
    assert ingest(tmp_db, "orders", str(path)) == 0
    out = capsys.readouterr().out
    assert out.strip() == "orders.csv → orders: 2 inserted, 0 updated, 0 unchanged"
    assert ingest(tmp_db, "orders", str(path)) == 0
    assert "0 inserted, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_map_option_and_json_format(tmp_db, tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("Id,Who,When,Total\n1,c1,2024-01-01,10\n", encoding="utf-8")
    rc = ingest(
        tmp_db,
        "orders",
        str(path),
        "--map",
        "Id=order_id",
        "--map",
        "Who=customer_id",
        "--map",
        "When=ordered_at",
        "--map",
        "Total=amount",
        "--format",
        "json",
    )
    assert rc == 0
    assert '"inserted": 1' in capsys.readouterr().out


# -- bad input ----------------------------------------------------------------------------------

# A CSV with a quoted two-line field, a blank line and a whitespace-only line before the bad row,
# so the editor line differs from the row number.
PREFIX = (
    "order_id,customer_id,ordered_at,amount,note\n"  # line 1
    '1,c1,2024-01-01,10.00,"two\n'  # line 2
    'lines"\n'  # line 3
    "\n"  # line 4
    "2,c2,2024-01-02,20.50,ok\n"  # line 5
    "   \n"  # line 6
)

BAD_CASES = {
    # name: (file text, expected fragments of the one error line)
    "unparsable date": (
        PREFIX + "3,c3,2024-13-45,1.00,x\n",
        ["line 7", "column ordered_at", "'2024-13-45'", "date"],
    ),
    "non-numeric amount": (
        PREFIX + "3,c3,2024-01-03,12;50,x\n",
        ["line 7", "column amount", "'12;50'", "number"],
    ),
    "empty required id": (
        PREFIX + ",c3,2024-01-03,1.00,x\n",
        ["line 7", "column order_id", "is empty"],
    ),
    "empty customer": (
        PREFIX + "3,  ,2024-01-03,1.00,x\n",
        ["line 7", "column customer_id", "is empty"],
    ),
    "conflicting duplicate key": (
        PREFIX + "1,c1,2024-01-01,11.00,x\n",
        ["line 7", "line 2", "column order_id", "'1'", "amount"],
    ),
    "negative amount": (
        PREFIX + "3,c3,2024-01-03,-1.00,x\n",
        ["line 7", "column amount", "'-1.00'", "0 or more"],
    ),
    "ragged row": (
        PREFIX + "3,c3,2024-01-03,1.00,x,extra\n",
        ["line 7", "6 fields", "header has 5"],
    ),
    "missing required column": (
        "order_id,customer_id,amount\n1,c1,2.00\n",
        ["required column 'ordered_at'", "--map"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_csv_is_one_sentence_and_changes_nothing(loaded_db, tmp_path, capsys, case):
    text, fragments = BAD_CASES[case]
    path = tmp_path / "bad_orders.csv"
    path.write_text(text, encoding="utf-8")
    before = snapshot(loaded_db)
    rc = ingest(loaded_db, "orders", str(path))
    captured = capsys.readouterr()
    assert rc != 0
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    message = lines[0]
    assert "bad_orders.csv" in message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in captured.err + captured.out
    assert_same(before, snapshot(loaded_db))


SURVEY_HEADER = "response_id,survey,score,responded_at"


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        (["a1,nps,10,2024-01-01", "a2,nps,11,2024-01-01"], ["line 3", "'11'", "0 to 10"]),
        (["a1,nps,0,2024-01-01", "a2,NPS,-1,2024-01-01"], ["line 3", "'-1'", "0 to 10"]),
        (["a1,csat,5,2024-01-01", "a2,csat,6,2024-01-01"], ["line 3", "'6'", "1 to 5"]),
        (["a1,csat,1,2024-01-01", "a2,csat,0,2024-01-01"], ["line 3", "'0'", "1 to 5"]),
        (["a1,nps,x,2024-01-01"], ["line 2", "'x'", "number"]),
    ],
)
def test_survey_scores_outside_their_scale(loaded_db, tmp_path, capsys, rows, fragments):
    path = tmp_path / "answers.csv"
    path.write_text("\n".join([SURVEY_HEADER, *rows]) + "\n", encoding="utf-8")
    before = snapshot(loaded_db)
    assert ingest(loaded_db, "survey_responses", str(path)) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "answers.csv" in err and "column score" in err
    for fragment in fragments:
        assert fragment in err, err
    assert_same(before, snapshot(loaded_db))


def test_survey_scale_columns_override_the_default(tmp_db, tmp_path, capsys):
    path = tmp_path / "answers.csv"
    path.write_text(
        "response_id,survey,score,responded_at,scale_min,scale_max\n"
        "a1,csat,7,2024-01-01,1,7\n"
        "a2,csat,5,2024-01-01,,\n",
        encoding="utf-8",
    )
    assert ingest(tmp_db, "survey_responses", str(path)) == 0
    path.write_text(
        "response_id,survey,score,responded_at,scale_min,scale_max\na3,csat,8,2024-01-01,1,7\n",
        encoding="utf-8",
    )
    assert ingest(tmp_db, "survey_responses", str(path)) != 0
    assert "1 to 7" in capsys.readouterr().err


def test_survey_scale_from_config(tmp_db, tmp_path, capsys):
    (tmp_path / "retentionkit.toml").write_text(
        "[surveys]\ncsat = { min = 1, max = 10 }\nces = { min = 1, max = 7 }\n",
        encoding="utf-8",
    )
    path = tmp_path / "answers.csv"
    path.write_text(f"{SURVEY_HEADER}\na1,csat,9,2024-01-01\na2,ces,7,2024-01-01\n")
    assert ingest(tmp_db, "survey_responses", str(path)) == 0
    path.write_text(f"{SURVEY_HEADER}\na3,ces,8,2024-01-01\n")
    assert ingest(tmp_db, "survey_responses", str(path)) != 0
    assert "ces scale" in capsys.readouterr().err


def test_set_constant(tmp_db, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("response_id,score,responded_at\na1,4,2024-01-01\n")
    assert ingest(tmp_db, "survey_responses", str(path), "--set", "survey=csat") == 0
    got = snapshot(tmp_db)["survey_responses"]
    assert got["survey"].tolist() == ["csat"]


def _one_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    return lines[0]


def test_missing_file(loaded_db, tmp_path, capsys):
    before = snapshot(loaded_db)
    assert ingest(loaded_db, "orders", str(tmp_path / "nope.csv")) != 0
    assert "nope.csv" in _one_error(capsys)
    assert_same(before, snapshot(loaded_db))


def test_missing_file_does_not_create_a_workspace(tmp_db, tmp_path, capsys):
    assert ingest(tmp_db, "orders", str(tmp_path / "nope.csv")) != 0
    assert "not found" in _one_error(capsys)
    assert not tmp_db.exists()


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("binary.csv", bytes(range(256)) * 4, "binary"),
        ("latin.csv", "order_id,customer_id\n1,Zoë\n".encode("latin-1"), "utf-8"),
        ("fake.parquet", b"PAR1 this is not really parquet", "Parquet"),
        ("empty.csv", b"", "empty"),
        ("header_only.csv", b"order_id,customer_id,ordered_at,amount\n", "no data rows"),
        ("directory", None, "directory"),
    ],
)
def test_unreadable_files(loaded_db, tmp_path, capsys, name, content, fragment):
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    before = snapshot(loaded_db)
    assert ingest(loaded_db, "orders", str(path)) != 0
    message = _one_error(capsys)
    assert name in message and fragment in message, message
    assert_same(before, snapshot(loaded_db))


def test_bad_ndjson_line(loaded_db, tmp_path, capsys):
    path = tmp_path / "orders.ndjson"
    path.write_text(
        '{"order_id": "9", "customer_id": "c", "ordered_at": "2024-01-01", "amount": 1}\n'
        "\n"
        '{"order_id": "10", "customer_id": "c", "ordered_at": "2024-01-01", "amount": 1,}\n'
    )
    assert ingest(loaded_db, "orders", str(path)) != 0
    message = _one_error(capsys)
    assert "orders.ndjson" in message and "line 3" in message


def test_bad_value_in_json_array_names_its_line(loaded_db, tmp_path, capsys):
    path = tmp_path / "orders.json"
    path.write_text(
        "[\n"
        '  {"order_id": 9, "customer_id": "c", "ordered_at": "2024-01-01", "amount": 1.5},\n'
        '  {"order_id": 10, "customer_id": "c",\n'
        '   "ordered_at": "yesterday", "amount": 2}\n'
        "]\n"
    )
    assert ingest(loaded_db, "orders", str(path)) != 0
    message = _one_error(capsys)
    assert "line 3" in message and "'yesterday'" in message and "ordered_at" in message


def test_map_source_not_in_file(loaded_db, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_ORDERS)
    assert ingest(loaded_db, "orders", str(path), "--map", "Missing=customer_id") != 0
    message = _one_error(capsys)
    assert "'Missing'" in message and "orders.csv" in message


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--map", "nonsense"], "SOURCE=TARGET"),
        (["--delimiter", "::"], "one character"),
        (["--encoding", "klingon"], "klingon"),
    ],
)
def test_bad_options(loaded_db, tmp_path, capsys, args, fragment):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_ORDERS)
    assert ingest(loaded_db, "orders", str(path), *args) != 0
    assert fragment in _one_error(capsys)


def test_unknown_table(tmp_db, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_ORDERS)
    assert ingest(tmp_db, "order", str(path)) != 0
    assert "orders" in _one_error(capsys)


def test_mapped_column_is_named_as_the_user_knows_it(tmp_db, tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("Id,Who,When,Total\n1,c1,2024-01-01,ten\n")
    args = ["--map", "Id=order_id", "--map", "Who=customer_id", "--map", "When=ordered_at"]
    assert ingest(tmp_db, "orders", str(path), *args, "--map", "Total=amount") != 0
    assert "column Total (amount): 'ten'" in _one_error(capsys)


# -- line items: two tables, all or nothing --------------------------------------------------

LINE_ITEMS_HEADER = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
LINE_ITEM_ARGS = [
    "--line-items",
    "--map",
    "InvoiceNo=order_id",
    "--map",
    "CustomerID=customer_id",
    "--map",
    "InvoiceDate=ordered_at",
    "--map",
    "Quantity=quantity",
    "--map",
    "UnitPrice=unit_price",
]


def test_line_items_bad_order_line_writes_neither_table(loaded_db, tmp_path, capsys):
    path = tmp_path / "items.csv"
    path.write_text(
        LINE_ITEMS_HEADER + "C900,A,-1,2024-02-01 10:00,2.50,c1,UK\n"  # a fine return
        "901,A,2,2024-02-01 10:00,2.50,c1,UK\n"
        "901,B,1,2024-02-01 10:00,abc,c1,UK\n"  # bad unit price on line 4
    )
    before = snapshot(loaded_db)
    assert ingest(loaded_db, "orders", str(path), *LINE_ITEM_ARGS) != 0
    message = _one_error(capsys)
    assert "items.csv" in message and "line 4" in message and "UnitPrice" in message
    assert "'abc'" in message
    assert_same(before, snapshot(loaded_db))


def test_line_items_load_orders_and_returns(tmp_db, tmp_path, capsys):
    path = tmp_path / "items.csv"
    path.write_text(
        LINE_ITEMS_HEADER + "C900,A,-1,2024-02-01 10:00,2.50,c1,UK\n"
        "901,A,2,2024-02-01 10:00,2.50,c1,UK\n"
        "901,B,1,2024-02-01 10:00,0.35,c1,UK\n"
        "902,B,3,2024-02-02 10:00,0.35,c2,FR\n"
    )
    assert ingest(tmp_db, "orders", str(path), *LINE_ITEM_ARGS) == 0
    out = capsys.readouterr().out
    assert "orders: 2 inserted" in out and "returns: 1 inserted" in out
    tables = snapshot(tmp_db)
    orders = tables["orders"].set_index("order_id")
    assert str(orders.loc["901", "amount"]) == "5.3500"
    assert orders.loc["901", "quantity"] == 3
    assert orders.loc["902", "country"] == "FR"
    returns = tables["returns"]
    assert returns["return_id"].tolist() == ["C900"]
    assert str(returns["amount"].iloc[0]) == "2.5000"


def test_line_items_missing_customer(tmp_db, tmp_path, capsys):
    path = tmp_path / "items.csv"
    path.write_text(
        LINE_ITEMS_HEADER + "901,A,2,2024-02-01 10:00,2.50,c1,UK\n"
        "902,A,2,2024-02-01 10:00,2.50,NA,UK\n"
    )
    assert ingest(tmp_db, "orders", str(path), *LINE_ITEM_ARGS) != 0
    message = _one_error(capsys)
    assert "line 3" in message and "CustomerID" in message and "--drop-missing-customer" in message
    assert not tmp_db.exists()
    assert ingest(tmp_db, "orders", str(path), *LINE_ITEM_ARGS, "--drop-missing-customer") == 0
    assert "1 lines without a customer_id skipped" in capsys.readouterr().out


def test_debug_shows_the_traceback(tmp_db, tmp_path):
    from retentionkit.errors import MissingFileError

    with pytest.raises(MissingFileError):
        main(["--db", str(tmp_db), "--debug", "ingest", "orders", str(tmp_path / "x.csv")])


def test_db_that_is_not_a_workspace(tmp_path, capsys):
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("just some text\n" * 100)
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_ORDERS)
    assert ingest(not_db, "orders", str(path)) != 0
    message = _one_error(capsys)
    assert "notes.duckdb" in message and "workspace" in message
    assert not_db.read_text().startswith("just some text")
