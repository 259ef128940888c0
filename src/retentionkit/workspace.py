"""The workspace: one Ibis connection (an embedded DuckDB file by default) holding the
canonical tables of SPEC §2, plus the settings. Every feature hangs off it::

    import retentionkit as rk
    ws = rk.Workspace("shop.duckdb")
    ws.ingest("orders", "orders.csv", mapping={"CustomerID": "customer_id"})
    ws.metrics(metric=["crr"], period="month")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.config import Settings, find_config, load_settings
from retentionkit.errors import MissingTableError
from retentionkit.schema.contracts import TABLE_NAMES, contract

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.schema.ingest import IngestReport

__all__ = ["Workspace"]


class Workspace:
    """A retentionkit workspace over an Ibis backend.

    Parameters
    ----------
    target:
        Path of a DuckDB file (created when missing), ``":memory:"``, a backend URL, or an Ibis
        backend object (e.g. ``ibis.pyspark.connect(session)``).
    config:
        Path of a ``retentionkit.toml``; by default the one next to the DuckDB file or in the
        current directory.
    settings:
        Settings object (overrides ``config``).
    """

    def __init__(
        self,
        target: Any = "retentionkit.duckdb",
        *,
        config: Path | str | None = None,
        settings: Settings | None = None,
    ) -> None:
        from retentionkit.backends import connect

        if settings is None:  # a bad settings file is reported before anything is created
            path = None if not isinstance(target, (str, Path)) else Path(target)
            settings = load_settings(find_config(path, Path(config) if config else None))
        self.path: Path | None = None
        if (
            isinstance(target, (str, Path))
            and "://" not in str(target)
            and str(target) != (":memory:")
        ):
            self.path = Path(target)
        self._target = target
        # A DuckDB file that does not exist yet is created on first use, not here: an ingest
        # validates its file first, so a refused first load never creates (and never has to
        # delete) a workspace file another process might be using by then.
        self._con: Any = None
        if self.path is None or self.path.exists():
            self._con = connect(target)
        self.settings = settings

    @property
    def con(self) -> Any:
        """The Ibis backend (a new DuckDB file is created on first access)."""
        if self._con is None:
            from retentionkit.backends import connect

            self._con = connect(self._target)
        return self._con

    def __repr__(self) -> str:
        where = self.path or getattr(self.con, "name", "backend")
        return f"Workspace({where!s}, tables={self.tables()})"

    # -- tables -------------------------------------------------------------------------
    def tables(self) -> list[str]:
        """Canonical tables present in the workspace."""
        present = set(self.con.list_tables())
        return [name for name in TABLE_NAMES if name in present]

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def table(self, name: str) -> Any:
        """The Ibis table ``name``; a missing one says which file to ingest."""
        contract(name)
        if not self.has_table(name):
            raise MissingTableError(
                f"Table {name} is not loaded yet; ingest it first with "
                f"'retentionkit ingest {name} FILE'."
            )
        return self.con.table(name)

    def row_counts(self) -> dict[str, int]:
        return {name: int(self.con.table(name).count().execute()) for name in self.tables()}

    def sql(self, query: str) -> pd.DataFrame:
        """Run read-only SQL against the workspace (for exploration; metrics never do this)."""
        return self.con.sql(query).execute()

    # -- ingest -------------------------------------------------------------------------
    def ingest(
        self,
        table: str,
        source: Any,
        mapping: dict[str, str] | None = None,
        *,
        date_format: str | None = None,
        timezone: str | None = None,
        delimiter: str | None = None,
        header: bool = True,
        columns: list[str] | None = None,
        constants: dict[str, str] | None = None,
        generate_id: bool = False,
        line_items: bool = False,
        drop_missing_customer: bool = False,
        encoding: str = "utf-8",
        progress: bool = False,
    ) -> IngestReport:
        """Validate ``source`` (a path, or a pandas/Polars/Arrow frame) and upsert it into
        ``table``; all or nothing. Returns inserted / updated / unchanged counts."""
        from retentionkit.schema.ingest import IngestOptions, prepare, write_batches

        options = IngestOptions(
            mapping=dict(mapping or {}),
            date_format=date_format,
            timezone=timezone,
            constants=dict(constants or {}),
            generate_id=generate_id,
            line_items=line_items,
            drop_missing_customer=drop_missing_customer,
        )
        if timezone is not None:
            from retentionkit.config import check_timezone

            check_timezone(timezone, "--timezone")
        prepared = prepare(
            table,
            source,
            options,
            self.settings,
            delimiter=delimiter,
            header=header,
            columns=columns,
            encoding=encoding,
            progress=progress,
        )
        write_batches(self.con, [prepared])  # connects (creates a new file) only now
        return prepared[0]

    def load_dir(self, directory: Path | str, *, progress: bool = False) -> list[IngestReport]:
        """Load every file of ``directory`` named after a canonical table (``orders.parquet``,
        ``customers.csv`` …, as ``retentionkit generate`` writes them). Every file is validated
        before anything is written, and all are written in one transaction."""
        from retentionkit.errors import InputError
        from retentionkit.schema.ingest import IngestReport, prepare_many, write_batches
        from retentionkit.schema.readers import is_empty_table_file

        folder = Path(directory)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a directory.")
        items, skipped, used = [], [], set()
        for name in TABLE_NAMES:
            files = sorted(p for p in folder.glob(f"{name}.*") if p.is_file())
            if not files:
                continue
            used.add(files[0])
            if is_empty_table_file(files[0]):
                skipped.append(IngestReport(files[0].name, notes=["no rows, skipped"]))
            else:
                items.append((name, files[0]))
        if not items and not skipped:
            raise InputError(f"{folder}: no file named after a table ({', '.join(TABLE_NAMES)}).")
        reports = []
        if items:
            prepared = prepare_many(items, self.settings, progress=progress)
            write_batches(self.con, prepared)  # connects (creates a new file) only now
            reports = [report for report, _ in prepared]
        ignored = sorted(
            p.name
            for p in folder.iterdir()
            if p.is_file() and p not in used and not p.name.startswith(".")
        )
        if ignored:
            skipped.append(
                IngestReport(
                    "other files", notes=["not named after a table, ignored: " + ", ".join(ignored)]
                )
            )
        return reports + skipped

    # -- metrics ------------------------------------------------------------------------
    def metrics(
        self,
        metric: str | list[str] | None = None,
        *,
        period: str = "month",
        start: Any = None,
        end: Any = None,
        last: int | None = None,
        segment: str | None = None,
        customer_definition: str | None = None,
        active_window: str | None = None,
        churn_basis: str | None = None,
        compare: str | None = None,
        **options: Any,
    ) -> pd.DataFrame:
        """KPIs per period and segment: one row per metric, period and segment with
        ``value``, ``components`` and ``health`` (see docs/metrics.md). ``start``/``end``
        are the CLI's ``--from``/``--to`` (half-open)."""
        from retentionkit.metrics.engine import compute_metrics

        names = [metric] if isinstance(metric, str) else metric
        return compute_metrics(
            self,
            names,
            period=period,
            start=start,
            end=end,
            last=last,
            segment=segment,
            customer_definition=customer_definition,
            active_window=active_window,
            churn_basis=churn_basis,
            compare=compare,
            options=options,
        )

    def explain(self, metric: str, **kwargs: Any) -> str:
        """The SQL that computes ``metric``'s components, in this backend's dialect."""
        from retentionkit.metrics.engine import explain_metric

        return explain_metric(self, metric, **kwargs)

    # -- cohorts, RFM, segments ---------------------------------------------------------
    def cohorts(
        self,
        *,
        period: str = "month",
        kind: str = "customers",
        start: Any = None,
        end: Any = None,
        segment: str | None = None,
        customer_definition: str | None = None,
    ) -> pd.DataFrame:
        """Acquisition-cohort table: one row per cohort (and segment) and offset with
        ``cohort, offset, size, value`` (see docs/cohorts.md)."""
        from retentionkit.cohorts.table import cohort_table

        return cohort_table(
            self,
            period=period,
            kind=kind,
            start=start,
            end=end,
            segment=segment,
            customer_definition=customer_definition,
        )

    def rfm(
        self,
        time_unit: str = "week",
        observation_end: Any = None,
        calibration_end: Any = None,
    ) -> pd.DataFrame:
        """Per-customer RFM summary (frequency, recency, T, monetary_value [, holdout
        columns]) as lifetimes defines it; see :mod:`retentionkit.clv.rfm`."""
        from retentionkit.clv.rfm import rfm_summary

        return rfm_summary(self, time_unit, observation_end, calibration_end)

    def segments(
        self, scheme: str = "rfm", *, as_of: Any = None, per_customer: bool = False
    ) -> pd.DataFrame:
        """Per-segment summary (customers, share, revenue, KPIs) for ``scheme`` (``rfm``,
        ``rfm_score`` or any attribute); ``per_customer`` gives each customer's segment."""
        from retentionkit.segments.summary import segment_customers, segment_summary

        if per_customer:
            return segment_customers(self, scheme, as_of=as_of)
        return segment_summary(self, scheme, as_of=as_of)

    # -- customer lifetime value ---------------------------------------------------------
    def clv(
        self,
        horizon: float = 52,
        *,
        model: str = "bgnbd",
        spend_model: str = "gamma-gamma",
        time_unit: str = "week",
        observation_end: Any = None,
        margin: float = 1.0,
        discount_rate: float = 0.01,
        penalizer: float = 0.0,
    ) -> pd.DataFrame:
        """Per-customer CLV predictions (see :func:`retentionkit.clv.workflow.predict`)."""
        from retentionkit.clv import workflow

        return workflow.predict(
            self,
            model=model,
            spend_model=spend_model,
            horizon=horizon,
            time_unit=time_unit,
            observation_end=observation_end,
            margin=margin,
            discount_rate=discount_rate,
            penalizer=penalizer,
        )

    def clv_fit(
        self,
        model: str = "bgnbd",
        *,
        time_unit: str = "week",
        observation_end: Any = None,
        penalizer: float = 0.0,
    ) -> Any:
        """Fit a CLV model on the orders; returns the fitted model object."""
        from retentionkit.clv import workflow

        return workflow.fit(
            self, model, time_unit=time_unit, observation_end=observation_end, penalizer=penalizer
        ).model

    def clv_evaluate(
        self,
        calibration_end: Any,
        observation_end: Any,
        *,
        model: str = "auto",
        time_unit: str = "week",
        penalizer: float = 0.0,
    ) -> dict[str, Any]:
        """Holdout evaluation (and automatic model choice with ``model="auto"``)."""
        from retentionkit.clv import workflow

        return workflow.evaluate(
            self,
            calibration_end=calibration_end,
            observation_end=observation_end,
            model=model,
            time_unit=time_unit,
            penalizer=penalizer,
        )

    # -- churn risk ----------------------------------------------------------------------
    def churn(
        self,
        *,
        as_of: Any = None,
        horizon: str | int = "90d",
        top: int | None = None,
        method: str = "auto",
        sort: str = "value_at_risk",
        min_risk: float | str = "average",
    ) -> pd.DataFrame:
        """Customers at risk: customer_id, risk, value_at_risk, reasons, segment (see
        :func:`retentionkit.churn.pipeline.at_risk`)."""
        from retentionkit.churn.pipeline import at_risk

        return at_risk(
            self, as_of=as_of, horizon=horizon, top=top, method=method, sort=sort, min_risk=min_risk
        )

    def churn_backtest(
        self, *, horizon: str | int = "90d", folds: int = 2, train_cutoffs: int = 4
    ) -> dict[str, Any]:
        """Time-based backtest report of the churn model."""
        from retentionkit.churn.pipeline import backtest

        return backtest(self, horizon=horizon, folds=folds, train_cutoffs=train_cutoffs)
