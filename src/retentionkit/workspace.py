"""The workspace: one Ibis connection (an embedded DuckDB file by default) holding the
canonical tables of SPEC §2, plus the settings. Every feature hangs off it::

    import retentionkit as rk
    with rk.Workspace("shop.duckdb") as ws:
        ws.ingest("orders", "orders.csv", mapping={"CustomerID": "customer_id"})
        ws.metrics(metric=["crr"], period="month")

An embedded workspace holds DuckDB's file lock from opening until :meth:`Workspace.close` (or
the end of the ``with`` block): close it, or other processes wait (``wait``). While
``retentionkit serve`` owns the file, the workspace holds nothing: every method runs in the
server (:mod:`retentionkit.runtime`), except :meth:`Workspace.table` and :attr:`Workspace.con`,
which hand out the Ibis connection itself (one sentence says so).

Every method builds one request of :mod:`retentionkit.service.requests` (which validates the
options once) and runs it with :func:`retentionkit.service.run`, as the CLI and the REST API do;
an unknown keyword argument is an error naming it and listing the valid ones.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.config import Settings, find_config, load_settings
from retentionkit.errors import MissingTableError
from retentionkit.schema.contracts import TABLE_NAMES, contract
from retentionkit.service import requests as rq
from retentionkit.service.operations import run
from retentionkit.service.options import (
    ChurnBasis,
    ChurnMethod,
    ChurnSort,
    CohortKind,
    CohortPeriod,
    Compare,
    CustomerDefinition,
    Period,
    TimeUnit,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.clv.models.base import BaseFitter
    from retentionkit.runtime.client import ServerClient
    from retentionkit.schema.common import IngestReport

__all__ = ["Workspace"]


#: The workspaces in a read scope (:meth:`Workspace.read_scope`) of this thread or task, by id,
#: with what the scope has looked up: the listed tables and their Ibis tables.
_READ_SCOPES: contextvars.ContextVar[dict[int, dict[str, Any]] | None] = contextvars.ContextVar(
    "retentionkit_read_scopes", default=None
)


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
    wait:
        Seconds (or ``"30s"``, ``"2m"``) to wait while another process holds the DuckDB file;
        default ``RETENTIONKIT_WAIT``, else ``[workspace] wait``, else 30 s.
    """

    def __init__(
        self,
        target: Any = "retentionkit.duckdb",
        *,
        config: Path | str | None = None,
        settings: Settings | None = None,
        wait: float | str | None = None,
    ) -> None:
        from retentionkit.backends import connect
        from retentionkit.runtime import find_server

        if settings is None:  # a bad settings file is reported before anything is created
            is_file = isinstance(target, (str, Path)) and "://" not in str(target)
            path = Path(target) if is_file else None  # a URL's settings: the current directory's
            settings = load_settings(find_config(path, Path(config) if config else None))
        self.settings = settings
        self.path: Path | None = None
        self.remote: ServerClient | None = None
        self._con: Any = None
        self._plain: Any = None  # a plain duckdb connection opened by :attr:`duck`
        if (
            isinstance(target, (str, Path))
            and "://" not in str(target)
            and str(target) != (":memory:")
        ):
            self.path = Path(target)
        self._target = target
        self._wait = wait
        self._closed = False
        if self.path is None:
            from retentionkit.backends.spark import is_spark_url

            if not is_spark_url(target):  # a Spark session starts at first use (a JVM: seconds)
                self._con = connect(target, settings)
            return
        info = find_server(self.path)
        if info is not None:  # a running `serve` owns the file: work through it
            from retentionkit.runtime.client import ServerClient

            self.remote = ServerClient(info)
            return
        # The DuckDB file is opened at first use (:attr:`con`), not here: a read answered from
        # the result cache (retentionkit.service.result_cache) never opens it, and a file that
        # does not exist yet is created by the first write only (an ingest validates its file
        # first, so a refused first load never creates a workspace file another process might
        # be using by then).

    def _connect(self) -> None:
        from retentionkit.runtime.lock import connect_waiting, resolve_wait

        if self.path is None:  # a Spark URL, connected at first use
            from retentionkit.backends import connect

            self._con = connect(self._target, self.settings)
            return
        if self._plain is not None:  # opened plain first (an engine ingest): wrap it
            import ibis

            self._con = ibis.duckdb.from_connection(self._plain)
            return
        self._con = connect_waiting(self.path, resolve_wait(self._wait, self.settings.wait))

    @property
    def is_open(self) -> bool:
        """True when this object holds an open connection (Ibis or plain)."""
        return self._con is not None or self._plain is not None

    @property
    def duck(self) -> Any:
        """The plain ``duckdb`` connection of a DuckDB workspace, opened (and the file created)
        on first access without importing Ibis; :attr:`con` wraps the same connection. For
        work done in DuckDB's own SQL (schema/engine_ingest.py)."""
        if self._con is not None:
            return self._con.con
        if self._plain is None:
            if self.path is None or self.remote is not None or self._closed:
                return self.con.con  # the same refusals as con
            from retentionkit.runtime.lock import connect_waiting, resolve_wait

            wait = resolve_wait(self._wait, self.settings.wait)
            self._plain = connect_waiting(self.path, wait, plain=True)
        return self._plain

    @property
    def con(self) -> Any:
        """The Ibis backend (a new DuckDB file is created on first access). A workspace served
        by ``retentionkit serve`` has none here (its requests run in the server), and a closed
        one neither."""
        if self._con is None:
            from retentionkit.errors import WorkspaceLockedError

            if self.remote is not None:
                raise WorkspaceLockedError(
                    f"{self.path} is owned by the server at {self.remote.info.url} (pid "
                    f"{self.remote.info.pid}) and this needs the file itself; open the "
                    "dashboard there, or stop the server first."
                )
            if self._closed:
                raise WorkspaceLockedError(
                    f"Workspace {self.path or self._target} is closed; open it again."
                )
            self._connect()
        return self._con

    @con.setter
    def con(self, value: Any) -> None:
        self._con = value

    def close(self) -> None:
        """Close the connection and release the file, so other processes can open it (a
        workspace served by ``retentionkit serve`` holds nothing here). Idempotent."""
        con, self._con = self._con, None
        plain, self._plain = self._plain, None
        self._closed = True
        if con is not None or plain is not None:
            import contextlib

            with contextlib.suppress(Exception):
                if con is not None:
                    con.disconnect()
                else:
                    plain.close()
            if self.path is not None:
                from retentionkit.runtime.lock import release_holder

                release_holder(self.path)
        self.remote = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.remote is not None:
            return f"Workspace({self.path!s}, served by {self.remote.info.url})"
        if self._closed:
            from retentionkit.backends import postgres, spark

            shown = spark.redact(postgres.redact(str(self._target)))  # no password, no token
            return f"Workspace({self.path or shown!s}, closed)"
        from retentionkit.backends import describe

        where = self.path or describe(self.con)  # a URL without its password
        return f"Workspace({where!s}, tables={self.tables()})"

    # -- tables -------------------------------------------------------------------------
    @contextlib.contextmanager
    def read_scope(self) -> Iterator[None]:
        """One read operation (``service.run`` of a cacheable request: the KPI report, cohorts,
        RFM, segments, CLV, at-risk), during which the set of tables does not change: the
        tables are listed once and each Ibis table is looked up once, instead of once per
        metric family (~40 catalogue queries of a KPI report: 0.4–0.8 s). Per thread or task
        (a context variable), so a server's concurrent requests do not share it."""
        scopes = _READ_SCOPES.get()
        if scopes is not None and id(self) in scopes:
            yield
            return
        token = _READ_SCOPES.set({**(scopes or {}), id(self): {}})
        try:
            yield
        finally:
            _READ_SCOPES.reset(token)

    def _scope(self) -> dict[str, Any] | None:
        scopes = _READ_SCOPES.get()
        return None if scopes is None else scopes.get(id(self))

    #: The query of Ibis's DuckDB ``list_tables()`` (tables and views of the current schema,
    #: temporary ones included), run on the plain connection when Ibis is not loaded yet.
    _LIST_TABLES_SQL = (
        "SELECT DISTINCT table_name FROM information_schema.tables "
        "WHERE table_catalog IN (current_database(), 'temp') AND table_schema = current_schema()"
    )

    def _list_tables(self) -> set[str]:
        """Every table name of the workspace. A DuckDB file not yet opened through Ibis is
        listed on its plain connection: a server's page answered from the result cache then
        needs neither Ibis nor its 1.5–2 s of imports (``tests/test_workspace.py``)."""
        plain = self._con is None and self.path is not None and self.remote is None
        if plain and not self._closed:
            return {row[0] for row in self.duck.execute(self._LIST_TABLES_SQL).fetchall()}
        return set(self.con.list_tables())

    def _listed(self) -> set[str]:
        scope = self._scope()
        if scope is None:
            return self._list_tables()
        if "tables" not in scope:
            scope["tables"] = self._list_tables()
        return scope["tables"]  # type: ignore[no-any-return]

    def tables(self) -> list[str]:
        """Canonical tables present in the workspace."""
        if self.remote is not None:
            return run(self, rq.TablesRequest()).report  # type: ignore[no-any-return]
        present = self._listed()
        return [name for name in TABLE_NAMES if name in present]

    def has_table(self, name: str) -> bool:
        if self.remote is not None:
            return name in run(self, rq.TablesRequest(every=True)).report
        return name in self._listed()

    def table(self, name: str) -> Any:
        """The Ibis table ``name``; a missing one says which file to ingest."""
        contract(name)
        if not self.has_table(name):
            raise MissingTableError(
                f"Table {name} is not loaded yet; ingest it first with "
                f"'retentionkit ingest {name} FILE'."
            )
        scope = self._scope()
        if scope is None:
            return self.con.table(name)
        known = scope.setdefault("ibis", {})
        if name not in known:
            known[name] = self.con.table(name)
        return known[name]

    def row_counts(self) -> dict[str, int]:
        if self.remote is not None:
            return run(self, rq.TablesRequest(counts=True)).report  # type: ignore[no-any-return]
        return {name: int(self.con.table(name).count().execute()) for name in self.tables()}

    def sql(self, query: str) -> pd.DataFrame:
        """Run read-only SQL against the workspace (for exploration; metrics never do this);
        on a served workspace the server runs it."""
        if self.remote is not None:
            return run(self, rq.SqlRequest(query)).frame
        return self.con.sql(query).execute()

    def rebuild(self, *, check: bool = False) -> dict[str, Any]:
        """Recompute the derived data kept next to the workspace file (the result cache, the
        automations' frames, the churn model) and compare the cached answers with fresh ones;
        with ``check`` only compare. Returns ``{"checked", "differ", "removed",
        "recomputed"}`` (``retentionkit rebuild``; docs/performance.md)."""
        return run(self, rq.RebuildRequest(check=check)).report  # type: ignore[no-any-return]

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
        **unknown: Any,
    ) -> IngestReport:
        """Validate ``source`` (a path, or a pandas/Polars/Arrow frame) and upsert it into
        ``table``; all or nothing. Returns inserted / updated / unchanged counts."""
        rq.reject_unknown(self.ingest, unknown)
        request = rq.IngestRequest(
            table,
            source,
            mapping=tuple((mapping or {}).items()),
            date_format=date_format,
            timezone=timezone,
            delimiter=delimiter,
            header=header,
            columns=tuple(columns) if columns is not None else None,
            constants=tuple((constants or {}).items()),
            generate_id=generate_id,
            line_items=line_items,
            drop_missing_customer=drop_missing_customer,
            encoding=encoding,
            progress=progress,
        )
        return run(self, request).report  # type: ignore[no-any-return]

    def load_dir(
        self, directory: Path | str, *, progress: bool = False, **unknown: Any
    ) -> list[IngestReport]:
        """Load every file of ``directory`` named after a canonical table (``orders.parquet``,
        ``customers.csv`` …, as ``retentionkit generate`` writes them). Every file is validated
        before anything is written, and all are written in one transaction."""
        rq.reject_unknown(self.load_dir, unknown)
        request = rq.LoadDirRequest(Path(directory), progress=progress)
        return run(self, request).report  # type: ignore[no-any-return]

    # -- metrics ------------------------------------------------------------------------
    def metrics(
        self,
        metric: str | list[str] | None = None,
        *,
        period: Period = "month",
        start: Any = None,
        end: Any = None,
        last: int | None = None,
        segment: str | None = None,
        customer_definition: CustomerDefinition | None = None,
        active_window: str | None = None,
        churn_basis: ChurnBasis | None = None,
        compare: Compare | None = None,
        clv_model: str | None = None,
        margin: float | None = None,
        **unknown: Any,
    ) -> pd.DataFrame:
        """KPIs per period and segment: one row per metric, period and segment with
        ``value``, ``components`` and ``health`` (see docs/metrics.md). ``start``/``end``
        are the CLI's ``--from``/``--to`` (half-open); ``clv_model`` computes the ``clv``
        metric from a fitted purchase model; ``margin`` is the gross margin of the CLV and
        CAC-payback formulas (None: ``gross_margin`` of retentionkit.toml)."""
        rq.reject_unknown(self.metrics, unknown)
        request = rq.MetricRequest(
            metrics=tuple([metric] if isinstance(metric, str) else metric or ()) or None,
            period=period,
            start=start,
            end=end,
            last=last,
            segment=segment,
            customer_definition=customer_definition,
            active_window=active_window,
            churn_basis=churn_basis,
            compare=compare,
            clv_model=clv_model,
            margin=margin,
        )
        return run(self, request).frame

    def explain(self, metric: str, **kwargs: Any) -> str:
        """The SQL that computes ``metric``'s components, in this backend's dialect."""
        if self.remote is not None:
            request = rq.ExplainRequest(metric, tuple(kwargs.items()))
            return run(self, request).report  # type: ignore[no-any-return]
        from retentionkit.metrics.engine import explain_metric

        return explain_metric(self, metric, **kwargs)

    # -- cohorts, RFM, segments ---------------------------------------------------------
    def cohorts(
        self,
        *,
        period: CohortPeriod = "month",
        kind: CohortKind = "customers",
        start: Any = None,
        end: Any = None,
        segment: str | None = None,
        customer_definition: CustomerDefinition | None = None,
        **unknown: Any,
    ) -> pd.DataFrame:
        """Acquisition-cohort table: one row per cohort (and segment) and offset with
        ``cohort, offset, size, value`` (see docs/cohorts.md)."""
        rq.reject_unknown(self.cohorts, unknown)
        request = rq.CohortRequest(
            period=period,
            kind=kind,
            start=start,
            end=end,
            segment=segment,
            customer_definition=customer_definition,
        )
        return run(self, request).frame

    def rfm(
        self,
        time_unit: TimeUnit = "week",
        observation_end: Any = None,
        calibration_end: Any = None,
        **unknown: Any,
    ) -> pd.DataFrame:
        """Per-customer RFM summary (frequency, recency, T, monetary_value [, holdout
        columns]) as lifetimes defines it; see :mod:`retentionkit.clv.rfm`."""
        rq.reject_unknown(self.rfm, unknown)
        request = rq.RfmRequest(time_unit, observation_end, calibration_end)
        return run(self, request).frame

    def segments(
        self,
        scheme: str = "rfm",
        *,
        as_of: Any = None,
        per_customer: bool = False,
        **unknown: Any,
    ) -> pd.DataFrame:
        """Per-segment summary (customers, share, revenue, KPIs) for ``scheme`` (``rfm``,
        ``rfm_score`` or any attribute); ``per_customer`` gives each customer's segment."""
        rq.reject_unknown(self.segments, unknown)
        request = rq.SegmentRequest(scheme, as_of=as_of, per_customer=per_customer)
        return run(self, request).frame

    # -- customer lifetime value ---------------------------------------------------------
    def clv(
        self,
        horizon: float = 52,
        *,
        model: str = "auto",
        spend_model: str = "gamma-gamma",
        time_unit: TimeUnit = "week",
        observation_end: Any = None,
        margin: float = 1.0,
        discount_rate: float | None = None,
        penalizer: float = 0.0,
        model_file: Path | str | None = None,
        **unknown: Any,
    ) -> pd.DataFrame:
        """Per-customer CLV predictions (see :func:`retentionkit.clv.workflow.predict`).
        ``discount_rate`` is annual (None: ``annual_discount_rate`` of retentionkit.toml, by
        default ≈ 0.1268, i.e. 1 % a month); ``model_file`` uses
        a model saved by ``clv fit --model-out`` instead of fitting. ``model="auto"`` uses the
        credible purchase model; every record names it (columns ``model``, ``model_status``)
        and ``frame.attrs`` holds the status, spend model, warnings and candidates."""
        rq.reject_unknown(self.clv, unknown)
        request = rq.ClvPredictRequest(
            horizon=horizon,
            model=model,
            spend_model=spend_model,
            time_unit=time_unit,
            observation_end=observation_end,
            margin=margin,
            discount_rate=discount_rate,
            penalizer=penalizer,
            model_file=Path(model_file) if model_file is not None else None,
        )
        return run(self, request).frame

    def clv_fit(
        self,
        model: str = "bgnbd",
        *,
        time_unit: TimeUnit | None = None,
        observation_end: Any = None,
        penalizer: float = 0.0,
        **unknown: Any,
    ) -> BaseFitter:
        """Fit a CLV model (any registry name or ``auto``) on the workspace; returns the fitted
        model object. ``time_unit=None``: the model's kind decides (week; month for sbg, bgbb)."""
        rq.reject_unknown(self.clv_fit, unknown)
        request = rq.ClvFitRequest(
            model, time_unit=time_unit, observation_end=observation_end, penalizer=penalizer
        )
        return run(self, request).model

    def clv_evaluate(
        self,
        calibration_end: Any,
        observation_end: Any,
        *,
        model: str = "auto",
        time_unit: TimeUnit = "week",
        penalizer: float = 0.0,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Holdout evaluation (and automatic model choice with ``model="auto"``)."""
        rq.reject_unknown(self.clv_evaluate, unknown)
        request = rq.ClvEvaluateRequest(
            calibration_end=calibration_end,
            observation_end=observation_end,
            model=model,
            time_unit=time_unit,
            penalizer=penalizer,
        )
        return run(self, request).report  # type: ignore[no-any-return]

    # -- churn risk ----------------------------------------------------------------------
    def churn(
        self,
        *,
        as_of: Any = None,
        horizon: str | int = "90d",
        top: int | None = None,
        method: ChurnMethod = "auto",
        sort: ChurnSort = "value_at_risk",
        min_risk: float | str = "average",
        model: str = "auto",
        **unknown: Any,
    ) -> pd.DataFrame:
        """Customers at risk: customer_id, risk, value_at_risk, reasons, segment, model,
        model_status (see :func:`retentionkit.churn.pipeline.at_risk`); ``model`` is the
        purchase model of the P(alive) method (``auto``: the credible one)."""
        rq.reject_unknown(self.churn, unknown)
        request = rq.ChurnAtRiskRequest(
            as_of=as_of,
            horizon=horizon,
            top=top,
            method=method,
            sort=sort,
            min_risk=str(min_risk),
            model=model,
        )
        return run(self, request).frame

    def churn_backtest(
        self,
        *,
        horizon: str | int = "90d",
        folds: int = 2,
        train_cutoffs: int = 4,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Time-based backtest report of the churn model."""
        rq.reject_unknown(self.churn_backtest, unknown)
        request = rq.ChurnBacktestRequest(horizon=horizon, folds=folds, train_cutoffs=train_cutoffs)
        return run(self, request).report  # type: ignore[no-any-return]

    # -- goals (docs/goals.md) -------------------------------------------------------------
    def goals(self, **unknown: Any) -> list[dict[str, Any]]:
        """Every goal with its latest evaluation (the records of ``goals list --format json``)."""
        from retentionkit.goals.model import GoalListRequest

        rq.reject_unknown(self.goals, unknown)
        return run(self, GoalListRequest()).report  # type: ignore[no-any-return]

    def goal(self, name: str, **unknown: Any) -> dict[str, Any]:
        """One goal with its history, metric series and latest forecast fan (``goals show``)."""
        from retentionkit.goals.model import GoalShowRequest, build_request

        rq.reject_unknown(self.goal, unknown)
        return run(self, build_request(GoalShowRequest, name=name)).report  # type: ignore[no-any-return]

    def add_goal(
        self,
        name: str,
        *,
        target: float | str,
        by: str,
        metric: str | None = None,
        kind: str = "metric",
        period: str = "month",
        segment: str | None = None,
        customer_definition: str | None = None,
        start: str | None = None,
        start_value: float | str | None = None,
        direction: str | None = None,
        owner: str | None = None,
        note: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Add a goal (``goals add``) and evaluate it as of its start date; returns its record."""
        from retentionkit.goals.model import GoalAddRequest, build_request

        rq.reject_unknown(self.add_goal, unknown)
        fields = {
            "name": name,
            "target": target,
            "by": by,
            "metric": metric,
            "kind": kind,
            "period": period,
            "segment": segment,
            "customer_definition": customer_definition,
            "start": start,
            "start_value": start_value,
            "direction": direction,
            "owner": owner,
            "note": note,
        }
        request = build_request(
            GoalAddRequest, **{k: v for k, v in fields.items() if v is not None}
        )
        return run(self, request).report  # type: ignore[no-any-return]

    def update_goal(
        self,
        name: str,
        *,
        current: float | str | None = None,
        target: float | str | None = None,
        by: str | None = None,
        direction: str | None = None,
        owner: str | None = None,
        note: str | None = None,
        as_of: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Change the given fields of a goal (``goals update``), then re-evaluate it."""
        from retentionkit.goals.model import GoalUpdateRequest, build_request

        rq.reject_unknown(self.update_goal, unknown)
        fields = {
            "name": name,
            "current": current,
            "target": target,
            "by": by,
            "direction": direction,
            "owner": owner,
            "note": note,
            "as_of": as_of,
        }
        request = build_request(
            GoalUpdateRequest, **{k: v for k, v in fields.items() if v is not None}
        )
        return run(self, request).report  # type: ignore[no-any-return]

    def evaluate_goals(self, as_of: str | None = None, **unknown: Any) -> list[dict[str, Any]]:
        """Evaluate every goal as of ``as_of`` (default today) and store it (``goals
        evaluate``; the same as-of date again replaces)."""
        from retentionkit.goals.model import GoalEvaluateRequest, build_request

        rq.reject_unknown(self.evaluate_goals, unknown)
        request = build_request(GoalEvaluateRequest, as_of=as_of)
        return run(self, request).report  # type: ignore[no-any-return]

    def delete_goal(self, name: str, **unknown: Any) -> dict[str, Any]:
        """Delete a goal and its history (``goals delete``)."""
        from retentionkit.goals.model import GoalDeleteRequest, build_request

        rq.reject_unknown(self.delete_goal, unknown)
        return run(self, build_request(GoalDeleteRequest, name=name)).report  # type: ignore[no-any-return]

    # -- automations (docs/automations.md) ---------------------------------------------------
    def automations(self, **unknown: Any) -> list[dict[str, Any]]:
        """Every rule with its pending / sent / failed / held-out / skipped / dead counts
        (``automations list``)."""
        from retentionkit.automations.service import Overview
        from retentionkit.automations.service import run as run_automation

        rq.reject_unknown(self.automations, unknown)
        return run_automation(self, Overview())["rules"]  # type: ignore[no-any-return]

    def add_automation(
        self,
        name: str,
        *,
        template: str | None = None,
        trigger: str | None = None,
        after: str | None = None,
        since: str | None = None,
        unless: list[str] | tuple[str, ...] = (),
        to: str | None = None,
        channel: str | None = None,
        url: str | None = None,
        holdout: str | None = None,
        survey: str | None = None,
        subject: str | dict[str, str] | None = None,
        body: str | dict[str, str] | None = None,
        metric: str | None = None,
        below: float | str | None = None,
        above: float | str | None = None,
        period: str | None = None,
        goal: str | None = None,
        risk: float | str | None = None,
        gap_multiple: float | str | None = None,
        max_score: float | str | None = None,
        survey_type: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Add a rule (``automations add``) from a ``template`` or a ``trigger``; ``subject``
        and ``body`` are Jinja2 texts, or ``{"": every language, "pl": …}``. Returns the rule
        and, for a webhook rule, its signing secret (``webhook_secret``)."""
        from retentionkit.automations.messages import prefixed_texts
        from retentionkit.automations.service import AddRule
        from retentionkit.automations.service import run as run_automation

        rq.reject_unknown(self.add_automation, unknown)

        request = AddRule(
            name,
            template,
            after=after,
            since=since,
            to=to,
            channel=channel,
            url=url,
            holdout=holdout,
            survey=survey,
            trigger=trigger,
            unless=tuple(unless),
            subject=prefixed_texts(subject),
            body=prefixed_texts(body),
            metric=metric,
            below=below,
            above=above,
            period=period,
            goal=goal,
            risk=risk,
            gap_multiple=gap_multiple,
            max_score=max_score,
            survey_type=survey_type,
        )
        return run_automation(self, request)  # type: ignore[no-any-return]

    def automation(self, name: str, action: str = "show", **unknown: Any) -> dict[str, Any]:
        """One rule: ``action`` show (default), pause, resume or delete (``automations
        show|pause|resume|delete NAME``)."""
        from retentionkit.automations.service import DeleteRule, SetStatus, ShowRule
        from retentionkit.automations.service import run as run_automation
        from retentionkit.errors import UnknownNameError

        rq.reject_unknown(self.automation, unknown)
        requests: dict[str, Any] = {
            "show": ShowRule(name),
            "pause": SetStatus(name, "paused"),
            "resume": SetStatus(name, "active"),
            "delete": DeleteRule(name),
        }
        if action not in requests:
            raise UnknownNameError(
                f"Unknown action {action!r}; expected one of: {', '.join(requests)}."
            )
        return run_automation(self, requests[action])  # type: ignore[no-any-return]

    def automations_dry_run(self, as_of: str | None = None, **unknown: Any) -> pd.DataFrame:
        """What would be planned as of ``as_of`` (default now); writes nothing."""
        from retentionkit.automations.service import DryRun
        from retentionkit.automations.service import run as run_automation

        rq.reject_unknown(self.automations_dry_run, unknown)
        return run_automation(self, DryRun(as_of=as_of))  # type: ignore[no-any-return]

    def run_automations(self, as_of: str | None = None, **unknown: Any) -> dict[str, Any]:
        """One planning and delivery pass (``automations run --once``): the counts."""
        from retentionkit.automations.service import RunAutomations
        from retentionkit.automations.service import run as run_automation

        rq.reject_unknown(self.run_automations, unknown)
        return run_automation(self, RunAutomations(as_of=as_of))  # type: ignore[no-any-return]

    def automation_log(self, rule: str | None = None, **unknown: Any) -> pd.DataFrame:
        """Every planned action with its status, newest first (``automations log``)."""
        from retentionkit.automations.service import Log
        from retentionkit.automations.service import run as run_automation

        rq.reject_unknown(self.automation_log, unknown)
        return run_automation(self, Log(rule))  # type: ignore[no-any-return]
