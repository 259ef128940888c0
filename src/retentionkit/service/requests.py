"""One request type per operation: frozen, validated once when built, hashable.

Every face builds one of these from its own input (CLI flags, ``Workspace`` keyword arguments,
REST query parameters, dashboard filters) and hands it to :func:`retentionkit.service.run`.
A request that exists is valid: its constructor checks every option against the vocabularies
of :mod:`retentionkit.service.options` and normalises it (dates to ISO text, lists to tuples,
empty strings to None), raising a :mod:`retentionkit.errors` exception whose one sentence names
the CLI flag. Equal options give equal (and equally hashed) requests, so a request is also the
cache key of the web server's :class:`~retentionkit.web.service.WorkspaceService`.

Names: date ranges are ``start``/``end`` (the CLI's ``--from``/``--to``, the API's
``from``/``to``); ``discount_rate`` is annual everywhere (docs/cli.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from retentionkit.config import DEFAULT_ANNUAL_DISCOUNT_RATE, monthly_rate
from retentionkit.errors import ConfigError, InputError, UnknownNameError
from retentionkit.service.options import (
    CHURN_BASES,
    CHURN_METHODS,
    CHURN_SORTS,
    COHORT_KINDS,
    COHORT_PERIODS,
    COMPARE_MODES,
    CUSTOMER_DEFINITIONS,
    PERIODS,
    TIME_UNITS,
    check_choice,
    clv_model_names,
)
from retentionkit.vocabulary import AUTO_MODEL

__all__ = [
    "DEFAULT_ANNUAL_DISCOUNT_RATE",
    "ChurnAtRiskRequest",
    "ChurnBacktestRequest",
    "ClvEvaluateRequest",
    "ClvFitRequest",
    "ClvPredictRequest",
    "CohortRequest",
    "ExplainRequest",
    "IngestRequest",
    "LoadDirRequest",
    "MetricRequest",
    "ReportRequest",
    "Request",
    "RfmRequest",
    "SegmentRequest",
    "SqlRequest",
    "TablesRequest",
    "monthly_rate",
    "parse_pairs",
    "reject_unknown",
]


# --------------------------------------------------------------------------- helpers
def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _day(value: Any, flag: str) -> str | None:
    """A date option as ISO text: ``YYYY-MM-DD``, or a full timestamp when it has a time of
    day (anything :func:`retentionkit.metrics.periods.parse_date` reads)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    from retentionkit.metrics.periods import parse_date

    ts = parse_date(value if isinstance(value, dt.datetime) else str(value).strip(), flag)
    assert ts is not None
    if ts == ts.normalize():
        return ts.date().isoformat()
    return ts.isoformat()


def _range(start: str | None, end: str | None, first: str, second: str) -> None:
    """``end`` must come after ``start``; the message names the flag the user got wrong
    (the end of a range, the calibration cut-off of a holdout)."""
    if start is None or end is None or end > start:
        return
    if first == "--from":
        raise ConfigError(f"{second} {end} must be after {first} {start}.")
    raise ConfigError(f"{first} {start} must be before {second} {end}.")


def _positive_int(value: Any, flag: str, *, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"{flag} must be a whole number; got {value!r}.")
    if int(value) < 1:
        raise ConfigError(f"{flag} must be 1 or more.")
    return int(value)


