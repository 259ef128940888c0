"""One function per operation: ``(workspace, request) -> Result``.

These are the only callers of the library functions behind the faces (the metric engine, the
cohort table, the RFM summary, segments, the CLV workflow, the churn pipeline, ingest). The
request was validated when it was built; an operation only translates it into the library
call (e.g. the annual discount rate into the monthly one the CLV workflow takes) and wraps the
answer in a :class:`Result`. :func:`run` picks the operation by the request's type.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retentionkit.service.requests import (
    ChurnAtRiskRequest,
    ChurnBacktestRequest,
    ClvEvaluateRequest,
    ClvFitRequest,
    ClvPredictRequest,
    CohortRequest,
    ExplainRequest,
    IngestRequest,
    LoadDirRequest,
    MetricRequest,
    RebuildRequest,
    Request,
    RfmRequest,
    SegmentRequest,
    SqlRequest,
    TablesRequest,
    monthly_rate,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.goals.model import (
        GoalAddRequest,
        GoalDeleteRequest,
        GoalEvaluateRequest,
        GoalListRequest,
        GoalShowRequest,
        GoalUpdateRequest,
    )
    from retentionkit.workspace import Workspace

__all__ = ["OPERATIONS", "DeferredResult", "Result", "run"]


@dataclass(frozen=True, eq=False)
class Result:
    """What an operation returns: the request it answers, and a ``frame`` (tabular results),
    a ``report`` (a JSON-ready dict: fit, evaluation, backtest, ingest), the fitted ``model``
    and a ``title`` for tables — whichever apply."""

    request: Request
    frame: pd.DataFrame | None = None
    report: Any = None
    model: Any = None
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Result:
        """A copy whose frame the caller may change (cached results are shared); always a plain
        :class:`Result`, also of a :class:`DeferredResult`."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(Result)}
        fields["frame"] = None if self.frame is None else self.frame.copy()
        return Result(**fields)

    def records(self) -> list[dict[str, Any]]:
        """The frame's rows as records (its columns by name; none without a frame)."""
        return [] if self.frame is None else self.frame.to_dict("records")

    @property
    def model_used(self) -> str | None:
        """The model that produced a CLV or at-risk frame (``extra["model"]``)."""
        return self.extra.get("model")

    @property
    def model_status(self) -> str | None:
        """That model's fit status (ok, limit, degenerate, …; ``extra["model_status"]``)."""
        return self.extra.get("model_status")

    @property
    def warnings(self) -> list[str]:
        """Sentences about the model used (e.g. why no purchase model was credible)."""
        return list(self.extra.get("warnings", ()))

    @property
    def model_line(self) -> str | None:
        """``"Model: mbgnbd (status ok)"`` — the line every face shows under the results."""
        if self.model_used is None:
            return None
        return f"Model: {self.model_used} (status {self.model_status})"


class DeferredResult(Result):
    """A result read back from the result cache whose frame stays the cached Arrow bytes until
    a face asks for ``frame``: then it becomes the same pandas frame once. A face that only
    prints rows calls :meth:`records`, which reads the cached JSON records (or the Arrow table)
    without importing pandas: half a second of a cached ``retentionkit metrics``."""

    _body: bytes | None
    _positions: list[int]
    _attrs: dict[str, Any]
    _records: dict[str, Any] | None
    _frame: pd.DataFrame | None

    def __init__(
        self,
        request: Request,
        *,
        body: bytes,
        positions: list[int],
        attrs: dict[str, Any],
        records: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        object.__setattr__(self, "_body", body)
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "_attrs", attrs)
        object.__setattr__(self, "_records", records)
        object.__setattr__(self, "_frame", None)
        super().__init__(request, **fields)

    @property
    def frame(self) -> pd.DataFrame | None:
        if self._frame is None and self._body is not None:
            from retentionkit.service.wire import frame_from_bytes

            frame = frame_from_bytes(self._body, self._positions)
            frame.attrs = dict(self._attrs)
            object.__setattr__(self, "_frame", frame)
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        # the dataclass __init__ sets None: the bytes stand for the frame until it is read
        if value is not None:
            object.__setattr__(self, "_frame", value)
            object.__setattr__(self, "_body", None)

    def records(self) -> list[dict[str, Any]]:
        if self._frame is None and self._records is not None:
            from retentionkit.service.wire import records_from_json

            return records_from_json(self._records)
        if self._frame is None and self._body is not None:
            from retentionkit.service.wire import table_from_bytes, table_records

            return table_records(table_from_bytes(self._body), self._positions)
        return super().records()


