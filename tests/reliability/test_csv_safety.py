"""CSV outputs neutralise spreadsheet formulas (OWASP CSV injection) unless --raw is given."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.cli.app import main
from retentionkit.csv_safety import FORMULA_STARTS, neutralise, neutralise_frame, write_csv


@given(st.text(max_size=30))
def test_no_cell_starts_like_a_formula_unless_it_is_a_number(text: str) -> None:
    out = neutralise(text)
    if out != text:
        assert out == "'" + text
    else:
        assert not text.startswith(FORMULA_STARTS) or float(text) == float(text)


def test_frame_and_writer() -> None:
    frame = pd.DataFrame({"id": ["=1+1", "@SUM(A1)", "+x", "-x", "\tx", "plain", "-12.5"]})
    frame["n"] = [-1, 2, 3, 4, 5, 6, 7]
    safe = neutralise_frame(frame)
    assert safe["id"].tolist() == ["'=1+1", "'@SUM(A1)", "'+x", "'-x", "'\tx", "plain", "-12.5"]
    assert safe["n"].tolist() == frame["n"].tolist()
    buf = io.StringIO()
    write_csv(frame, buf, raw=True)
    assert "\n=1+1," in buf.getvalue()


def test_rfm_csv_neutralises_unless_raw(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "orders.csv"
    src.write_text(
        "order_id,customer_id,ordered_at,amount\n"
        '1,=HYPERLINK("http://x"),2024-01-01,10\n'
        '2,=HYPERLINK("http://x"),2024-02-01,10\n'
        "3,@c2,2024-01-05,5\n"
    )
    db = str(tmp_path / "ws.duckdb")
    assert main(["--db", db, "ingest", "orders", str(src)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "rfm", "--format", "csv"]) == 0
    safe = capsys.readouterr().out
    assert "'=HYPERLINK" in safe and "'@c2" in safe
    assert not any(line.startswith(("=", "@")) for line in safe.splitlines())
    assert main(["--db", db, "rfm", "--format", "csv", "--raw"]) == 0
    raw = capsys.readouterr().out
    assert "\n=HYPERLINK" in raw.replace('"=HYPERLINK', "=HYPERLINK") or "=HYPERLINK" in raw
    assert "'=HYPERLINK" not in raw
