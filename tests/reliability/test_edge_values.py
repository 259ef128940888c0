"""Whatever a table holds, no later command may fail on it (issue 11): ingest every accepted
edge value — the documented money maximum, the earliest and latest plausible timestamps, the
largest quantity, formula-like and long Unicode ids — then run every command and page. Exit
codes may be usage/model answers (2–6), never 1 or 70; pages never answer 5xx. The refused
values of the issue (9999-12-31, "-1", 0001-01-01, money over the maximum …) are refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from retentionkit.cli.app import main

pytestmark = pytest.mark.slow

MAX = "99999999999999.9999"
EARLY, LATE = "1900-01-01", "2199-12-31 23:59:59"
ODD_ID = '=HYPERLINK("x")ü' + "x" * 200
QUOTED_ID = '"' + ODD_ID.replace('"', '""') + '"'  # as a CSV cell

FILES = {
    "customers": "customer_id,signed_up_at,country\n"
    f"c1,{EARLY},PL\nc2,{LATE},=1+1\n{QUOTED_ID},2024-01-01,\n",
    "orders": "order_id,customer_id,ordered_at,amount,quantity,delivered_at\n"
    f"o1,c1,{EARLY},{MAX},9007199254740991,{LATE}\n"
    f"o2,c1,{LATE},0,0,\n"
    f"o3,c2,2024-01-01,12345678901234.5678,1,\n"
    f"o4,c2,2024-02-01,0.0001,1,\n"
    f"o5,{QUOTED_ID},2024-03-01,{MAX},1,\n",
    "returns": "return_id,customer_id,returned_at,order_id,quantity,amount\n"
    f"r1,c1,{LATE},o1,9007199254740991,{MAX}\n",
    "subscriptions": "term_id,subscription_id,customer_id,started_at,ended_at,mrr,plan\n"
    f"t1,s1,c1,{EARLY},{LATE},{MAX},pro\nt2,s2,c2,2024-01-01,,0,free\n",
    "survey_responses": "response_id,survey,score,responded_at,customer_id\n"
    f"v1,nps,10,{EARLY},c1\nv2,csat,1,{LATE},c2\nv3,nps,0,2024-01-01,c1\n",
    "acquisition_costs": "cost_id,incurred_on,amount,category\n"
    f"k1,{EARLY},{MAX},marketing\nk2,{LATE},0,=cmd\n",
    "tickets": f"ticket_id,customer_id,opened_at,resolved_at\nq1,c1,{EARLY},{LATE}\n",
}

COMMANDS = [
    ["metrics"],
    ["metrics", "--format", "csv"],
    ["metrics", "--format", "json"],
    ["metrics", "--period", "year", "--active-window", "36525d"],
    ["cohorts"],
    ["cohorts", "--format", "csv"],
    ["cohorts", "--kind", "revenue", "--format", "json"],
    ["rfm", "--format", "csv"],
    ["rfm", "--format", "json"],
    ["segments"],
    ["segments", "--scheme", "country", "--format", "csv"],
    ["clv", "predict"],
    ["churn", "at-risk"],
]
PAGES = ["/", "/trends", "/cohorts", "/mrr", "/feedback", "/clv", "/at-risk", "/segments"]
API = [
    "/api/metrics",
    "/api/cohorts",
    "/api/rfm",
    "/api/clv",
    "/api/churn/at-risk",
    "/api/segments",
]


@pytest.fixture(scope="module")
def edge_db(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("edge")
    db = folder / "edge.duckdb"
    for table, text in FILES.items():
        path = folder / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        assert main(["--db", str(db), "ingest", table, str(path)]) == 0, table
    return db


def test_money_round_trips_exactly(edge_db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(edge_db))
    amounts = dict(con.execute("SELECT order_id, amount FROM orders").fetchall())
    con.close()
    assert amounts["o1"] == Decimal(MAX)
    assert amounts["o3"] == Decimal("12345678901234.5678")
    assert amounts["o4"] == Decimal("0.0001")


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a))
def test_every_command_runs_on_edge_values(edge_db: Path, argv: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--db", str(edge_db), *argv])
    err = capsys.readouterr().err
    assert code in (0, 2, 3, 4, 5, 6), err
    assert "internal error" not in err


def test_report_html_on_edge_values(edge_db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--db", str(edge_db), "report", "--html", str(tmp_path / "r.html")])
    assert code == 0, capsys.readouterr().err


def test_every_page_and_route_on_edge_values(edge_db: Path) -> None:
    from fastapi.testclient import TestClient

    from retentionkit.server.app import create_app
    from retentionkit.web.settings import WebSettings

    app = create_app(WebSettings(db=edge_db, warm_cache=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in PAGES + API:
            r = client.get(path, headers={"Accept": "text/html" if path in PAGES else "*/*"})
            assert r.status_code < 500, (path, r.text[:300])


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("o9,c1,9999-12-31 23:59:59,1", "9999-12-31"),
        ("o9,c1,-1,1", "'-1'"),
        ("o9,c1,0001-01-01,1", "0001-01-01"),
        ("o9,c1,2024-01-01,100000000000000", "99,999,999,999,999.9999"),
    ],
)
def test_poisoned_values_are_refused(tmp_path: Path, line: str, needle: str, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "orders.csv"
    path.write_text("order_id,customer_id,ordered_at,amount\n" + line + "\n")
    db = tmp_path / "ws.duckdb"
    assert main(["--db", str(db), "ingest", "orders", str(path)]) == 2
    err = capsys.readouterr().err
    assert "orders.csv, line 2, column" in err and needle in err
    assert not db.exists()  # a refused first load creates no workspace file
