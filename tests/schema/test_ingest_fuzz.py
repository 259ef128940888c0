"""Property: whatever a malformed CSV holds, ``retentionkit ingest`` never crashes; a refusal is
one sentence (never a traceback or an "internal error") and leaves the workspace unchanged."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.workspace import Workspace

HEADER = ["order_id", "customer_id", "ordered_at", "amount", "quantity", "channel"]
GOOD_ROW = ["{i}", "c{i}", "2024-01-0{d} 10:00:00", "1{i}.50", "2", "web"]

GARBAGE = st.sampled_from(
    [
        "",
        "   ",
        "NA",
        "2024-02-30",
        "31/12/2024",
        "yesterday",
        "12,50",
        "1e400",
        "-5",
        "ten",
        "€9.99",
        '"',
        'a"b',
        "x\ny",
        "\x00\x01\xff",
        "🙂",
        "2024-03-31 02:30:00",
        "2024-01-01T00:00:00+25:00",
        ";",
        "\t",
        "9" * 30,
    ]
)


@st.composite
def malformed_csv(draw) -> bytes:
    n = draw(st.integers(min_value=1, max_value=6))
    rows = [[cell.format(i=i, d=(i % 9) + 1) for cell in GOOD_ROW] for i in range(n)]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        r = draw(st.integers(min_value=0, max_value=n - 1))
        c = draw(st.integers(min_value=0, max_value=len(HEADER) - 1))
        rows[r][c] = draw(GARBAGE)
    if draw(st.booleans()):  # ragged row
        r = draw(st.integers(min_value=0, max_value=n - 1))
        rows[r] = rows[r][: draw(st.integers(0, len(HEADER)))] + draw(st.lists(GARBAGE, max_size=2))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    header_delimiter = draw(st.sampled_from([delimiter, delimiter, ","]))
    lines = [header_delimiter.join(HEADER)] + [delimiter.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), "")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # random bytes somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


@pytest.fixture
def fast_dir(tmp_path):
    """A folder in memory when the system has one (commits fsync; 50 examples add up)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="rk-fuzz-") as tmp:
        yield Path(tmp)


def _snapshot(db: Path) -> pd.DataFrame:
    ws = Workspace(db, settings=Settings())
    try:
        return ws.table("orders").execute().sort_values("order_id").reset_index(drop=True)
    finally:
        ws.con.disconnect()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=malformed_csv())
def test_malformed_csv_never_crashes(data, fast_dir, capsys):
    tmp_path = fast_dir
    db = tmp_path / "ws.duckdb"  # one workspace for all examples: each compares with its own
    if not db.exists():
        seed = tmp_path / "seed.csv"
        seed.write_text(
            "order_id,customer_id,ordered_at,amount\n0,c0,2023-12-31,5.00\n", encoding="utf-8"
        )
        assert main(["--db", str(db), "ingest", "orders", str(seed)]) == 0
    before = _snapshot(db)
    capsys.readouterr()
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    rc = main(["--db", str(db), "ingest", "orders", str(path)])
    captured = capsys.readouterr()
    everything = captured.out + captured.err
    assert "Traceback" not in everything
    assert "internal error" not in everything, captured.err
    if rc != 0:
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert "orders.csv" in captured.err
        pd.testing.assert_frame_equal(_snapshot(db), before)
