"""Backend conformance: every registered metric gives the same values and components on
PostgreSQL (ibis[postgres], loaded through the ingest) and on Spark (ibis[pyspark], loaded
through Parquet) as on DuckDB, from the same generated business.

Cases: month and quarter, without a segment and by ``channel``, activity and contractual
customers. Counts must match exactly; money, rates and durations to 1e-9 relative. Medians
are exact on both engines (DuckDB ``quantile_cont``, Spark ``percentile`` — both the
interpolated 0.5 quantile; PostgreSQL ``percentile_cont``). Known gaps are declared below
with a strict xfail, never skipped.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from retentionkit.metrics.registry import METRIC_NAMES, get_metric

from .conftest import ENGINES, engine_marks, engine_param

pytestmark = [pytest.mark.slow]

REL = 1e-9
ABS = 1e-12

PERIODS = ("month", "quarter")
SEGMENTS = (None, "channel")
DEFINITIONS = ("activity", "contractual")
CASES = [(p, s, d) for p in PERIODS for s in SEGMENTS for d in DEFINITIONS]

#: (engine, metric, case) → reason for every difference we know of and accept; each is a strict
#: xfail, so a fixed gap turns the test red until its declaration is removed.
KNOWN_GAPS: dict[tuple[str, str, tuple[str, str | None, str]], str] = {}


def _case_id(case: tuple[str, str | None, str]) -> str:
    period, segment, definition = case
    return f"{period}-{segment or 'all'}-{definition}"


def _params() -> list[Any]:
    out = []
    for engine in ENGINES:
        for case in CASES:
            for metric in METRIC_NAMES:
                marks = engine_marks(engine)
                reason = KNOWN_GAPS.get((engine, metric, case))
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                out.append(
                    pytest.param(
                        engine,
                        case,
                        metric,
                        marks=marks,
                        id=f"{engine}-{_case_id(case)}-{metric}",
                    )
                )
    return out


@pytest.fixture(scope="module")
def reports(request: pytest.FixtureRequest) -> Any:
    """Every metric for a case, once per backend (all families run in one request); a
    backend's workspace is made on first use, so PostgreSQL runs without Java."""
    cache: dict[tuple[str, tuple[str, str | None, str]], pd.DataFrame] = {}

    def get(backend: str, case: tuple[str, str | None, str]) -> pd.DataFrame:
        key = (backend, case)
        if key not in cache:
            ws = request.getfixturevalue(f"{'duck' if backend == 'duckdb' else backend}_ws")
            period, segment, definition = case
            cache[key] = ws.metrics(
                list(METRIC_NAMES),
                period=period,
                segment=segment,
                customer_definition=definition,
            )
        return cache[key]

    return get


def _same(a: Any, b: Any, exact: bool, path: str) -> list[str]:
    """Differences between two values or component dicts ([] when they agree)."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return [f"{path}: {a!r} != {b!r}"]
        if set(a) != set(b):
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        out: list[str] = []
        for key in a:
            out += _same(a[key], b[key], exact and not isinstance(a[key], float), f"{path}.{key}")
        return out
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return [] if a_missing and b_missing else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, str) or isinstance(b, str):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if exact or (isinstance(a, int) and isinstance(b, int)):
        return [] if a == b else [f"{path}: {a!r} != {b!r} (exact)"]
    return (
        []
        if math.isclose(float(a), float(b), rel_tol=REL, abs_tol=ABS)
        else [f"{path}: {a!r} != {b!r} (rel {REL})"]
    )


@pytest.mark.parametrize(("engine", "case", "metric"), _params())
def test_engine_matches_duckdb(
    reports: Any, engine: str, case: tuple[str, str | None, str], metric: str
) -> None:
    spec = get_metric(metric)
    duck = reports("duckdb", case)
    spark = reports(engine, case)
    duck = duck[duck.metric == metric].set_index(["period_start", "segment"]).sort_index()
    spark = spark[spark.metric == metric].set_index(["period_start", "segment"]).sort_index()
    assert len(duck) > 0, f"{metric} gave no rows on DuckDB for {_case_id(case)}"
    assert list(duck.index) == list(spark.index), "periods and segments differ"
    exact = spec.unit == "count"
    problems: list[str] = []
    for key in duck.index:
        d, s = duck.loc[key], spark.loc[key]
        where = f"{key[0]:%Y-%m-%d}/{key[1]}"
        problems += _same(d["value"], s["value"], exact, f"{where} value")
        problems += _same(d["components"], s["components"], False, f"{where} components")
        if d["health"] != s["health"] and not (pd.isna(d["health"]) and pd.isna(s["health"])):
            problems.append(f"{where} health: {d['health']!r} != {s['health']!r}")
    assert not problems, "\n".join(problems[:20])


def _kind(dtype: Any) -> str:
    """A column type without nullability or timestamp precision (DuckDB says timestamp(6))."""
    if dtype.is_timestamp():
        return f"timestamp tz={dtype.timezone}"
    return str(dtype.copy(nullable=True))


@pytest.mark.parametrize("engine", [engine_param(e) for e in ENGINES])
def test_tables_have_canonical_types(engine_ws: Any, duck_ws: Any, engine: str) -> None:
    """The load (Parquet for Spark, the ingest for PostgreSQL) keeps the canonical types:
    naive timestamps, decimal money."""
    assert engine_ws.tables() == duck_ws.tables()
    for name in duck_ws.tables():
        other = {c: _kind(t) for c, t in engine_ws.table(name).schema().items()}
        duck = {c: _kind(t) for c, t in duck_ws.table(name).schema().items()}
        assert other == duck, name
    assert str(engine_ws.table("orders").schema()["amount"].copy(nullable=True)) == "decimal(18, 4)"
