"""Survey components: NPS buckets, CSAT satisfied answers, custom survey rates, per period of
the answer date.

* NPS counts every answer to the ``nps`` survey in the period (not the latest per customer):
  promoters 9–10, passives 7–8, detractors 0–6.
* CSAT: satisfied = the top two points of the survey's scale (4–5 on 1–5); the scale comes
  from the answer's scale_max column, else the [surveys] setting.
* survey_rate: for a custom survey (any name other than nps/csat), the share of answers at or
  above a threshold (default: the top two points of a scale of 5+ points, else its top point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from retentionkit.metrics.family import Frames, Plan, only
from retentionkit.metrics.query import MetricQuery

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

#: Surveys with their own metric; every other survey name is a custom survey.
BUILT_IN_SURVEYS = ["nps", "csat"]


def _answers(q: MetricQuery, survey: str | None = None) -> ir.Table:
    s = q.ws.table("survey_responses")
    s = s.filter(q.in_range(s.responded_at))
    if survey is not None:
        s = s.filter(s.survey == survey)
    return q.with_segment(s.mutate(period_start=q.period_of(s.responded_at)))


def nps_plan(q: MetricQuery) -> Plan:
    """Promoters (9–10), passives (7–8), detractors (0–6) and answers of the nps survey."""
    s = _answers(q, "nps")
    agg = s.group_by(["period_start", "segment"]).agg(
        promoters=(s.score >= 9).cast("int64").sum(),
        passives=((s.score >= 7) & (s.score < 9)).cast("int64").sum(),
        detractors=(s.score <= 6).cast("int64").sum(),
        responses=s.count(),
    )
    return only(agg)


def csat_plan(q: MetricQuery) -> Plan:
    """Satisfied answers (top two points of the scale) and answers of the csat survey."""
    import ibis

    scale = q.settings.survey_scale("csat")
    default_max = scale.max if scale else 5.0
    s = _answers(q, "csat")
    top = (
        s.scale_max.fill_null(default_max)
        if "scale_max" in s.columns
        else ibis.literal(default_max)
    )
    agg = s.group_by(["period_start", "segment"]).agg(
        satisfied=(s.score + 1 >= top).cast("int64").sum(), responses=s.count()
    )
    return only(agg)


def _custom(q: MetricQuery) -> ir.Table:
    """The answers of the chosen custom survey (option ``survey``), or of every custom one."""
    s = q.ws.table("survey_responses")
    chosen = q.options.get("survey")
    if chosen:
        return s.filter(s.survey == str(chosen))
    return s.filter(~s.survey.isin(BUILT_IN_SURVEYS))


def survey_rate_plan(q: MetricQuery) -> Plan:
    """Answers per period, segment, custom survey and score (``answers``), and each custom
    survey's scale over all its answers (``scales``: the scale_min/scale_max columns where
    given, else the lowest and highest score ever answered — so the default threshold does
    not move with --from/--to). The finishing step picks the survey and its threshold."""
    all_answers = _custom(q)
    has_scale = "scale_min" in all_answers.columns and "scale_max" in all_answers.columns
    lo = all_answers.scale_min.fill_null(all_answers.score) if has_scale else all_answers.score
    hi = all_answers.scale_max.fill_null(all_answers.score) if has_scale else all_answers.score
    scales = all_answers.group_by("survey").agg(lo=lo.min(), hi=hi.max())
    s = all_answers.filter(q.in_range(all_answers.responded_at))
    s = q.with_segment(s.mutate(period_start=q.period_of(s.responded_at)))
    answers = s.group_by(["period_start", "segment", "survey", "score"]).agg(n=s.count())
    return Plan(
        queries={"answers": answers, "scales": scales},
        finish=lambda got: survey_rate_components(q, got),
    )


def survey_rate_components(q: MetricQuery, got: Frames) -> pd.DataFrame:
    """at_or_above and responses of the chosen survey (the option, else the first custom
    survey by name), with its ``survey`` and ``threshold``: the option ``survey_threshold``,
    else the top two points of a scale of 5+ points, else its top point."""
    scales = got["scales"].sort_values("survey")
    columns = ["period_start", "segment", "at_or_above", "responses", "survey", "threshold"]
    if scales.empty:  # no custom survey: no value, but counts of 0 (not null)
        return pd.DataFrame(
            {
                "period_start": pd.Series(dtype="datetime64[us]"),
                "segment": pd.Series(dtype=object),
                "at_or_above": pd.Series(dtype="int64"),
                "responses": pd.Series(dtype="int64"),
                "survey": pd.Series(dtype=object),
                "threshold": pd.Series(dtype="float64"),
            }
        )
    survey = str(scales["survey"].iloc[0])
    threshold = q.options.get("survey_threshold")
    if threshold is None:
        scale = q.settings.survey_scale(survey)
        if scale is not None:
            lo, hi = scale.min, scale.max
        else:
            row = scales.iloc[0]
            lo, hi = (0.0, 1.0) if pd.isna(row["lo"]) else (float(row["lo"]), float(row["hi"]))
        threshold = hi - 1 if (hi - lo) >= 4 else hi
    answers = got["answers"]
    answers = answers[answers["survey"] == survey]
    above = answers["n"].where(answers["score"].astype("float64") >= float(threshold), 0)
    frame = (
        answers.assign(at_or_above=above)
        .groupby(["period_start", "segment"], as_index=False)[["at_or_above", "n"]]
        .sum()
        .rename(columns={"n": "responses"})
    )
    frame["at_or_above"] = frame["at_or_above"].astype("int64")
    frame["responses"] = frame["responses"].astype("int64")
    frame["survey"] = survey
    frame["threshold"] = float(threshold)
    return frame[columns]
