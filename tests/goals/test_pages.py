"""Dashboard Goals pages, the overview's goal cards and the report's goals section (server
side; the browser test draws them in Chromium)."""

from __future__ import annotations

from pathlib import Path

from retentionkit.goals import GoalAddRequest, GoalEvaluateRequest, add_goal, evaluate_goals

HOSTILE = "<script>alert(1)</script>"


def _with_goals(ws) -> None:  # type: ignore[no-untyped-def]
    add_goal(ws, GoalAddRequest(name="retention", metric="crr", target=70, by="2024-06-30",
                                start="2023-10-15", owner=HOSTILE))  # fmt: skip
    add_goal(ws, GoalAddRequest(name=HOSTILE, kind="money", target=1000, by="2024-12-31",
                                start="2024-01-01"))  # fmt: skip
    evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))


def _client(db: Path):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    return TestClient(create_app(WebSettings(db=db, warm_cache=False)))


def test_goals_pages_and_overview_cards(ws, goals_db: Path) -> None:
    _with_goals(ws)
    ws.con.disconnect()
    with _client(goals_db) as client:
        page = client.get("/goals").text
        assert '<a href="/goals">Goals</a>' in page or 'href="/goals" class="active"' in page
        assert 'data-goal="retention"' in page and "<progress" in page
        assert HOSTILE not in page and "&lt;script&gt;" in page
        one = client.get("/goals/retention").text
        assert "data-figure" in one and "forecast" in one and "History" in one
        assert "2024-01-31" in one
        assert client.get("/goals/nope", headers={"accept": "text/html"}).status_code == 404
        overview = client.get("/").text
        assert 'class="card goal-card"' in overview and HOSTILE not in overview


def test_empty_goals_page(goals_db: Path) -> None:
    with _client(goals_db) as client:
        assert 'id="no-goals"' in client.get("/goals").text
        assert "goal-card" not in client.get("/").text


def test_report_includes_the_goals(ws, tmp_path: Path) -> None:
    from retentionkit.report import write_report

    _with_goals(ws)
    out = tmp_path / "report.html"
    write_report(ws, out)
    html = out.read_text(encoding="utf-8")
    assert '<section id="goals">' in html and 'data-goal="retention"' in html
    assert HOSTILE not in html.replace("<\\/script", "")
