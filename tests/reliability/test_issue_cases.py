"""Issue 11's "done when", case by case through the CLI: every input and option fault it names
is a usage error (exit 2, one ``error: …`` sentence, no workspace file written), money
round-trips exactly from CSV, JSON and NDJSON, and UTF-16 files are read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from retentionkit.cli.app import main

HEADER = "order_id,customer_id,ordered_at,amount\n"
GOOD = HEADER + "o1,c1,2024-01-01,1\n"
LINES = "order_id,customer_id,ordered_at,quantity,unit_price\n"


def _run(argv: list[str], capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """(exit code, stdout and stderr)."""
    code = main(argv)
    got = capsys.readouterr()
    return code, got.out + got.err


def _refused(tmp_path: Path, capsys, argv: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "ws.duckdb"
    code, err = _run(["--db", str(db), *argv], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith("."), err
    assert needle in lines[0], err
    assert not db.exists()  # nothing written, not even an empty workspace


def _file(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("encoding", ["base64", "hex", "zlib", "uu", "idna", "rot13"])
def test_byte_codecs_are_not_encodings(tmp_path: Path, capsys, encoding: str) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "o.csv", GOOD)
    _refused(tmp_path, capsys, ["ingest", "orders", path, "--encoding", encoding], "--encoding")


@pytest.mark.parametrize("delimiter", ["", "\n", "\r", '"', "ab"])
def test_delimiter_is_one_printable_character(tmp_path: Path, capsys, delimiter: str) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "o.csv", GOOD)
    _refused(tmp_path, capsys, ["ingest", "orders", path, "--delimiter", delimiter], "--delimiter")


def test_space_is_a_delimiter_not_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "o.txt", GOOD.replace(",", " "))
    code, err = _run(
        ["--db", str(tmp_path / "ws.duckdb"), "ingest", "orders", path, "--delimiter", " "], capsys
    )
    assert code == 0, err


@pytest.mark.parametrize("pattern", ["%Y%Y", "%Q", "abc", "%"])
def test_date_format_is_validated(tmp_path: Path, capsys, pattern: str) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "o.csv", GOOD)
    _refused(
        tmp_path, capsys, ["ingest", "orders", path, "--date-format", pattern], "--date-format"
    )


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        (
            "s.json",
            '[{"order_id": "\\ud800", "customer_id": "c1", "ordered_at": "2024-01-01", '
            '"amount": 1}]',
            "surrogate",
        ),
        ("d.json", "[" * 100_000 + "]" * 100_000, "deeply"),
        (
            "w.csv",
            HEADER.strip()
            + "".join(f",x{i}" for i in range(1_000))
            + "\no1,c1,2024-01-01,1"
            + ",v" * 1_000
            + "\n",
            "columns",
        ),
        ("bc.csv", HEADER + "o1,c1,0044-03-15 BC,1\n", "line 2, column ordered_at"),
        ("far.csv", HEADER + "o1,c1,9999-12-31 23:59:59,1\n", "line 2, column ordered_at"),
        ("neg1.csv", HEADER + "o1,c1,-1,1\n", "line 2, column ordered_at"),
        ("year1.csv", HEADER + "o1,c1,0001-01-01,1\n", "line 2, column ordered_at"),
        ("big.csv", HEADER + "o1,c1,2024-01-01,100000000000000\n", "line 2, column amount"),
    ],
    ids=[
        "surrogate",
        "deep-json",
        "1000-extra-columns",
        "bc-date",
        "9999-12-31",
        "-1",
        "0001-01-01",
        "over-money-max",
    ],
)
def test_input_faults_are_one_sentence(
    tmp_path: Path, capsys, name: str, text: str, needle: str
) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, name, text)
    _refused(tmp_path, capsys, ["ingest", "orders", path], needle)


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ("L1,c1,2024-01-01,1,-5\n", "column unit_price"),
        ("L1,c1,2024-01-01,9007199254740991,1\n" * 1_100, "line total"),
        ("L1,c1,2024-01-01,1,100000000000000\n", "column unit_price"),
        ("L1,c1,2024-01-01,10,10000000000000\n", "line total"),
        ("L1,c1,2024-01-01,1,99999999999999\nL1,c1,2024-01-01,1,99999999999999\n", "order 'L1'"),
    ],
    ids=[
        "negative-unit-price",
        "2^53-1-x-1100",
        "unit-price-over-max",
        "line-total-1e14",
        "order-sum-over-max",
    ],
)
def test_line_items_are_checked(tmp_path: Path, capsys, lines: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "l.csv", LINES + lines)
    _refused(tmp_path, capsys, ["ingest", "orders", path, "--line-items"], needle)


def test_negative_acquisition_cost_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "c.csv", "cost_id,incurred_on,amount,category\nk1,2024-01-01,-5,ads\n")
    _refused(tmp_path, capsys, ["ingest", "acquisition_costs", path], "line 2, column amount")


@pytest.mark.parametrize("flag", ["--to", "--from"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_far_query_dates_are_usage_errors(tmp_path: Path, capsys, flag: str, value: str) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "ws.duckdb"
    assert main(["--db", str(db), "ingest", "orders", _file(tmp_path, "o.csv", GOOD)]) == 0
    capsys.readouterr()
    code, err = _run(["--db", str(db), "metrics", flag, value], capsys)
    assert code == 2 and err.startswith(f"error: {flag} '{value}' is out of range"), err


EXACT = [
    "12345678901234.5678",
    "9999999999999.9999",
    "99999999999999.9999",
    "0.0001",
]


def _amounts(db: Path) -> dict[str, Decimal]:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        return dict(con.execute("SELECT order_id, amount FROM orders").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("fmt", ["csv", "json-number", "json-text", "ndjson"])
def test_money_round_trips_exactly(tmp_path: Path, capsys, fmt: str) -> None:  # type: ignore[no-untyped-def]
    rows = [(f"o{i}", value) for i, value in enumerate(EXACT)]
    if fmt == "csv":
        path = _file(
            tmp_path, "o.csv", HEADER + "".join(f"{k},c1,2024-01-01,{v}\n" for k, v in rows)
        )
    else:  # numbers written as JSON numbers (not through a float) or as strings
        quote = '"' if fmt == "json-text" else ""
        records = [
            f'{{"order_id": "{k}", "customer_id": "c1", "ordered_at": "2024-01-01", '
            f'"amount": {quote}{v}{quote}}}'
            for k, v in rows
        ]
        text = "[" + ",".join(records) + "]" if fmt != "ndjson" else "\n".join(records)
        json.loads(text) if fmt != "ndjson" else None  # valid JSON
        path = _file(tmp_path, "o." + ("ndjson" if fmt == "ndjson" else "json"), text)
    db = tmp_path / "ws.duckdb"
    code, err = _run(["--db", str(db), "ingest", "orders", path], capsys)
    assert code == 0, err
    assert _amounts(db) == {k: Decimal(v) for k, v in rows}


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_is_read(tmp_path: Path, capsys, bom: bool) -> None:  # type: ignore[no-untyped-def]
    data = GOOD.encode("utf-16" if bom else "utf-16-le")
    path = _file(tmp_path, "o.csv", data)
    db = tmp_path / "ws.duckdb"
    argv = [
        "--db",
        str(db),
        "ingest",
        "orders",
        path,
        "--encoding",
        "utf-16" if bom else "utf-16-le",
    ]
    code, err = _run(argv, capsys)
    assert code == 0, err
    if bom:  # with a byte-order mark the default encoding finds it too
        code, err = _run(["--db", str(db), "ingest", "orders", path], capsys)
        assert code == 0 and "1 unchanged" in err, err


def test_utf16_with_a_byte_encoding_names_the_fix(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "o.csv", GOOD.encode("utf-16"))
    _refused(
        tmp_path, capsys, ["ingest", "orders", path, "--encoding", "latin-1"], "--encoding utf-16"
    )