def _number(value: Any, flag: str, *, low: float, high: float, low_open: bool = False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{flag} must be a number; got {value!r}.") from None
    ok = math.isfinite(out) and (out > low if low_open else out >= low) and out <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ConfigError(f"{flag} {value!r} must be in {bracket}{low:g}, {high:g}].")
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _optional_choice(value: Any, values: tuple[str, ...], flag: str) -> str | None:
    text = _text(value)
    return None if text is None else check_choice(text, values, flag)


def _clv_model(name: Any, kind: str | None, flag: str, *, auto: bool = False) -> str:
    """The registry spelling of CLV model ``name``, which must be of ``kind`` (or ``"auto"``,
    the credible purchase model of :mod:`retentionkit.clv.choice`, when ``auto`` is true)."""
    from retentionkit.clv.models import get_model

    if auto and str(name).strip().lower() == AUTO_MODEL:
        return AUTO_MODEL
    allowed = (AUTO_MODEL, *clv_model_names(kind)) if auto else clv_model_names(kind)
    try:
        key = get_model(str(name)).model_name
    except UnknownNameError:
        key = None
    if key not in allowed:
        raise ConfigError(f"{flag} {name!r} is not one of: {', '.join(allowed)}.")
    return str(key)


def _horizon(value: Any, flag: str = "--horizon") -> str:
    """A horizon like ``90d`` (or a number of days) as text ``"<n>d"``."""
    from retentionkit.config import parse_duration_days

    text = f"{value}d" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    try:
        days = parse_duration_days(text)
    except ConfigError:
        raise ConfigError(f"{flag} {value!r} must look like 90d (a number of days).") from None
    return f"{days}d"


def parse_pairs(pairs: Iterable[str], flag: str) -> tuple[tuple[str, str], ...]:
    """``["A=B", …]`` (``--map`` / ``--set``) as pairs; a malformed one names the flag."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"{flag} {pair!r} must look like SOURCE=TARGET.")
        key, value = pair.split("=", 1)
        if not key.strip() or (flag == "--map" and not value.strip()):
            raise ConfigError(f"{flag} {pair!r} must look like SOURCE=TARGET.")
        out[key.strip()] = value.strip()
    return tuple(out.items())


def _pairs(value: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> tuple[Any, ...]:
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), str(v)) for k, v in items)


def reject_unknown(method: Callable[..., Any], unknown: Mapping[str, Any]) -> None:
    """An unknown keyword argument of a ``Workspace`` method is a :class:`ConfigError` naming
    it and listing the method's valid keyword arguments."""
    if not unknown:
        return
    import inspect

    valid = [
        p.name
        for p in inspect.signature(method).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    names = ", ".join(repr(k) for k in sorted(unknown))
    plural = "s" if len(unknown) > 1 else ""
    raise ConfigError(
        f"Workspace.{method.__name__}() got unknown keyword argument{plural} {names}; "
        f"valid ones are: {', '.join(valid)}."
    )


# --------------------------------------------------------------------------- requests
class Request:
    """Base of the request types; ``lane`` is where the web service runs it (``"slow"`` for
    model fitting, which has its own connection and lock); ``writes`` marks the requests that
    write (a server that owns the workspace runs them on its write path, which bumps the data
    version)."""

    lane: ClassVar[str] = "main"
    writes: ClassVar[bool] = False
    #: A read whose answer depends only on the request, the data, the settings and the day:
    #: kept by :mod:`retentionkit.service.result_cache` across processes.
    cacheable: ClassVar[bool] = False

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class MetricRequest(Request):
    """KPIs per period and segment (``retentionkit metrics``, ``GET /api/metrics``)."""

    cacheable: ClassVar[bool] = True

    metrics: tuple[str, ...] | None = None
    period: str = "month"
    start: str | None = None
    end: str | None = None
    last: int | None = None
    segment: str | None = None
    customer_definition: str | None = None
    active_window: str | None = None
    churn_basis: str | None = None
    compare: str | None = None
    clv_model: str | None = None
    margin: float | None = None

    def __post_init__(self) -> None:
        if self.margin is not None:  # None: gross_margin of retentionkit.toml
            _set(self, "margin", _number(self.margin, "--margin", low=0, high=1, low_open=True))
        names = self.metrics
        if isinstance(names, str):
            names = (names,)
        names = tuple(n for n in (names or ()) if n) or None
        if names is not None:
            from retentionkit.metrics.registry import get_metric

            for name in names:
                get_metric(name)  # an unknown name lists the valid ones
        _set(self, "metrics", names)
        check_choice(self.period, PERIODS, "--period")
        _set(self, "start", _day(self.start, "--from"))
        _set(self, "end", _day(self.end, "--to"))
        _range(self.start, self.end, "--from", "--to")
        _set(self, "last", _positive_int(self.last, "--last"))
        _set(self, "segment", _text(self.segment))
        _set(
            self,
            "customer_definition",
            _optional_choice(
                self.customer_definition, CUSTOMER_DEFINITIONS, "--customer-definition"
            ),
        )
        window = _text(self.active_window)
        if window is not None and window != "period":
            from retentionkit.config import parse_duration_days

            parse_duration_days(window)
        _set(self, "active_window", window)
        _set(self, "churn_basis", _optional_choice(self.churn_basis, CHURN_BASES, "--churn-basis"))
        _set(self, "compare", _optional_choice(self.compare, COMPARE_MODES, "--compare"))
        model = _text(self.clv_model)
        _set(
            self,
            "clv_model",
            None if model is None else _clv_model(model, "purchase", "--clv-model"),
        )


@dataclass(frozen=True)
class CohortRequest(Request):
    """Acquisition-cohort table (``retentionkit cohorts``, ``GET /api/cohorts``)."""

    cacheable: ClassVar[bool] = True

    period: str = "month"
    kind: str = "customers"
    start: str | None = None
    end: str | None = None
    segment: str | None = None
    customer_definition: str | None = None

    def __post_init__(self) -> None:
        check_choice(self.period, COHORT_PERIODS, "--period")
        check_choice(self.kind, COHORT_KINDS, "--kind")
        _set(self, "start", _day(self.start, "--from"))
        _set(self, "end", _day(self.end, "--to"))
        _range(self.start, self.end, "--from", "--to")
        _set(self, "segment", _text(self.segment))
        _set(
            self,
            "customer_definition",
            _optional_choice(
                self.customer_definition, CUSTOMER_DEFINITIONS, "--customer-definition"
            ),
        )


@dataclass(frozen=True)
class RfmRequest(Request):
    """Per-customer RFM summary (``retentionkit rfm``, ``GET /api/rfm``)."""

    cacheable: ClassVar[bool] = True

    time_unit: str = "week"
    observation_end: str | None = None
    calibration_end: str | None = None

    def __post_init__(self) -> None:
        check_choice(self.time_unit, TIME_UNITS, "--time-unit")
        _set(self, "observation_end", _day(self.observation_end, "--observation-end"))
        _set(self, "calibration_end", _day(self.calibration_end, "--calibration-end"))
        _range(self.calibration_end, self.observation_end, "--calibration-end", "--observation-end")


@dataclass(frozen=True)
class SegmentRequest(Request):
    """Per-segment summary, or each customer's segment (``retentionkit segments``)."""

    cacheable: ClassVar[bool] = True

    scheme: str = "rfm"
    as_of: str | None = None
    per_customer: bool = False

    def __post_init__(self) -> None:
        scheme = _text(self.scheme)
        if scheme is None:
            raise ConfigError("--scheme must name a segment scheme or customer attribute.")
        _set(self, "scheme", scheme)
        _set(self, "as_of", _day(self.as_of, "--as-of"))
        _set(self, "per_customer", bool(self.per_customer))

    @property
    def lane(self) -> str:  # type: ignore[override]
        return "slow" if self.scheme == "clv_tier" else "main"


@dataclass(frozen=True)
class ClvFitRequest(Request):
    """Fit a CLV model on the orders (``retentionkit clv fit``)."""

    lane: ClassVar[str] = "slow"
    model: str = "bgnbd"
    time_unit: str | None = None
    observation_end: str | None = None
    penalizer: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "model", _clv_model(self.model, None, "--model", auto=True))
        if self.time_unit is not None:  # None: the model's kind decides (clv.workflow.fit)
            check_choice(self.time_unit, TIME_UNITS, "--time-unit")
        _set(self, "observation_end", _day(self.observation_end, "--observation-end"))
        _set(self, "penalizer", _number(self.penalizer, "--penalizer", low=0, high=math.inf))


@dataclass(frozen=True)
class ClvPredictRequest(Request):
    """Per-customer CLV predictions (``retentionkit clv predict``, ``GET /api/clv``).
    ``discount_rate`` is annual (None: ``annual_discount_rate`` of retentionkit.toml, by default
    (1.01^12 − 1), i.e. 1 % a month); the service hands the CLV workflow the monthly rate that
    compounds to it (:func:`monthly_rate`)."""

    cacheable: ClassVar[bool] = True

    lane: ClassVar[str] = "slow"
    horizon: float = 52.0
    model: str = AUTO_MODEL
    spend_model: str = "gamma-gamma"
    time_unit: str = "week"
    observation_end: str | None = None
    margin: float = 1.0
    discount_rate: float | None = None
    penalizer: float = 0.0
    model_file: Path | None = None

    def __post_init__(self) -> None:
        _set(self, "horizon", _number(self.horizon, "--horizon", low=0, high=1e6, low_open=True))
        if self.model_file is not None:
            path = Path(self.model_file)
            if not path.is_file():
                raise InputError(f"{path}: model file not found (--model-file).")
            _set(self, "model_file", path)
        else:
            _set(self, "model", _clv_model(self.model, "purchase", "--model", auto=True))
        _set(self, "spend_model", _clv_model(self.spend_model, "spend", "--spend-model"))
        check_choice(self.time_unit, TIME_UNITS, "--time-unit")
        _set(self, "observation_end", _day(self.observation_end, "--observation-end"))
        _set(self, "margin", _number(self.margin, "--margin", low=0, high=1, low_open=True))
        if self.discount_rate is not None:
            rate = _number(self.discount_rate, "--discount-rate", low=0, high=10)
            _set(self, "discount_rate", rate)
        _set(self, "penalizer", _number(self.penalizer, "--penalizer", low=0, high=math.inf))


@dataclass(frozen=True)
class ClvEvaluateRequest(Request):
    """Holdout evaluation and model choice (``retentionkit clv evaluate``)."""

    lane: ClassVar[str] = "slow"
    calibration_end: str | None = None
    observation_end: str | None = None
    model: str = AUTO_MODEL
    time_unit: str = "week"
    penalizer: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "calibration_end", _day(self.calibration_end, "--calibration-end"))
        _set(self, "observation_end", _day(self.observation_end, "--observation-end"))
        if self.calibration_end is None or self.observation_end is None:
            raise ConfigError("clv evaluate needs --calibration-end and --observation-end.")
        _range(self.calibration_end, self.observation_end, "--calibration-end", "--observation-end")
        _set(self, "model", _clv_model(self.model, "purchase", "--model", auto=True))
        check_choice(self.time_unit, TIME_UNITS, "--time-unit")
        _set(self, "penalizer", _number(self.penalizer, "--penalizer", low=0, high=math.inf))


