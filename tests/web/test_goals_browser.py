"""The Goals pages in real headless Chromium: the list with progress bars and status colours,
one goal's page with its history, target line and forecast fan, the goal cards on the
overview — no console errors, nothing fetched off the machine, hostile names stay text."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_browser import _all_drawn, _open

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "<script>alert(1)</script>"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "goals.png"


@pytest.fixture(scope="module")
def goals_server(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn over a copy of the shared business with goals on crr, churn_rate,
    new_customers, nps and mrr (due after the data and after today, so they are still open)
    and a custom goal with a hostile name."""
    import socket

    import uvicorn

    from retentionkit.goals import GoalAddRequest, GoalEvaluateRequest, add_goal, evaluate_goals
    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings
    from retentionkit.workspace import Workspace

    db = tmp_path_factory.mktemp("goals-live") / "shop.duckdb"
    shutil.copy(web_db, db)
    ws = Workspace(db)
    for name, metric, target in [
        ("retention", "crr", 70),
        ("churn", "churn_rate", 35),
        ("new customers", "new_customers", 60),
        ("nps", "nps", 60),
        ("mrr", "mrr", 15000),
    ]:
        add_goal(ws, GoalAddRequest(name=name, metric=metric, target=target, by="2027-12-31",
                                    start="2023-10-15"))  # fmt: skip
    add_goal(ws, GoalAddRequest(name=HOSTILE, kind="money", target=1000, by="2027-12-31",
                                start="2024-01-01"))  # fmt: skip
    evaluate_goals(ws, GoalEvaluateRequest(as_of="2024-01-31"))
    ws.con.disconnect()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(WebSettings(db=db, host="127.0.0.1", port=port, warm_cache=False))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def test_goals_list_page(browser, goals_server: str) -> None:  # type: ignore[no-untyped-def]
    context, page, seen, response, _ = _open(browser, goals_server + "/goals")
    try:
        assert response is not None and response.status == 200
        rows = page.locator("table.goals tbody tr")
        assert rows.count() == 6
        assert page.locator("progress.goal-bar").count() == 6
        statuses = page.locator(".goal-status").all_inner_texts()
        assert all(s.lower() in ("on track", "at risk", "off track", "achieved") for s in statuses)
        colour = page.eval_on_selector(".goal-status", "el => getComputedStyle(el).color")
        assert colour != "rgb(31, 41, 55)"  # a status colour, not the body text colour
        assert HOSTILE in page.inner_text("main") and page.locator("main script").count() == 0
        assert seen["console"] == [] and seen["pageerror"] == [] and seen["dialog"] == []
        assert seen["remote"] == []
        page.click("a[href='/goals/mrr']")
        page.wait_for_url("**/goals/mrr")
        assert _all_drawn(page) == 1
    finally:
        context.close()


@pytest.mark.parametrize("name", ["retention", "churn", "new customers", "nps", "mrr"])
def test_goal_page_draws_history_target_and_fan(browser, goals_server: str, name: str) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    context, page, seen, response, _ = _open(browser, f"{goals_server}/goals/{quote(name)}")
    try:
        assert response is not None and response.status == 200
        assert _all_drawn(page) == 1
        legend = page.locator(".chart .legend").text_content() or ""
        for trace in ("actual", "target", "forecast median", "forecast 5–95%"):
            assert trace in legend
        # start, 2024-01-31 and (once serve's daily run is done) today
        history = page.locator("table.history tbody tr")
        assert history.count() >= 2 and "2024-01-31" in page.inner_text("table.history")
        assert seen["console"] == [] and seen["pageerror"] == [] and seen["remote"] == []
        if name == "mrr":
            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()


def test_goal_cards_on_the_overview(browser, goals_server: str) -> None:  # type: ignore[no-untyped-def]
    context, page, seen, response, _ = _open(browser, goals_server + "/")
    try:
        assert response is not None and response.status == 200
        _all_drawn(page)
        assert page.locator(".goal-card").count() == 6
        assert seen["console"] == [] and seen["pageerror"] == [] and seen["dialog"] == []
    finally:
        context.close()
