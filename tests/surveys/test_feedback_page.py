"""The dashboard's NPS & CSAT page lists each survey with its result and latest comments."""

from __future__ import annotations

from retentionkit.surveys.links import survey_link


def test_feedback_page_shows_survey_results(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    html = client.get("/feedback").text
    assert "q4" in html and "Surveys asked through retentionkit" in html
    path = "/s/" + survey_link(ws, "q4", customer).url.rsplit("/s/", 1)[1]
    r = client.post(path, data={"score": "2", "comment": "<script>alert(1)</script>"})
    assert r.status_code == 200
    html = client.get("/feedback").text  # the write cleared the cache
    assert "Latest comments: q4" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "100.0%" in html  # one link sent, one answered
