"""Hypothesis: the SPEC §3 identities on random small histories, the MRR bridge, ChartMogul's
contraction rule, null-not-NaN, and one-sentence errors for bad requests."""

from __future__ import annotations

import itertools
import json
import math
import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reference import Reference

import retentionkit as rk
from retentionkit.cli.app import main
from retentionkit.config import Settings, parse_duration_days
from retentionkit.errors import ConfigError, RetentionkitError

NO_SHRINK = bool(os.environ.get("RK_NO_SHRINK"))
DAY0 = pd.Timestamp("2024-01-01")  # a Monday and a month start
RANGES = {"month": ("2024-01-01", "2024-06-01"), "week": ("2024-01-01", "2024-04-15")}
CUSTOMER_METRICS = ["crr", "churn_rate", "new_customers"]
MRR_METRICS = [
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "nrr",
    "grr",
]
HYPO = settings(
    max_examples=30,
    phases=[Phase.explicit, Phase.reuse, Phase.generate] if NO_SHRINK else list(Phase),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- random histories ----------------------------------------------------------------------
instants = st.builds(
    lambda day, second: DAY0 + pd.Timedelta(days=day, seconds=second),
    st.integers(0, 150),
    st.one_of(st.just(0), st.integers(0, 86_399)),  # often exactly midnight, on a boundary
)
orders_st = st.lists(st.tuples(st.integers(0, 5), instants), min_size=1, max_size=30)
terms_st = st.lists(
    st.tuples(
        st.integers(0, 4),  # customer
        st.integers(0, 1),  # which of the customer's subscriptions
        instants,
        st.one_of(st.none(), st.integers(1, 90)),  # term length in days, None = running
        st.sampled_from([0.0, 10.0, 20.0, 35.5]),
    ),
    min_size=1,
    max_size=15,
)
countries_st = st.lists(st.sampled_from(["PL", "DE", None]), min_size=6, max_size=6)


def frames(orders, terms, countries) -> dict[str, pd.DataFrame]:
    o = pd.DataFrame(
        {
            "order_id": [f"o{i:03d}" for i in range(len(orders))],
            "customer_id": [f"c{c}" for c, _ in orders],
            "ordered_at": pd.to_datetime([t for _, t in orders]).astype("datetime64[us]"),
            "amount": [10.0 + i for i in range(len(orders))],
            "quantity": [1] * len(orders),
            "delivered_at": pd.Series([pd.NaT] * len(orders), dtype="datetime64[us]"),
        }
    )
    s = pd.DataFrame(
        {
            "term_id": [f"t{i:03d}" for i in range(len(terms))],
            "subscription_id": [f"s{c}-{k}" for c, k, *_ in terms],
            "customer_id": [f"c{c}" for c, *_ in terms],
            "started_at": pd.to_datetime([t for _, _, t, _, _ in terms]).astype("datetime64[us]"),
            "ended_at": pd.to_datetime(
                [None if n is None else t + pd.Timedelta(days=n) for _, _, t, n, _ in terms]
            ).astype("datetime64[us]"),
            "mrr": [m for *_, m in terms],
        }
    )
    c = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(6)],
            "country": pd.Series(countries, dtype="string"),
        }
    )
    return {"orders": o, "subscriptions": s, "customers": c}


@pytest.fixture(scope="module")
def scratch():
    """One in-memory workspace whose tables each example replaces (fast: no ingest)."""
    return rk.Workspace(":memory:", settings=Settings())