def _with_model(req: Request, frame: pd.DataFrame, title: str) -> Result:
    """A result naming the model behind ``frame`` (its ``attrs``: model, status, warnings): the
    same as ``extra`` and as the columns ``model`` and ``model_status`` on every record."""
    attrs = dict(frame.attrs)
    model, status = attrs.get("model"), attrs.get("status")
    frame = frame.copy()
    frame["model"] = model
    frame["model_status"] = status
    frame.attrs = attrs
    extra = {"model": model, "model_status": status, "warnings": list(attrs.get("warnings", ()))}
    return Result(req, frame=frame, title=title, extra=extra)


def metrics(ws: Workspace, req: MetricRequest) -> Result:
    from retentionkit.metrics.engine import compute_metrics

    frame = compute_metrics(
        ws,
        list(req.metrics) if req.metrics else None,
        period=req.period,
        start=req.start,
        end=req.end,
        last=req.last,
        segment=req.segment,
        customer_definition=req.customer_definition,
        active_window=req.active_window,
        churn_basis=req.churn_basis,
        compare=req.compare,
        margin=req.margin,
        options={"clv_model": req.clv_model} if req.clv_model else {},
    )
    from retentionkit.metrics.registry import get_metric

    specs = {name: get_metric(name) for name in dict.fromkeys(frame["metric"])}
    extra = {
        "notes": frame.attrs.get("notes", []),
        # each metric's registry unit and direction, so that a face can format a cached answer
        # without importing the registry (and pandas)
        "units": {name: spec.unit for name, spec in specs.items()},
        "higher_is_better": {name: spec.higher_is_better for name, spec in specs.items()},
    }
    return Result(req, frame=frame, title="retention KPIs", extra=extra)


def cohorts(ws: Workspace, req: CohortRequest) -> Result:
    from retentionkit.cohorts.table import cohort_table

    frame = cohort_table(
        ws,
        period=req.period,
        kind=req.kind,
        start=req.start,
        end=req.end,
        segment=req.segment,
        customer_definition=req.customer_definition,
    )
    return Result(req, frame=frame, title=f"cohorts by {req.period}: {req.kind}")


def rfm(ws: Workspace, req: RfmRequest) -> Result:
    from retentionkit.clv.rfm import rfm_summary

    frame = rfm_summary(ws, req.time_unit, req.observation_end, req.calibration_end)
    return Result(req, frame=frame, title=f"RFM summary in {req.time_unit}s")


def segments(ws: Workspace, req: SegmentRequest) -> Result:
    from retentionkit.segments.summary import segment_customers, segment_summary

    build = segment_customers if req.per_customer else segment_summary
    frame = build(ws, req.scheme, as_of=req.as_of)
    return Result(req, frame=frame, title=f"segments: {req.scheme}")


def clv_fit(ws: Workspace, req: ClvFitRequest) -> Result:
    from retentionkit.clv import workflow

    fitted = workflow.fit(
        ws,
        req.model,
        time_unit=req.time_unit,
        observation_end=req.observation_end,
        penalizer=req.penalizer,
    )
    report = workflow.fit_report(fitted.model)
    title = (
        f"{report['model']} on {report['n_customers']:,} customers, "
        f"log-likelihood {report['log_likelihood']:,.2f}"
    )
    return Result(req, frame=fitted.model.summary(), report=report, model=fitted.model, title=title)


