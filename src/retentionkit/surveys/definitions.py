"""What a survey is: its name, type, scale, question and options.

* ``nps``: scale 0-10 (the only one), answers counted by the ``nps`` metric (promoters 9-10,
  detractors 0-6; Reichheld, "The One Number You Need to Grow", HBR 2003).
* ``csat``: scale 1-5 by default (or 1-10), answers counted by the ``csat`` metric (satisfied =
  the top two points).
* ``custom``: any scale; answers counted by ``survey_rate`` under the survey's own name.

Answers of nps/csat surveys are stored with ``survey`` = the type (so the KPIs and the churn
features see them) and ``survey_name`` = the survey's name; custom ones carry the name in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from retentionkit.errors import ConfigError, InputError

SurveyType = Literal["nps", "csat", "custom"]
SURVEY_TYPES: tuple[str, ...] = ("nps", "csat", "custom")
#: Scales a survey may use (``--scale``).
SCALES: dict[str, tuple[int, int]] = {"1-5": (1, 5), "1-10": (1, 10), "0-10": (0, 10)}
#: Default scale of each type.
DEFAULT_SCALE: dict[str, str] = {"nps": "0-10", "csat": "1-5", "custom": "1-5"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def check_name(name: str) -> str:
    """A survey name: 1-40 lowercase letters, digits, '-' or '_' (it appears in URLs)."""
    if not _NAME.match(name or ""):
        raise InputError(
            f"Survey name {name!r} is not valid; use 1-40 lowercase letters, digits, '-' or "
            "'_', starting with a letter or digit."
        )
    return name


def parse_scale(kind: str, scale: str | None) -> tuple[int, int]:
    """The (min, max) of ``--scale`` for a survey of ``kind``; NPS is always 0-10."""
    text = scale or DEFAULT_SCALE[kind]
    if text not in SCALES:
        raise ConfigError(f"--scale {text!r} is not one of: {', '.join(SCALES)}.")
    if kind == "nps" and text != "0-10":
        raise ConfigError(f"--scale {text} does not fit an NPS survey, which is always 0-10.")
    return SCALES[text]


@dataclass(frozen=True)
class Survey:
    """A stored survey definition."""

    name: str
    type: SurveyType
    scale_min: int
    scale_max: int
    #: The question in English; None = the standard question of the type.
    question: str | None = None
    #: Question per language code (``pl``, ``ru``, ``zh`` …) overriding the catalogs.
    translations: dict[str, str] = field(default_factory=dict)
    comment: bool = True
    #: JSON paths of another tool's payload: {"customer_id": "$.user.id", "score": …}.
    mapping: dict[str, str] = field(default_factory=dict)
    #: Name used in the standard NPS question ("recommend {company}"); None = "us".
    company: str | None = None
    created_at: str = ""

    @property
    def metric_survey(self) -> str:
        """The value of ``survey_responses.survey`` for this survey's answers."""
        return self.type if self.type in ("nps", "csat") else self.name

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def check_score(self, raw: object, where: str) -> float:
        """``raw`` as a whole number on the survey's scale, or an InputError naming ``where``."""
        try:
            value = float(str(raw).strip())
        except (TypeError, ValueError):
            value = float("nan")
        if not (
            value == value and value.is_integer() and self.scale_min <= value <= self.scale_max
        ):
            raise InputError(
                f"{where}: score {str(raw)[:40]!r} is not a whole number from {self.scale_min} "
                f"to {self.scale_max} (survey {self.name})."
            )
        return value
