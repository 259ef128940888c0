"""Segments by the latest survey answer, checked against a pandas computation."""

from __future__ import annotations

import pandas as pd

import retentionkit as rk


def _workspace(tmp_path):
    ws = rk.Workspace(tmp_path / "ws.duckdb")
    answers = pd.DataFrame(
        {
            "response_id": ["a", "b", "c", "d", "e", "f"],
            "customer_id": ["c1", "c1", "c2", "c3", "c3", "c4"],
            "survey": ["nps", "nps", "nps", "nps", "csat", "csat"],
            "score": [3, 10, 8, 6, 5, 3],
            "responded_at": pd.to_datetime(
                ["2024-01-01", "2024-03-01", "2024-02-01", "2024-02-05", "2024-02-06", "2024-02-07"]
            ),
        }
    )
    ws.ingest("survey_responses", answers)
    return ws, answers


def _expected(answers: pd.DataFrame, survey: str, bucket) -> dict[str, str]:
    latest = answers[answers.survey == survey].sort_values("responded_at").groupby("customer_id")
    return {cid: bucket(group.iloc[-1].score) for cid, group in latest}


def test_latest_nps_buckets_the_most_recent_answer(tmp_path):
    from retentionkit.segments.resolve import segment_table

    ws, answers = _workspace(tmp_path)
    got = segment_table(ws, "latest_nps").execute()
    expected = _expected(
        answers,
        "nps",
        lambda s: "promoter" if s >= 9 else "passive" if s >= 7 else "detractor",
    )
    assert dict(zip(got.customer_id, got.segment, strict=True)) == expected
    assert expected == {"c1": "promoter", "c2": "passive", "c3": "detractor"}


def test_latest_csat_uses_the_top_two_points(tmp_path):
    from retentionkit.segments.resolve import segment_table

    ws, answers = _workspace(tmp_path)
    got = segment_table(ws, "latest_csat").execute()
    expected = _expected(answers, "csat", lambda s: "satisfied" if s >= 4 else "unsatisfied")
    assert dict(zip(got.customer_id, got.segment, strict=True)) == expected