def clv_predict(ws: Workspace, req: ClvPredictRequest) -> Result:
    from retentionkit.clv import workflow

    fitted, model = None, req.model
    if req.model_file is not None:
        from retentionkit.clv.models.base import BaseFitter

        fitted = BaseFitter.load(req.model_file)
        model = fitted.model_name
    frame = workflow.predict(
        ws,
        model=model,
        spend_model=req.spend_model,
        horizon=req.horizon,
        time_unit=req.time_unit,
        observation_end=req.observation_end,
        margin=req.margin,
        discount_rate=monthly_rate(
            ws.settings.annual_discount_rate if req.discount_rate is None else req.discount_rate
        ),
        penalizer=req.penalizer,
        fitted=fitted,
    )
    return _with_model(req, frame, f"CLV over {req.horizon:g} {req.time_unit}s")


def clv_evaluate(ws: Workspace, req: ClvEvaluateRequest) -> Result:
    from retentionkit.clv import workflow

    report = workflow.evaluate(
        ws,
        calibration_end=req.calibration_end,
        observation_end=req.observation_end,
        model=req.model,
        time_unit=req.time_unit,
        penalizer=req.penalizer,
    )
    return Result(req, report=report, title="CLV holdout evaluation")


def churn_at_risk(ws: Workspace, req: ChurnAtRiskRequest) -> Result:
    from retentionkit.churn.pipeline import at_risk

    frame = at_risk(
        ws,
        as_of=req.as_of,
        horizon=req.horizon,
        top=req.top,
        method=req.method,
        sort=req.sort,
        min_risk=req.min_risk,
        model=req.model,
    )
    return _with_model(req, frame, "customers at risk")


def churn_backtest(ws: Workspace, req: ChurnBacktestRequest) -> Result:
    from retentionkit.churn.pipeline import backtest

    report = backtest(ws, horizon=req.horizon, folds=req.folds, train_cutoffs=req.train_cutoffs)
    return Result(req, report=report, title=f"churn backtest, {report['horizon_days']}-day horizon")


def ingest(ws: Workspace, req: IngestRequest) -> Result:
    from retentionkit.schema.common import IngestOptions

    options = IngestOptions(
        mapping=dict(req.mapping),
        date_format=req.date_format,
        timezone=req.timezone,
        constants=dict(req.constants),
        generate_id=req.generate_id,
        line_items=req.line_items,
        drop_missing_customer=req.drop_missing_customer,
    )
    read_kwargs: dict[str, Any] = dict(
        delimiter=req.delimiter,
        header=req.header,
        columns=list(req.columns) if req.columns else None,
        encoding=req.encoding,
    )
    (report,) = _load_files(ws, [(req.table, req.source)], options, read_kwargs, req.progress)
    return Result(req, report=report)


