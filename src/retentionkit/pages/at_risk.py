"""The at-risk page: the customers with the most value at risk, with reasons."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from retentionkit.pages import charts
from retentionkit.pages.common import Filters, currency_of, fmt_value, money_column, number, pct
from retentionkit.service.requests import ChurnAtRiskRequest

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


@lru_cache(maxsize=1)
def at_risk_request() -> ChurnAtRiskRequest:
    """The request GET /api/churn/at-risk makes by default: the 100 customers with the most
    value at risk over a 90-day horizon. Made at first use: validating its model name imports
    the CLV models (SciPy, ~1.5 s), which the server's start and first page do not need."""
    return ChurnAtRiskRequest(top=100)


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    result = svc.request(at_risk_request())
    frame = result.frame
    currency = currency_of(svc)
    rows = []
    records = frame.to_dict("records")
    shown = money_column([rec.get("value_at_risk") for rec in records])
    for rec, value_at_risk in zip(records, shown, strict=True):
        reasons = rec.get("reasons")
        if isinstance(reasons, str):
            reasons = [reasons]
        risk = number(rec.get("risk"))
        var = number(rec.get("value_at_risk"))
        rows.append(
            {
                "customer_id": rec["customer_id"],
                "risk": fmt_value(pct(risk), "%"),
                "risk_raw": "" if risk is None else f"{risk:.6f}",
                "value_at_risk": value_at_risk,
                "var_raw": "" if var is None else f"{var:.4f}",
                "reasons": [str(r) for r in (reasons or [])],
                "segment": rec.get("segment") or "",
            }
        )
    figures = []
    if len(frame):
        by = (
            frame.groupby("segment", dropna=False)["value_at_risk"]
            .agg(["sum", "count"])
            .sort_values("sum", ascending=False)
        )
        figures.append(
            charts.bars(
                f"Value at risk by segment, top {len(frame)} customers ({currency})",
                [str(i) for i in by.index],
                {"Value at risk": by["sum"].tolist()},
                horizontal=True,
                height=max(240, 30 * len(by) + 90),
            )
        )
        figures.append(
            charts.histogram(
                "Risk of these customers (%)",
                [None if v is None else v * 100 for v in map(number, frame["risk"])],
                nbins=20,
                unit="%",
            )
        )
    total = number(frame["value_at_risk"].sum()) if len(frame) else 0.0
    return {
        "rows": rows,
        "figures": figures,
        "total": fmt_value(total, "money", currency),
        "count": len(rows),
        "currency": currency,
        "horizon": at_risk_request().horizon,
        "model_line": result.model_line,
        "warnings": result.warnings,
    }
