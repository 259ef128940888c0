"""Fuzz the ingest over every table and option: generated files (CSV/TSV, JSON, NDJSON) mixing
valid, edge and malformed values, odd options. Every case ends in exit 0 or a one-sentence
usage error (never exit 70, never a traceback), and a refused case leaves the workspace
unchanged (fingerprint of every table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.schema.contracts import CONTRACTS

from .conftest import FUZZ, check_refusal, fingerprint, run_cli

VALUES = {
    "id": ["a1", "b2", "0007", " c3 ", "", "NULL", "=cmd|' /C calc'!A0", "x" * 300, "ü→✓", "1e5"],
    "text": ["web", "", "nps", "csat", "custom", "=1+1", "@x", "é" * 50, "a,b", 'q"q'],
    "timestamp": [
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        "20240101",
        "1900-01-01",
        "1899-12-31",
        "2199-12-31 23:59:59",
        "2200-01-01",
        "9999-12-31 23:59:59",
        "0001-01-01",
        "-1",
        "2024-02-30",
        "x",
        "",
        "2024-01-01T00:00:00+14:00",
        "1e10",
        "2024-03-31 02:30:00",
    ],
    "money": [
        "0",
        "1.5",
        "19.99",
        "-1",
        "99999999999999.9999",
        "100000000000000",
        "12345678901234.5678",
        "1e3",
        "1e400",
        "nan",
        "inf",
        "0.00005",
        "1,5",
        "",
        "-0",
        "abc",
        ".5",
        "-99999999999999.9999",
    ],
    "integer": ["0", "1", "-1", "9007199254740991", "9007199254740992", "1.5", "1e3", "x", ""],
    "number": ["0", "1", "5", "10", "3.5", "-1", "1e308", "nan", "", "x", "11", "4"],
}
ENCODINGS = [
    None,
    "utf-8",
    "latin-1",
    "utf-16",
    "base64",
    "hex",
    "zlib",
    "idna",
    "rot13",
    "nope",
    "utf-8-sig",
    "cp1252",
    "uu",
]
DELIMITERS = [None, ",", ";", "\t", "tab", "", "\n", "ab", '"', "whitespace", "|", "\r", "é"]
DATE_FORMATS = [None, "%Y-%m-%d", "%Y%Y", "%Q", "abc", "%", "%d/%m/%Y", "%Y%m%d", "%Y-%m-%d %H"]


def _column_kind(table: str, column: str) -> str:
    col = CONTRACTS[table].column_by_name.get(column)
    return col.kind if col else "text"


@st.composite
def source_files(draw, table: str):  # type: ignore[no-untyped-def]
    contract = CONTRACTS[table]
    columns = [c.name for c in contract.columns if c.required or draw(st.booleans())]
    if draw(st.integers(0, 9)) == 0 and len(columns) > 1:  # a required column missing
        columns.remove(draw(st.sampled_from(columns)))
    columns += [f"extra_{i}" for i in range(draw(st.integers(0, 3)))]
    if table == "orders" and draw(st.integers(0, 3)) == 0:
        columns = ["order_id", "customer_id", "ordered_at", "quantity", "unit_price", "Country"]
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        row = {}
        for name in columns:
            kind = "integer" if name == "quantity" else _column_kind(table, name)
            kind = "money" if name == "unit_price" else kind
            pool = VALUES[kind] if kind in VALUES else VALUES["text"]
            valid_first = draw(st.integers(0, 2)) > 0  # mostly plausible values
            row[name] = (
                pool[draw(st.integers(0, 3))] if valid_first else draw(st.sampled_from(pool))
            )
        rows.append(row)
    fmt = draw(st.sampled_from(["csv", "csv", "tsv", "json", "ndjson"]))
    mangle = draw(
        st.sampled_from(
            ["none"] * 6
            + ["nul", "ragged", "bom", "deep", "surrogate", "binary", "empty", "latin1"]
        )
    )
    return columns, rows, fmt, mangle


def _write(path: Path, columns, rows, fmt: str, mangle: str, encoding: str | None) -> Path:  # type: ignore[no-untyped-def]
    if fmt in ("json", "ndjson"):
        path = path.with_suffix("." + fmt)
        records = [dict(r) for r in rows]
        if mangle == "deep":
            records[0][columns[0]] = json.loads("[" * 50 + "]" * 50)
        text = json.dumps(records) if fmt == "json" else "\n".join(json.dumps(r) for r in records)
        if mangle == "surrogate":
            text = text.replace('"a1"', '"\\ud800"', 1).replace('"web"', '"\\udfff"', 1)
        if mangle == "deep" and rows:
            text = text.replace("[[", "[" * 3000, 1).replace("]]", "]" * 3000, 1)
    else:
        sep = "\t" if fmt == "tsv" else ","
        path = path.with_suffix("." + fmt)

        def cell(value: str) -> str:
            return '"' + value.replace('"', '""') + '"' if (sep in value or '"' in value) else value

        lines = [sep.join(columns)] + [sep.join(cell(r[c]) for c in columns) for r in rows]
        if mangle == "ragged":
            lines.append(sep.join(["z"] * (len(columns) + 2)))
        text = "\n".join(lines) + "\n"
    data = text.encode(
        encoding if encoding in ("utf-16", "latin-1", "cp1252") else "utf-8", errors="replace"
    )
    if mangle == "nul":
        data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :]
    elif mangle == "bom":
        data = b"\xef\xbb\xbf" + data
    elif mangle == "binary":
        data = bytes(range(256)) * 4
    elif mangle == "empty":
        data = b""
    elif mangle == "latin1":
        data = data + "é,ß\n".encode("latin-1")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("table", sorted(CONTRACTS))
def test_fuzz_ingest(table: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp(f"fuzz_{table}")
    db = folder / "ws.duckdb"
    counter = iter(range(10**9))

    @FUZZ
    @given(
        source=source_files(table),
        encoding=st.sampled_from(ENCODINGS),
        delimiter=st.sampled_from(DELIMITERS),
        date_format=st.sampled_from(DATE_FORMATS),
        flags=st.lists(
            st.sampled_from(
                ["--generate-id", "--line-items", "--drop-missing-customer", "--no-header"]
            ),
            max_size=2,
            unique=True,
        ),
        odd_options=st.booleans(),
    )
    def case(source, encoding, delimiter, date_format, flags, odd_options) -> None:  # type: ignore[no-untyped-def]
        columns, rows, fmt, mangle = source
        path = _write(folder / f"in{next(counter)}", columns, rows, fmt, mangle, encoding)
        argv = ["--db", str(db), "ingest", table, str(path), *flags]
        if odd_options:
            for flag, value in (
                ("--encoding", encoding),
                ("--delimiter", delimiter),
                ("--date-format", date_format),
            ):
                if value is not None:
                    argv += [flag, value]
        if "--line-items" in flags and "unit_price" not in columns:
            argv.remove("--line-items")
        before = fingerprint(db)
        code, _, err = run_cli(argv)
        check_refusal(code, err, before, fingerprint(db), kind=f"ingest_{table}")

    case()
