"""Every dashboard page on every real data set: 200 (or a sentence naming the table to
ingest), and no "nan", "NaN" or "None" in the HTML text."""

from __future__ import annotations

import re

import pytest

from retentionkit.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realdata")]

PAGES = (
    "/",
    "/trends",
    "/cohorts",
    "/segments",
    "/clv",
    "/at-risk",
    "/feedback",
    "/mrr",
    "/goals",
    "/automations",
)
NEEDS = {"/feedback": "survey_responses", "/mrr": "subscriptions"}


def _client(ws: Workspace):
    from fastapi.testclient import TestClient

    from retentionkit.server.app import create_app
    from retentionkit.web.settings import WebSettings

    return TestClient(create_app(WebSettings(db=ws.path, warm_cache=False)))


def _text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("name", ["cdnow", "retail", "olist", "hard"])
def test_every_page(name: str, request) -> None:
    ws: Workspace = request.getfixturevalue(name)
    tables = set(ws.tables())
    with _client(ws) as client:
        for page in PAGES:
            r = client.get(page, headers={"accept": "text/html"})
            text = _text(r.text)
            if page in NEEDS and NEEDS[page] not in tables:
                assert r.status_code == 409 and f"ingest {NEEDS[page]}" in text, page
                continue
            assert r.status_code == 200, (page, " ".join(text.split())[:300])
            assert not re.search(r"\b(nan|NaN|None)\b", text), page


def test_retail_overview_headline_is_november(retail: Workspace) -> None:
    with _client(retail) as client:
        text = " ".join(_text(client.get("/", headers={"accept": "text/html"}).text).split())
    assert "Latest month: 2011-11" in text, text[:400]
    assert "Partial" in text


def test_hard_overview_says_revenue_has_no_values(hard: Workspace) -> None:
    # orders without amounts: the revenue chart says so instead of drawing empty axes
    from retentionkit.pages import charts

    with _client(hard) as client:
        html = client.get("/", headers={"accept": "text/html"}).text
    assert html.count(charts.NO_VALUES_NOTE) == 1


def test_olist_cards_compare_the_headline_with_a_year_before(olist: Workspace) -> None:
    """Olist's last complete month (July 2018) is three months before its last month: each
    card compares July 2018 with July 2017, as ``metrics --compare year`` does (the page used
    to compare only the last two months, and showed "–")."""
    from retentionkit.pages import Filters, overview
    from retentionkit.web.service import WorkspaceService

    view = overview.build(WorkspaceService(workspace=olist), Filters())
    year = olist.metrics(["revenue"], compare="year")
    july = year[year["period_start"] == "2018-07-01"].iloc[0]
    card = next(c for c in view["cards"] if c["name"] == "revenue")
    assert card["value"].startswith(f"{july['value']:,.0f}"), card
    assert card["year"].startswith(f"+{july['delta']:,.2f}"), (card["year"], july["delta"])
    customers = next(c for c in view["cards"] if c["name"] == "active_customers")
    assert customers["year"] == "+86 (+54.8%)"  # 243 in July 2018, 157 in July 2017
    # the page is named after the period most cards show; the survey cards, whose answers run
    # two months longer, say which month they show
    assert view["latest"] == "2018-07"
    # skipped by the cards: August (the orders' last, partial) and October (the answers')
    assert view["partial"] == ["2018-08", "2018-10"]
    csat = next(c for c in view["cards"] if c["name"] == "csat")
    assert (csat["period"], csat["other_period"], card["other_period"]) == (
        "2018-09",
        "2018-09",
        "",
    )
    with _client(olist) as client:
        text = " ".join(_text(client.get("/", headers={"accept": "text/html"}).text).split())
    assert "Latest month: 2018-07" in text and "month 2018-09" in text