def put(ws, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        ws.con.create_table(name, frame, overwrite=True)


def by_key(frame: pd.DataFrame, metric: str) -> dict[tuple, dict]:
    part = frame[frame["metric"] == metric]
    return {
        (pd.Timestamp(p), s): {"value": v, "complete": w, **c}
        for p, s, v, c, w in zip(
            part["period_start"],
            part["segment"],
            part["value"],
            part["components"],
            part["complete"],
            strict=True,
        )
    }


def outside(c: dict) -> bool:
    """A period outside the data of the metric's tables: value null (docs/metrics.md)."""
    return pd.isna(c["value"]) and not c["complete"]


# -- S − L + N = E, 0 ≤ retained ≤ S, N = new + reactivated ---------------------------------
@HYPO
@given(
    orders=orders_st,
    terms=terms_st,
    countries=countries_st,
    period=st.sampled_from(["month", "week"]),
    definition=st.sampled_from(["activity", "contractual"]),
    segment=st.sampled_from([None, "country"]),
    window=st.sampled_from([None, "10d", "45d"]),
)
def test_customer_identities(
    scratch, orders, terms, countries, period, definition, segment, window
):
    tables = frames(orders, terms, countries)
    put(scratch, tables)
    start, end = RANGES[period]
    try:
        out = scratch.metrics(
            CUSTOMER_METRICS,
            period=period,
            start=start,
            end=end,
            segment=segment,
            customer_definition=definition,
            active_window=window,
        )
    except ConfigError as exc:  # every event outside the range: one sentence, no periods
        assert "holds no data" in str(exc)
        return
    crr = by_key(out, "crr")
    assert crr, "one record per period and segment"
    for (p, s), c in crr.items():
        n = c["new"] + c["reactivated"]
        assert c["start"] - c["lost"] + n == c["end"], (p, s, c)
        assert 0 <= c["retained"] <= c["start"], (p, s, c)
        assert n == c["end"] - c["retained"], (p, s, c)
        assert min(c["new"], c["reactivated"], c["lost"]) >= 0, (p, s, c)
        if c["start"] == 0:
            assert pd.isna(c["value"])  # undefined (null in JSON)
        elif not outside(c):
            assert c["value"] == pytest.approx(100 * c["retained"] / c["start"])
    # the end of one period is the start of the next
    starts = sorted({p for p, _ in crr})
    for s in {s for _, s in crr}:
        for a, b in itertools.pairwise(starts):
            assert crr[(a, s)]["end"] == crr[(b, s)]["start"], (a, s)
    # the engine agrees with the plain-pandas reference on random histories too
    ref = Reference(
        {k: scratch.table(k).execute() for k in tables},
        definition=definition,
        window_days=parse_duration_days(window) if window else None,
        segment=segment,
    )
    bounds = ref.bounds(period, start, end)
    from retentionkit.metrics.engine import data_extent
    from retentionkit.metrics.periods import floor
    from retentionkit.metrics.registry import get_metric

    data_lo, data_hi = data_extent(scratch, set(get_metric("crr").source_tables(definition)))
    data_lo = floor(data_lo, period)
    for t0, t1 in itertools.pairwise(bounds):
        counts = ref.customer_counts(t0, t1, period)
        for s, want in counts.items():
            got = crr.get((t0, s))
            if got is None and not data_lo <= t0 <= data_hi:
                continue  # periods past the data are cut from a --from/--to range
            if got is None:  # a segment without customers may be left out
                assert not any(want.values()), (t0, s, want)
                continue
            assert {k: got[k] for k in want if k != "acquired"} == {
                k: v for k, v in want.items() if k != "acquired"
            }, (t0, s)
            new = by_key(out, "new_customers")[(t0, s)]
            assert outside(new) or new["value"] == want["acquired"]


# -- MRR₁ = MRR₀ + new + reactivation + expansion − contraction − churned --------------------
@HYPO
@given(
    terms=terms_st,
    countries=countries_st,
    period=st.sampled_from(["month", "week"]),
    segment=st.sampled_from([None, "country"]),
)
def test_mrr_bridge(scratch, terms, countries, period, segment):
    tables = frames([(0, DAY0)], terms, countries)
    put(scratch, tables)
    start, end = RANGES[period]
    try:
        out = scratch.metrics(MRR_METRICS, period=period, start=start, end=end, segment=segment)
    except ConfigError as exc:  # every term outside the range: one sentence, no periods
        assert "holds no data" in str(exc)
        return
    rows = {
        m: by_key(out, m)
        for m in (
            "mrr",
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "reactivation_mrr",
            "nrr",
        )
    }
    for key, m in rows["mrr"].items():
        if outside(m):  # before the first term: null, not 0 (docs/metrics.md)
            continue
        start_mrr = rows["nrr"][key]["start_mrr"]
        bridge = (
            start_mrr
            + rows["new_mrr"][key]["value"]
            + rows["reactivation_mrr"][key]["value"]
            + rows["expansion_mrr"][key]["value"]
            - rows["contraction_mrr"][key]["value"]
            - rows["churned_mrr"][key]["value"]
        )
        assert m["value"] == pytest.approx(bridge, abs=1e-9), key
        for name in (
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "reactivation_mrr",
        ):
            assert rows[name][key]["value"] >= 0
    starts = sorted({p for p, _ in rows["mrr"]})
    for s in {s for _, s in rows["mrr"]}:
        for a, b in itertools.pairwise(starts):
            if outside(rows["mrr"][(a, s)]):  # before the first term: null, next starts at 0
                continue
            assert rows["mrr"][(a, s)]["value"] == pytest.approx(rows["nrr"][(b, s)]["start_mrr"])
    if segment is not None:  # segments partition the business
        whole = by_key(scratch.metrics("mrr", period=period, start=start, end=end), "mrr")
        for p in starts:
            if outside(whole[(p, "all")]):
                continue
            parts = sum(
                v["value"] for (q, _), v in rows["mrr"].items() if q == p and not outside(v)
            )
            assert parts == pytest.approx(whole[(p, "all")]["value"])


# -- ChartMogul's rule: cancelling one of two concurrent subscriptions is contraction --------
def _two_subscriptions(cancel_both: bool) -> dict[str, pd.DataFrame]:
    ts = pd.Timestamp
    s = pd.DataFrame(
        {
            "term_id": ["t1", "t2"],
            "subscription_id": ["s1", "s2"],
            "customer_id": ["c1", "c1"],
            "started_at": [ts("2024-01-10"), ts("2024-01-12")],
            "ended_at": [ts("2024-02-15"), ts("2024-02-20") if cancel_both else pd.NaT],
            "mrr": [30.0, 20.0],
        }
    )
    s["started_at"] = s["started_at"].astype("datetime64[us]")
    s["ended_at"] = s["ended_at"].astype("datetime64[us]")
    return {"subscriptions": s}


def test_cancelling_one_of_two_subscriptions_is_contraction(tmp_path):
    ws = rk.Workspace(":memory:", settings=Settings())
    ws.ingest("subscriptions", _two_subscriptions(cancel_both=False)["subscriptions"])
    out = ws.metrics(
        [*MRR_METRICS, "crr", "churn_rate"],
        period="month",
        start="2024-02-01",
        end="2024-03-01",
        customer_definition="contractual",
    )
    v = {m: by_key(out, m)[(pd.Timestamp("2024-02-01"), "all")] for m in set(out["metric"])}
    assert v["contraction_mrr"]["value"] == 30.0
    assert v["churned_mrr"]["value"] == 0.0
    assert v["churned_mrr"]["churned_subscribers"] == 0
    assert v["mrr"]["value"] == 20.0
    assert v["nrr"]["value"] == pytest.approx(40.0)  # (50 − 30) / 50
    assert v["churn_rate"]["value"] == 0.0  # still a customer
    assert v["crr"]["value"] == 100.0


def test_cancelling_every_subscription_is_churn():
    ws = rk.Workspace(":memory:", settings=Settings())
    ws.ingest("subscriptions", _two_subscriptions(cancel_both=True)["subscriptions"])
    out = ws.metrics(
        [*MRR_METRICS, "churn_rate"],
        period="month",
        start="2024-02-01",
        end="2024-03-01",
        customer_definition="contractual",
    )
    v = {m: by_key(out, m)[(pd.Timestamp("2024-02-01"), "all")] for m in set(out["metric"])}
    assert v["churned_mrr"]["value"] == 50.0
    assert v["contraction_mrr"]["value"] == 0.0
    assert v["churned_mrr"]["churned_subscribers"] == 1
    assert v["churn_rate"]["value"] == 100.0
    assert v["grr"]["value"] == 0.0


def test_reactivation_is_not_new():
    ts = pd.Timestamp
    s = pd.DataFrame(
        {
            "term_id": ["t1", "t2"],
            "subscription_id": ["s1", "s2"],
            "customer_id": ["c1", "c1"],
            "started_at": pd.to_datetime([ts("2024-01-10"), ts("2024-03-05")]),
            "ended_at": pd.to_datetime([ts("2024-02-10"), pd.NaT]),
            "mrr": [30.0, 40.0],
        }
    )
    ws = rk.Workspace(":memory:", settings=Settings())
    ws.ingest("subscriptions", s)
    out = ws.metrics(
        ["new_mrr", "reactivation_mrr", "reactivated_customers"],
        period="month",
        start="2024-01-01",
        end="2024-04-01",
        customer_definition="contractual",
    )
    jan, mar = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01")
    assert by_key(out, "new_mrr")[(jan, "all")]["value"] == 30.0
    assert by_key(out, "new_mrr")[(mar, "all")]["value"] == 0.0
    assert by_key(out, "reactivation_mrr")[(mar, "all")]["value"] == 40.0
    assert by_key(out, "reactivated_customers")[(mar, "all")]["value"] == 1


# -- null, never NaN -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """A DuckDB file with a few orders (first month: no customers at the start)."""
    path = tmp_path_factory.mktemp("db") / "ws.duckdb"
    ws = rk.Workspace(path, settings=Settings())
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["o1", "o2", "o3", "o4"],
                "customer_id": ["a", "b", "a", "c"],
                "ordered_at": pd.to_datetime(
                    ["2024-01-05", "2024-01-20", "2024-02-03", "2024-03-09"]
                ),
                "amount": [10.0, 20.0, 30.0, 40.0],
            }
        ),
    )
    ws.con.disconnect()
    return path


