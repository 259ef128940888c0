"""Goals: targets on any KPI (or set by hand) that track themselves, with progress, status,
history and ``p_hit``, the probability of hitting them (docs/goals.md).

One typed request per operation, run like every operation by :func:`retentionkit.service.run`
(the Workspace methods build them: ``ws.add_goal``, ``ws.goals``, ``ws.goal``,
``ws.update_goal``, ``ws.evaluate_goals``, ``ws.delete_goal``)::

    from retentionkit.goals import GoalAddRequest, GoalEvaluateRequest
    from retentionkit.service import run
    run(ws, GoalAddRequest(name="retention", metric="crr", target=60, by="2025-12-31"))
    run(ws, GoalEvaluateRequest(as_of="2025-06-30")).report
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
    "evaluate_goals",
    "has_goals",
    "list_goals",
    "show_goal",
    "update_goal",
]
