"""Workspace settings: ``retentionkit.toml`` (written by ``retentionkit init``) plus defaults.

Lookup order: an explicit path (``--config`` / ``RETENTIONKIT_CONFIG``), then
``retentionkit.toml`` next to the workspace file, then in the current directory, then defaults.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from retentionkit.errors import ConfigError

CONFIG_FILENAME = "retentionkit.toml"


class HealthBand(BaseModel):
    """Thresholds for a KPI's health colour. ``good``/``poor`` are compared in the KPI's
    direction: for an up-is-good KPI ``value >= good`` is good and ``value < poor`` poor."""

    model_config = ConfigDict(extra="forbid")
    good: float | None = None
    poor: float | None = None
    excellent: float | None = None


def default_health() -> dict[str, HealthBand]:
    """Every metric's default health band, from the metric registry (each ``MetricSpec``'s
    ``health_band``); ``[health]`` in retentionkit.toml overrides them per metric."""
    from retentionkit.metrics.registry import default_health_bands

    return default_health_bands()


class SurveyScale(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float
    max: float


DEFAULT_SURVEYS: dict[str, SurveyScale] = {
    "nps": SurveyScale(min=0, max=10),
    "csat": SurveyScale(min=1, max=5),
}


#: The annual discount rate of CLV cash flows when retentionkit.toml sets none: 1 % a month
#: compounded, (1 + 0.01)^12 − 1 ≈ 0.1268 (lifetimes' default monthly 0.01).
DEFAULT_ANNUAL_DISCOUNT_RATE = 1.01**12 - 1


def monthly_rate(annual: float) -> float:
    """The monthly rate compounding to ``annual`` over 12 months: (1 + a)^(1/12) − 1."""
    return float((1.0 + annual) ** (1.0 / 12.0) - 1.0)


#: Formats Spark reads a mapped path in ([spark.tables]).
SPARK_FORMATS = ("parquet", "csv", "json", "orc", "delta")


class SparkSource(BaseModel):
    """One canonical table of a Spark workspace: a ``path`` Spark reads (``format``, Parquet by
    default) or a ``table`` of the cluster's catalog. A plain string in retentionkit.toml is a
    Parquet path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    format: Literal["parquet", "csv", "json", "orc", "delta"] = "parquet"
    table: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SparkSource:
        if (self.path is None) == (self.table is None):
            raise ValueError("give either path (a file or folder Spark reads) or table")
        return self


class SparkSettings(BaseModel):
    """``[spark]``: options of the Spark session and the tables mapped to Spark sources."""

    model_config = ConfigDict(extra="forbid")

    conf: dict[str, str] = Field(default_factory=dict)
    tables: dict[str, SparkSource] = Field(default_factory=dict)

    @field_validator("conf", mode="before")
    @classmethod
    def _text_values(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()
            }
        return value

    @field_validator("tables", mode="before")
    @classmethod
    def _sources(cls, value: Any) -> Any:
        from retentionkit.schema.contracts import TABLE_NAMES

        if not isinstance(value, dict):
            return value
        out = {}
        for name, source in value.items():
            if name not in TABLE_NAMES:
                raise ValueError(f"{name!r} is not a table (use one of: {', '.join(TABLE_NAMES)})")
            out[name] = {"path": source} if isinstance(source, str) else source
        return out