@dataclass(frozen=True)
class ChurnAtRiskRequest(Request):
    """Customers at risk (``retentionkit churn at-risk``, ``GET /api/churn/at-risk``)."""

    cacheable: ClassVar[bool] = True

    lane: ClassVar[str] = "slow"
    as_of: str | None = None
    horizon: str = "90d"
    top: int | None = None
    method: str = "auto"
    sort: str = "value_at_risk"
    min_risk: str = "average"
    model: str = AUTO_MODEL

    def __post_init__(self) -> None:
        _set(self, "model", _clv_model(self.model, "purchase", "--model", auto=True))
        _set(self, "as_of", _day(self.as_of, "--as-of"))
        _set(self, "horizon", _horizon(self.horizon))
        _set(self, "top", _positive_int(self.top, "--top"))
        check_choice(self.method, CHURN_METHODS, "--method")
        check_choice(self.sort, CHURN_SORTS, "--sort")
        risk = str(self.min_risk).strip().lower()
        if risk != "average":
            _number(risk, "--min-risk", low=0, high=1)
        _set(self, "min_risk", risk)


@dataclass(frozen=True)
class ChurnBacktestRequest(Request):
    """Time-based backtest of the churn model (``retentionkit churn evaluate``)."""

    lane: ClassVar[str] = "slow"
    horizon: str = "90d"
    folds: int = 2
    train_cutoffs: int = 4

    def __post_init__(self) -> None:
        _set(self, "horizon", _horizon(self.horizon))
        _set(self, "folds", _positive_int(self.folds, "--folds", optional=False))
        _set(
            self,
            "train_cutoffs",
            _positive_int(self.train_cutoffs, "--train-cutoffs", optional=False),
        )