def _load_files(
    ws: Workspace,
    items: list[tuple[str, Any]],
    options: Any,
    read_kwargs: dict[str, Any],
    progress: bool,
) -> list[Any]:
    """Validate every ``(table, source)``, then write them all in one transaction (all or
    nothing); one report per item, in order.

    A file the engine path covers (:mod:`retentionkit.schema.engine_ingest`: Parquet or CSV into
    DuckDB, plain values) is checked and written in DuckDB SQL; every other one is read and
    checked by pandas (:func:`~retentionkit.schema.ingest.prepare_many`), which words every
    refusal. The workspace connects (and a new DuckDB file is created) only once every input
    is valid."""
    from retentionkit.backends import backend_name, transaction
    from retentionkit.schema import engine_ingest
    from retentionkit.schema.common import IngestReport

    plans: dict[int, Any] = {}
    local_duckdb = ws.path is not None or (
        ws._con is not None and backend_name(ws._con) == "duckdb"
    )  # not PostgreSQL, nor Spark (read-only; connected at first use)
    bar = progress and sys.stdout.isatty()  # DuckDB draws its bar on stdout
    if local_duckdb:
        for i, (table, source) in enumerate(items):
            plan = engine_ingest.plan(table, source, options, ws.settings, **read_kwargs)
            if plan is not None and engine_ingest.check(plan, progress=bar):
                plans[i] = plan
    rest = [i for i in range(len(items)) if i not in plans]
    prepared: dict[int, Any] = {}
    if rest:
        from retentionkit.schema.ingest import prepare_many  # pandas: imported only here

        batches = prepare_many(
            [items[i] for i in rest], ws.settings, options, progress=progress, **read_kwargs
        )
        prepared = dict(zip(rest, batches, strict=True))
    reports = {i: IngestReport(plan.label, validated_by="duckdb") for i, plan in plans.items()}
    engine_writes = [(reports[i], plans[i]) for i in sorted(plans)]
    try:
        if prepared:
            from retentionkit.schema.ingest import write_batches

            write_batches(ws.con, list(prepared.values()), engine_writes, progress=bar)
        else:
            duck = ws.duck  # a plain connection: this path never imports Ibis
            with transaction(duck, data=True):
                for report, plan in engine_writes:
                    report.tables.append(engine_ingest.write(duck, plan, progress=bar))
    except engine_ingest.Declined:  # a file changed meanwhile …: all through pandas instead
        from retentionkit.schema.ingest import prepare_many, write_batches

        everything = prepare_many(items, ws.settings, options, progress=progress, **read_kwargs)
        write_batches(ws.con, everything)
        return [report for report, _ in everything]
    return [reports[i] if i in plans else prepared[i][0] for i in range(len(items))]


def load_dir(ws: Workspace, req: LoadDirRequest) -> Result:
    from retentionkit.errors import InputError
    from retentionkit.schema.common import IngestOptions, IngestReport
    from retentionkit.schema.contracts import TABLE_NAMES
    from retentionkit.schema.sniff import is_empty_table_file

    folder = req.directory
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
    reports: list[IngestReport] = []
    if items:  # connects (creates a new file) only once every file is valid
        reports = _load_files(ws, items, IngestOptions(), {}, req.progress)
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
    return Result(req, report=reports + skipped)


def tables(ws: Workspace, req: TablesRequest) -> Result:
    """The canonical tables present, every table name, or the canonical tables' row counts."""
    if req.counts:
        return Result(req, report=ws.row_counts(), title="row counts")
    if req.every:
        return Result(req, report=sorted(ws.con.list_tables()), title="tables")
    return Result(req, report=ws.tables(), title="tables")


def sql(ws: Workspace, req: SqlRequest) -> Result:
    """Read-only SQL (Ibis wraps it as a subquery, so only a SELECT runs)."""
    return Result(req, frame=ws.sql(req.query), title="SQL")


def explain(ws: Workspace, req: ExplainRequest) -> Result:
    from retentionkit.metrics.engine import explain_metric

    text = explain_metric(ws, req.metric, **dict(req.arguments))
    return Result(req, report=text, title=req.metric)


def rebuild(ws: Workspace, req: RebuildRequest) -> Result:
    """Recompute the cached answers (each by its own operation, never the cache), compare,
    and unless ``check`` replace every derived file (:mod:`retentionkit.service.result_cache`).
    A workspace that is not a DuckDB file keeps no derived data."""
    from retentionkit.service import result_cache

    if ws.path is None:
        report = {"checked": 0, "differ": [], "removed": 0, "recomputed": 0}
        return Result(req, report=report, title="rebuild")

    def compute(request: Request) -> Result:
        operation = OPERATIONS[type(request)]
        return operation(ws, request)

    report = result_cache.rebuild(ws, compute, check=req.check)
    return Result(req, report=report, title="rebuild")


#: Request type → its operation.
OPERATIONS: dict[type[Request], Callable[[Any, Any], Result]] = {
    MetricRequest: metrics,
    CohortRequest: cohorts,
    RfmRequest: rfm,
    SegmentRequest: segments,
    ClvFitRequest: clv_fit,
    ClvPredictRequest: clv_predict,
    ClvEvaluateRequest: clv_evaluate,
    ChurnAtRiskRequest: churn_at_risk,
    ChurnBacktestRequest: churn_backtest,
    IngestRequest: ingest,
    LoadDirRequest: load_dir,
    TablesRequest: tables,
    SqlRequest: sql,
    ExplainRequest: explain,
    RebuildRequest: rebuild,
}