class Settings(BaseModel):
    """All workspace settings with their defaults (see docs/configuration in README)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    currency: str = "EUR"
    customer_definition: Literal["activity", "contractual"] = "activity"
    #: "period" = the reporting period's length, or a duration such as "90d".
    activity_window: str = "period"
    churn_basis: Literal["start", "end"] = "start"
    renewal_grace_days: int = Field(default=7, ge=0)
    gross_margin: float = Field(default=1.0, gt=0, le=1)
    annual_discount_rate: float = Field(default=DEFAULT_ANNUAL_DISCOUNT_RATE, ge=0, le=10)
    #: [health]: per-metric bands that replace the registry's defaults (:meth:`health_bands`
    #: merges them; kept apart so that reading settings never imports the metric registry).
    health: dict[str, HealthBand] = Field(default_factory=dict)
    #: Below this many units in a rate's denominator (``n``) no health colour is given.
    health_min_n: int = Field(default=30, ge=1)
    surveys: dict[str, SurveyScale] = Field(default_factory=lambda: dict(DEFAULT_SURVEYS))
    #: Column mappings per table, e.g. {"orders": {"CustomerID": "customer_id"}}.
    mapping: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: [smtp] and [automations]: read and checked by retentionkit.automations.settings.
    smtp: dict[str, Any] = Field(default_factory=dict)
    automations: dict[str, Any] = Field(default_factory=dict)
    #: How long a command waits while another process holds the workspace file ("30s", "2m").
    wait: str | float = "30s"
    #: [spark]: a Spark workspace's session options and table mapping (backends/spark.py).
    spark: SparkSettings = Field(default_factory=SparkSettings)

    @field_validator("wait")
    @classmethod
    def _wait(cls, value: str | float) -> str | float:
        from retentionkit.runtime.lock import parse_wait

        try:
            parse_wait(value, "wait")
        except ConfigError:
            raise ValueError(f"{value!r} is not a duration (use 30, 30s, 2m or 0)") from None
        return value

    #: Plausible timestamps at ingest: [earliest, latest) in UTC (docs/data.md); widen for
    #: historical data. Years 1–9998 at most, so every later date computation stays valid.
    earliest_timestamp: dt.datetime = dt.datetime(1900, 1, 1)
    latest_timestamp: dt.datetime = dt.datetime(2200, 1, 1)

    @field_validator("earliest_timestamp", "latest_timestamp")
    @classmethod
    def _plausible_bound(cls, value: dt.datetime) -> dt.datetime:
        value = value.replace(tzinfo=None)
        if not dt.datetime(1, 1, 2) <= value <= dt.datetime(9999, 1, 1):
            raise ValueError("a timestamp bound must lie between 0001-01-02 and 9999-01-01")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not _is_zone(value):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/Warsaw' or 'UTC')"
            )
        return value

    @field_validator("activity_window")
    @classmethod
    def _window(cls, value: str) -> str:
        if value != "period":
            parse_duration_days(value)
        return value

    def health_bands(self) -> dict[str, HealthBand]:
        """Every metric's health band: the registry's defaults (each ``MetricSpec``'s
        ``health_band``) with the [health] table's bands in their place."""
        return {**default_health(), **self.health}

    def survey_scale(self, survey: str) -> SurveyScale | None:
        return self.surveys.get(survey)


