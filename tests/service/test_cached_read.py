"""A cached read costs no pandas, Arrow or DuckDB (issue 17 item 5): the result cache's hit
returns a DeferredResult whose ``records()`` come from the entry's JSON, and the data state of
an unchanged, quiet workspace file comes from its fingerprint. Neither may change an answer."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.service import MetricRequest, RfmRequest, result_cache, run
from retentionkit.service.operations import DeferredResult
from retentionkit.workspace import Workspace

from .test_result_cache import orders

REQUEST = MetricRequest(period="month")


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")


def _plain(value: Any) -> Any:
    """A record's value in one form whatever it came through (pandas or JSON)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _records(result: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in result.records()]


def _ws(tmp_path: Path, n: int = 300) -> Path:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, n, seed=11))
    return db


@pytest.mark.parametrize("request_", [REQUEST, RfmRequest()], ids=["metrics", "rfm"])
@pytest.mark.parametrize("records_max", [result_cache.RECORDS_MAX, 0], ids=["json", "arrow"])
def test_records_of_a_hit_are_the_computed_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_: Any, records_max: int
) -> None:
    monkeypatch.setattr(result_cache, "RECORDS_MAX", records_max)
    db = _ws(tmp_path)
    with Workspace(db) as ws:
        computed = run(ws, request_)
    with Workspace(db) as ws:
        hit = run(ws, request_)
    assert isinstance(hit, DeferredResult) and not isinstance(computed, DeferredResult)
    assert _records(hit) == _records(computed)
    assert hit._frame is None  # records() did not build the frame
    pd.testing.assert_frame_equal(hit.frame, computed.frame, check_exact=False, rtol=1e-9)
    assert hit.frame.attrs == computed.frame.attrs
    assert _records(hit) == _records(computed)  # and from the frame, once built
    copy = hit.copy()
    copy.frame.loc[copy.frame.index[0], "value" if "value" in copy.frame else "frequency"] = -1
    assert _records(hit) == _records(computed)  # a copy is the caller's


def test_a_quiet_file_is_fingerprinted_and_a_later_write_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(result_cache, "QUIET_NS", 200_000_000)
    db = _ws(tmp_path)
    memo = result_cache.folder(db).parent / "state.json"
    with Workspace(db) as ws:
        run(ws, REQUEST)
    assert not memo.exists()  # the file had just been written: not trusted
    time.sleep(0.3)
    with Workspace(db) as ws:
        first = run(ws, REQUEST)
    assert len(json.loads(memo.read_text())) == 1

    import duckdb

    real_connect = duckdb.connect

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fingerprint should have answered")

    monkeypatch.setattr(duckdb, "connect", refuse)
    with Workspace(db) as ws:
        again = run(ws, REQUEST)
        assert ws._con is None
    assert _records(again) == _records(first)
    monkeypatch.setattr(duckdb, "connect", real_connect)

    # a write behind retentionkit's back right after: another fingerprint, another state
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM orders WHERE order_id IN ('o1', 'o2', 'o3')")
    con.close()
    with Workspace(db) as ws:
        after = run(ws, REQUEST)
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    with Workspace(db) as ws:
        truth = run(ws, REQUEST)
    assert _records(after) == _records(truth) != _records(first)


def test_a_damaged_memo_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(result_cache, "QUIET_NS", 0)
    db = _ws(tmp_path)
    with Workspace(db) as ws:
        first = run(ws, REQUEST)
    memo = result_cache.folder(db).parent / "state.json"
    for text in ("{", "[]", json.dumps({json.dumps(result_cache._fingerprint(db)): "x"})):
        memo.write_text(text)
        with Workspace(db) as ws:
            assert _records(run(ws, REQUEST)) == _records(first)


#: Runs the CLI in a fresh interpreter and reports the heavy libraries it imported.
PROBE = """
import sys
sys.argv = ["retentionkit", "--db", sys.argv[1], "metrics", "--last", "3", *sys.argv[2:]]
from retentionkit.cli.app import main
try:
    main()
except SystemExit:
    pass
heavy = {m.split(".")[0] for m in sys.modules} & {"pandas", "pyarrow", "duckdb", "numpy", "ibis"}
print("HEAVY", sorted(heavy), file=sys.stderr)
"""


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_cached_metrics_report_imports_no_pandas_arrow_or_duckdb(
    tmp_path: Path, fmt: str
) -> None:
    db = _ws(tmp_path)

    def metrics() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PROBE, str(db), "--format", fmt],
            capture_output=True,
            text=True,
            env={**os.environ, "RETENTIONKIT_CACHE": "on", "COLUMNS": "120"},
            timeout=300,
        )

    computed = metrics()
    assert computed.returncode == 0, computed.stderr
    assert "'pandas'" in computed.stderr
    time.sleep(result_cache.QUIET_NS / 1e9 + 0.2)  # the file is quiet: fingerprinted
    for _ in range(2):  # the first hit reads the state through DuckDB, the second not
        hit = metrics()
        assert hit.returncode == 0, hit.stderr
        assert hit.stdout == computed.stdout
    assert "HEAVY []" in hit.stderr, hit.stderr


def test_period_labels_without_pandas() -> None:
    from retentionkit.vocabulary import period_label

    for start in (dt.date(2024, 5, 1), dt.datetime(2024, 5, 1), pd.Timestamp("2024-05-01")):
        assert period_label(start, "month") == "2024-05"
        assert period_label(start, "quarter") == "2024-Q2"
        assert period_label(start, "year") == "2024"
        assert period_label(start, "week") == "2024-05-01"
    assert period_label("2024-05-01", "day") == "2024-05-01"
    assert period_label(pd.Timestamp("2024-05-01").to_datetime64(), "month") == "2024-05"


def test_records_json_is_frame_records() -> None:
    """``--format json`` of the metrics from records (a cached answer) is the frame's JSON."""
    from retentionkit.service.serialize import frame_records, records_json
    from retentionkit.service.wire import records_from_json, records_to_json

    frame = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
            "at": pd.to_datetime(
                ["2024-01-01 10:30:00", None, "2024-03-01 00:00:00.000000001"], format="ISO8601"
            ),
            "value": [1.5, float("nan"), 3.0],
            "n": [1, 2, 3],
            "ok": [True, False, True],
            "components": [{"a": 1}, {"a": None}, {}],
            "label": ["x", None, "z"],
        }
    )
    expected = frame_records(frame)
    assert records_json(frame.to_dict("records")) == expected
    assert records_json(records_from_json(json.loads(json.dumps(records_to_json(frame))))) == (
        expected
    )
