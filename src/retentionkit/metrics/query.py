"""The resolved request every metric family works from: workspace, periods, customer
definition, activity window, segment. Families build Ibis expressions from it; the engine
runs them (:mod:`retentionkit.metrics.engine`), so no family executes a query itself."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from retentionkit.metrics.periods import TRUNCATE_UNIT, PeriodGrid, TruncateUnit

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

ALL_SEGMENT = "all"
UNKNOWN_SEGMENT = "unknown"


@dataclass
class MetricQuery:
    ws: Workspace
    grid: PeriodGrid  # the reported periods
    customer_definition: str = "activity"
    window_days: int | None = None  # None = the reporting period before t
    churn_basis: str = "start"
    segment: str | None = None
    segment_table: ir.Table | None = None  # (customer_id, segment) or None
    margin: float = 1.0  # gross margin of CLV values (the request's, else the settings')
    options: dict[str, Any] = field(default_factory=dict)
    #: earliest and latest event time per table (completeness.table_extents), set by the engine
    extents: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return self.grid.period

    @property
    def unit(self) -> TruncateUnit:
        return TRUNCATE_UNIT[self.grid.period]

    @property
    def settings(self) -> Settings:
        return self.ws.settings

    def with_grid(self, grid: PeriodGrid) -> MetricQuery:
        return replace(self, grid=grid)

    # -- helper tables ------------------------------------------------------------------
    def table(self, name: str) -> ir.Table:
        """A workspace table."""
        return self.ws.table(name)

    @cached_property
    def periods(self) -> ir.Table:
        """Ibis memtable: period_start, period_end of the reported periods (the engine renders
        it inline in explained SQL)."""
        import ibis

        return ibis.memtable(self.grid.frame())

    def boundaries(self, extra_before: int = 0) -> ir.Table:
        """Ibis memtable of instants t (every period boundary, plus ``extra_before`` earlier
        ones) with ``window_start`` = t − W for the activity window."""
        import ibis

        grid = self.grid.extended(extra_before)
        ts = pd.to_datetime(list(grid.boundaries)).astype("datetime64[us]")
        frame = pd.DataFrame({"t": ts})
        if self.window_days is not None:
            frame["window_start"] = (frame["t"] - pd.Timedelta(days=self.window_days)).astype(
                "datetime64[us]"
            )
        return ibis.memtable(frame)

    def in_range(self, column: ir.TimestampValue) -> ir.BooleanValue:
        """Filter predicate: the timestamp lies within the reported periods."""
        import ibis

        lo = ibis.literal(self.grid.first.to_pydatetime(), type="timestamp")
        hi = ibis.literal(self.grid.last.to_pydatetime(), type="timestamp")
        return (column >= lo) & (column < hi)

    def period_of(self, column: ir.TimestampValue | ir.DateValue) -> ir.TimestampValue:
        """The start of the period holding ``column`` (a timestamp or a date), as a
        timestamp."""
        return cast("ir.TimestampValue", column.truncate(self.unit).cast("timestamp"))

    def with_segment(self, table: ir.Table, customer_col: str = "customer_id") -> ir.Table:
        """Add a ``segment`` column: the customer's segment, 'unknown' when it has none, or
        'all' without a segment scheme."""
        import ibis

        if self.segment_table is None:
            return table.mutate(segment=ibis.literal(ALL_SEGMENT))
        seg = self.segment_table
        joined = table.left_join(seg, table[customer_col] == seg["customer_id"])
        cols = [c for c in table.columns]
        return joined.select(
            *[joined[c] for c in cols],
            segment=joined["segment"].cast("string").fill_null(UNKNOWN_SEGMENT),
        )
