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

import pandas as pd

from retentionkit.metrics.query import MetricQuery


def _answers(q: MetricQuery, survey: str | None = None):
    s = q.ws.table("survey_responses")
    s = s.filter(q.in_range(s.responded_at))
    if survey is not None:
        s = s.filter(s.survey == survey)
    return q.with_segment(s.mutate(period_start=q.period_of(s.responded_at)))


def nps_components(q: MetricQuery) -> pd.DataFrame:
    s = _answers(q, "nps")
    agg = s.group_by(["period_start", "segment"]).agg(
        promoters=(s.score >= 9).cast("int64").sum(),
        passives=((s.score >= 7) & (s.score < 9)).cast("int64").sum(),
        detractors=(s.score <= 6).cast("int64").sum(),
        responses=s.count(),
    )
    return q.run(agg)


def csat_components(q: MetricQuery) -> pd.DataFrame:
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
        satisfied=(s.score >= top - 1).cast("int64").sum(), responses=s.count()
    )
    return q.run(agg)


def custom_survey_name(q: MetricQuery) -> str | None:
    chosen = q.options.get("survey")
    if chosen:
        return str(chosen)
    s = q.ws.table("survey_responses")
    names = s.filter(~s.survey.isin(["nps", "csat"])).survey.name("survey").as_table()
    found = names.distinct().order_by("survey").limit(1).execute()
    return None if found.empty else str(found["survey"].iloc[0])


def _scale_of(q: MetricQuery, survey: str) -> tuple[float, float]:
    """The survey's scale from all its answers (not just the reported range, so the default
    threshold does not move with --from/--to): the scale_min/scale_max columns where given,
    else the lowest and highest score ever answered."""
    s = q.ws.table("survey_responses")
    s = s.filter(s.survey == survey)
    has_scale = "scale_min" in s.columns and "scale_max" in s.columns
    lo_col = s.scale_min.fill_null(s.score) if has_scale else s.score
    hi_col = s.scale_max.fill_null(s.score) if has_scale else s.score
    row = s.aggregate(lo=lo_col.min(), hi=hi_col.max()).execute()
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo) or pd.isna(hi):
        return 0.0, 1.0
    return float(lo), float(hi)


def survey_rate_components(q: MetricQuery) -> pd.DataFrame:
    survey = custom_survey_name(q)
    if survey is None:  # no custom survey: no value, but counts of 0 (not null)
        return pd.DataFrame(
            {
                "period_start": pd.Series(dtype="datetime64[us]"),
                "segment": pd.Series(dtype=object),
                "at_or_above": pd.Series(dtype="int64"),
                "responses": pd.Series(dtype="int64"),
            }
        )
    scale = q.settings.survey_scale(survey)
    s = _answers(q, survey)
    threshold = q.options.get("survey_threshold")
    if threshold is None:
        if scale is not None:
            lo, hi = scale.min, scale.max
        else:
            lo, hi = _scale_of(q, survey)
        threshold = hi - 1 if (hi - lo) >= 4 else hi
    agg = s.group_by(["period_start", "segment"]).agg(
        at_or_above=(s.score >= float(threshold)).cast("int64").sum(), responses=s.count()
    )
    frame = q.run(agg)
    frame["survey"] = survey
    frame["threshold"] = float(threshold)
    return frame
