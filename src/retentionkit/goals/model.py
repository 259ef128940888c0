"""Goal specs and the typed, frozen request objects of every goal operation.

A request is the validation boundary: it is built once by a face (CLI, REST, page, Python) and
then handed unchanged to one function of :mod:`retentionkit.goals.service`. Checks that need
no data (names, kinds, directions, dates, the yes/no values) live here; checks that need the
workspace (the metric's start value, segment values, duplicate names) live in the service.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from retentionkit.errors import ConfigError, InputError
from retentionkit.service.options import GOAL_CUSTOM_KINDS as CUSTOM_KINDS
from retentionkit.service.options import GOAL_DIRECTIONS as DIRECTIONS
from retentionkit.service.options import GOAL_KINDS as KINDS
from retentionkit.service.options import GOAL_PERIODS, GoalDirection, GoalKind, GoalPeriod
from retentionkit.service.options import GOAL_STATUSES as STATUSES
from retentionkit.service.requests import Request

__all__ = [
    "CUSTOM_KINDS",
    "DIRECTIONS",
    "GOAL_PERIODS",
    "KINDS",
    "STATUSES",
    "Goal",
    "GoalAddRequest",
    "GoalDeleteRequest",
    "GoalEvaluateRequest",
    "GoalListRequest",
    "GoalShowRequest",
    "GoalUpdateRequest",
    "build_request",
    "today",
]

MAX_NAME = 100
MAX_TEXT = 2000

Kind = GoalKind
Direction = GoalDirection

_YES = {"yes": 1.0, "y": 1.0, "true": 1.0, "no": 0.0, "n": 0.0, "false": 0.0}


def today() -> dt.date:
    """Today's date in UTC (the default start and as-of date)."""
    return dt.datetime.now(dt.UTC).date()


