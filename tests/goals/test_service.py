"""Goal operations on a real workspace (the shared small business, January 2023 to February
2024): add, evaluate, show, update, delete; idempotency; every bad input of issue 14 gives one
sentence and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from retentionkit.errors import InputError, NotFoundError, UnknownNameError
from retentionkit.goals import (
    RECORD_KEYS,
    GoalAddRequest,
    GoalDeleteRequest,
    GoalEvaluateRequest,
    GoalShowRequest,
    GoalUpdateRequest,
    add_goal,
    delete_goal,
    evaluate_goals,
    list_goals,
    show_goal,
    update_goal,
)
from retentionkit.goals.measure import complete_mask, due_period_end, periods_between

from .conftest import goal_tables

CRR = {
    "name": "retention",
    "metric": "crr",
    "target": 70,
    "by": "2024-06-30",
    "start": "2023-10-15",
}


def test_start_value_is_the_last_complete_period_before_the_start(ws) -> None:
    rec = add_goal(ws, GoalAddRequest(**CRR))
    frame = ws.metrics(["crr"], period="month")
    september = frame[frame["period_start"] == "2023-09-01"]["value"].iloc[0]
    assert rec["start_value"] == pytest.approx(september)  # October is not complete on 10-15
    assert rec["current"] == rec["start_value"] and rec["progress"] == 0.0
    assert rec["as_of"] == "2023-10-15" and rec["direction"] == "up"
    assert list(rec)[: len(RECORD_KEYS)] == list(RECORD_KEYS)


def test_current_is_the_last_complete_period_and_the_rules_apply(ws) -> None:
    add_goal(ws, GoalAddRequest(**CRR))
    (rec,) = evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))
    frame = ws.metrics(["crr"], period="month").set_index("period_start")["value"]
    # the period ending at midnight after 2024-01-31 is January: complete
    assert rec["current"] == pytest.approx(frame.loc["2024-01-01"])
    assert rec["progress"] == pytest.approx(
        (rec["current"] - rec["start_value"]) / (70 - rec["start_value"])
    )
    days = (dt.date(2024, 1, 31) - dt.date(2023, 10, 15)).days
    assert rec["elapsed"] == pytest.approx(
        days / (dt.date(2024, 6, 30) - dt.date(2023, 10, 15)).days
    )
    assert rec["method"] == "bootstrap" and 0 <= rec["p_hit"] <= 1
    expected = (
        "on_track" if rec["p_hit"] >= 0.7 else "at_risk" if rec["p_hit"] >= 0.3 else "off_track"
    )
    assert rec["status"] == expected
    (mid,) = evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-30"))
    assert mid["current"] == pytest.approx(frame.loc["2023-12-01"])  # January not complete yet


def test_periods_beyond_the_data_are_not_complete(ws) -> None:
    frame = ws.metrics(["crr"], period="month")
    mask = complete_mask(ws, "crr", None, frame, dt.date(2030, 1, 1))
    # orders end on 2024-02-29: February is complete, nothing after it exists
    assert frame[mask]["period_start"].max() == dt.datetime(2024, 2, 1)
    nps = ws.metrics(["nps"], period="month")
    # the last survey answer is on 2024-02-27: February's answers are not all in yet
    assert nps[complete_mask(ws, "nps", None, nps, dt.date(2030, 1, 1))]["period_start"].max() == (
        dt.datetime(2024, 1, 1)
    )


def test_achieved_and_missed(ws) -> None:
    add_goal(ws, GoalAddRequest(**{**CRR, "target": 73}))  # December's CRR is 73.6
    (rec,) = evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-02"))
    assert rec["status"] == "achieved" and rec["p_hit"] is None
    add_goal(ws, GoalAddRequest(**{**CRR, "name": "late", "target": 90, "by": "2023-12-31"}))
    recs = {r["name"]: r for r in evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-02-15"))}
    assert recs["late"]["status"] == "missed"
    # after the due date the current value stays that of the due period (December)
    assert recs["late"]["current"] == pytest.approx(73.619632, abs=1e-4)


def test_evaluating_twice_for_one_date_keeps_one_history_row(ws) -> None:
    add_goal(ws, GoalAddRequest(**CRR))
    first = evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))
    again = evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))
    assert first == again  # deterministic (seeded)
    history = show_goal(ws, GoalShowRequest(name="retention"))["history"]
    assert [h["as_of"] for h in history] == ["2023-10-15", "2024-01-31"]
    rows = ws.con.table("goal_evaluations").execute()
    assert len(rows) == 2


def test_show_has_history_series_and_fan(ws) -> None:
    add_goal(ws, GoalAddRequest(**CRR))
    evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))
    detail = show_goal(ws, GoalShowRequest(name="retention"))
    assert detail["goal"]["as_of"] == "2024-01-31"
    assert detail["series"][0]["period_start"] == "2023-08-01"  # two periods before the start
    assert detail["series"][-1]["period_start"] == "2024-01-01"
    fan = detail["forecast"]
    # five months from February to June 2024, the due period
    assert fan["period_start"] == [
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
        "2024-05-01",
        "2024-06-01",
    ]
    assert len(fan["values"]) == 5 and fan["quantiles"][2] == 0.5


def test_due_period_and_horizon() -> None:
    from retentionkit.goals.model import Goal

    goal = Goal(
        "g",
        "metric",
        "crr",
        "quarter",
        None,
        None,
        "up",
        1.0,
        dt.date(2025, 3, 31),
        dt.date(2025, 1, 1),
        0.0,
    )
    assert due_period_end(goal) == dt.datetime(2025, 4, 1)  # Q1 counts on its last day
    goal = Goal(
        "g",
        "metric",
        "crr",
        "month",
        None,
        None,
        "up",
        1.0,
        dt.date(2025, 3, 15),
        dt.date(2025, 1, 1),
        0.0,
    )
    assert due_period_end(goal) == dt.datetime(2025, 3, 1)  # mid-March: February
    starts = periods_between(dt.datetime(2025, 1, 1), dt.datetime(2025, 4, 1), "month")
    assert [s.month for s in starts] == [1, 2, 3]


def test_goals_on_a_segment_and_per_quarter(ws) -> None:
    rec = add_goal(
        ws,
        GoalAddRequest(
            name="us",
            metric="new_customers",
            target=40,
            by="2024-02-29",
            start="2023-10-01",
            segment="country=US",
        ),
    )
    us = ws.metrics(["new_customers"], period="month", segment="country")
    sept = us[(us["segment"] == "US") & (us["period_start"] == "2023-09-01")]["value"].iloc[0]
    assert rec["start_value"] == sept and rec["segment"] == "country=US"
    q = add_goal(
        ws,
        GoalAddRequest(
            name="q",
            metric="mrr",
            target=20000,
            by="2024-12-31",
            start="2024-01-01",
            period="quarter",
        ),
    )
    assert q["period"] == "quarter" and q["start_value"] > 0


def test_custom_goals_take_the_value_by_hand(ws) -> None:
    rec = add_goal(
        ws,
        GoalAddRequest(name="calls", kind="number", target=10, by="2024-12-31", start="2024-01-01"),
    )
    assert rec["start_value"] == 0 and rec["metric"] is None and rec["method"] == "manual"
    rec = update_goal(ws, GoalUpdateRequest(name="calls", current=6, as_of="2024-07-01"))
    assert rec["progress"] == pytest.approx(0.6) and rec["p_hit"] is None
    assert rec["elapsed"] == pytest.approx(182 / 365) and rec["status"] == "on_track"
    rec = update_goal(ws, GoalUpdateRequest(name="calls", current=2, as_of="2024-07-01"))
    assert rec["status"] == "off_track"  # 0.2 < elapsed / 2
    yes = add_goal(
        ws,
        GoalAddRequest(
            name="launch", kind="yes_no", target="yes", by="2024-12-31", start="2024-01-01"
        ),
    )
    assert yes["target"] == 1.0
    assert update_goal(ws, GoalUpdateRequest(name="launch", current="yes"))["status"] == "achieved"
    assert len(show_goal(ws, GoalShowRequest(name="calls"))["history"]) == 2  # replaced 07-01


def test_list_update_delete(ws) -> None:
    add_goal(ws, GoalAddRequest(**CRR, owner="Ana", note="CRR up"))
    add_goal(
        ws,
        GoalAddRequest(
            name="churn", metric="churn_rate", target=30, by="2024-06-30", start="2023-10-15"
        ),
    )
    names = [r["name"] for r in list_goals(ws)]
    assert names == ["churn", "retention"]
    churn = list_goals(ws)[0]
    assert churn["direction"] == "down"  # from the registry
    rec = update_goal(ws, GoalUpdateRequest(name="retention", target=75, as_of="2024-01-31"))
    assert rec["target"] == 75 and rec["owner"] == "Ana"
    delete_goal(ws, GoalDeleteRequest(name="retention"))
    assert [r["name"] for r in list_goals(ws)] == ["churn"]
    assert set(ws.con.table("goal_evaluations").execute()["name"]) == {"churn"}


def test_daily_evaluation_is_a_no_op_without_goals(ws) -> None:
    """serve's daily run (server/daily.py) through the app's service: nothing without goals."""
    from types import SimpleNamespace

    from retentionkit.server.daily import evaluate_today
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings

    settings = WebSettings(db=ws.path, warm_cache=False)
    app = SimpleNamespace(
        state=SimpleNamespace(services={settings: WorkspaceService(workspace=ws)})
    )
    assert evaluate_today(app, settings) is None
    assert "goals" not in ws.con.list_tables()  # nothing created
    add_goal(ws, GoalAddRequest(**CRR))
    assert evaluate_today(app, settings) == 1


BAD = [
    (dict(CRR, metric="bogus"), UnknownNameError, "valid metrics: crr, churn_rate"),
    (dict(CRR, target=50), InputError, "already reached at the start"),
    (dict(CRR, by="2023-10-01"), InputError, "must be after the start"),
    (dict(CRR, segment="country=Atlantis"), InputError, "values: AU, CA, DE"),
    (dict(CRR, segment="nope=1"), UnknownNameError, "Unknown segment 'nope'"),
    (dict(CRR, target="lots"), InputError, "--target 'lots' is not a number"),
    (dict(CRR, by="next year"), InputError, "--by 'next year' is not a date"),
    (dict(CRR, start="2022-01-01"), InputError, "no complete month of crr"),
    (dict(CRR, kind="number"), InputError, "takes no --metric"),
    (dict(CRR, metric=None), InputError, "give --metric METRIC"),
    (dict(CRR, direction="sideways"), Exception, "--direction 'sideways' is not one of"),
]


@pytest.mark.parametrize(("fields", "error", "text"), BAD)
def test_bad_goals_give_one_sentence_and_write_nothing(ws, fields, error, text) -> None:
    add_goal(
        ws,
        GoalAddRequest(
            name="existing", metric="crr", target=80, by="2024-06-30", start="2023-10-15"
        ),
    )
    before = goal_tables(ws)
    with pytest.raises(error) as info:
        add_goal(ws, GoalAddRequest(**fields))
    message = str(info.value)
    assert text in message and "\n" not in message and message.endswith(".")
    assert goal_tables(ws) == before


def test_duplicate_name_and_custom_value_on_a_metric_goal_write_nothing(ws) -> None:
    add_goal(ws, GoalAddRequest(**CRR))
    before = goal_tables(ws)
    with pytest.raises(InputError, match="A goal named 'retention' already exists"):
        add_goal(ws, GoalAddRequest(**{**CRR, "target": 90}))
    with pytest.raises(InputError, match="--current applies only to custom goals"):
        update_goal(ws, GoalUpdateRequest(name="retention", current=80))
    with pytest.raises(InputError, match="already reached at the start"):
        update_goal(ws, GoalUpdateRequest(name="retention", target=10))
    with pytest.raises(NotFoundError, match=r"No goal named 'nope'; goals: retention\."):
        delete_goal(ws, GoalDeleteRequest(name="nope"))
    assert goal_tables(ws) == before


def test_requests_are_frozen() -> None:
    req = GoalAddRequest(**CRR)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        req.target = 1  # type: ignore[misc]
