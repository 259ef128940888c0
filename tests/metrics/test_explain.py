"""``Workspace.explain`` returns SQL that runs as is against the workspace file in a fresh
connection (the in-process period tables are written inline), and its queries yield the same
components the engine reports."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import retentionkit as rk
from retentionkit.config import Settings
from retentionkit.errors import ConfigError

RANGE = {"period": "month", "start": "2023-07-01", "end": "2024-01-01"}
CASES = [
    ("crr", {}),
    ("crr", {"customer_definition": "contractual"}),
    ("revenue", {}),
    ("nps", {}),
    ("mrr", {}),
    ("average_order_value", {}),
    ("churn_rate", {"active_window": "90d", "period": "quarter"}),
]


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retentionkit.generate import generate_business

    path = tmp_path_factory.mktemp("explain") / "ws.duckdb"
    ws = rk.Workspace(path, settings=Settings())
    for table, frame in generate_business(customers=300, months=18, seed=5, kind="both").items():
        if len(frame):
            ws.ingest(table, frame)
    ws.con.disconnect()
    return path


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or a != a) and (b is None or b != b or b == 0)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(("metric", "extra"), CASES, ids=lambda v: str(v))
def test_explained_sql_runs_as_is_and_yields_the_components(
    workspace_file: Path, metric: str, extra: dict[str, Any]
) -> None:
    request = {**RANGE, **extra}
    ws = rk.Workspace(workspace_file, settings=Settings())
    try:
        sql = ws.explain(metric, **request)
        records = ws.metrics(metric, **request)
    finally:
        ws.con.disconnect()
    if metric != "nps":  # nps needs no period table
        assert "(VALUES" in sql  # the period tables are written inline
    con = duckdb.connect(str(workspace_file), read_only=True)  # a fresh connection
    try:
        results = [con.sql(stmt.rstrip(";")).df() for stmt in sql.split(";\n\n")]
    finally:
        con.close()
    compared = 0
    by_key = {(pd.Timestamp(r.period_start), r.segment): r.components for r in records.itertuples()}
    for result in results:
        if "period_start" not in result:
            continue
        for row in result.to_dict("records"):
            comps = by_key.get((pd.Timestamp(row["period_start"]), row["segment"]))
            if comps is None:  # a period the query covers for a trailing window only
                continue
            for column, value in row.items():
                if column in comps:
                    assert _same(value, comps[column]), (metric, column, row, comps)
                    compared += 1
    assert compared >= 2 * len(records), f"too little compared for {metric}: {compared}"


def test_explain_refuses_an_unknown_argument(workspace_file: Path) -> None:
    ws = rk.Workspace(workspace_file, settings=Settings())
    try:
        with pytest.raises(ConfigError, match="does not take 'bogus'"):
            ws.explain("crr", bogus=1)
    finally:
        ws.con.disconnect()
