"""The MRR page: MRR, its movements (new, expansion, reactivation, contraction, churned)
and NRR/GRR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.metrics.periods import period_label
from retentionkit.pages import charts
from retentionkit.pages.common import (
    Filters,
    currency_of,
    fmt_value,
    label_of,
    metric_request,
    money_column,
    number,
    partial_x,
    series,
    usable_metrics,
    x_axis,
)

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


MRR_METRICS = [
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "nrr",
    "grr",
    "arpc",
]


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    names = usable_metrics(svc, MRR_METRICS)
    if "mrr" not in names:
        from retentionkit.errors import MissingTableError

        raise MissingTableError(
            "MRR needs the subscriptions table, which is not loaded; ingest it first with "
            "'retentionkit ingest subscriptions FILE'."
        )
    frame = svc.request(metric_request(f, names)).frame
    currency = currency_of(svc)
    x = x_axis(series(frame, "mrr"))
    partial = partial_x(series(frame, "mrr"))

    def vals(name: str, sign: float = 1.0) -> list[Any]:
        return [
            None if v is None else sign * v
            for v in (number(v) for v in series(frame, name)["value"].tolist())
        ]

    moves = {
        "New": vals("new_mrr"),
        "Expansion": vals("expansion_mrr"),
        "Reactivation": vals("reactivation_mrr"),
        "Contraction": vals("contraction_mrr", -1),
        "Churned": vals("churned_mrr", -1),
    }
    net = [sum(v or 0.0 for v in col) for col in zip(*moves.values(), strict=True)]
    colors = {
        "New": "#16a34a",
        "Expansion": "#4ade80",
        "Reactivation": "#0891b2",
        "Contraction": "#f97316",
        "Churned": "#dc2626",
    }
    figures = [
        charts.line(f"MRR ({currency})", x, {"MRR": vals("mrr")}, "money", partial=partial),
        charts.bars(
            f"MRR movements ({currency})",
            x,
            moves,
            colors=colors,
            overlay_line=("Net change", net),
            partial=partial,
        ),
    ]
    rr = [m for m in ("nrr", "grr") if m in names]
    if rr:
        figures.append(
            charts.line(
                "Net and gross revenue retention (%)",
                x,
                {label_of(m): vals(m) for m in rr},
                "%",
                partial=partial,
            )
        )
    mrr_values = vals("mrr")
    nrr_values = vals("nrr") if "nrr" in names else [None] * len(x)
    # each money column in one format (whole units only when all its amounts are large)
    money = {"mrr": money_column(mrr_values), "net": money_column(net)}
    money.update({k.lower(): money_column(v) for k, v in moves.items()})
    rows = []
    for i, start in enumerate(x):
        rows.append(
            {
                "period": period_label(start, f.period),
                "mrr": money["mrr"][i],
                **{k.lower(): money[k.lower()][i] for k in moves},
                "net": money["net"][i],
                "nrr": fmt_value(nrr_values[i], "%"),
            }
        )
    return {"figures": figures, "rows": rows[::-1], "currency": currency}
