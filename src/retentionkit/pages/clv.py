"""The CLV page: the CLV distribution, P(alive), CLV tiers and the top customers."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from retentionkit.pages import charts
from retentionkit.pages.common import Filters, currency_of, fmt_value, money_column, number, pct
from retentionkit.service.features import available_features
from retentionkit.service.requests import ClvPredictRequest, SegmentRequest

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


@lru_cache(maxsize=1)
def clv_request() -> ClvPredictRequest:
    """The request GET /api/clv makes by default (one year ahead in weeks, the credible
    purchase model — ``model="auto"`` — + Gamma-Gamma; it names the model used). Made at first
    use: validating its model names imports the CLV models (SciPy), which the server's start
    does not need."""
    return ClvPredictRequest()


TOP_CUSTOMERS = 25


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    import numpy as np

    result = svc.request(clv_request())
    frame = result.frame
    currency = currency_of(svc)
    values = frame["clv"].astype("float64").dropna()
    figures = []
    stats: list[tuple[str, str]] = []
    if len(values):
        cap = float(np.quantile(values, 0.99))
        shown = values.clip(upper=cap)
        figures.append(
            charts.histogram(
                f"CLV over 52 weeks ({currency}), last bin from the 99th pct ({cap:,.0f})",
                shown.to_numpy(),
                nbins=40,
                unit="money",
            )
        )
        ordered = np.sort(values.to_numpy())[::-1]
        top10 = ordered[: max(1, len(ordered) // 10)].sum() / ordered.sum() * 100
        stats = [
            ("Customers", f"{len(values):,}"),
            ("Total CLV", fmt_value(values.sum(), "money", currency)),
            ("Mean", fmt_value(values.mean(), "money", currency)),
            ("Median", fmt_value(values.median(), "money", currency)),
            ("90th percentile", fmt_value(np.quantile(values, 0.9), "money", currency)),
            ("Share of the top 10 %", f"{top10:.1f}%"),
        ]
        if "p_alive" in frame.columns:
            figures.append(
                charts.histogram(
                    "Probability alive",
                    frame["p_alive"].astype("float64").to_numpy(),
                    nbins=20,
                    unit="ratio",
                )
            )
    tiers = _clv_tiers(svc, currency)
    if tiers:
        figures.append(
            charts.bars(
                "Customers and revenue by CLV tier (% of total)",
                [t["tier"] for t in tiers],
                {
                    "Customers": [t["share_n"] for t in tiers],
                    "Revenue": [t["revenue_share_n"] for t in tiers],
                },
                stacked=False,
            )
        )
    top = frame.sort_values("clv", ascending=False).head(TOP_CUSTOMERS).to_dict("records")
    rows = [
        {
            "customer_id": r["customer_id"],
            "clv": clv,
            "expected_purchases": fmt_value(r.get("expected_purchases"), "ratio"),
            "p_alive": fmt_value(pct(r.get("p_alive")), "%"),
            "frequency": r.get("frequency"),
        }
        for r, clv in zip(top, money_column([r["clv"] for r in top]), strict=True)
    ]
    return {
        "figures": figures,
        "stats": stats,
        "tiers": tiers,
        "rows": rows,
        "currency": currency,
        "model_line": result.model_line,
        "warnings": result.warnings,
    }


def _clv_tiers(svc: WorkspaceService, currency: str) -> list[dict[str, Any]]:
    """CLV tiers from the segments library (scheme ``clv_tier``) when it provides them."""
    from retentionkit.errors import RetentionkitError

    if "segments" not in available_features():
        return []
    try:
        frame = svc.request(SegmentRequest("clv_tier")).frame
    except RetentionkitError:
        return []
    from retentionkit.clv.workflow import TIERS

    rank = {name: i for i, (name, _) in enumerate(TIERS)}  # top 1 %, top 5 %, top 20 %, rest
    records = sorted(
        frame.to_dict("records"), key=lambda r: rank.get(str(r.get("segment")), len(rank))
    )
    revenue = money_column([rec.get("revenue") for rec in records], currency)
    out = []
    for rec, shown in zip(records, revenue, strict=True):
        out.append(
            {
                "tier": str(rec.get("segment", "")),
                "customers": fmt_value(rec.get("customers"), "count"),
                "share_n": number(rec.get("share")),
                "revenue_share_n": number(rec.get("revenue_share")),
                "share": fmt_value(rec.get("share"), "%"),
                "revenue": shown,
            }
        )
    return out


#: The at-risk page uses the defaults of GET /api/churn/at-risk (the 100 customers with the most
#: value at risk over a 90-day horizon).