@dataclass(frozen=True, eq=False)
class IngestRequest(Request):
    """Load one file or frame into a canonical table (``retentionkit ingest``, ``POST
    /api/ingest/{table}``). ``source`` may be a DataFrame, so an ingest request compares and
    hashes by identity; writes are never cached."""

    table: str
    source: Any
    mapping: tuple[tuple[str, str], ...] = ()
    date_format: str | None = None
    timezone: str | None = None
    delimiter: str | None = None
    header: bool = True
    columns: tuple[str, ...] | None = None
    constants: tuple[tuple[str, str], ...] = ()
    generate_id: bool = False
    line_items: bool = False
    drop_missing_customer: bool = False
    encoding: str = "utf-8"
    progress: bool = field(default=False, compare=False)
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        from retentionkit.schema.contracts import contract

        contract(self.table)  # an unknown table lists the valid ones
        _set(self, "mapping", _pairs(self.mapping))
        _set(self, "constants", _pairs(self.constants))
        for name in ("date_format", "timezone"):
            _set(self, name, _text(getattr(self, name)))
        if self.delimiter is not None:  # as given: ' ' is a delimiter, '' and '\n' are refused
            _set(self, "delimiter", str(self.delimiter))
        if self.timezone is not None:
            from retentionkit.config import check_timezone

            check_timezone(self.timezone, "--timezone")
        cols = self.columns
        if isinstance(cols, str):
            cols = [c for c in cols.split(",")]
        if cols is not None:
            cols = tuple(c.strip() for c in cols if c and c.strip()) or None
        _set(self, "columns", cols)


