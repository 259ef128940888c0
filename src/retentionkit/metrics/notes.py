"""One-line notes a metrics result carries besides its records (``frame.attrs["notes"]``,
``Result.extra["notes"]``): printed by the CLI on stderr and shown by the dashboard.

* unpriced orders: an orders log may omit ``amount`` (visit or loyalty-card data); the money
  metrics of a period holding such orders are null (``orders_without_amount`` > 0).
"""

from __future__ import annotations

import pandas as pd

MISSING_AMOUNT_COMPONENT = "orders_without_amount"


def notes_of(result: pd.DataFrame) -> list[str]:
    """The notes of a metrics result (empty when there is nothing to say)."""
    out = []
    unpriced = [
        c.get(MISSING_AMOUNT_COMPONENT) or 0
        for c in result.get("components", pd.Series(dtype=object))
        if isinstance(c, dict)
    ]
    if any(unpriced):
        out.append(
            "Some orders have no amount: revenue, average order value and CLV are null "
            "for the periods that hold them; counts, cohorts and models still work."
        )
    return out