def _number(value: Any, flag: str) -> float | None:
    """A finite number from a CLI/JSON value; ``yes``/``no`` count as 1/0 (yes/no goals)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in _YES:
        return _YES[value.strip().lower()]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{flag} {value!r} is not a number.") from None
    if not math.isfinite(number):
        raise InputError(f"{flag} {value!r} is not a finite number.")
    return number


def _date(value: Any, flag: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{flag} {value!r} is not a date; expected YYYY-MM-DD.") from None


def _one_of(value: Any, allowed: tuple[str, ...], flag: str) -> Any:
    if value is not None and value not in allowed:
        raise ConfigError(f"{flag} {value!r} is not one of: {', '.join(allowed)}.")
    return value


class _Request(Request, BaseModel):
    """Frozen, validated once, hashable (the web service's cache key); unknown fields are
    refused. A :class:`~retentionkit.service.requests.Request`: run by
    :func:`retentionkit.service.run` like every other operation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (validated again)."""
        return build_request(type(self), **(self.model_dump(exclude_unset=True) | changes))


class GoalAddRequest(_Request):
    """``goals add NAME --metric METRIC --target X --by DATE …`` (issue 14, item 1)."""

    writes: ClassVar[bool] = True

    name: str
    target: float
    by: dt.date
    kind: Kind = "metric"
    metric: str | None = None
    period: GoalPeriod = "month"
    segment: str | None = None
    customer_definition: str | None = None
    start: dt.date | None = None
    start_value: float | None = None
    direction: Direction | None = None
    owner: str | None = None
    note: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("target", "start_value", mode="before")
    @classmethod
    def _numbers(cls, value: Any, info: Any) -> float | None:
        return _number(value, "--" + info.field_name.replace("_", "-"))

    @field_validator("by", "start", mode="before")
    @classmethod
    def _dates(cls, value: Any, info: Any) -> dt.date | None:
        return _date(value, "--" + info.field_name.replace("_", "-"))

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        return _one_of(value, KINDS, "--kind")

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        return _one_of(value, GOAL_PERIODS, "--period")

    @field_validator("direction", mode="before")
    @classmethod
    def _direction(cls, value: Any) -> Any:
        return _one_of(value or None, DIRECTIONS, "--direction")

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        attr, sep, val = value.partition("=")
        if not sep or not attr.strip() or not val.strip():
            raise InputError(f"--segment {value!r} must look like ATTRIBUTE=VALUE.")
        return f"{attr.strip()}={val.strip()}"

    @field_validator("owner", "note")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_TEXT:
            raise InputError(f"The text is longer than {MAX_TEXT} characters.")
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> GoalAddRequest:
        if self.kind == "metric" and not self.metric:
            raise InputError(
                f"Goal {self.name}: give --metric METRIC, or --kind "
                f"{'|'.join(CUSTOM_KINDS)} for a goal whose value you set by hand."
            )
        if self.kind != "metric" and self.metric:
            raise InputError(
                f"Goal {self.name}: a --kind {self.kind} goal is set by hand and takes no "
                f"--metric; drop --metric or use --kind metric."
            )
        if self.kind == "yes_no" and self.target not in (0.0, 1.0):
            raise InputError(f"Goal {self.name}: a yes_no goal's --target must be yes or no.")
        return self

    def start_date(self) -> dt.date:
        return self.start or today()


class GoalUpdateRequest(_Request):
    """``goals update NAME [--current X] [--target X] [--by DATE] [--owner] [--note]
    [--direction]``; only the given fields change."""

    writes: ClassVar[bool] = True

    name: str
    current: float | None = None
    target: float | None = None
    by: dt.date | None = None
    direction: Direction | None = None
    owner: str | None = None
    note: str | None = None
    as_of: dt.date | None = None

    @field_validator("current", "target", mode="before")
    @classmethod
    def _numbers(cls, value: Any, info: Any) -> float | None:
        return _number(value, "--" + info.field_name)

    @field_validator("by", "as_of", mode="before")
    @classmethod
    def _dates(cls, value: Any, info: Any) -> dt.date | None:
        return _date(value, "--" + info.field_name.replace("_", "-"))

    @field_validator("direction", mode="before")
    @classmethod
    def _direction(cls, value: Any) -> Any:
        return _one_of(value or None, DIRECTIONS, "--direction")

    @field_validator("owner", "note")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_TEXT:
            raise InputError(f"The text is longer than {MAX_TEXT} characters.")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields to change on the stored goal (``by`` is stored as ``due``)."""
        fields = {"target": self.target, "due": self.by, "direction": self.direction}
        fields |= {"owner": self.owner, "note": self.note, "current": self.current}
        return {k: v for k, v in fields.items() if v is not None}


class GoalEvaluateRequest(_Request):
    """``goals evaluate [--as-of DATE]``: every goal (or ``names``) as of a date."""

    writes: ClassVar[bool] = True

    as_of: dt.date | None = None
    names: tuple[str, ...] = ()
    seed: int = 0

    @field_validator("as_of", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> dt.date | None:
        return _date(value, "--as-of")

    def date(self) -> dt.date:
        return self.as_of or today()


class GoalListRequest(_Request):
    """``goals list``: every goal with its latest evaluation."""


class GoalShowRequest(_Request):
    """``goals show NAME``: the goal, its history and its latest forecast fan."""

    name: str


class GoalDeleteRequest(_Request):
    """``goals delete NAME``: the goal and its history."""

    writes: ClassVar[bool] = True

    name: str


def check_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise InputError(f"Goal name {value!r} must be 1 to {MAX_NAME} printable characters.")
    return name


def build_request(cls: type[_Request], **fields: Any) -> Any:
    """``cls(**fields)`` with pydantic's own messages turned into one sentence (our
    validators already raise :class:`InputError`/:class:`ConfigError`, which pass through)."""
    try:
        return cls(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "--" + "-".join(str(p) for p in err.get("loc", ())).replace("_", "-")
        if err.get("type") == "extra_forbidden":
            valid = ", ".join("--" + f.replace("_", "-") for f in cls.model_fields)
            raise InputError(f"Unknown option {where}; valid options: {valid}.") from None
        raise InputError(f"{where}: {err.get('msg', 'invalid value')}.") from None


@dataclass(frozen=True)
class Goal:
    """A stored goal (one row of the ``goals`` table)."""

    name: str
    kind: str
    metric: str | None
    period: str
    segment: str | None
    customer_definition: str | None
    direction: str
    target: float
    due: dt.date
    start: dt.date
    start_value: float
    current: float | None = None  # custom goals only: the value set by hand
    owner: str | None = None
    note: str | None = None

    @property
    def is_custom(self) -> bool:
        return self.kind != "metric"

    def reached(self, value: float | None) -> bool:
        """Whether ``value`` reaches the target in the goal's direction (≥ up, ≤ down)."""
        if value is None or not math.isfinite(value):
            return False
        return value >= self.target if self.direction == "up" else value <= self.target
