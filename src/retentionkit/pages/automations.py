"""The Automations page: the rules with their sent / failed / held-out / skipped / dead
counts, the next due actions, the latest log and each holdout rule's lift (treated vs holdout
repeat purchase rate within 30 days, 95 % Newcombe interval)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.pages.common import Filters

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    from retentionkit.automations.report import lift
    from retentionkit.automations.service import Log, Overview, run
    from retentionkit.service.serialize import frame_records

    overview = svc.run(lambda ws: run(ws, Overview()))
    log = frame_records(svc.run(lambda ws: run(ws, Log(limit=50))))
    lifts = []
    for rule in overview["rules"]:
        if rule["held_out"]:
            out = svc.run(lambda ws, name=rule["name"]: lift(ws, name))
            lifts.append(
                {
                    "rule": rule["name"],
                    "treated": f"{_pct(out['treated']['repeat_rate'])} of "
                    f"{out['treated']['actions']}",
                    "holdout": f"{_pct(out['holdout']['repeat_rate'])} of "
                    f"{out['holdout']['actions']}",
                    "lift": _pct(out["lift"]),
                    "interval": f"{_pct(out['lift_ci_low'])} to {_pct(out['lift_ci_high'])}"
                    if out["lift"] is not None
                    else "–",
                }
            )
    return {
        "rules": overview["rules"],
        "next_due": overview["next_due"],
        "log": log,
        "lifts": lifts,
    }