def test_undefined_value_is_null_in_json(small_db, capsys):
    rc = main(["--db", str(small_db), "metrics", "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "NaN" not in out and "Infinity" not in out
    records = json.loads(out)
    first_crr = [r for r in records if r["metric"] == "crr" and r["period_start"] == "2024-01-01"]
    assert first_crr[0]["value"] is None
    assert first_crr[0]["components"]["start"] == 0
    for rec in records:  # every value is a finite number or null
        assert rec["value"] is None or math.isfinite(rec["value"])


def test_undefined_value_is_none_in_python(small_db):
    ws = rk.Workspace(small_db, settings=Settings())
    out = ws.metrics(["crr", "time_to_second_purchase"])
    jan = out[out["period_start"] == pd.Timestamp("2024-01-01")]
    assert jan["value"].isna().all()


# -- clear one-sentence errors -----------------------------------------------------------------
@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--from", "2024-03-01", "--to", "2024-03-01"], "must be after"),
        (["--from", "2024-03-01", "--to", "2024-02-01"], "must be after"),
        (["--from", "2024-13-45"], "--from '2024-13-45' is not a date"),
        (["--to", "yesterday-ish"], "is not a date"),
        (["--metric", "crrr"], "Unknown metric 'crrr'"),
        (["--metric", "mrr"], "needs the subscriptions table"),
        (["--period", "fortnight"], "--period 'fortnight' is not one of"),
        (["--segment", "planet"], "Unknown segment 'planet'"),
        (["--churn-basis", "middle"], "--churn-basis"),
        (["--compare", "decade"], "--compare"),
        (["--last", "0"], "--last"),
        (["--active-window", "soon"], "soon"),
        (["--format", "xml"], "--format"),
    ],
)
def test_bad_metrics_requests(small_db, capsys, args, fragment):
    rc = main(["--db", str(small_db), "metrics", *args])
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.count("\n") == 0, err
    assert fragment in err, err


def test_empty_workspace_is_a_clear_error(tmp_path, capsys):
    rc = main(["--db", str(tmp_path / "empty.duckdb"), "metrics"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and err.count("\n") == 0 and "ingest" in err


def test_errors_are_retentionkit_errors_in_python(small_db):
    ws = rk.Workspace(small_db, settings=Settings())
    with pytest.raises(RetentionkitError, match="Unknown metric"):
        ws.metrics("nope")
    with pytest.raises(RetentionkitError, match="not a date"):
        ws.metrics("crr", start="31/02/2024")
    with pytest.raises(RetentionkitError, match="needs the subscriptions table"):
        ws.metrics("crr", customer_definition="contractual")
