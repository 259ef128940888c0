"""The goals through the service layer: ``run(ws, request)`` dispatches every goal request, and
the Workspace methods build those requests (unknown keyword arguments are refused)."""

from __future__ import annotations

import pytest

from retentionkit.errors import ConfigError, InputError, NotFoundError
from retentionkit.goals import (
    GoalAddRequest,
    GoalDeleteRequest,
    GoalEvaluateRequest,
    GoalListRequest,
    GoalShowRequest,
    GoalUpdateRequest,
    list_goals,
)
from retentionkit.service import Request, run

from .conftest import goal_tables

CRR = {"name": "retention", "metric": "crr", "target": 70, "by": "2024-06-30",
       "start": "2023-10-15"}  # fmt: skip


def test_every_goal_request_is_a_service_request_run_by_run(ws) -> None:
    add = GoalAddRequest(**CRR)
    assert isinstance(add, Request) and hash(add) == hash(GoalAddRequest(**CRR))
    assert run(ws, add).report["name"] == "retention"
    (rec,) = run(ws, GoalEvaluateRequest(as_of="2024-01-31")).report
    assert rec["as_of"] == "2024-01-31"
    assert run(ws, GoalListRequest()).report == list_goals(ws)
    detail = run(ws, GoalShowRequest(name="retention")).report
    assert [h["as_of"] for h in detail["history"]] == ["2023-10-15", "2024-01-31"]
    assert run(ws, GoalUpdateRequest(name="retention", target=75)).report["target"] == 75
    assert run(ws, GoalDeleteRequest(name="retention")).report == {
        "name": "retention",
        "deleted": True,
    }
    assert run(ws, GoalListRequest()).report == []


def test_workspace_methods_build_the_goal_requests(ws) -> None:
    rec = ws.add_goal("retention", metric="crr", target=70, by="2024-06-30", start="2023-10-15")
    assert rec == ws.goals()[0]
    (evaluated,) = ws.evaluate_goals(as_of="2024-01-31")
    assert ws.goal("retention")["goal"] == evaluated
    assert ws.update_goal("retention", note="raised", as_of="2024-01-31")["note"] == "raised"
    assert ws.delete_goal("retention")["deleted"] is True
    assert ws.goals() == []


def test_workspace_goal_methods_refuse_unknown_arguments_and_write_nothing(ws) -> None:
    before = goal_tables(ws)
    with pytest.raises(ConfigError, match="unknown keyword argument 'due'"):
        ws.add_goal("retention", metric="crr", target=70, by="2024-06-30", due="2024-06-30")
    with pytest.raises(ConfigError, match="unknown keyword argument"):
        ws.evaluate_goals(when="2024-01-31")
    with pytest.raises(InputError):
        ws.add_goal("retention", metric="crr", target=70, by="not a date")
    with pytest.raises(NotFoundError, match="No goal named 'nope'"):
        ws.goal("nope")
    assert goal_tables(ws) == before