# -- goals (retentionkit.goals): the answer is JSON-ready, in ``report`` ------------------------
def goal_add(ws: Workspace, req: GoalAddRequest) -> Result:
    from retentionkit.goals.service import add_goal

    return Result(req, report=add_goal(ws, req), title=f"goal {req.name} added")


def goal_update(ws: Workspace, req: GoalUpdateRequest) -> Result:
    from retentionkit.goals.service import update_goal

    return Result(req, report=update_goal(ws, req), title=f"goal {req.name} updated")


def goal_list(ws: Workspace, req: GoalListRequest) -> Result:
    from retentionkit.goals.service import list_goals

    return Result(req, report=list_goals(ws, req), title="goals")


def goal_show(ws: Workspace, req: GoalShowRequest) -> Result:
    from retentionkit.goals.service import show_goal

    return Result(req, report=show_goal(ws, req), title=f"goal {req.name}")


def goal_evaluate(ws: Workspace, req: GoalEvaluateRequest) -> Result:
    from retentionkit.goals.service import evaluate_goals

    return Result(req, report=evaluate_goals(ws, req), title=f"goals as of {req.date()}")


def goal_delete(ws: Workspace, req: GoalDeleteRequest) -> Result:
    from retentionkit.goals.service import delete_goal

    return Result(req, report=delete_goal(ws, req), title=f"goal {req.name} deleted")


def _goal_operations() -> dict[type, Callable[[Workspace, Any], Result]]:
    from retentionkit.goals import model

    return {
        model.GoalAddRequest: goal_add,
        model.GoalUpdateRequest: goal_update,
        model.GoalListRequest: goal_list,
        model.GoalShowRequest: goal_show,
        model.GoalEvaluateRequest: goal_evaluate,
        model.GoalDeleteRequest: goal_delete,
    }


def run(ws: Workspace, request: Request) -> Result:
    """Answer ``request`` on ``ws`` with the operation registered for its type; on a workspace
    owned by a running server (``ws.remote``), in that server."""
    remote = getattr(ws, "remote", None)
    if remote is not None:
        return remote.run(request)
    operation = OPERATIONS.get(type(request))
    if operation is None:  # the goal requests live in retentionkit.goals (imported on demand)
        operation = _goal_operations()[type(request)]
    from retentionkit.errors import ConfigError, MissingTableError

    if getattr(type(request), "writes", False):
        from retentionkit.backends.spark import read_only_reason

        reason = read_only_reason(getattr(ws, "_target", None), getattr(ws, "_con", None))
        if reason is not None:  # a Spark workspace: nothing is written into the cluster
            raise ConfigError(reason)
    from retentionkit.service import result_cache

    cached = result_cache.lookup(ws, request)
    if cached is not None:
        return cached
    try:
        scope = getattr(ws, "read_scope", None)
        if scope is not None and getattr(type(request), "cacheable", False):
            with scope():  # a pure read: the tables are listed once (Workspace.read_scope)
                result = operation(ws, request)
        else:
            result = operation(ws, request)
    except MissingTableError as exc:
        url = getattr(getattr(ws, "_con", None), "_retentionkit_url", None)
        if url is None:
            raise
        # a database URL: name it (without its password) and put it in the advice
        if getattr(ws._con, "_retentionkit_spark_url", None):  # read-only: map, never ingest
            text = re.sub(
                r"ingest it first with 'retentionkit ingest (\w+) FILE'",
                rf"map it with 'retentionkit --db {url} spark register \1 PATH'",
                str(exc).replace("is not loaded", "is not mapped"),
            )
            raise MissingTableError(f"{url}: {text}") from None
        text = str(exc).replace("'retentionkit ingest", f"'retentionkit --db {url} ingest")
        raise MissingTableError(f"{url}: {text}") from None
    result_cache.store(ws, request, result)
    return result