@dataclass(frozen=True)
class LoadDirRequest(Request):
    """Load every file of a folder named after a table (``retentionkit load-dir``)."""

    directory: Path
    progress: bool = field(default=False, compare=False)
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        folder = Path(self.directory)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a directory.")
        _set(self, "directory", folder)


@dataclass(frozen=True)
class TablesRequest(Request):
    """The workspace's tables (``Workspace.tables``, ``has_table``, ``row_counts``): the
    canonical tables present; with ``every`` every table name (the features' state tables
    too); with ``counts`` the canonical tables' row counts."""

    every: bool = False
    counts: bool = False


@dataclass(frozen=True)
class RebuildRequest(Request):
    """Recompute the workspace's derived data and compare it with what was kept
    (``retentionkit rebuild``, ``Workspace.rebuild``): the result cache, the automations'
    frames and the churn model (:func:`retentionkit.service.result_cache.rebuild`). With
    ``check`` nothing changes. A server that owns the workspace runs it on its write path, so
    its own in-memory cache is emptied too."""

    check: bool = False
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class SqlRequest(Request):
    """Read-only SQL for exploration (``Workspace.sql``): one SELECT, answered as a frame."""

    query: str

    def __post_init__(self) -> None:
        if not isinstance(self.query, str) or not self.query.strip():
            raise InputError("The SQL query is empty.")


@dataclass(frozen=True, eq=False)
class ExplainRequest(Request):
    """The SQL behind a metric (``Workspace.explain``); ``arguments`` are the keyword
    arguments of :func:`retentionkit.metrics.engine.explain_metric` as (name, value) pairs,
    checked there. They may hold lists and dicts, so the request compares by identity."""

    metric: str
    arguments: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _set(self, "arguments", tuple((str(k), v) for k, v in self.arguments))


@dataclass(frozen=True)
class ReportRequest(Request):
    """``retentionkit report`` on a workspace a running server owns: the server renders the
    report's HTML and the client writes the file. The flags are checked as the metrics'."""

    period: str = "month"
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        checked = MetricRequest(period=self.period, start=self.start, end=self.end)
        for name in ("period", "start", "end"):
            _set(self, name, getattr(checked, name))
