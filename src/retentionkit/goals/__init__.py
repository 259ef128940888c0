"""Goals: targets on any KPI (or set by hand) that track themselves, with progress, status,
history and ``p_hit``, the probability of hitting them (docs/goals.md).

Python API — one typed request and one function per operation::

    from retentionkit.goals import GoalAddRequest, GoalEvaluateRequest, add_goal, evaluate_goals
    add_goal(ws, GoalAddRequest(name="retention", metric="crr", target=60, by="2025-12-31"))
    evaluate_goals(ws, GoalEvaluateRequest(as_of="2025-06-30"))
"""

from retentionkit.goals.model import (
    KINDS,
    STATUSES,
    Goal,
    GoalAddRequest,
    GoalDeleteRequest,
    GoalEvaluateRequest,
    GoalListRequest,
    GoalShowRequest,
    GoalUpdateRequest,
    build_request,
)
from retentionkit.goals.service import (
    RECORD_KEYS,
    add_goal,
    delete_goal,
    evaluate_daily,
    evaluate_goals,
    list_goals,
    show_goal,
    update_goal,
)
from retentionkit.goals.store import has_goals

__all__ = [
    "KINDS",
    "RECORD_KEYS",
    "STATUSES",
    "Goal",
    "GoalAddRequest",
    "GoalDeleteRequest",
    "GoalEvaluateRequest",
    "GoalListRequest",
    "GoalShowRequest",
    "GoalUpdateRequest",
    "add_goal",
    "build_request",
    "delete_goal",
    "evaluate_daily",
    "evaluate_goals",
    "has_goals",
    "list_goals",
    "show_goal",
    "update_goal",
]
