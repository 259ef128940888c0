"""Dashboard pages and the HTML report without a browser: every page renders, user strings are
escaped, no asset comes from the network."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _paths() -> list[str]:
    from retentionkit.pages import pages_for

    return [p.path for p in pages_for()]


def _external(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)


@pytest.mark.parametrize("path", _paths())
def test_every_page_renders(page_client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = page_client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert 'src="/static/plotly.min.js"' in r.text
    # every page draws a chart; the Goals page of a workspace without goals says how to add one;
    # the Automations page is tables only (rules, next due, log, lift)
    if path != "/automations":
        assert 'class="chart card' in r.text or 'id="no-goals"' in r.text
    assert _external(r.text) == []
    assert "server-timing" in r.headers


@pytest.mark.parametrize(
    "path",
    ["/trends?segment=country", "/feedback?segment=country", "/cohorts?segment=country"],
)
def test_user_provided_strings_are_escaped(page_client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = page_client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert HOSTILE not in r.text
    # in HTML text: &lt;script&gt;; inside chart JSON (escaped for plotly, then made
    # attribute-safe by |tojson): \u0026lt;script\u0026gt;
    assert ESCAPED in r.text or "\\u0026lt;script\\u0026gt;alert(1)" in r.text


def test_chart_json_cannot_close_its_attribute(page_client) -> None:  # type: ignore[no-untyped-def]
    html = page_client.get("/trends?segment=country").text
    for attr in re.findall(r"data-figure='([^']*)'", html):
        assert "<" not in attr and ">" not in attr


def test_query_strings_are_escaped_in_links(page_client) -> None:  # type: ignore[no-untyped-def]
    hostile = '"><img src=x onerror=alert(1)>'
    r = page_client.get("/trends", params={"segment": hostile}, headers={"Accept": "text/html"})
    assert r.status_code == 422  # an unknown segment scheme, named in the HTML error page
    assert r.headers["content-type"].startswith("text/html")
    assert "<img" not in r.text and "&lt;img src=x" in r.text


def test_bad_page_parameters_are_422(page_client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/?period=decade", "/trends?from=2024-02-30", "/cohorts?kind=weird"):
        r = page_client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 422, path
        assert r.headers["content-type"].startswith("text/html")


def test_plotly_is_served_from_the_installed_package(page_client) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.web.assets import plotly_js_path

    r = page_client.get("/static/plotly.min.js")
    assert r.status_code == 200
    assert r.content == plotly_js_path().read_bytes()
    assert page_client.get("/static/app.js").status_code == 200


def test_period_switch(page_client) -> None:  # type: ignore[no-untyped-def]
    for period in ("month", "quarter", "year"):
        r = page_client.get("/trends", params={"period": period})
        assert r.status_code == 200
        assert f'class="active">{period}</a>' in r.text


def test_report_is_self_contained(web_db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from retentionkit.cli.app import main

    db = tmp_path / "r.duckdb"
    shutil.copy(web_db, db)
    out = tmp_path / "out" / "report.html"
    code = main(
        [
            "--db",
            str(db),
            "report",
            "--html",
            str(out),
            "--period",
            "quarter",
            "--from",
            "2023-01-01",
            "--to",
            "2024-01-01",
        ]
    )
    assert code == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # plotly.js names its site
    assert _external(markup) == []
    assert "Plotly" in html and html.count("<style>") == 1
    from retentionkit.pages import pages_for

    for page in pages_for():
        assert f'<section id="{page.slug}">' in html
    assert "2023-Q" in html


def test_report_rejects_bad_options(web_db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.cli.app import main

    out = tmp_path / "r.html"
    assert main(["--db", str(web_db), "report", "--html", str(out), "--period", "decade"]) == 2
    assert "--period" in capsys.readouterr().err
    assert main(["--db", str(web_db), "report", "--html", str(out), "--from", "soon"]) == 2
    assert not out.exists()
