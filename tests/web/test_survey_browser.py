"""The survey answer page in real headless Chromium at phone size (360×740): every language
renders without horizontal scrolling, no script and no request off the machine; screenshots go
to docs/surveys-{lang}.png; the page can be answered with the keyboard alone."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 360, "height": 740}
EXPECTED = {
    "en": "How likely are you to recommend Acme to a friend or colleague?",
    "pl": "Jak bardzo prawdopodobne jest, że polecisz Acme znajomemu lub współpracownikowi?",
    "ru": "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?",
    "zh": "您向朋友或同事推荐Acme的可能性有多大？",
}


@pytest.fixture(scope="module")
def survey_server(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """uvicorn over a copy of the shop with an NPS survey and one link per language."""
    import uvicorn

    from retentionkit.server import create_app
    from retentionkit.surveys.links import survey_link
    from retentionkit.surveys.service import CreateSurvey, run
    from retentionkit.web.settings import WebSettings
    from retentionkit.workspace import Workspace

    from .conftest import _free_port

    db = tmp_path_factory.mktemp("survey") / "shop.duckdb"
    shutil.copy(web_db, db)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ws = Workspace(db)
    run(ws, CreateSurvey("q4", "nps", company="Acme"))
    ids = ws.table("customers").select("customer_id").limit(6).execute()["customer_id"].tolist()
    links = {
        key: survey_link(ws, "q4", c, base_url=base).url
        for key, c in zip(["en", "pl", "ru", "zh", "keyboard", "spare"], ids, strict=True)
    }
    ws.con.disconnect()
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
    yield {"base": base, "links": links}
    server.should_exit = True
    thread.join(timeout=15)


def _phone(browser, url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    seen: dict[str, list[str]] = {"errors": [], "remote": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:
            seen["remote"].append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    response = page.goto(url, wait_until="load")
    return context, page, seen, response


@pytest.mark.parametrize("lang", list(EXPECTED))
def test_answer_page_on_a_phone(browser, survey_server, lang: str) -> None:  # type: ignore[no-untyped-def]
    url = survey_server["links"][lang] + f"?lang={lang}"
    context, page, seen, response = _phone(browser, url)
    try:
        assert response is not None and response.status == 200
        assert page.locator("legend").inner_text() == EXPECTED[lang]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("input[type=radio][name=score]").count() == 11
        # every scale point is a labelled radio: what a screen reader announces
        assert page.get_by_role("radio", name="10").count() == 1
        assert page.get_by_role("group", name=EXPECTED[lang]).count() == 1
        box = page.locator("label[for=score-10]").bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 360
        page.locator("label[for=score-9]").click()
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"surveys-{lang}.png"), full_page=True)
        assert seen == {"errors": [], "remote": []}
        with page.expect_navigation():
            page.locator("button[type=submit]").click()
        assert page.locator("section.thanks").count() == 1, page.content()[:600]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_keyboard_only(browser, survey_server) -> None:  # type: ignore[no-untyped-def]
    import httpx

    context, page, seen, _ = _phone(browser, survey_server["links"]["keyboard"] + "?lang=pl")
    try:
        page.keyboard.press("Tab")  # the radio group
        assert page.evaluate("document.activeElement.name") == "score"
        label = page.locator("label[for=score-0]")
        outline = label.evaluate("el => getComputedStyle(el).outlineStyle")
        assert outline != "none", "keyboard focus must be visible"
        for _ in range(7):
            page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.value") == "7"
        page.keyboard.press("Tab")  # the comment box
        page.keyboard.type("Szybka dostawa")
        page.keyboard.press("Tab")  # the send button
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("h1").inner_text() == "Dziękujemy!"
        assert seen == {"errors": [], "remote": []}
    finally:
        context.close()
    shown = httpx.get(survey_server["base"] + "/api/surveys/q4", timeout=30).json()
    assert shown["latest_comments"][0]["comment"] == "Szybka dostawa"
    assert any(c["score"] == 7 for c in shown["latest_comments"])