def _is_zone(value: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def check_timezone(value: str, where: str = "timezone") -> str:
    """An IANA zone name, or a :class:`ConfigError` sentence naming ``where`` it came from."""
    if not _is_zone(value):
        raise ConfigError(
            f"{where} {value!r} is not a known time zone; use an IANA name such as "
            "'Europe/Warsaw' or 'UTC'."
        )
    return value


#: Longest duration accepted anywhere (windows, horizons): 100 years of days. Longer ones
#: overflow date arithmetic and describe no real business question.
MAX_DURATION_DAYS = 36_525


def parse_duration_days(text: str) -> int:
    """'90d' → 90, '12w' → 84, '3m' → 90 (30-day months), '1y' → 365, '45' → 45; at most
    :data:`MAX_DURATION_DAYS`."""
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    raw = text.strip().lower()
    try:
        value = int(raw[:-1]) * units[raw[-1]] if raw and raw[-1] in units else int(raw)
    except ValueError:
        raise ConfigError(
            f"Duration {text!r} is not understood; expected a number of days with a unit "
            "such as 90d, 12w, 3m or 1y."
        ) from None
    if value <= 0:
        raise ConfigError(f"Duration {text!r} must be positive.")
    if value > MAX_DURATION_DAYS:
        raise ConfigError(
            f"Duration {text!r} is too long; expected at most {MAX_DURATION_DAYS:,} days "
            "(100 years)."
        )
    return value


def find_config(db_path: Path | None, explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.exists():
            raise ConfigError(f"Config file {explicit} does not exist.")
        return explicit
    candidates = []
    if db_path is not None:
        candidates.append(Path(db_path).resolve().parent / CONFIG_FILENAME)
    candidates.append(Path.cwd() / CONFIG_FILENAME)
    for path in candidates:
        if path.exists():
            return path
    return None


def load_settings(path: Path | None) -> Settings:
    """Read settings from a TOML file (None → defaults); bad values are one clear sentence."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    try:
        flat: dict[str, Any] = dict(data.pop("workspace", {}))
        flat.update(data)
        for key in ("health", "surveys"):
            if key in flat and not isinstance(flat[key], dict):
                raise ConfigError(f"{path}: [{key}] must be a table of settings.")
        if "surveys" in flat:
            flat["surveys"] = {**DEFAULT_SURVEYS, **flat["surveys"]}
        return Settings(**flat)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ").rstrip(".")
        raise ConfigError(f"{path}: setting {where!r}: {msg}.") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}.") from None


CONFIG_TEMPLATE = """\
# retentionkit settings. Every key is optional; the values shown are the defaults.
# Docs: README.md and docs/metrics.md.

[workspace]
# IANA time zone in which timestamps without an offset are read (stored in UTC).
timezone = "{timezone}"
# Reporting currency (all money columns are in this one currency).
currency = "{currency}"
# Who counts as a customer (SPEC §3):
#   "activity"    - bought at least once in the window [t - W, t)   (order data)
#   "contractual" - has a subscription term running at t            (subscription data)
customer_definition = "{customer_definition}"
# Activity window W: "period" = the reporting period's length, or a duration like "90d".
activity_window = "{activity_window}"
# Churn rate denominator: "start" = customers at the period start (S), "end" = at the end (E).
churn_basis = "start"
# How long a command waits while another process holds the workspace file ("30s", "2m", "0").
wait = "30s"
# A term counts as renewed when the next term of the same subscription starts within this
# many days after it ends.
renewal_grace_days = 7
# Gross margin applied to CLV and CAC payback (1.0 = revenue).
gross_margin = 1.0
# Annual discount rate of CLV cash flows (clv predict, the clv metric with --clv-model, the
# clv_tier segments); discounted monthly at (1 + rate)^(1/12) - 1. 0.1268 = 1 % a month.
annual_discount_rate = 0.1268250301
# A rate whose denominator n (customers at the start, answers, terms due …) is below this
# gets no health colour: its 95 % interval is too wide to call it good or poor.
health_min_n = 30

# Health bands: colours next to each KPI. For KPIs where up is good, value >= good is good and
# value < poor is poor; for KPIs where down is good (churn_rate, return_rate) the reverse.
[health]
{health}

# Survey scales: answers outside the scale are refused at ingest. CSAT "satisfied" = top two
# points of its scale.
[surveys]
nps = {{ min = 0, max = 10 }}
csat = {{ min = 1, max = 5 }}

# Column mappings applied at ingest (SOURCE = "canonical_name"), per table, e.g.:
# [mapping.orders]
# InvoiceNo = "order_id"
# CustomerID = "customer_id"
"""


def _health_lines() -> str:
    """The default bands as TOML lines (from the registry, the one place they are set)."""
    lines = []
    for metric, band in default_health().items():
        pairs = ", ".join(f"{k} = {v:g}" for k, v in band.model_dump(exclude_none=True).items())
        lines.append(f"{metric} = {{ {pairs} }}")
    return "\n".join(lines)


def render_template(**overrides: str | None) -> str:
    """The commented retentionkit.toml of ``retentionkit init`` with ``overrides``."""
    values = {
        "timezone": "UTC",
        "currency": "EUR",
        "customer_definition": "activity",
        "activity_window": "period",
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return CONFIG_TEMPLATE.format(health=_health_lines(), **values)
